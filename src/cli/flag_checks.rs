//! The run's flag values, checked before anything runs (no file written, no request
//! sent): each problem is one line and exit 2. Also the "did you mean `coverage`?" hint
//! for a first positional argument that looks like a mistyped subcommand.

use cts_conform::case::LoadedCase;
use cts_conform::contract::Contract;

use super::args::{NoTests, RunArgs};
use super::exit::{usage, Exit};

/// Every subcommand name, the ones to come included (DESIGN.md), for "did you mean".
pub(crate) const SUBCOMMANDS: [&str; 9] = [
    "serve", "sweep", "coverage", "replay", "parity", "report", "proxy", "verify", "explore",
];

/// The first problem with the run's flags, as one line; `None` when they are usable.
pub(crate) fn check_run_args(
    args: &RunArgs,
    libtest: &libtest_mimic::Arguments,
    contract: &Contract,
) -> Option<String> {
    if libtest.bench {
        return Some(
            "--bench is not supported: cts-conform has no benchmarks (run without it)".into(),
        );
    }
    if libtest.test_threads == Some(0) {
        return Some("--test-threads must be at least 1".into());
    }
    if args.explain && !libtest.list {
        return Some(
            "--explain only goes with --list (`--list --explain` shows which cases would run, and why not)"
                .into(),
        );
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
    cts_conform::cts::check_bucket_names(&args.data_bucket, &args.obs_bucket, contract)
        .or_else(|| cts_conform::runner::target::check_url(&args.target))
        .or_else(|| check_record_dir(args, libtest))
}

/// `--record DIR`: new or empty, or (`--record-overwrite`) an earlier recording.
fn check_record_dir(args: &RunArgs, libtest: &libtest_mimic::Arguments) -> Option<String> {
    let dir = args.record.as_deref().filter(|_| !libtest.list)?;
    cts_conform::record::write::check_unused(dir, args.record_overwrite)
        .err()
        .map(|e| e.to_string())
}

/// The subcommand `word` is likely a typo of (edit distance 1 or 2), if any.
pub(crate) fn mistyped_subcommand(word: &str) -> Option<&'static str> {
    SUBCOMMANDS
        .iter()
        .map(|name| (strsim::levenshtein(word, name), *name))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, name)| name)
}

/// A run that would run no case: a mistyped subcommand (exit 2, "did you mean"), else
/// "no case matched" as `--no-tests` says (fail: exit 4; warn: a warning; pass: nothing).
pub(crate) fn check_selection(
    cases: &[LoadedCase],
    libtest: &libtest_mimic::Arguments,
    no_tests: NoTests,
) -> Result<(), Exit> {
    if cases.iter().any(|case| super::trials::runs(libtest, case)) {
        return Ok(());
    }
    let filter = libtest.filter.as_deref().unwrap_or_default();
    if let Some(command) = mistyped_subcommand(filter) {
        return Err(usage(format!(
            "no subcommand or case named `{filter}`; did you mean `{command}`?"
        )));
    }
    let what = if filter.is_empty() {
        "no case matched".to_string()
    } else {
        format!("no case matched the filter `{filter}` (see --list)")
    };
    match no_tests {
        NoTests::Fail => {
            eprintln!("error: {what}; pass --no-tests=warn or --no-tests=pass to allow it");
            Err(Exit::NoTests)
        }
        NoTests::Warn => {
            eprintln!("warning: {what}");
            Ok(())
        }
        NoTests::Pass => Ok(()),
    }
}
