//! The terminal reporter, libtest glue: one `libtest_mimic::Trial` per case, named
//! `suite::case`. The cases run on runner threads ([`crate::runner`]); each case's end
//! reaches the terminal through the run's event stream, in the terminal's reorder buffer
//! ([`ReorderBuffer`]), from which libtest, on this thread, takes them in plan order and
//! prints them: the output's order does not depend on which answer came first.
//!
//! With a baseline, an expected failure is reported as an *ignored* trial with the reason
//! `expected failure: <reason>`: it shows on its own line, does not fail the run, and is
//! not counted as passed (it did not pass). An unexpected pass is a failed trial.

use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, Trial};

use crate::auth::Redactor;
use crate::case::LoadedCase;
use crate::outcome::Verdict;
use crate::report::completeness::Completeness;
use crate::report::failure::{render_case, Reproduce};
use crate::run::reorder::ReorderBuffer;
use crate::runner::Selection;

/// How many cases run at once when `--test-threads` does not say: cases wait on the
/// network, not the CPU.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What every trial shares: one `Arc` per trial, not one per part (a plan may hold tens
/// of thousands of trials).
struct Shared {
    buffer: Arc<ReorderBuffer>,
    redactor: Arc<Redactor>,
    reproduce: Reproduce,
    color: bool,
}

/// Whether libtest runs the trial of `case` (the same test libtest makes: its own filter
/// and ignore rules, so the runner runs exactly the cases libtest will ask for).
pub fn runs(libtest: &Arguments, case: &LoadedCase) -> bool {
    let trial = Trial::test(&case.id, || Ok(())).with_ignored_flag(case.spec.ignore.is_some());
    !libtest.is_filtered_out(&trial) && !libtest.is_ignored(&trial)
}

/// For each planned case, whether it runs, and if not, why (libtest's rules).
pub fn selection(libtest: &Arguments, cases: &[LoadedCase]) -> Vec<Selection> {
    cases
        .iter()
        .map(|case| {
            if runs(libtest, case) {
                return Selection::Run;
            }
            let trial = Trial::test(&case.id, || Ok(()));
            let verdict = match &case.spec.ignore {
                _ if libtest.is_filtered_out(&trial) => {
                    Verdict::NotRun("not run: filtered out".into())
                }
                Some(reason) => Verdict::Ignored(reason.clone()),
                None => Verdict::NotRun(
                    "not run: only the ignored cases were asked for (--ignored)".into(),
                ),
            };
            Selection::Skip(verdict)
        })
        .collect()
}

/// Lists the cases as libtest does (`--list`); nothing runs.
pub fn list(libtest: &Arguments, cases: &[LoadedCase]) {
    let shared = Arc::new(Shared {
        buffer: Arc::default(),
        redactor: Arc::new(Redactor::new(Vec::<String>::new())),
        reproduce: Reproduce::default(),
        color: false,
    });
    // Listing runs no trial: its conclusion counts nothing.
    let _ = libtest_mimic::run(libtest, trials(cases, &shared));
}

/// Prints each case with libtest as it finishes, in plan order, while `execute` runs the
/// cases on a thread of its own (it must end by closing `buffer`, as the runner's last
/// event does).
pub fn print_while(
    libtest: &Arguments,
    cases: &[LoadedCase],
    buffer: &Arc<ReorderBuffer>,
    redactor: &Arc<Redactor>,
    reproduce: Reproduce,
    color: bool,
    execute: impl FnOnce() + Send,
) -> Conclusion {
    let shared = Arc::new(Shared {
        buffer: Arc::clone(buffer),
        redactor: Arc::clone(redactor),
        reproduce,
        color,
    });
    let trials = trials(cases, &shared);
    // libtest only takes the outcomes, one after the other.
    let mut printer = libtest.clone();
    printer.test_threads = Some(1);
    std::thread::scope(|scope| {
        let runner = std::thread::Builder::new()
            .name("cts-conform-runner".into())
            .spawn_scoped(scope, execute);
        if let Err(e) = runner {
            eprintln!("error: cannot start the runner thread ({e}); no case runs");
            buffer.close();
        }
        libtest_mimic::run(&printer, trials)
    })
}

/// The trials of `cases`: each takes its case's end from the buffer and shows it.
fn trials(cases: &[LoadedCase], shared: &Arc<Shared>) -> Vec<Trial> {
    cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let shared = Arc::clone(shared);
            Trial::ignorable_test(case.id.clone(), move || {
                let Some(finished) = shared.buffer.take(index) else {
                    return Err(Failed::from(
                        "the run ended without an outcome for this case (a defect of cts-conform; please report it)",
                    ));
                };
                let verdict = finished.verdict;
                match verdict {
                    Verdict::Passed => Ok(Completion::Completed),
                    Verdict::Failed => Err(Failed::from(render_case(
                        &finished.outcome,
                        &shared.redactor,
                        &shared.reproduce,
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
            .with_ignored_flag(case.spec.ignore.is_some())
        })
        .collect()
}

/// Prints what the run checked after libtest's summary: the completeness line and the
/// counts, score and coverage (on stderr when libtest writes JSON to stdout).
pub fn print_completeness(libtest: &Arguments, completeness: &Completeness) {
    print_summary_line(
        libtest,
        &format!("{}\n{}", completeness.line(), completeness.details()),
    );
}

/// One line after the run's summary: on stdout, or on stderr when stdout is libtest's
/// JSON (which must stay JSON).
pub fn print_summary_line(libtest: &Arguments, line: &str) {
    if matches!(libtest.format, Some(libtest_mimic::FormatSetting::Json)) {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}
