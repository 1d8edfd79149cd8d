//! The terminal's reorder buffer: a [`Reporter`] that keeps each finished case (its
//! outcome and verdict, from the event stream like every other reporter's) until a
//! printer on another thread takes it in plan order. Cases end in any order; libtest
//! prints them in the plan's. A passed case is kept without its steps (the terminal
//! shows it by its verdict); any other with its whole outcome.
//!
//! A printer that falls behind (a slow terminal) holds back the runner: the scheduler
//! starts no new case while [`ReorderBuffer::backlog`] is over its cap, and is woken when
//! the printer takes one ([`ReorderBuffer::taken`]).

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::event::{Reporter, TestEvent};
use crate::outcome::{FinishedCase, Verdict};

/// Finished cases by plan index, handed from the runner threads to a printer's.
#[derive(Debug, Default)]
pub struct ReorderBuffer {
    state: Mutex<State>,
    arrived: Condvar,
    taken: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct State {
    finished: HashMap<usize, FinishedCase>,
    /// No case will finish any more (the run ended).
    closed: bool,
    /// The cases a [`ReorderBuffer::take`] waits for: only their arrival wakes one (the
    /// others it finds when it asks for them), so a printer behind the runners is not
    /// woken once per case.
    awaited: Vec<usize>,
}

impl Reporter for ReorderBuffer {
    fn event(&self, event: &TestEvent<'_>) {
        match event {
            TestEvent::CaseFinished {
                index,
                outcome,
                verdict,
                ..
            } => self.put(
                *index,
                FinishedCase {
                    // The terminal shows a passed case by its verdict alone (a passed
                    // case has no finding): its steps, exchanges and bodies are not
                    // copied. Any other keeps its whole outcome.
                    outcome: match verdict {
                        Verdict::Passed => outcome.without_step_details(),
                        _ => (*outcome).clone(),
                    },
                    verdict: (*verdict).clone(),
                },
            ),
            TestEvent::RunFinished => self.close(),
            _ => {}
        }
    }
}

impl ReorderBuffer {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the finished case `index`.
    pub fn put(&self, index: usize, finished: FinishedCase) {
        let mut state = self.state();
        state.finished.insert(index, finished);
        let awaited = state.awaited.contains(&index);
        drop(state);
        if awaited {
            self.arrived.notify_all();
        }
    }

    /// No case will finish any more: every waiting [`ReorderBuffer::take`] returns.
    pub fn close(&self) {
        self.state().closed = true;
        self.arrived.notify_all();
    }

    /// Case `index`, waiting until it has finished; `None` when the run ended without it
    /// (a defect of the harness: the caller reports it as such).
    pub fn take(&self, index: usize) -> Option<FinishedCase> {
        let mut state = self.state();
        loop {
            if let Some(finished) = state.finished.remove(&index) {
                drop(state);
                self.taken.notify_one();
                return Some(finished);
            }
            if state.closed {
                return None;
            }
            state.awaited.push(index);
            state = self
                .arrived
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = state.awaited.iter().position(|&i| i == index) {
                state.awaited.swap_remove(at);
            }
        }
    }

    /// How many finished cases wait to be taken.
    pub fn backlog(&self) -> usize {
        self.state().finished.len()
    }

