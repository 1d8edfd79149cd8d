//! What the file reporters consume: a [`RunSummary`] of the run and one [`CaseResult`] per
//! planned case (in plan order), each with its [`Verdict`] after the known-failure
//! baseline (judged once, by the runner). Built once, when the run ends.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::case::{LoadedCase, Source};
use crate::check::{Finding, FindingKind};
use crate::outcome::{CaseOutcome, CaseStatus, FinishedCase, StepOutcome, Verdict};

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
    /// What the run created and could not remove.
    pub leftovers: Leftovers,
    /// Every case id of the plan the run's cases were selected from, before any
    /// partition: what the shards of one run together must cover (`report merge`).
    pub plan: Vec<String>,
    /// For a merged report, one line per shard report it was merged from.
    pub merged_from: Vec<String>,
    /// The embedded emulator's fault modes (`--emulator-fault`): a run that breaks its
    /// own target on purpose certifies nothing, and every report says so.
    pub faults: Vec<String>,
    /// How a failure's `reproduce:` line repeats its case.
    pub reproduce: super::failure::Reproduce,
}

/// Trackers a run created and could not remove, with the command that removes them: a
/// run that leaves any does not pass, whatever its cases did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Each as outputs name it: `data tracker cc-0123abcd-a`.
    pub trackers: Vec<String>,
    /// `cts-conform sweep --ledger FILE`, when the run kept a ledger file.
    pub sweep: Option<String>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.trackers.is_empty()
    }

    /// The notice every output gives (several lines), or `None` when nothing is left.
    pub fn notice(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut text = format!(
            "{} tracker(s) this run created could not be removed and are still on the target:",
            self.trackers.len()
        );
        for tracker in &self.trackers {
            text.push_str("\n  ");
            text.push_str(tracker);
        }
        text.push('\n');
        text.push_str(&match &self.sweep {
            Some(command) => format!("remove them with: {command}"),
            None => "the run kept no ledger file: remove them by hand".into(),
        });
        Some(text)
    }
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

/// One result per planned case, in plan order: a case that ran has its verdict from the
/// run (judged once, when it ended); `skipped[i]` is the verdict of a case that did not
/// run (filtered out, ignored by its file). A case that should have run but has no
/// outcome fails: the runner stopped without it, a defect of the harness.
pub fn collect(
    plan: &[LoadedCase],
    skipped: &[Option<Verdict>],
    finished: Vec<FinishedCase>,
) -> Vec<CaseResult> {
    let mut by_id: HashMap<String, FinishedCase> = finished
        .into_iter()
        .map(|f| (f.outcome.id.clone(), f))
        .collect();
    plan.iter()
        .enumerate()
        .map(|(index, case)| {
            let skip = skipped.get(index).cloned().flatten();
            let (outcome, verdict) = match (by_id.remove(&case.id), skip) {
                (Some(finished), _) => (finished.outcome, finished.verdict),
                (None, Some(verdict)) => {
                    let status = CaseStatus::Ignored(verdict.message().unwrap_or_default());
                    (CaseOutcome::without_steps(case, status), verdict)
                }
                (None, None) => without_outcome(case),
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

fn without_outcome(case: &LoadedCase) -> (CaseOutcome, Verdict) {
    let mut outcome = CaseOutcome::without_steps(case, CaseStatus::Failed);
    outcome.steps.push(StepOutcome {
        label: "harness".into(),
        operation: String::new(),
        exchange: None,
        findings: vec![Finding::new(
            FindingKind::Harness,
            "the run ended without an outcome for this case (a defect of cts-conform: see the terminal output)",
        )],
        skipped: None,
        retries: Vec::new(),
    });
    (outcome, Verdict::Failed)
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
