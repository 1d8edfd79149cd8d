//! What the runner tells reporters, as it happens (cargo-nextest's `TestEvent`): a case
//! started, a step finished, a case finished (with its verdict, the baseline applied once,
//! by the runner), the run finished. It is the one route of every outcome: the terminal
//! (through [`super::reorder::ReorderBuffer`]), the file reports' [`Collector`] and the
//! recorder all subscribe with [`crate::run::Session::with_reporter`]; nothing keeps a
//! case's outcome unless a reporter asks for it, so a run without reports holds one case at
//! a time.

use std::sync::{Mutex, PoisonError};

use crate::case::vars::Vars;
use crate::case::LoadedCase;
use crate::outcome::{CaseOutcome, FinishedCase, StepOutcome, Verdict};

/// One thing that happened in a run.
#[derive(Debug, Clone, Copy)]
pub enum TestEvent<'a> {
    /// A case is about to send its first request (it holds its serial groups and bucket).
    CaseStarted { case: &'a LoadedCase },
    /// A step of `case` was answered (or given up on); `cleanup` for cleanup steps and the
    /// automatic removal of what the case created.
    StepFinished {
        case: &'a str,
        step: &'a StepOutcome,
        cleanup: bool,
    },
    /// Case `index` (its place in the run's cases) ended: its outcome, its verdict after
    /// the baseline, and the variables it was leased (its `${data_bucket}`).
    CaseFinished {
        index: usize,
        outcome: &'a CaseOutcome,
        verdict: &'a Verdict,
        leased: &'a Vars,
    },
    /// Every case has ended (or the runner stopped): no event follows.
    RunFinished,
}

/// Consumes events; called from the runner threads, so it must be thread-safe and quick.
pub trait Reporter: Send + Sync + std::fmt::Debug {
    fn event(&self, event: &TestEvent<'_>);
}

/// Keeps every finished case, for the reports written at the end of a run; or, made
/// [`Collector::without_steps`], each case's verdict and status only (what the
/// completeness line counts), so that a run without reports holds one case at a time.
#[derive(Debug, Default)]
pub struct Collector {
    finished: Mutex<Vec<FinishedCase>>,
    without_steps: bool,
}

impl Collector {
    /// A collector that keeps no step of any case.
    pub fn without_steps() -> Self {
        Collector {
            finished: Mutex::default(),
            without_steps: true,
        }
    }

    /// The cases finished so far, in completion order.
    pub fn finished(&self) -> Vec<FinishedCase> {
        self.finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The cases finished, taken out (the collector is left empty).
    pub fn take(&self) -> Vec<FinishedCase> {
        std::mem::take(&mut *self.finished.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Reporter for Collector {
    fn event(&self, event: &TestEvent<'_>) {
        if let TestEvent::CaseFinished {
            outcome, verdict, ..
        } = event
        {
            let outcome = if self.without_steps {
                CaseOutcome {
                    id: outcome.id.clone(),
                    doc: String::new(),
                    file: String::new(),
                    steps: Vec::new(),
                    planned_steps: outcome.planned_steps,
                    cleanup: Vec::new(),
                    status: outcome.status.clone(),
                    interrupted: outcome.interrupted,
                    duration: outcome.duration,
                }
            } else {
                (*outcome).clone()
            };
            self.finished
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(FinishedCase {
                    outcome,
                    verdict: (*verdict).clone(),
                });
        }
    }
}

/// Counts the requests a run sent, by operation, and the retries among them (each retry
/// of a throttled answer is one more request): the run's last line says them, as the
/// JSON report's steps do.
#[derive(Debug, Default)]
pub struct Traffic {
    counts: Mutex<TrafficCounts>,
}

/// What [`Traffic`] counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrafficCounts {
    /// Requests by operation (first tries and retries).
    pub by_operation: std::collections::BTreeMap<String, usize>,
    /// Of them, the retries after a throttled answer.
    pub retries: usize,
}

impl TrafficCounts {
    /// Every request counted.
    pub fn requests(&self) -> usize {
        self.by_operation.values().sum()
    }

    /// `241 (CreateTracker 90, ListTrackers 120, ...), 41 of them retries ...`.
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .by_operation
            .iter()
            .map(|(operation, n)| format!("{operation} {n}"))
            .collect();
        let mut line = self.requests().to_string();
        if !parts.is_empty() {
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        match self.retries {
            0 => line.push_str(", no retry"),
            1 => line.push_str(", 1 of them a retry after a throttled answer"),
            n => line.push_str(&format!(", {n} of them retries after a throttled answer")),
        }
        line
    }
}

impl Traffic {
    /// What was counted so far.
    pub fn counts(&self) -> TrafficCounts {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Reporter for Traffic {
    fn event(&self, event: &TestEvent<'_>) {
        let TestEvent::StepFinished { step, .. } = event else {
            return;
        };
        if step.exchange.is_none() {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let sent = 1 + step.retries.len();
        *counts
            .by_operation
            .entry(step.operation.clone())
            .or_default() += sent;
        counts.retries += step.retries.len();
    }
}
