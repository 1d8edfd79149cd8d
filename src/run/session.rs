//! A run's shared state, as parts: the run context (contract, configuration, HTTP client,
//! runtime), the ledger, the interrupt flag and the leak budget ([`LiveBudget`], with the
//! reason the run stopped starting cases, if it did), the serial-group locks ([`SerialLocks`], for
//! cases run one at a time; [`super::schedule`] keeps its own), the bucket pool and the
//! rate cap; and the reporters told of every event ([`super::event`]).
//! It keeps no outcome itself.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use serde_json::Value;

use super::budget::{LiveBudget, NoRoom, FAILED_DELETES_TO_STOP};
use super::case::{run_case, CaseOutcome, CaseStatus};
use super::config::{is_loopback, RunConfig};
use super::event::{Reporter, TestEvent};
use super::http::HttpClient;
use super::ledger::{Ledger, Resource};
use super::pool::{BucketPool, Lease, NoLease, PoolOrigin};
use super::signals::StopSignal;
use super::throttle::{RateLimiter, RetryPolicy};
use crate::case::vars::Vars;
use crate::case::LoadedCase;
use crate::contract::Contract;

/// Shared by every case of a run.
#[derive(Debug)]
pub struct Session {
    pub contract: &'static Contract,
    pub config: RunConfig,
    pub client: HttpClient,
    runtime: tokio::runtime::Handle,
    ledger: Ledger,
    interrupted: AtomicBool,
    /// The signal that interrupted the run, if one did.
    stop_signal: OnceLock<StopSignal>,
    /// Why the run stopped starting cases (the leak budget), once it did.
    halted: OnceLock<String>,
    live: LiveBudget,
    serial: SerialLocks,
    pool: BucketPool,
    rate: RateLimiter,
    reporters: Vec<Arc<dyn Reporter>>,
    /// The run-level variables (`${project_id}`, `${prefix}`, ...), made once.
    run_vars: Vars,
    /// Whether the target is on loopback, decided once (it is asked of every case).
    loopback: bool,
    /// Replay and recording (see `run::transport`).
    pub(super) seam: super::transport::Seam,
}

impl Session {
    /// A session; `ledger` records what the run creates.
    pub fn new(
        contract: &'static Contract,
        config: RunConfig,
        client: HttpClient,
        runtime: tokio::runtime::Handle,
        ledger: Ledger,
    ) -> Self {
        let pool = config.bucket_pool();
        let rate = RateLimiter::new(config.rate);
        let run_vars = run_vars(&config, &pool);
        let loopback = is_loopback(&config.base_url);
        let live = LiveBudget::new(config.max_live);
        Session {
            live,
            halted: OnceLock::new(),
            stop_signal: OnceLock::new(),
            run_vars,
            loopback,
            contract,
            pool,
            rate,
            config,
            client,
            runtime,
            ledger,
            interrupted: AtomicBool::new(false),
            serial: SerialLocks::default(),
            reporters: Vec::new(),
            seam: Default::default(),
        }
    }

    /// Tells `reporter` of every event of the run.
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporters.push(reporter);
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

    /// [`Session::interrupt`], for `signal` (the first one is kept).
    pub fn interrupt_by(&self, signal: StopSignal) {
        let _ = self.stop_signal.set(signal);
        self.interrupt();
    }

    /// The signal that interrupted the run, if one did.
    pub fn stop_signal(&self) -> Option<StopSignal> {
        self.stop_signal.get().copied()
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
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

    /// What the run created and could not remove (so far): what is left on the target.
    pub fn leftovers(&self) -> Vec<Resource> {
        self.ledger.leftovers()
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
        let origin = self.pool.origin();
        match variable {
            "data_bucket" if self.pool.data_buckets().is_empty() => Some(match origin {
                PoolOrigin::Missing => "needs an existing OBS bucket to track: pass \
                    --data-bucket BUCKET (repeatable; one per parallel case is best)"
                    .into(),
                _ => "every --data-bucket is already tracked by a tracker this run did not \
                    create (see the warning before the first case)"
                    .into(),
            }),
            "obs_bucket" if self.pool.obs_bucket().is_none() => Some(
                "needs an existing OBS bucket to transfer traces to: pass --obs-bucket BUCKET"
                    .into(),
            ),
            "absent_bucket" if origin != PoolOrigin::Explicit => Some(
                "needs to know which buckets exist: pass --data-bucket (a target without it \
                 is assumed to accept any valid bucket name)"
                    .into(),
            ),
            "bucket_3" if !self.loopback => Some(
                "a 3-character bucket name belongs to some account (OBS names are global), \
                 so its answer proves nothing here; this boundary is checked on loopback targets"
                    .into(),
            ),
            _ => None,
        }
    }

    /// The first variable of `case` this run cannot give a value, with the reason.
    pub fn unavailable_for(&self, case: &LoadedCase) -> Option<String> {
        case.variables().iter().find_map(|name| {
            self.unavailable(name)
                .map(|why| format!("${{{name}}} {why}"))
        })
    }

    /// Takes a data bucket for `case` if it tracks one, waiting while all are held.
    /// `Ok(None)`: the case tracks no bucket. `Err`: the run was interrupted meanwhile.
    pub fn lease_for(&self, case: &LoadedCase) -> Result<Option<Lease<'_>>, NoLease> {
        if !Self::needs_bucket(case) {
            return Ok(None);
        }
        self.pool
            .lease(Duration::from_millis(50), || self.stopping())
            .map(Some)
    }