    /// Notified each time a case is taken (the scheduler waits on it while paced).
    pub fn taken(&self) -> &tokio::sync::Notify {
        &self.taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{CaseOutcome, CaseStatus, Verdict};
    use std::sync::mpsc;
    use std::time::Duration;

    fn finished(id: &str) -> FinishedCase {
        FinishedCase {
            outcome: CaseOutcome {
                id: id.into(),
                doc: String::new(),
                file: String::new(),
                steps: Vec::new(),
                planned_steps: 0,
                cleanup: Vec::new(),
                status: CaseStatus::Passed,
                interrupted: false,
                duration: Duration::ZERO,
            },
            verdict: Verdict::Passed,
        }
    }

    /// Takes `indices` in order on another thread; each id arrives on the channel
    /// (`None`: the run ended without it).
    fn taker(
        buffer: &'static ReorderBuffer,
        indices: Vec<usize>,
    ) -> mpsc::Receiver<Option<String>> {
        let (sent, received) = mpsc::channel();
        std::thread::spawn(move || {
            for index in indices {
                let _ = sent.send(buffer.take(index).map(|f| f.outcome.id));
            }
        });
        received
    }

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn a_waiting_printer_wakes_for_its_case_and_finds_the_others_that_came_first() {
        let buffer: &'static ReorderBuffer = Box::leak(Box::default());
        let taken = taker(buffer, vec![0, 1, 2]);
        // Cases 2 and 1 end before case 0: the printer waits for 0 and is not woken.
        buffer.put(2, finished("c2"));
        buffer.put(1, finished("c1"));
        assert!(taken.recv_timeout(Duration::from_millis(50)).is_err());
        buffer.put(0, finished("c0"));
        for id in ["c0", "c1", "c2"] {
            assert_eq!(taken.recv_timeout(WAIT), Ok(Some(id.to_string())));
        }
        assert_eq!(buffer.backlog(), 0);
    }

    #[test]
    fn a_passed_case_is_kept_without_its_steps_any_other_whole() {
        use crate::case::vars::Vars;
        use crate::check::{Finding, FindingKind};
        use crate::outcome::StepOutcome;
        let step = |findings: Vec<Finding>| StepOutcome {
            label: "s".into(),
            operation: "ListTrackers".into(),
            exchange: None,
            findings,
            skipped: None,
            retries: Vec::new(),
        };
        let buffer = ReorderBuffer::default();
        let leased = Vars::new();
        let mut passed = finished("passed").outcome;
        passed.steps = vec![step(Vec::new())];
        passed.cleanup = vec![step(Vec::new())];
        passed.planned_steps = 1;
        let mut failed = finished("failed").outcome;
        failed.status = CaseStatus::Failed;
        failed.steps = vec![step(vec![Finding::new(FindingKind::Body, "wrong")])];
        failed.cleanup = vec![step(Vec::new())];
        let mut ignored = finished("ignored").outcome;
        ignored.status = CaseStatus::Ignored("precondition not met: x".into());
        ignored.steps = vec![step(vec![Finding::new(FindingKind::Body, "no")])];
        for (index, outcome, verdict) in [
            (0, &passed, Verdict::Passed),
            (1, &failed, Verdict::Failed),
            (
                2,
                &ignored,
                Verdict::Ignored("precondition not met: x".into()),
            ),
        ] {
            buffer.event(&TestEvent::CaseFinished {
                index,
                outcome,
                verdict: &verdict,
                leased: &leased,
            });
        }
        let kept = buffer.take(0).expect("kept");
        assert_eq!(kept.verdict, Verdict::Passed);
        assert!(kept.outcome.steps.is_empty() && kept.outcome.cleanup.is_empty());
        assert_eq!(
            (kept.outcome.id.as_str(), kept.outcome.planned_steps),
            ("passed", 1)
        );
        assert_eq!(kept.outcome.status, CaseStatus::Passed);
        for (index, whole) in [(1, &failed), (2, &ignored)] {
            let kept = buffer.take(index).expect("kept");
            assert_eq!(kept.outcome.steps.len(), whole.steps.len());
            assert_eq!(kept.outcome.cleanup.len(), whole.cleanup.len());
            assert_eq!(
                kept.outcome.findings().count(),
                whole.findings().count(),
                "{}",
                whole.id
            );
        }
    }

    #[test]
    fn the_end_of_the_run_wakes_a_printer_waiting_for_a_case_that_never_came() {
        let buffer: &'static ReorderBuffer = Box::leak(Box::default());
        let taken = taker(buffer, vec![0]);
        std::thread::sleep(Duration::from_millis(20));
        buffer.event(&TestEvent::RunFinished);
        assert_eq!(taken.recv_timeout(WAIT), Ok(None));
    }
}
