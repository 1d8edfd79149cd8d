//! The command's exit codes, named (the README documents them): what a run, a replay, a
//! merge or a verification ends with.

/// Exit codes (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
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

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> std::process::ExitCode {
        std::process::ExitCode::from(exit as u8)
    }
}
