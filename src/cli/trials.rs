//! libtest glue (the terminal reporter): one `libtest_mimic::Trial` per case, named `suite::case`. Failures carry
//! the rendered report; cases marked `ignore` are ignored trials (with `--ignored` they run).
//!
//! The cases run on a thread of their own ([`cts_conform::run::schedule`], `--test-threads`
//! of them at once); libtest, on this thread, takes each outcome in the plan's order and
//! prints it, so the output's order does not depend on which answer came first.
//!
//! With a baseline, an expected failure is reported as an *ignored* trial with the reason
//! `expected failure: <reason>`: it shows on its own line, does not fail the run, and is
//! not counted as passed (it did not pass). An unexpected pass is a failed trial.

use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, Trial};

use cts_conform::auth::Redactor;
use cts_conform::case::LoadedCase;
use cts_conform::report::baseline::Baseline;
use cts_conform::report::failure::render_case;
use cts_conform::report::results::Verdict;
use cts_conform::run::schedule::{self, Mailbox};
use cts_conform::run::Session;

/// How many cases run at once when `--test-threads` does not say: cases wait on the
/// network, not the CPU.
pub(crate) const DEFAULT_CONCURRENCY: usize = 8;

/// What every trial shares: one `Arc` per trial, not one per part (a plan may hold tens
/// of thousands of trials).
struct Shared {
    session: Arc<Session>,
    cases: Arc<Vec<LoadedCase>>,
    redactor: Arc<Redactor>,
    baseline: Arc<Baseline>,
    color: bool,
    /// Where the outcomes of the run's cases arrive; `None`: each trial runs its case.
    mailbox: Option<Arc<Mailbox>>,
}

/// Runs the cases libtest selects (`libtest`'s filters, `--ignored`), `--test-threads` of
/// them at once on a runner thread, and prints their results with libtest in plan order.
pub(crate) fn run(
    libtest: &Arguments,
    session: &Arc<Session>,
    cases: &Arc<Vec<LoadedCase>>,
    redactor: &Arc<Redactor>,
    baseline: &Arc<Baseline>,
    color: bool,
) -> Conclusion {
    let concurrency = libtest.test_threads.unwrap_or(DEFAULT_CONCURRENCY);
    if libtest.list || concurrency <= 1 {
        // One at a time: each trial runs its case on libtest's thread (no hand-over).
        let mut inline = libtest.clone();
        inline.test_threads = Some(1);
        return libtest_mimic::run(
            &inline,
            trials(session, cases, redactor, baseline, color, None),
        );
    }
    let order: Vec<usize> = (0..cases.len())
        .filter(|&index| runs(libtest, &cases[index]))
        .collect();
    let mailbox = Arc::new(Mailbox::default());
    let trials = trials(
        session,
        cases,
        redactor,
        baseline,
        color,
        Some(Arc::clone(&mailbox)),
    );
    // libtest only takes the outcomes, one after the other.
    let mut printer = libtest.clone();
    printer.test_threads = Some(1);
    std::thread::scope(|scope| {
        let runner = std::thread::Builder::new()
            .name("cts-conform-runner".into())
            .spawn_scoped(scope, || {
                schedule::run_cases(session, cases, &order, concurrency, &mailbox)
            });
        if let Err(e) = runner {
            eprintln!("warning: cannot start the runner thread ({e}); running one case at a time");
            mailbox.close();
        }
        libtest_mimic::run(&printer, trials)
    })
}

/// Whether libtest runs the trial of `case` (the same test libtest makes: its own filter
/// and ignore rules, so the runner runs exactly the cases libtest will ask for).
pub(crate) fn runs(libtest: &Arguments, case: &LoadedCase) -> bool {
    let trial = Trial::test(&case.id, || Ok(())).with_ignored_flag(case.spec.ignore.is_some());
    !libtest.is_filtered_out(&trial) && !libtest.is_ignored(&trial)
}

/// Builds the trials for `cases`, which they share (no case is copied per trial).
fn trials(
    session: &Arc<Session>,
    cases: &Arc<Vec<LoadedCase>>,
    redactor: &Arc<Redactor>,
    baseline: &Arc<Baseline>,
    color: bool,
    mailbox: Option<Arc<Mailbox>>,
) -> Vec<Trial> {
    let shared = Arc::new(Shared {
        session: Arc::clone(session),
        cases: Arc::clone(cases),
        redactor: Arc::clone(redactor),
        baseline: Arc::clone(baseline),
        color,
        mailbox,
    });
    (0..cases.len())
        .map(|index| {
            let case = &cases[index];
            let ignored = case.spec.ignore.is_some();
            let name = case.id.clone();
            let shared = Arc::clone(&shared);
            Trial::ignorable_test(name, move || {
                let case = &shared.cases[index];
                let outcome = match &shared.mailbox {
                    None => shared.session.run_blocking(case),
                    // None only if the runner thread could not start or stopped early,
                    // or a defect panicked in the case: it runs here, on this thread
                    // (where libtest reports a panic as the case's failure).
                    Some(mailbox) => mailbox
                        .take(index)
                        .unwrap_or_else(|| shared.session.run_blocking(case)),
                };
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
