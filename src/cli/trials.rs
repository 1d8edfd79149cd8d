//! libtest glue (the terminal reporter): one `libtest_mimic::Trial` per case, named `suite::case`. Failures carry
//! the rendered report; cases marked `ignore` are ignored trials (with `--ignored` they run).
//!
//! With a baseline, an expected failure is reported as an *ignored* trial with the reason
//! `expected failure: <reason>`: it shows on its own line, does not fail the run, and is
//! not counted as passed (it did not pass). An unexpected pass is a failed trial.

use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};

use cts_conform::auth::Redactor;
use cts_conform::case::LoadedCase;
use cts_conform::report::baseline::Baseline;
use cts_conform::report::failure::render_case;
use cts_conform::report::results::Verdict;
use cts_conform::run::Session;

/// What every trial shares: one `Arc` per trial, not one per part (a plan may hold tens
/// of thousands of trials).
struct Shared {
    session: Arc<Session>,
    cases: Arc<Vec<LoadedCase>>,
    redactor: Arc<Redactor>,
    baseline: Arc<Baseline>,
    color: bool,
}

/// Builds the trials for `cases`, which they share (no case is copied per trial).
pub(crate) fn trials(
    session: &Arc<Session>,
    cases: &Arc<Vec<LoadedCase>>,
    redactor: &Arc<Redactor>,
    baseline: &Arc<Baseline>,
    color: bool,
) -> Vec<Trial> {
    let shared = Arc::new(Shared {
        session: Arc::clone(session),
        cases: Arc::clone(cases),
        redactor: Arc::clone(redactor),
        baseline: Arc::clone(baseline),
        color,
    });
    (0..cases.len())
        .map(|index| {
            let case = &cases[index];
            let ignored = case.spec.ignore.is_some();
            let name = case.id.clone();
            let shared = Arc::clone(&shared);
            Trial::ignorable_test(name, move || {
                let outcome = shared.session.run_blocking(&shared.cases[index]);
                let verdict = shared.baseline.judge(&outcome);
                match verdict {
                    Verdict::Passed => Ok(Completion::Completed),
                    Verdict::Failed => Err(Failed::from(render_case(
                        &outcome,
                        &shared.redactor,
                        shared.color,
                    ))),
                    Verdict::UnexpectedPass(_) => {
                        Err(Failed::from(verdict.message().unwrap_or_default()))
                    }
                    Verdict::Ignored(_) | Verdict::NotRun(_) | Verdict::ExpectedFailure(_) => Ok(
                        Completion::ignored_with(verdict.message().unwrap_or_default()),
                    ),
                }
            })
            .with_ignored_flag(ignored)
        })
        .collect()
}
