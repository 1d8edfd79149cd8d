//! Named exit codes, and the small helpers every command shares.

use std::process::ExitCode;

/// Exit codes (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Every case passed.
    Passed = 0,
    /// Usage, configuration or case-file error; nothing was run.
    Usage = 2,
    /// The target did not answer the reachability check.
    Unreachable = 3,
    /// At least one case failed (as `cargo test`).
    Failed = 101,
    /// Interrupted with Ctrl-C (SIGINT); started cases cleaned up.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn usage(message: String) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}
