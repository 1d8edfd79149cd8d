//! The `cts-conform` command: parses the command line, runs the chosen command, and
//! turns its outcome into a named exit code (see `cli::exit`). All logic is in the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::plan::coverage;
use cli::proxy::proxy;
use cli::run::run_suite;
use cli::serve::serve;
use cli::sweep::sweep;
use cts_conform::options::args::{Cli, Command};

fn main() -> ExitCode {
    // Before anything prints: a closed stdout must not end the program (see cli::stdout).
    cli::stdout::guard();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help, --version or a usage error: clap's text, then its exit code.
            let _ = e.print();
            cli::stdout::finish();
            std::process::exit(e.exit_code());
        }
    };
    let exit = match cli.command {
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Sweep(args)) => sweep(args),
        Some(Command::Coverage(args)) => coverage(args),
        Some(Command::Proxy(args)) => proxy(args),
        Some(Command::Replay(args)) => cli::replay::replay(args),
        Some(Command::Parity(args)) => cli::parity::parity(args),
        Some(Command::Report(args)) => cli::report_merge::report(args),
        Some(Command::Verify(args)) => cli::verify::verify(args),
        Some(Command::Explore(args)) => cli::explore::explore(*args),
        None => run_suite(cli.run, cli.libtest),
    };
    cli::stdout::finish();
    exit.into()
}
