//! The run's flag values, checked before anything runs (no file written, no request
//! sent): each problem is one line, a usage error. Also the "did you mean `coverage`?"
//! hint for a first positional argument that looks like a mistyped subcommand, and what
//! a run that selects no case does (`--no-tests`).

use super::args::{ExploreArgs, NoTests, RunArgs};
use crate::case::LoadedCase;
use crate::contract::Contract;

/// Every subcommand name, the ones to come included (DESIGN.md), for "did you mean".
pub const SUBCOMMANDS: [&str; 9] = [
    "serve", "sweep", "coverage", "replay", "parity", "report", "proxy", "verify", "explore",
];

/// The first problem with the run's flags, as one line; `None` when they are usable.
pub fn check_run_args(
    args: &RunArgs,
    libtest: &libtest_mimic::Arguments,
    contract: &Contract,
) -> Option<String> {
    if let Some(problem) = check_libtest_args(libtest) {
        return Some(problem);
    }
    if let Some(problem) = check_explain(args.explain, libtest) {
        return Some(problem);
    }
    if args.max_response_bytes == 0 {
        return Some("--max-response-bytes must be at least 1".into());
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Some(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        ));
    }
    if let Some(rate) = args.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Some(format!(
                "--rate must be a positive number of requests per second, not {rate}"
            ));
        }
    }
    if let Some(min) = args.min_coverage {
        if !(min.is_finite() && (0.0..=100.0).contains(&min)) {
            return Some(format!(
                "--min-coverage must be a percentage from 0 to 100, not {min}"
            ));
        }
    }
    if args.bundle.is_some() && args.record.is_some() {
        return Some(
            "--bundle records into its own DIR/recording: drop --record (or --bundle)".into(),
        );
    }
    crate::cts::check_bucket_names(&args.data_bucket, &args.obs_bucket, contract)
        .or_else(|| crate::runner::target::check_url(&args.target))
        .or_else(|| check_record_dir(args, libtest))
}

/// `--explain` without `--list` (a run's and a replay's), as one line.
pub fn check_explain(explain: bool, libtest: &libtest_mimic::Arguments) -> Option<String> {
    (explain && !libtest.list).then(|| {
        "--explain only goes with --list (`--list --explain` shows which cases would run, and why not)"
            .into()
    })
}

/// The first problem with libtest's flags (a run's and a replay's), as one line.
pub fn check_libtest_args(libtest: &libtest_mimic::Arguments) -> Option<String> {
    if libtest.bench {
        return Some(
            "--bench is not supported: cts-conform has no benchmarks (run without it)".into(),
        );
    }
    if libtest.test_threads == Some(0) {
        return Some("--test-threads must be at least 1".into());
    }
    None
}

/// `--record DIR`: new or empty, or (`--record-overwrite`) an earlier recording.
fn check_record_dir(args: &RunArgs, libtest: &libtest_mimic::Arguments) -> Option<String> {
    let dir = args.record.as_deref().filter(|_| !libtest.list)?;
    crate::record::write::check_unused(dir, args.record_overwrite)
        .err()
        .map(|e| e.to_string())
}

/// The first of the run's flags given that does not apply to explore.
fn inapplicable_to_explore(args: &RunArgs) -> Option<&'static str> {
    let o = &args.outputs;
    [
        (!args.plan.cases.is_empty(), "--cases"),
        (args.plan.with_builtin, "--with-builtin"),
        (args.plan.no_derived, "--no-derived"),
        (o.junit.is_some(), "--junit"),
        (o.report_json.is_some(), "--report-json"),
        (o.report_html.is_some(), "--report-html"),
        (o.baseline.is_some(), "--baseline"),
        (o.partition.is_some(), "--partition"),
        (args.record.is_some(), "--record"),
        (args.fail_on_ignored, "--fail-on-ignored"),
        (args.min_coverage.is_some(), "--min-coverage"),
        (args.bundle.is_some(), "--bundle"),
        (args.explain, "--explain"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
}

/// The first problem with explore's flags, as one line: a run's flag that does not apply
/// to it, a run's flag out of range, an `--out` that is not a directory.
pub fn check_explore_args(args: &ExploreArgs, contract: &Contract) -> Option<String> {
    if let Some(flag) = inapplicable_to_explore(&args.run) {
        return Some(format!(
            "{flag} does not apply to explore (it runs generated sequences, not the suite)"
        ));
    }
    let libtest = libtest_mimic::Arguments::default();
    if let Some(problem) = check_run_args(&args.run, &libtest, contract) {
        return Some(problem);
    }
    if args.out.exists() && !args.out.is_dir() {
        return Some(format!(
            "--out {} is not a directory (a failing sequence's case file is written into it)",
            args.out.display()
        ));
    }
    None
}

/// The subcommand `word` is likely a typo of (edit distance 1 or 2), if any.
pub fn mistyped_subcommand(word: &str) -> Option<&'static str> {
    SUBCOMMANDS
        .iter()
        .map(|name| (strsim::levenshtein(word, name), *name))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, name)| name)
}

/// A run that selects no case, when that is not allowed (see [`check_selection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoCaseSelected {
    /// The filter looks like a mistyped subcommand: a usage error ("did you mean").
    Mistyped(String),
    /// No case matched and `--no-tests=fail` (the default): the line to print (exit 4).
    Refused(String),
}

/// A run that would run no case: a mistyped subcommand ("did you mean"), else "no case
/// matched" as `--no-tests` says (fail: refused; warn: `Ok` with the warning to print;
/// pass: `Ok(None)`).
pub fn check_selection(
    cases: &[LoadedCase],
    libtest: &libtest_mimic::Arguments,
    no_tests: NoTests,
) -> Result<Option<String>, NoCaseSelected> {
    if cases
        .iter()
        .any(|case| crate::terminal::runs(libtest, case))
    {
        return Ok(None);
    }
    let filter = libtest.filter.as_deref().unwrap_or_default();
    if let Some(command) = mistyped_subcommand(filter) {
        return Err(NoCaseSelected::Mistyped(format!(
            "no subcommand or case named `{filter}`; did you mean `{command}`?"
        )));
    }
    let what = if filter.is_empty() {
        "no case matched".to_string()
    } else {
        format!("no case matched the filter `{filter}` (see --list)")
    };
    match no_tests {
        NoTests::Fail => Err(NoCaseSelected::Refused(format!(
            "error: {what}; pass --no-tests=warn or --no-tests=pass to allow it"
        ))),
        NoTests::Warn => Ok(Some(format!("warning: {what}"))),
        NoTests::Pass => Ok(None),
    }
}
