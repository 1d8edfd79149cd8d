//! A run's shared state, as parts: the run context (contract, configuration, HTTP client,
//! runtime), the ledger, the interrupt flag and the leak budget ([`LiveBudget`], with the
//! reason the run stopped starting cases, if it did), the bucket pool, the rate cap, the
//! known-failure baseline (each case's verdict is judged here, once); and the reporters
//! told of every event ([`super::event`]). Cases are started by [`super::schedule`], the
//! one way a case runs. It keeps no outcome itself.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use super::budget::{LiveBudget, NoRoom, FAILED_DELETES_TO_STOP};
use super::case::run_case;
use super::config::{is_loopback, RunConfig};
use super::event::{Reporter, TestEvent};
use super::ledger::{Ledger, Resource};
use super::pool::{BucketPool, Lease, NoLease, PoolOrigin};
use super::signals::StopSignal;
use crate::case::model::AuthMode;
use crate::case::vars::Vars;
use crate::case::LoadedCase;
use crate::check::{Finding, FindingKind};
use crate::contract::Contract;
use crate::cts::service::{PoolSource, RunFacts};
use crate::cts::Service;
use crate::http::client::HttpClient;
use crate::http::exchange::SentRequest;
use crate::http::throttle::{RateLimiter, RetryPolicy};
use crate::model::{Answer, Model, ModelFinding, Request as ModelRequest, Ticket};
use crate::outcome::{Baseline, CaseOutcome, CaseStatus, StepOutcome};

/// Shared by every case of a run.
#[derive(Debug)]
pub struct Session {
    /// The contract every answer is checked against.
    pub contract: Arc<Contract>,
    /// What the run knows of the API beyond its contract (CTS: [`crate::cts::Cts`]).
    pub service: Arc<dyn Service>,
    pub config: RunConfig,
    pub client: HttpClient,
    runtime: tokio::runtime::Handle,
    ledger: Ledger,
    interrupted: AtomicBool,
    /// Why the run stopped: a configuration the target refuses (the first one said).
    configuration_error: OnceLock<String>,
    /// The signal that interrupted the run, if one did.
    stop_signal: OnceLock<StopSignal>,
    /// Why the run stopped starting cases (the leak budget), once it did.
    halted: OnceLock<String>,
    live: LiveBudget,
    /// What the run created, changed and removed, against which every answer is checked
    /// (`None` in a replay: see [`Session::model_begin`]).
    model: Option<Mutex<Model>>,
    pool: BucketPool,
    rate: RateLimiter,
    reporters: Vec<Arc<dyn Reporter>>,
    /// Known failures: a case's verdict is judged against it when the case ends.
    baseline: Arc<Baseline>,
    /// The run-level variables (`${project_id}`, `${prefix}`, ...), made once.
    run_vars: Vars,
    /// What the service's run variables are made of (and why one is unavailable).
    facts: RunFacts,
    /// Whether the target is on loopback, decided once (it is asked of every case).
    loopback: bool,
    /// Replay and recording (see `run::transport`).
    pub(super) answers: super::transport::AnswerSource,
}

impl Session {
    /// A session of `service`'s API, checked against `contract`; `ledger` records what
    /// the run creates.
    pub fn new(
        contract: Arc<Contract>,
        service: Arc<dyn Service>,
        config: RunConfig,
        client: HttpClient,
        runtime: tokio::runtime::Handle,
        ledger: Ledger,
    ) -> Self {
        let pool = config.bucket_pool(&*service);
        let rate = RateLimiter::new(config.rate);
        let loopback = is_loopback(&config.base_url);
        let facts = run_facts(&config, &pool, config.prefix(&*service), loopback);
        let run_vars = service
            .run_variables(&facts)
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        let live = LiveBudget::new(config.max_live);
        let model = Some(Mutex::new(Model::new(&config.run_id, epoch_ms())));
        Session {
            run_vars,
            facts,
            loopback,
            contract,
            service,
            pool,
            rate,
            config,
            client,
            runtime,
            ledger,
            interrupted: AtomicBool::new(false),
            configuration_error: OnceLock::new(),
            live,
            model,
            halted: OnceLock::new(),
            stop_signal: OnceLock::new(),
            reporters: Vec::new(),
            baseline: Arc::default(),
            answers: Default::default(),
        }
    }

