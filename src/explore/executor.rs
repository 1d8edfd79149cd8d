//! Runs one sequence's case file as a run of one case, through the runner
//! ([`crate::runner`]): the target set up as a run's (a fresh embedded emulator each
//! time, or the URL with its check, credentials, pool and ledger), every answer judged
//! by the contract and the run's model, and whatever the case created removed. Each
//! run has a run id of its own, so its names never meet an earlier sequence's.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::auth::Redactor;
use crate::case::{load, Source};
use crate::check::Finding;
use crate::contract::Contract;
use crate::cts::service::Service;
use crate::outcome::CaseStatus;
use crate::run::signals::StopSignal;
use crate::run::{RunConfig, Session};
use crate::runner::{self, LedgerSpec, RunError, RunSpec, Target};

/// How a sequence ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(Failure),
    /// The case was not run (the reason: a bucket or flag the run lacks).
    NotRun(String),
}

/// The first finding of a failed sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What must stay the same while shrinking: the finding's kind, and for the
    /// model's findings its rule (`expected body: model: filter-exact`).
    pub signature: String,
    /// The step and the finding, one line (the run's secrets redacted).
    pub message: String,
    /// The document row the finding names, if it names one.
    pub doc: Option<String>,
}

/// Why exploring cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// A signal stopped the exploration ([`StopHandle::stop`]): the run it stopped
    /// finished its current step and cleaned up.
    #[error("stopped by {}", .0.name())]
    Stopped(StopSignal),
    /// A configuration problem (exit 2).
    #[error("{0}")]
    Config(String),
    /// The target did not answer the check before the run, refused the credentials, or
    /// refuses the run's configuration (exit 3). Already redacted.
    #[error("{0}")]
    Unreachable(String),
    /// A defect of `explore` (its own case file did not load).
    #[error("{0}")]
    Harness(String),
}

/// Stops an exploration from another thread (a signal's watcher): the run in progress
/// stops after its current step and cleans up, and no further run starts.
#[derive(Debug, Default)]
pub struct StopHandle {
    signal: Mutex<Option<StopSignal>>,
    /// The session of the run in progress, if one is.
    current: Mutex<Option<Arc<Session>>>,
}

impl StopHandle {
    /// Stops the exploration for `signal` (the first one is kept).
    pub fn stop(&self, signal: StopSignal) {
        if let Ok(mut stopped) = self.signal.lock() {
            stopped.get_or_insert(signal);
        }
        if let Some(session) = self.current.lock().ok().and_then(|c| c.clone()) {
            session.interrupt_by(signal);
        }
    }

    /// The signal that stopped the exploration, if one did.
    pub fn stopped(&self) -> Option<StopSignal> {
        self.signal.lock().ok().and_then(|s| *s)
    }

    /// `session` is the run in progress (`None`: no run is). A stop that came first
    /// interrupts it at once.
    fn running(&self, session: Option<Arc<Session>>) {
        if let (Some(session), Some(signal)) = (&session, self.stopped()) {
            session.interrupt_by(signal);
        }
        if let Ok(mut current) = self.current.lock() {
            *current = session;
        }
    }
}

/// Runs sequences against one target.
pub struct Executor {
    contract: Arc<Contract>,
    service: Arc<dyn Service>,
    target: Target,
    config: RunConfig,
    ledger: LedgerSpec,
    runtime: tokio::runtime::Handle,
    profile: String,
    redactor: Redactor,
    stop: Arc<StopHandle>,
    /// Requests sent so far (the checks before each run included).
    pub requests: usize,
    /// Runs so far.
    pub runs: usize,
}

impl Executor {
    /// `target` and `config` as the run's flags make them; `profile` as reports name it.
    pub fn new(
        contract: Arc<Contract>,
        service: Arc<dyn Service>,
        target: Target,
        config: RunConfig,
        ledger: LedgerSpec,
        runtime: tokio::runtime::Handle,
        profile: &str,
    ) -> Self {
        Executor {
            redactor: Redactor::new(config.credentials.secrets()),
            contract,
            service,
            target,
            config,
            ledger,
            runtime,
            profile: profile.to_owned(),
            stop: Arc::default(),
            requests: 0,
            runs: 0,
        }
    }

