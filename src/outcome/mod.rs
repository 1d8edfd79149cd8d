//! What a run produces, the vocabulary every later stage shares: a step's and a case's
//! outcome ([`StepOutcome`], [`CaseOutcome`], [`CaseStatus`]), and a case's [`Verdict`] once the known-failure [`Baseline`] is
//! applied (once, by the runner). The runner makes them; reporters, recordings and
//! merges read them. Nothing here does I/O.

pub mod baseline;
pub mod exit;

use std::time::Duration;

use crate::case::model::StepSpec;
use crate::case::LoadedCase;
use crate::check::Finding;
use crate::http::exchange::Exchange;
use crate::http::throttle::Retry;

pub use baseline::{Baseline, BaselineError, EntryProblem};
pub use exit::Exit;

/// What happened in one step.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub label: String,
    pub operation: String,
    pub exchange: Option<Exchange>,
    pub findings: Vec<Finding>,
    /// Set when the step was not sent (a cleanup step whose capture never happened).
    pub skipped: Option<String>,
    /// Throttled answers that were waited out and sent again, in order.
    pub retries: Vec<Retry>,
}

impl StepOutcome {
    /// A step about to run, with nothing happened yet.
    pub fn for_step(step: &StepSpec) -> Self {
        StepOutcome {
            label: step.name.as_deref().unwrap_or(&step.operation).to_string(),
            operation: step.operation.clone(),
            exchange: None,
            findings: Vec::new(),
            skipped: None,
            retries: Vec::new(),
        }
    }

    pub fn failed(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    Failed,
    Ignored(String),
}

/// Everything about one case's run, for reporters.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub id: String,
    pub doc: String,
    pub file: String,
    pub steps: Vec<StepOutcome>,
    /// Number of steps in the case (some may not have run).
    pub planned_steps: usize,
    /// The case's cleanup steps, then the automatic removal of what it created.
    pub cleanup: Vec<StepOutcome>,
    pub status: CaseStatus,
    /// The run was interrupted while this case ran: later steps were not run.
    pub interrupted: bool,
    pub duration: Duration,
}

impl CaseOutcome {
    /// All findings, steps first, then cleanup.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.steps
            .iter()
            .chain(&self.cleanup)
            .flat_map(|s| &s.findings)
    }

    /// This outcome without its steps and cleanup (their exchanges, bodies and findings):
    /// what is left to say of a case whose verdict says all.
    pub fn without_step_details(&self) -> Self {
        CaseOutcome {
            id: self.id.clone(),
            doc: self.doc.clone(),
            file: self.file.clone(),
            steps: Vec::new(),
            planned_steps: self.planned_steps,
            cleanup: Vec::new(),
            status: self.status.clone(),
            interrupted: self.interrupted,
            duration: self.duration,
        }
    }

    /// The outcome of a case that sent nothing (not run, ignored before its first step).
    pub fn without_steps(case: &LoadedCase, status: CaseStatus) -> Self {
        CaseOutcome {
            id: case.id.clone(),
            doc: case.spec.doc.clone(),
            file: case.file.to_string(),
            steps: Vec::new(),
            planned_steps: case.spec.steps.len(),
            cleanup: Vec::new(),
            status,
            interrupted: false,
            duration: Duration::ZERO,
        }
    }
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

/// A case that ended, with its verdict: what reporters keep of it.
#[derive(Debug, Clone)]
pub struct FinishedCase {
    pub outcome: CaseOutcome,
    pub verdict: Verdict,
}
