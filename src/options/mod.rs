//! The command line as the library sees it: every command's flags as typed values
//! ([`args`], [`server_args`]; clap derive), their checks before anything runs
//! ([`checks`]), and what they translate to in the library's terms ([`spec`]: a run's
//! target, configuration, ledger and reproduction commands; `serve`'s emulator and
//! `proxy`'s configuration). No printing here: warnings go to a caller's `notice`,
//! problems come back as usage messages. The binary (`src/cli/`) is the I/O shell that
//! prints them, runs the commands and turns outcomes into exit codes.

pub mod args;
pub mod checks;
pub mod proxy;
pub mod serve;
pub mod server_args;
pub mod spec;
pub mod suite;

#[cfg(test)]
mod tests;