    /// The contract the answers are checked against.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// What stops this exploration from another thread.
    pub fn stop_handle(&self) -> Arc<StopHandle> {
        Arc::clone(&self.stop)
    }

    /// The run's configuration (its pool, whether it may change the target).
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Runs the one case of `case_file` as a run of its own.
    pub fn run(&mut self, case_file: &Value) -> Result<Outcome, ExploreError> {
        if let Some(signal) = self.stop.stopped() {
            return Err(ExploreError::Stopped(signal));
        }
        let source = Source {
            name: "(explore)".into(),
            text: serde_json::to_string(case_file)
                .map_err(|e| ExploreError::Harness(e.to_string()))?,
        };
        let cases = load(&[source], &self.contract, self.service.case_rules()).map_err(|e| {
            ExploreError::Harness(format!(
                "a generated case file did not load (a defect of cts-conform explore): {e}"
            ))
        })?;
        let mut config = self.config.clone();
        config.run_id = crate::run::config::new_run_id();
        // Explore prints its own replay command for what it finds: the default reproduce.
        let spec = RunSpec {
            ledger: self.ledger.clone(),
            profile: self.profile.clone(),
            ..RunSpec::new(
                Arc::clone(&self.contract),
                Arc::clone(&self.service),
                self.target.clone(),
                config,
                cases,
            )
        };
        let prepared = runner::prepare(spec, &self.runtime).map_err(|e| match e {
            RunError::Config(message) => ExploreError::Config(message),
            RunError::Unreachable(message) => ExploreError::Unreachable(message),
        })?;
        self.stop.running(Some(Arc::clone(prepared.session())));
        prepared.execute();
        self.stop.running(None);
        let stopped = prepared.session().stop_signal();
        let finished = prepared.finish();
        self.runs += 1;
        self.requests += finished.traffic.requests() + 1;
        if let Some(signal) = stopped {
            // Its cases stopped early and cleaned up: what they saw proves nothing.
            return Err(ExploreError::Stopped(signal));
        }
        if let Some(why) = finished.configuration_error {
            return Err(ExploreError::Unreachable(why));
        }
        let Some(result) = finished.results.into_iter().next() else {
            return Err(ExploreError::Harness("the run gave no result".into()));
        };
        let outcome = result.outcome;
        Ok(match outcome.status {
            CaseStatus::Passed if finished.summary.leftovers.is_empty() => Outcome::Passed,
            CaseStatus::Ignored(reason) => Outcome::NotRun(reason),
            _ => {
                let first = outcome
                    .steps
                    .iter()
                    .chain(&outcome.cleanup)
                    .find_map(|step| step.findings.first().map(|f| (step.label.clone(), f)));
                Outcome::Failed(match first {
                    Some((label, finding)) => failure(&label, finding, &self.redactor),
                    None => Failure {
                        signature: "leftover".into(),
                        message: format!(
                            "left behind: {}",
                            finished.summary.leftovers.trackers.join(", ")
                        ),
                        doc: None,
                    },
                })
            }
        })
    }
}

fn failure(step: &str, finding: &Finding, redactor: &Redactor) -> Failure {
    let mut signature = finding.kind.label().to_owned();
    if let Some(rule) = finding
        .summary
        .strip_prefix("model: ")
        .and_then(|rest| rest.split_whitespace().next())
    {
        signature.push_str(": model: ");
        signature.push_str(rule);
    }
    Failure {
        signature,
        message: redactor
            .redact(&format!("{step}: {}", finding.line()))
            .into_owned(),
        doc: finding
            .details
            .iter()
            .find_map(|detail| detail.strip_prefix("rule: "))
            .map(str::to_owned),
    }
}
