//! `--list --explain`: for the current target and flags, whether each planned case would
//! run or not, and why not, without running any. The target is prepared as for a run (the
//! embedded emulator started, a URL target asked the one check before the run, which also
//! leaves out the pool's buckets that are already tracked); each case then meets the
//! decisions a run makes before a case sends anything: libtest's selection (the spec's
//! [`Selection`]) and [`crate::run::case::ignored_before_start`], and on a replay what the
//! recording holds of it ([`crate::record::read::Recording::unanswerable`]). Nothing else is sent,
//! written or recorded: the ledger is only read ([`LedgerSpec::ReadOnly`]), no recording.

use std::sync::Arc;

use crate::case::LoadedCase;
use crate::outcome::Verdict;
use crate::record::read::{Unanswerable, NO_SUCH_CASE};
use crate::run::case::ignored_before_start;
use crate::run::transport::NOT_REPLAYABLE;

use super::{prepare, LedgerSpec, Prepared, RunError, RunSpec, Selection, Target};

/// What a run with the same target and flags would do with one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// It would run; a step's precondition (what it says) may still make it ignored
    /// once its answer is in, and the baseline may list it as an expected failure (why).
    Runs {
        precondition: Option<String>,
        expected_failure: Option<String>,
    },
    /// It would not run: ignored or not run, with the reason the run's verdict gives.
    Skipped(Verdict),
    /// It would fail before judging anything (a replay whose recording lost its file).
    Fails(String),
}

impl Decision {
    /// One line for a person: `runs` (with the precondition that may still ignore it and
    /// the baseline's expected failure, if any), or the verdict's name and reason
    /// (`ignored: ${data_bucket} needs ...`).
    pub fn line(&self) -> String {
        match self {
            Decision::Runs {
                precondition,
                expected_failure,
            } => {
                let notes: Vec<String> = [
                    precondition
                        .as_ref()
                        .map(|what| format!("ignored if its precondition is not met: {what}")),
                    expected_failure
                        .as_ref()
                        .map(|why| format!("the baseline expects it to fail: {why}")),
                ]
                .into_iter()
                .flatten()
                .collect();
                match notes.is_empty() {
                    true => "runs".into(),
                    false => format!("runs ({})", notes.join("; ")),
                }
            }
            Decision::Skipped(Verdict::Ignored(reason)) => format!("ignored: {reason}"),
            Decision::Fails(why) => format!("fails: {why}"),
            // A selection's reason says "not run: ..." itself.
            Decision::Skipped(verdict) => verdict
                .message()
                .unwrap_or_else(|| verdict.name().to_string()),
        }
    }
}

/// One planned case and what a run would do with it.
#[derive(Debug, Clone)]
pub struct Explained {
    pub id: String,
    pub decision: Decision,
}

/// One line per case (`suite::case: runs`, `suite::case: ignored: why`), then the count:
/// `N cases: R would run, I ignored, K not run`.
pub fn render(explained: &[Explained]) -> String {
    let mut text = String::new();
    let (mut runs, mut ignored, mut not_run, mut fails) = (0, 0, 0, 0);
    for case in explained {
        match &case.decision {
            Decision::Runs { .. } => runs += 1,
            Decision::Fails(_) => fails += 1,
            Decision::Skipped(Verdict::Ignored(_)) => ignored += 1,
            Decision::Skipped(_) => not_run += 1,
        }
        text.push_str(&format!("{}: {}\n", case.id, case.decision.line()));
    }
    let fails = match fails {
        0 => String::new(),
        n => format!(", {n} would fail"),
    };
    text.push_str(&format!(
        "\n{} cases: {runs} would run, {ignored} ignored, {not_run} not run{fails}\n",
        explained.len()
    ));
    text
}

/// What a run of `spec` would do with each planned case, in plan order, and the
/// warnings the run would print before its first case. Sends at most the check before
/// the run (only when some case is selected), with the same errors as a run.
pub fn explain(
    mut spec: RunSpec,
    runtime: &tokio::runtime::Handle,
) -> Result<(Vec<Explained>, Vec<String>), RunError> {
    // Explaining creates nothing: no ledger written (the run's is read, for the buckets
    // earlier runs' trackers hold), no recording, no one told of events.
    spec.ledger = match spec.ledger {
        LedgerSpec::File(path) | LedgerSpec::ReadOnly(path) => LedgerSpec::ReadOnly(path),
        LedgerSpec::InMemory => LedgerSpec::InMemory,
    };
    spec.record = None;
    spec.reporters.clear();
    let recording = match &spec.target {
        Target::Replay(recording) => Some(Arc::clone(recording)),
        _ => None,
    };
    let prepared = prepare(spec, runtime)?;
    let explained = prepared
        .cases
        .iter()
        .zip(&prepared.selection)
        .map(|(case, selection)| Explained {
            id: case.id.clone(),
            decision: match selection {
                Selection::Skip(verdict) => Decision::Skipped(verdict.clone()),
                Selection::Run => match ignored_before_start(&prepared.session, case) {
                    Some(reason) => Decision::Skipped(Verdict::Ignored(reason)),
                    None => match recording.as_ref().and_then(|r| r.unanswerable(&case.id)) {
                        Some(Unanswerable::NotRecorded) => Decision::Skipped(Verdict::Ignored(
                            format!("{NOT_REPLAYABLE}: {NO_SUCH_CASE} (neither passed nor failed)"),
                        )),
                        Some(Unanswerable::FileMissing(why)) => Decision::Fails(why),
                        None => runs(&prepared, case),
                    },
                },
            },
        })
        .collect();
    let warnings = prepared.warnings.clone();
    // Stops the embedded emulator; the empty results are of no use.
    drop(prepared.finish());
    Ok((explained, warnings))
}

/// A case that would run: the precondition that may still make it ignored, and the
/// baseline's expected failure.
fn runs(prepared: &Prepared, case: &LoadedCase) -> Decision {
    Decision::Runs {
        precondition: case
            .spec
            .steps
            .iter()
            .find_map(|step| step.precondition.as_deref().map(str::to_string)),
        expected_failure: prepared
            .session
            .baseline()
            .reason(&case.id)
            .map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_names_its_verdict_once() {
        let runs = Decision::Runs {
            precondition: None,
            expected_failure: None,
        };
        assert_eq!(runs.line(), "runs");
        let both = Decision::Runs {
            precondition: Some("a management tracker exists".into()),
            expected_failure: Some("bug 12".into()),
        };
        assert_eq!(
            both.line(),
            "runs (ignored if its precondition is not met: a management tracker exists; \
             the baseline expects it to fail: bug 12)"
        );
        let ignored = Decision::Skipped(Verdict::Ignored("needs a bucket".into()));
        assert_eq!(ignored.line(), "ignored: needs a bucket");
        let filtered = Decision::Skipped(Verdict::NotRun("not run: filtered out".into()));
        assert_eq!(filtered.line(), "not run: filtered out");
    }
}
