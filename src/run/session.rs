//! A run's shared state: the contract, the HTTP client, the configuration, the runtime
//! that drives requests, the serial-group locks, and the outcomes collected for reporters.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::case::{run_case, CaseOutcome};
use super::config::RunConfig;
use super::http::HttpClient;
use super::ledger::Ledger;
use crate::case::vars::Vars;
use crate::case::LoadedCase;
use crate::contract::Contract;

/// Shared by every trial of a run.
#[derive(Debug)]
pub struct Session {
    pub contract: &'static Contract,
    pub config: RunConfig,
    pub client: HttpClient,
    runtime: tokio::runtime::Handle,
    ledger: Ledger,
    interrupted: AtomicBool,
    serial: Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
    outcomes: Mutex<Vec<CaseOutcome>>,
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
        Session {
            contract,
            config,
            client,
            runtime,
            ledger,
            interrupted: AtomicBool::new(false),
            serial: Mutex::new(BTreeMap::new()),
            outcomes: Mutex::new(Vec::new()),
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

    /// The variables every case starts with.
    pub fn base_vars(&self) -> Vars {
        let c = &self.config;
        Vars::from([
            (
                "project_id".to_string(),
                Value::String(c.project_id.clone()),
            ),
            (
                "other_project_id".to_string(),
                Value::String(c.other_project_id.clone()),
            ),
            ("run_id".to_string(), Value::String(c.run_id.clone())),
            ("prefix".to_string(), Value::String(c.prefix())),
            ("data_bucket".to_string(), Value::String(c.data_bucket())),
            ("obs_bucket".to_string(), Value::String(c.obs_bucket())),
            (
                "absent_bucket".to_string(),
                Value::String(format!("{}-absent", c.prefix())),
            ),
        ])
    }

    /// The HTTP client for the current thread: a trial thread's own (see
    /// [`Session::run_blocking`]), else the session's shared one.
    pub fn http(&self) -> HttpClient {
        THREAD_CLIENT
            .with(|client| client.borrow().clone())
            .unwrap_or_else(|| self.client.clone())
    }

    /// Runs a case from a (non-async) trial thread, holding its serial groups meanwhile.
    ///
    /// Each trial thread drives its cases on a runtime and a client of its own (a
    /// current-thread runtime, so a request's I/O never hops between threads); the
    /// session's shared runtime is the fallback if one cannot be built.
    pub fn run_blocking(&self, case: &LoadedCase) -> CaseOutcome {
        let locks: Vec<Arc<Mutex<()>>> = {
            let mut table = lock(&self.serial);
            let mut groups: Vec<&String> = case.spec.serial.iter().collect();
            groups.sort();
            groups.dedup();
            groups
                .into_iter()
                .map(|g| Arc::clone(table.entry(g.clone()).or_default()))
                .collect()
        };
        // Taken in name order, so two cases sharing groups cannot deadlock.
        let _guards: Vec<MutexGuard<()>> = locks.iter().map(|l| lock(l)).collect();
        THREAD_CLIENT.with(|client| {
            let mut client = client.borrow_mut();
            if client.is_none() {
                *client = HttpClient::for_target_with(&self.config.base_url, &self.config.tls).ok();
            }
        });
        let local = THREAD_RUNTIME
            .with(|runtime| runtime.borrow_mut().take())
            .or_else(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()
            });
        let outcome = match local {
            Some(runtime) => {
                let outcome = runtime.block_on(run_case(self, case));
                THREAD_RUNTIME.with(|slot| *slot.borrow_mut() = Some(runtime));
                outcome
            }
            None => self.runtime.block_on(run_case(self, case)),
        };
        lock(&self.outcomes).push(outcome.clone());
        outcome
    }

    /// The outcomes so far, in completion order.
    pub fn outcomes(&self) -> Vec<CaseOutcome> {
        lock(&self.outcomes).clone()
    }
}

thread_local! {
    /// A trial thread's own runtime (taken out while it drives a case).
    static THREAD_RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
    /// A trial thread's own HTTP client, whose connections live on that runtime.
    static THREAD_CLIENT: RefCell<Option<HttpClient>> = const { RefCell::new(None) };
}

/// A poisoned lock only means another trial panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
