//! What the file reporters consume: a [`RunSummary`] of the run and one [`CaseResult`] per
//! planned case (in plan order), each with its [`Verdict`] after the known-failure
//! baseline. Built once by the command, after libtest-mimic has run the trials.

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::case::{LoadedCase, Source};
use crate::check::{Finding, FindingKind};
use crate::run::{CaseOutcome, CaseStatus, StepOutcome};

use super::baseline::Baseline;

/// The run as a whole.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub tool_version: String,
    /// The base URL requests went to (for the embedded target, its loopback URL).
    pub target: String,
    /// `embedded` or `url`.
    pub target_kind: String,
    pub project_id: String,
    pub run_id: String,
    /// `documented` or `strict`.
    pub profile: String,
    /// `hash:K/N` or `count:K/N` when only one shard ran.
    pub partition: Option<String>,
    /// The baseline file, when one was given.
    pub baseline: Option<String>,
    /// SHA-256 (hex) of the contract and every case file: see [`fingerprint`].
    pub fingerprint: String,
    pub started: OffsetDateTime,
    pub finished: OffsetDateTime,
    pub interrupted: bool,
    /// Every case id of the plan the run's cases were selected from, before any
    /// partition: what the shards of one run together must cover (`report merge`).
    pub plan: Vec<String>,
    /// For a merged report, one line per shard report it was merged from.
    pub merged_from: Vec<String>,
}

impl RunSummary {
    pub fn duration(&self) -> Duration {
        (self.finished - self.started)
            .try_into()
            .unwrap_or(Duration::ZERO)
    }
}

/// SHA-256 of the contract text and every case file text, each prefixed by its length in
/// bytes (so no two sets of texts hash alike), case files in the order given (the loader
/// sorts them by name). File names are not hashed: the same cases give the same
/// fingerprint wherever they are stored. Derived cases come from the contract.
pub fn fingerprint(contract: &str, cases: &[Source]) -> String {
    let mut hasher = Sha256::new();
    for text in std::iter::once(contract).chain(cases.iter().map(|s| s.text.as_str())) {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// How a case counts, after the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    /// Ignored by the case file, an unmet precondition, the mutation guard or an interrupt.
    Ignored(String),
    /// In the plan but not run by this invocation (filtered out by name).
    NotRun(String),
    /// Failed, and the baseline says it is known to (with the baseline's reason).
    ExpectedFailure(String),
    /// Passed, but the baseline says it fails (with the baseline's reason).
    UnexpectedPass(String),
}

impl Verdict {
    /// All verdict names, in report order.
    pub const NAMES: [&'static str; 6] = [
        "passed",
        "failed",
        "unexpected-pass",
        "expected-failure",
        "ignored",
        "not-run",
    ];

    /// The kebab-case name used in the JSON report and as CSS class.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Ignored(_) => "ignored",
            Verdict::NotRun(_) => "not-run",
            Verdict::ExpectedFailure(_) => "expected-failure",
            Verdict::UnexpectedPass(_) => "unexpected-pass",
        }
    }

    /// Whether this verdict makes the run fail (exit 101).
    pub fn fails_run(&self) -> bool {
        matches!(self, Verdict::Failed | Verdict::UnexpectedPass(_))
    }

    /// Whether the case's failure text is worth showing (it failed, expectedly or not).
    pub fn has_failure_text(&self) -> bool {
        matches!(self, Verdict::Failed | Verdict::ExpectedFailure(_))
    }

    /// One line for a person: why the case is not a plain pass or fail.
    pub fn message(&self) -> Option<String> {
        match self {
            Verdict::Passed | Verdict::Failed => None,
            Verdict::Ignored(reason) | Verdict::NotRun(reason) => Some(reason.clone()),
            Verdict::ExpectedFailure(reason) => Some(format!("expected failure: {reason}")),
            Verdict::UnexpectedPass(reason) => Some(format!(
                "unexpected pass: remove it from the baseline (listed as: {reason})"
            )),
        }
    }
}

/// One planned case and what became of it.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub suite: String,
    /// The operations its steps call (not cleanup), in order, without repeats.
    pub operations: Vec<String>,
    pub outcome: CaseOutcome,
    pub verdict: Verdict,
}

impl CaseResult {
    /// The case's name within its suite.
    pub fn name(&self) -> &str {
        self.outcome
            .id
            .strip_prefix(&self.suite)
            .and_then(|rest| rest.strip_prefix("::"))
            .unwrap_or(&self.outcome.id)
    }
}

/// One result per planned case, in plan order. A case with no outcome did not run:
/// `filtered(id)` says whether the command line filtered it out; else it is ignored
/// (`ignore` in its file, without `--ignored`) or its trial stopped without an outcome (a
/// harness panic, which libtest reports as a failure).
pub fn collect(
    plan: &[LoadedCase],
    outcomes: Vec<CaseOutcome>,
    baseline: &Baseline,
    filtered: impl Fn(&str) -> bool,
) -> Vec<CaseResult> {
    let mut by_id: BTreeMap<String, CaseOutcome> =
        outcomes.into_iter().map(|o| (o.id.clone(), o)).collect();
    plan.iter()
        .map(|case| {
            let (outcome, verdict) = match by_id.remove(&case.id) {
                Some(outcome) => {
                    let verdict = baseline.judge(&outcome);
                    (outcome, verdict)
                }
                None => without_outcome(case, filtered(&case.id)),
            };
            let mut operations: Vec<String> = Vec::new();
            for step in &case.spec.steps {
                if !operations.contains(&step.operation) {
                    operations.push(step.operation.clone());
                }
            }
            CaseResult {
                suite: case.suite.to_string(),
                operations,
                outcome,
                verdict,
            }
        })
        .collect()
}

fn without_outcome(case: &LoadedCase, filtered: bool) -> (CaseOutcome, Verdict) {
    let mut outcome = CaseOutcome::without_steps(case, CaseStatus::Failed);
    let verdict = match (&case.spec.ignore, filtered) {
        (_, true) => Verdict::NotRun("not run: filtered out".into()),
        (Some(reason), false) => Verdict::Ignored(reason.clone()),
        (None, false) => {
            outcome.steps.push(StepOutcome {
                label: "harness".into(),
                operation: String::new(),
                exchange: None,
                findings: vec![Finding::new(
                    FindingKind::Harness,
                    "the case stopped without an outcome (a harness panic: see the terminal output)",
                )],
                skipped: None,
                retries: Vec::new(),
            });
            return (outcome, Verdict::Failed);
        }
    };
    outcome.status = CaseStatus::Ignored(verdict.message().unwrap_or_default());
    (outcome, verdict)
}

/// How many results have each verdict name (every name present, zero or not).
pub fn totals(results: &[CaseResult]) -> BTreeMap<&'static str, usize> {
    let mut totals: BTreeMap<&'static str, usize> =
        Verdict::NAMES.iter().map(|name| (*name, 0)).collect();
    for result in results {
        *totals.entry(result.verdict.name()).or_default() += 1;
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_texts_not_names() {
        let source = |name: &str, text: &str| Source {
            name: name.into(),
            text: text.into(),
        };
        let a = fingerprint("c", &[source("a.json", "x"), source("b.json", "y")]);
        assert_eq!(a.len(), 64);
        assert_eq!(
            a,
            fingerprint("c", &[source("/x/a.json", "x"), source("b", "y")])
        );
        assert_ne!(a, fingerprint("c", &[source("a.json", "xy")]));
        assert_ne!(a, fingerprint("cx", &[source("b.json", "y")]));
    }
}
