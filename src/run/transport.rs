//! Where a running case's answers come from: the network (HTTP) or a recording
//! ([`AnswerSource`]).
//!
//! A live session sends with its HTTP client and waits out throttled answers. A replayed
//! session ([`Session::with_replay`]) sends nothing: a [`Replayer`] answers each request
//! from a recording, waits are skipped, each case gets the variables the recorded run
//! leased it, and a case the recording cannot answer ends "not replayable".

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::session::Session;
use crate::case::vars::Vars;
use crate::http::exchange::{Exchange, SentRequest, TransportError};
use crate::outcome::{CaseOutcome, CaseStatus, StepOutcome};

/// Answers requests from a recording instead of the network.
pub trait Replayer: Send + Sync {
    /// The answer to the `attempt`-th send (0: the first try, then one per retry) of
    /// `request` by the case `case`, in the order the case sends.
    fn answer(&self, case: &str, attempt: usize, request: &SentRequest) -> Exchange;
    /// The variables the recorded run leased to `case` (its `${data_bucket}`).
    fn leased(&self, case: &str) -> Vars;
    /// Why `case` could not be replayed, once it has run; `None`: it was.
    fn not_replayable(&self, case: &str) -> Option<String>;
}

/// Where a session's answers come from: the network (no replayer) or a recording.
#[derive(Default)]
pub struct AnswerSource {
    replay: Option<Arc<dyn Replayer>>,
}

impl fmt::Debug for AnswerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnswerSource")
            .field("replay", &self.replay.is_some())
            .finish()
    }
}

/// Whether the recording could not answer this step's request.
fn diverged(step: &StepOutcome) -> bool {
    step.exchange
        .as_ref()
        .is_some_and(|e| matches!(e.response, Err(TransportError::NotReplayable(_))))
}

/// The prefix of the reason given to a case the recording could not answer.
pub const NOT_REPLAYABLE: &str = "not replayable";

impl Session {
    /// This session answers from `replayer` and never touches the network.
    pub fn with_replay(mut self, replayer: Arc<dyn Replayer>) -> Self {
        self.answers.replay = Some(replayer);
        self.without_model()
    }

    /// Whether this session replays a recording.
    pub fn replaying(&self) -> bool {
        self.answers.replay.is_some()
    }

    /// Sends `request` for `case` (`attempt` 0 first, then one per retry).
    pub async fn send(&self, case: &str, attempt: usize, request: SentRequest) -> Exchange {
        match &self.answers.replay {
            Some(replay) => replay.answer(case, attempt, &request),
            None => {
                let config = &self.config;
                self.http()
                    .send(request, config.timeout, config.max_response_bytes)
                    .await
            }
        }
    }

    /// Waits before a retry (a replay does not wait).
    pub async fn wait_before_retry(&self, wait: Duration) {
        if !self.replaying() {
            tokio::time::sleep(wait).await;
        }
    }

    /// The variables a replayed run gives `case` in place of its own lease.
    pub(super) fn replayed_lease(&self, case: &str) -> Vars {
        self.answers
            .replay
            .as_ref()
            .map(|r| r.leased(case))
            .unwrap_or_default()
    }

    /// A finished case, made "not replayable" if the replay says so, unless a step failed
    /// on its recorded answer before the first request the recording could not answer:
    /// steps are judged in order, and a failure stays a failure whatever the later
    /// requests (its cleanup's included) do.
    pub(super) fn replay_verdict(&self, mut outcome: CaseOutcome) -> CaseOutcome {
        let Some(why) = self
            .answers
            .replay
            .as_ref()
            .and_then(|r| r.not_replayable(&outcome.id))
        else {
            return outcome;
        };
        let failed_first = outcome
            .steps
            .iter()
            .chain(&outcome.cleanup)
            .take_while(|step| !diverged(step))
            .any(StepOutcome::failed);
        if !failed_first {
            outcome.status = CaseStatus::Ignored(format!(
                "{NOT_REPLAYABLE}: {why} (neither passed nor failed)"
            ));
        }
        outcome
    }
}
