//! Named exit codes, and the small helpers every command shares.

use std::process::ExitCode;

/// Exit codes (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Every case passed.
    Passed = 0,
    /// Usage, configuration or case-file error; nothing was run.
    Usage = 2,
    /// The target did not answer the reachability check (or rejected the credentials).
    Unreachable = 3,
    /// The run selected no case (`--no-tests=fail`, the default).
    NoTests = 4,
    /// A report file (--junit, --report-json, --report-html) could not be written.
    ReportNotWritten = 5,
    /// Nothing failed, but the run was incomplete under `--fail-on-ignored` or
    /// `--min-coverage` (or a bundle under `verify`, or a merge under `--allow-partial`).
    Incomplete = 6,
    /// At least one case failed (as `cargo test`).
    Failed = 101,
    /// Interrupted with Ctrl-C (SIGINT); started cases cleaned up.
    Interrupted = 130,
    /// Stopped by SIGHUP (the terminal closed); started cases cleaned up.
    HungUp = 129,
    /// Stopped by SIGTERM (`kill`, `timeout`, a cancelled CI job); started cases cleaned up.
    Terminated = 143,
}

impl From<cts_conform::run::signals::StopSignal> for Exit {
    fn from(signal: cts_conform::run::signals::StopSignal) -> Exit {
        use cts_conform::run::signals::StopSignal;
        match signal {
            StopSignal::Interrupt => Exit::Interrupted,
            StopSignal::Terminate => Exit::Terminated,
            StopSignal::Hangup => Exit::HungUp,
        }
    }
}

impl From<cts_conform::runner::RunError> for Exit {
    /// A configuration problem is a usage error (exit 2); a target that did not answer
    /// or refused the credentials is exit 3. The message is printed.
    fn from(error: cts_conform::runner::RunError) -> Exit {
        use cts_conform::runner::RunError;
        match error {
            RunError::Config(message) => usage(message),
            RunError::Unreachable(message) => {
                eprintln!("error: {message}");
                Exit::Unreachable
            }
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Ends the process now with `exit`, after stdout is flushed (see `cli::stdout`).
pub(crate) fn exit_now(exit: Exit) -> ! {
    super::stdout::finish();
    std::process::exit(exit as i32)
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
