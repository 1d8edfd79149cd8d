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

use std::io::IsTerminal;

use libtest_mimic::{Arguments, ColorSetting, Completion, Conclusion, Failed, Trial};

use crate::auth::Redactor;
use crate::case::LoadedCase;
use crate::outcome::Verdict;
use crate::report::failure::{render_case, Reproduce};
use crate::run::reorder::ReorderBuffer;
use crate::runner::{Finished, Prepared, RunSpec, Selection};

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
    // libtest counts `--ignored` as a filter; the name filters alone say "filtered out".
    let by_name = Arguments {
        ignored: false,
        ..libtest.clone()
    };
    cases
        .iter()
        .map(|case| {
            if runs(libtest, case) {
                return Selection::Run;
            }
            let trial = Trial::test(&case.id, || Ok(()));
            let verdict = match &case.spec.ignore {
                _ if by_name.is_filtered_out(&trial) => {
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

/// The terminal as a run's printer: its reorder buffer is one of the run's reporters and
/// paces it; libtest prints each case from it, in plan order ([`Terminal::print_while`]),
/// then the lines after libtest's summary ([`Terminal::print_closing`]).
pub struct Terminal {
    libtest: Arguments,
    buffer: Arc<ReorderBuffer>,
    reproduce: Reproduce,
    color: bool,
}

impl Terminal {
    /// Adds the terminal to `spec`'s reporters (and as its pace), with libtest's flags.
    pub fn attach(spec: &mut RunSpec, libtest: &Arguments) -> Terminal {
        let buffer = Arc::new(ReorderBuffer::default());
        spec.reporters
            .push(Arc::clone(&buffer) as Arc<dyn crate::run::event::Reporter>);
        spec.pace = Some(Arc::clone(&buffer));
        let color = match libtest.color {
            Some(ColorSetting::Always) => true,
            Some(ColorSetting::Never) => false,
            _ => std::io::stdout().is_terminal(),
        };
        Terminal {
            libtest: libtest.clone(),
            buffer,
            reproduce: spec.reproduce.clone(),
            color,
        }
    }

    /// Prints each case with libtest as it finishes, in plan order, while `prepared`
    /// runs the cases on a thread of its own (its last event closes the buffer).
    pub fn print_while(&self, prepared: &Prepared) -> Conclusion {
        let shared = Arc::new(Shared {
            buffer: Arc::clone(&self.buffer),
            redactor: Arc::clone(prepared.redactor()),
            reproduce: self.reproduce.clone(),
            color: self.color,
        });
        let trials = trials(prepared.cases(), &shared);
        // libtest only takes the outcomes, one after the other.
        let mut printer = self.libtest.clone();
        printer.test_threads = Some(1);
        std::thread::scope(|scope| {
            let runner = std::thread::Builder::new()
                .name("cts-conform-runner".into())
                .spawn_scoped(scope, || prepared.execute());
            if let Err(e) = runner {
                eprintln!("error: cannot start the runner thread ({e}); no case runs");
                self.buffer.close();
            }
            libtest_mimic::run(&printer, trials)
        })
    }

    /// The lines after libtest's summary: what the run checked (the completeness line,
    /// counts, score and coverage) and the requests it sent or replayed.
    pub fn print_closing(&self, finished: &Finished) {
        let completeness = &finished.completeness;
        let traffic = match finished.summary.target_kind.as_str() {
            "replay" => format!(
                "requests answered from the recording (none sent): {}",
                finished.traffic.line()
            ),
            _ => format!("requests sent: {}", finished.traffic.line()),
        };
        let text = format!(
            "{}\n{}\n{traffic}",
            completeness.line(),
            completeness.details()
        );
        print_summary_line(&self.libtest, &text);
    }
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

/// One line after the run's summary: on stdout, or on stderr when stdout is libtest's
/// JSON (which must stay JSON).
fn print_summary_line(libtest: &Arguments, line: &str) {
    if matches!(libtest.format, Some(libtest_mimic::FormatSetting::Json)) {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use libtest_mimic::Arguments;

    use super::selection;
    use crate::contract::Contract;
    use crate::outcome::Verdict;
    use crate::runner::plan::{Plan, PlanSpec};
    use crate::runner::Selection;

    /// The built-in plan, with one case marked ignored (the suite itself has none).
    fn plan() -> Vec<crate::case::LoadedCase> {
        let spec = PlanSpec {
            cases: Vec::new(),
            with_builtin: false,
            profile: crate::case::model::Profile::Documented,
            no_derived: true,
        };
        let mut cases = match Plan::load(&spec, Contract::embedded(), &crate::cts::Cts) {
            Ok(plan) => plan.cases,
            Err(errors) => panic!("the built-in plan loads: {errors}"),
        };
        cases[0].spec.ignore = Some("not on this target".into());
        cases
    }

    fn libtest(args: &[&str]) -> Arguments {
        use clap::Parser;
        Arguments::parse_from(std::iter::once("cts-conform").chain(args.iter().copied()))
    }

    #[test]
    fn a_case_libtest_would_not_run_is_skipped_with_libtests_reason() {
        let cases = plan();
        let kept = cases[1].id.clone();
        let chosen = selection(&libtest(&["--exact", &kept]), &cases);
        assert!(matches!(chosen[1], Selection::Run));
        assert!(matches!(
            &chosen[2],
            Selection::Skip(Verdict::NotRun(why)) if why == "not run: filtered out"
        ));
        let all = selection(&libtest(&[]), &cases);
        assert!(matches!(
            &all[0],
            Selection::Skip(Verdict::Ignored(why)) if why == "not on this target"
        ));
        assert!(all[1..].iter().all(|s| matches!(s, Selection::Run)));
        let ignored_only = selection(&libtest(&["--ignored"]), &cases);
        assert!(matches!(ignored_only[0], Selection::Run));
        assert!(matches!(
            &ignored_only[1],
            Selection::Skip(Verdict::NotRun(why)) if why.contains("(--ignored)")
        ));
        let everything = selection(&libtest(&["--include-ignored"]), &cases);
        assert!(everything.iter().all(|s| matches!(s, Selection::Run)));
    }
}
