//! What the runner tells reporters, as it happens (cargo-nextest's `TestEvent`): a case
//! started, a step finished, a case finished. Reporters (the file reports' collector, the
//! recorder) subscribe with [`crate::run::Session::with_reporter`]; nothing keeps a case's
//! outcome unless a reporter asks for it, so a run without reports holds one case at a time.

use std::sync::{Mutex, PoisonError};

use super::case::{CaseOutcome, StepOutcome};
use crate::case::vars::Vars;
use crate::case::LoadedCase;

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
    /// A case ended, with the variables it was leased (its `${data_bucket}`).
    CaseFinished {
        outcome: &'a CaseOutcome,
        leased: &'a Vars,
    },
}

/// Consumes events; called from the runner threads, so it must be thread-safe and quick.
pub trait Reporter: Send + Sync + std::fmt::Debug {
    fn event(&self, event: &TestEvent<'_>);
}

/// Keeps every finished case's outcome, for the reports written at the end of a run.
#[derive(Debug, Default)]
pub struct Collector {
    outcomes: Mutex<Vec<CaseOutcome>>,
}

impl Collector {
    /// The outcomes collected so far, in completion order.
    pub fn outcomes(&self) -> Vec<CaseOutcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Reporter for Collector {
    fn event(&self, event: &TestEvent<'_>) {
        if let TestEvent::CaseFinished { outcome, .. } = event {
            self.outcomes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((*outcome).clone());
        }
    }
}