    /// Tells `reporter` of every event of the run.
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporters.push(reporter);
        self
    }

    /// The known-failure baseline the session judges verdicts against.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// Judges every case's verdict against `baseline` (known failures).
    pub fn with_baseline(mut self, baseline: Arc<Baseline>) -> Self {
        self.baseline = baseline;
        self
    }

    /// Tells every reporter.
    pub fn emit(&self, event: &TestEvent<'_>) {
        for reporter in &self.reporters {
            reporter.event(event);
        }
    }

    /// The run's ledger of created resources.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Asks running cases to stop after their current step (and clean up), and cases
    /// not yet started not to start.
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// [`Session::interrupt`], for `signal` (the first one is kept).
    pub fn interrupt_by(&self, signal: StopSignal) {
        let _ = self.stop_signal.set(signal);
        self.interrupt();
    }

    /// The signal that interrupted the run, if one did.
    pub fn stop_signal(&self) -> Option<StopSignal> {
        self.stop_signal.get().copied()
    }

    /// Stops starting cases, for `reason` (the first reason given is kept); the running
    /// ones end and clean up as usual.
    pub fn halt(&self, reason: String) {
        if self.halted.set(reason.clone()).is_ok() {
            eprintln!("\nstopping: {reason}; no further case starts, running ones clean up");
        }
    }

    /// Why the run stopped starting cases, if it did ([`Session::halt`]).
    pub fn halted(&self) -> Option<&str> {
        self.halted.get().map(String::as_str)
    }

    /// Whether no case may start any more: interrupted, or halted.
    pub fn stopping(&self) -> bool {
        self.interrupted() || self.halted().is_some()
    }

    /// Why a case was not started once the run is [`Session::stopping`].
    pub fn not_run_reason(&self) -> String {
        match self.halted() {
            Some(reason) if !self.interrupted() => format!("not run: the run stopped ({reason})"),
            _ => "not run: the run was interrupted".into(),
        }
    }

    /// The leak budget (`--max-live`).
    pub fn live(&self) -> &LiveBudget {
        &self.live
    }

    /// The places of the leak budget `case` holds while it runs: one per step that
    /// creates something.
    pub fn places_for(&self, case: &LoadedCase) -> usize {
        let creates = case
            .spec
            .steps
            .iter()
            .filter(|s| s.creates.is_some())
            .count();
        self.live.places_for(creates)
    }

    /// Takes `places` of the leak budget; when trackers the run could not remove fill
    /// it, the run stops ([`Session::halt`]) and `Err` says so.
    pub fn reserve(&self, places: usize) -> Result<(), NoRoom> {
        let reserved = self.live.try_reserve(places);
        if reserved == Err(NoRoom::Never) {
            self.halt(format!(
                "{} tracker(s) the run could not remove fill --max-live {}",
                self.live.left(),
                self.live.max()
            ));
        }
        reserved
    }

    /// A removal of something the run created ended: removals that keep failing stop the
    /// run where its target outlives it (a ledger file; an embedded target goes with the
    /// run).
    pub fn removal_ended(&self, removed: bool) {
        if self.live.removal_ended(removed) && self.ledger.path().is_some() {
            self.halt(format!(
                "{FAILED_DELETES_TO_STOP} removals in a row failed: the target is not removing \
                 what the run creates"
            ));
        }
    }

    /// Tells the run's model that `request` is being sent; `None` when it is none of the
    /// tracker operations (the model then judges nothing), or in a replay: a recorded
    /// listing shows what other cases had done at the moment of the recorded run, which
    /// a replay's own order of cases does not reproduce.
    pub fn model_begin(&self, request: &SentRequest) -> Option<Ticket> {
        let model = self.model.as_ref()?;
        let request = ModelRequest::from_sent(request)?;
        Some(lock(model).begin(request))
    }

    /// Judges the answer (`status`, its JSON body or null) to a request the model saw go,
    /// against what the run created, changed and removed: the model's findings.
    pub fn model_observe(&self, ticket: Ticket, status: u16, body: Value) -> Vec<Finding> {
        let Some(model) = &self.model else {
            return Vec::new();
        };
        let answer = Answer::new(status, body);
        lock(model)
            .observe(ticket, &answer, epoch_ms())
            .iter()
            .map(ModelFinding::to_finding)
            .collect()
    }

    /// The run is the only writer of its projects (the embedded emulator): the model
    /// also checks ListQuotas' `used` ([`Model::only_writer`]).
    pub fn as_only_writer(mut self) -> Self {
        if let Some(model) = self.model.take() {
            let model = model
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.model = Some(Mutex::new(model.only_writer()));
        }
        self
    }

    /// This session judges no answer against the run's model (a replay).
    pub(super) fn without_model(mut self) -> Self {
        self.model = None;
        self
    }

    /// The request of `ticket` got no answer: what it may have changed is unknown until
    /// a later answer settles it.
    pub fn model_unanswered(&self, ticket: Ticket) {
        if let Some(model) = &self.model {
            lock(model).observe(ticket, &Answer::none(), epoch_ms());
        }
    }

    /// What the run created and could not remove (so far): what is left on the target.
    pub fn leftovers(&self) -> Vec<Resource> {
        self.ledger.leftovers()
    }

    /// Stops the run because the target refuses its configuration (`why`, one line):
    /// running cases stop after their current step and clean up, the rest do not start,
    /// and the run ends with `why` (exit 3), not with a failure per case.
    pub fn stop_for_configuration(&self, why: String) {
        let _ = self.configuration_error.set(why);
        self.interrupt();
    }

    /// Why the run was stopped for its configuration, if it was.
    pub fn configuration_error(&self) -> Option<&str> {
        self.configuration_error.get().map(String::as_str)
    }

    /// The line that stops a run whose pool bucket `bucket` (or one of `a or b`) the target
    /// says does not exist.
    pub fn missing_bucket_message(&self, bucket: &str) -> String {
        let origin = match self.pool.origin() {
            PoolOrigin::Explicit => "pass buckets that exist in the project's region",
            _ => {
                "this name was made up by the run, as no --data-bucket/--obs-bucket was given: \
                 pass buckets that exist"
            }
        };
        format!(
            "the target says the pool bucket {bucket} does not exist ({}): {origin} \
             (--data-bucket, --obs-bucket); the run stopped",
            self.service.missing_bucket_code()
        )
    }

    /// The variables every case starts with (a case's leased `${data_bucket}` is added
    /// when it starts); made once per run.
    pub fn base_vars(&self) -> Vars {
        self.run_vars.clone()
    }

    /// Whether cases that change the target may run: on loopback, or when allowed
    /// (`--allow-mutations`).
    pub fn mutations_allowed(&self) -> bool {
        self.config.allow_mutations || self.loopback
    }

    /// The run's buckets.
    pub fn pool(&self) -> &BucketPool {
        &self.pool
    }

    /// The run-wide request-rate cap.
    pub fn rate(&self) -> &RateLimiter {
        &self.rate
    }

    /// How throttled answers are retried.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_retries: self.config.max_retries,
        }
    }

    /// Why this run cannot give a variable a true value, if it cannot: a case that
    /// refers to it is ignored with the reason instead of run on a made-up value.
    pub fn unavailable(&self, variable: &str) -> Option<String> {
        self.service.unavailable(variable, &self.facts)
    }

    /// Why this run cannot run `case` as written, if it cannot: a variable it cannot give
    /// a true value, or credentials it does not have. The case is ignored with the reason.
    pub fn unavailable_for(&self, case: &LoadedCase) -> Option<String> {
        let variable = case.variables().iter().find_map(|name| {
            self.unavailable(name)
                .map(|why| format!("${{{name}}} {why}"))
        });
        variable.or_else(|| self.credentials_unavailable_for(case))
    }

    /// A case that checks how the target treats other credentials (none, a wrong key, a
    /// tampered signature) proves nothing when the run itself has none: every request of
    /// the run is then unsigned, and a target that accepts them cannot also refuse them.
    fn credentials_unavailable_for(&self, case: &LoadedCase) -> Option<String> {
        if !matches!(self.config.credentials, super::Credentials::None) {
            return None;
        }
        let mode = case
            .spec
            .steps
            .iter()
            .chain(&case.spec.cleanup)
            .map(|step| step.auth)
            .find(|mode| *mode != AuthMode::Default)?;
        Some(format!(
            "checks a request with `{mode}` credentials, which proves nothing when the run \
             itself sends none: pass --ak/--sk or --token (the credentials the target accepts)"
        ))
    }

    /// The HTTP client for the current thread: a runner thread's own (see
    /// [`super::schedule`]), else the session's shared one.
    pub fn http(&self) -> HttpClient {
        THREAD_CLIENT
            .with(|client| client.borrow().clone())
            .unwrap_or_else(|| self.client.clone())
    }

    /// Runs a case admitted to run: it holds its serial groups and `places` of the leak
    /// budget, and `lease` is its data bucket (`Ok(None)`: it tracks none), or why it has
    /// none, which ignores the case. The lease and the places (but one per tracker the
    /// case could not remove) are given back when the case (and its cleanup) ended.
    pub async fn run_admitted(
        &self,
        index: usize,
        case: &LoadedCase,
        lease: Result<Option<Lease<'_>>, NoLease>,
        places: usize,
    ) {
        let lease = match lease {
            Ok(lease) => lease,
            Err(no_lease) => {
                self.live.release(places, 0);
                let reason = match no_lease {
                    NoLease::Empty => self.unavailable_for(case).unwrap_or_default(),
                    NoLease::Taken(operations) => format!(
                        "${{data_bucket}} tracks {operations} of its bucket, and every \
                         --data-bucket has one of them tracked by a tracker this run did not \
                         create (see the warning before the first case)"
                    ),
                    NoLease::GaveUp => self.not_run_reason(),
                };
                let outcome = CaseOutcome::without_steps(case, CaseStatus::Ignored(reason));
                return self.finished(index, outcome, &Vars::new());
            }
        };
        let mut vars = Vars::new();
        if let Some(lease) = &lease {
            vars.insert("data_bucket".into(), Value::String(lease.bucket().into()));
        }
        vars.extend(self.replayed_lease(&case.id));
        let leased = vars.clone();
        self.emit(&TestEvent::CaseStarted { case });
        let outcome = run_case(self, case, vars).await;
        let left = self.ledger.outstanding_for(&case.id).len();
        self.live.release(places, left);
        drop(lease);
        self.finished(index, outcome, &leased);
    }

    /// Case `index` stopped by a defect of the harness (a panic, `message`): it fails
    /// with a harness finding, reported like any other outcome. What it created is in the
    /// ledger, for the end-of-run notice and `sweep`.
    pub fn abandoned(&self, index: usize, case: &LoadedCase, message: &str) {
        let mut outcome = CaseOutcome::without_steps(case, CaseStatus::Failed);
        outcome.steps.push(StepOutcome {
            label: "harness".into(),
            operation: String::new(),
            exchange: None,
            findings: vec![Finding::new(
                FindingKind::Harness,
                format!("the harness stopped this case: {message} (a defect of cts-conform; please report it)"),
            )],
            skipped: None,
            retries: Vec::new(),
        });
        self.finished(index, outcome, &Vars::new());
    }

    /// Gives the current thread an HTTP client of its own (see [`Session::http`]), whose
    /// connections live on the runtime that thread drives, if it has none yet.
    pub(super) fn adopt_thread_client(&self) {
        THREAD_CLIENT.with(|client| {
            let mut client = client.borrow_mut();
            if client.is_none() {
                *client = HttpClient::for_target_with(&self.config.base_url, &self.config.tls).ok();
            }
        });
    }

    /// The session's shared (multi-thread) runtime, for a thread that cannot build its own.
    pub(super) fn shared_runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Case `index` ended: its final status (a replay may call it "not replayable") and
    /// its verdict after the baseline, told to every reporter.
    fn finished(&self, index: usize, outcome: CaseOutcome, leased: &Vars) {
        let outcome = self.replay_verdict(outcome);
        let verdict = self.baseline.judge(&outcome);
        self.emit(&TestEvent::CaseFinished {
            index,
            outcome: &outcome,
            verdict: &verdict,
            leased,
        });
    }
}

/// What the service's run variables are made of: the configuration, the pool, the prefix.
fn run_facts(c: &RunConfig, pool: &BucketPool, prefix: String, loopback: bool) -> RunFacts {
    RunFacts {
        project_id: c.project_id.clone(),
        other_project_id: c.other_project_id.clone(),
        run_id: c.run_id.clone(),
        prefix,
        has_data_bucket: !pool.data_buckets().is_empty(),
        obs_bucket: pool.obs_bucket().map(str::to_string),
        pool: match pool.origin() {
            PoolOrigin::Explicit => PoolSource::Given,
            PoolOrigin::Invented => PoolSource::MadeUp,
            PoolOrigin::Missing => PoolSource::Missing,
        },
        anonymous: matches!(c.credentials, super::Credentials::None),
        loopback,
    }
}

thread_local! {
    /// A runner thread's own HTTP client, whose connections live on its runtime.
    static THREAD_CLIENT: RefCell<Option<HttpClient>> = const { RefCell::new(None) };
}

/// A current-thread runtime for one thread's cases (`None` if the system refuses one).
pub(super) fn current_thread_runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
}

/// Now, in epoch milliseconds (the unit of `create_time`).
fn epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A poisoned lock only means a case panicked; the model is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
