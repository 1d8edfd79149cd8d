//! The command-line shell around the library: argument parsing and one module per
//! command. Only the binary compiles these; they do I/O and call the library.

pub mod exit;
pub mod explore;
pub mod parity;
pub mod plan;
pub mod proxy;
pub mod replay;
pub mod report_merge;
pub mod reports;
pub mod run;
pub mod serve;
pub mod stdout;
pub mod sweep;
pub mod verify;