    /// The HTTP client for the current thread: a runner thread's own (see
    /// [`super::schedule`] and [`Session::run_blocking`]), else the session's shared one.
    pub fn http(&self) -> HttpClient {
        THREAD_CLIENT
            .with(|client| client.borrow().clone())
            .unwrap_or_else(|| self.client.clone())
    }

    /// Runs a case from a (non-async) thread, one at a time, waiting for its serial groups
    /// and its bucket (the libtest thread of `--test-threads 1`; tests). Many at once:
    /// [`super::schedule::run_cases`].
    ///
    /// The thread drives its cases on a runtime and a client of its own (a current-thread
    /// runtime, so a request's I/O never hops between threads); the session's shared
    /// runtime is the fallback if one cannot be built.
    pub fn run_blocking(&self, case: &LoadedCase) -> CaseOutcome {
        // The serial groups first, then the bucket: a case holding a bucket waits for
        // nothing else, so the two cannot deadlock.
        let locks = self.serial.locks_for(&case.spec.serial);
        let _guards = SerialLocks::hold(&locks);
        let (lease, places) = match self.wait_for_places(self.places_for(case)) {
            Ok(places) => (self.lease_for(case), places),
            Err(_) => (Err(NoLease::GaveUp), 0),
        };
        self.adopt_thread_client();
        let local = THREAD_RUNTIME
            .with(|runtime| runtime.borrow_mut().take())
            .or_else(current_thread_runtime);
        match local {
            Some(runtime) => {
                let outcome = runtime.block_on(self.run_admitted(case, lease, places));
                THREAD_RUNTIME.with(|slot| *slot.borrow_mut() = Some(runtime));
                outcome
            }
            None => self
                .runtime
                .block_on(self.run_admitted(case, lease, places)),
        }
    }

    /// Waits (polling, as [`Session::lease_for`] does) until `places` of the leak budget
    /// are reserved; `Err` when the run stops first.
    fn wait_for_places(&self, places: usize) -> Result<usize, NoRoom> {
        loop {
            if self.stopping() {
                return Err(NoRoom::Never);
            }
            match self.reserve(places) {
                Ok(()) => return Ok(places),
                Err(NoRoom::Wait) => std::thread::sleep(Duration::from_millis(50)),
                Err(NoRoom::Never) => return Err(NoRoom::Never),
            }
        }
    }

    /// Runs a case admitted to run: it holds its serial groups and `places` of the leak
    /// budget, and `lease` is its data bucket (`Ok(None)`: it tracks none), or why it has
    /// none, which ignores the case. The lease and the places (but one per tracker the
    /// case could not remove) are given back when the case (and its cleanup) ended.
    pub async fn run_admitted(
        &self,
        case: &LoadedCase,
        lease: Result<Option<Lease<'_>>, NoLease>,
        places: usize,
    ) -> CaseOutcome {
        let lease = match lease {
            Ok(lease) => lease,
            Err(no_lease) => {
                self.live.release(places, 0);
                let reason = match no_lease {
                    NoLease::Empty => self.unavailable_for(case).unwrap_or_default(),
                    NoLease::GaveUp => self.not_run_reason(),
                };
                let outcome = CaseOutcome::without_steps(case, CaseStatus::Ignored(reason));
                return self.finished(outcome, &Vars::new());
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
        self.finished(outcome, &leased)
    }

    /// Whether `case` holds a data bucket of the pool while it runs.
    pub fn needs_bucket(case: &LoadedCase) -> bool {
        case.variables().contains("data_bucket")
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

    /// A case ended: its final verdict (a replay may call it "not replayable"), told to
    /// every reporter.
    fn finished(&self, outcome: CaseOutcome, leased: &Vars) -> CaseOutcome {
        let outcome = self.replay_verdict(outcome);
        self.emit(&TestEvent::CaseFinished {
            outcome: &outcome,
            leased,
        });
        outcome
    }
}

/// The variables of the run itself, the same for every case.
fn run_vars(c: &RunConfig, pool: &BucketPool) -> Vars {
    let text = |v: String| Value::String(v);
    let prefix = c.prefix();
    let mut vars = Vars::from([
        ("project_id".to_string(), text(c.project_id.clone())),
        (
            "other_project_id".to_string(),
            text(c.other_project_id.clone()),
        ),
        ("run_id".to_string(), text(c.run_id.clone())),
        (
            "absent_bucket".to_string(),
            text(format!("{prefix}-absent")),
        ),
        ("prefix".to_string(), text(prefix)),
        ("bucket_3".to_string(), text("a0a".into())),
    ]);
    if let Some(obs) = pool.obs_bucket() {
        vars.insert("obs_bucket".into(), text(obs.to_string()));
    }
    vars
}

/// The serial groups' locks: a case holds each of its groups alone while it runs.
#[derive(Debug, Default)]
pub struct SerialLocks {
    table: Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
}

impl SerialLocks {
    /// The locks of `groups`, in name order (so two cases sharing groups cannot deadlock).
    pub fn locks_for(&self, groups: &[String]) -> Vec<Arc<Mutex<()>>> {
        let mut table = lock(&self.table);
        let mut names: Vec<&String> = groups.iter().collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|g| Arc::clone(table.entry(g.clone()).or_default()))
            .collect()
    }

    /// Takes `locks` in order; they are held until the guards are dropped.
    pub fn hold(locks: &[Arc<Mutex<()>>]) -> Vec<MutexGuard<'_, ()>> {
        locks.iter().map(|l| lock(l)).collect()
    }
}

thread_local! {
    /// A thread's own runtime for [`Session::run_blocking`] (taken out while it drives a case).
    static THREAD_RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
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

/// A poisoned lock only means another trial panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
