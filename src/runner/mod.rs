//! A run, start to end, as a library: a [`RunSpec`] (target, credentials, cases and which of
//! them run, baseline, ledger, recording) goes in; the target is started (the embedded
//! emulator) or checked (one read-only GET the service names before the first case; CTS:
//! ListTrackers), the cases are scheduled
//! ([`crate::run::schedule`]), each case's verdict is judged once (the session applies the
//! baseline) and every outcome leaves as an event to the reporters; the results and the
//! run's summary come out. `run` and `replay` are this one pipeline with another target:
//! a replay's session answers from a recording instead of the network.
//!
//! The command line turns flags into a [`RunSpec`] and a [`Finished`] run into an exit
//! code; everything between is here. Three phases, so that the caller can print while the
//! cases run (libtest on the main thread): [`prepare`], [`Prepared::execute`] (on a thread
//! of its own), [`Prepared::finish`].

pub mod explain;
pub mod plan;
pub mod sweep;
pub mod target;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::OffsetDateTime;

use crate::auth::Redactor;
use crate::case::LoadedCase;
use crate::contract::Contract;
use crate::cts::Service;
use crate::emulator::{Fault, RunningEmulator};
use crate::http::client::HttpClient;
use crate::outcome::{Baseline, Verdict};
use crate::record::{Recorder, Recording, RunMeta};
use crate::report::failure::Reproduce;
use crate::report::results::{self, CaseResult, Leftovers, RunSummary};
use crate::run::event::{Collector, Reporter, Traffic, TrafficCounts};
use crate::run::ledger::Ledger;
use crate::run::reorder::ReorderBuffer;
use crate::run::{self, RunConfig, Session};

pub use target::{credentials_hint, generated_credentials};

/// What a run is pointed at.
#[derive(Clone)]
pub enum Target {
    /// The built-in emulator, started fresh on a free loopback port for this run, with
    /// these fault modes switched on (and the two documents' rules alone, when
    /// `documents_only`). It accepts exactly the run's credentials and knows the run's
    /// made-up buckets as the ones that exist.
    Embedded {
        faults: Vec<Fault>,
        documents_only: bool,
    },
    /// An endpoint at the config's base URL.
    Url,
    /// A recording answers every request; nothing is sent.
    Replay(Arc<Recording>),
}

impl Target {
    /// `embedded`, `url` or `replay`, as reports and recordings name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Embedded { .. } => "embedded",
            Target::Url => "url",
            Target::Replay(_) => "replay",
        }
    }
}

/// Whether a planned case runs in this invocation, and if not, its verdict.
#[derive(Debug, Clone)]
pub enum Selection {
    Run,
    /// Not run: filtered out, or ignored by its case file (without `--ignored`).
    Skip(Verdict),
}

/// Where the run's ledger of created trackers is kept.
#[derive(Debug, Clone)]
pub enum LedgerSpec {
    InMemory,
    File(PathBuf),
    /// Kept in memory; the file of earlier runs is only read, for the pool buckets their
    /// trackers still hold (`--list --explain`, which creates nothing and writes nothing).
    ReadOnly(PathBuf),
}

impl LedgerSpec {
    /// The file the run writes its ledger to, if it writes one (what `sweep` reads).
    pub fn written_file(&self) -> Option<&Path> {
        match self {
            LedgerSpec::File(path) => Some(path),
            LedgerSpec::InMemory | LedgerSpec::ReadOnly(_) => None,
        }
    }
}

/// Everything a run needs.
pub struct RunSpec {
    /// The contract every answer is checked against.
    pub contract: Arc<Contract>,
    /// The API's rules beyond its contract: names, removal, the check before the run,
    /// the bucket pool (CTS: [`crate::cts::Cts`]).
    pub service: Arc<dyn Service>,
    pub target: Target,
    /// For the embedded target its base URL is filled in when the emulator starts.
    pub config: RunConfig,
    /// The planned cases (after the partition), in plan order.
    pub cases: Vec<LoadedCase>,
    /// One per case: whether it runs.
    pub selection: Vec<Selection>,
    /// Cases run at once (at least 1).
    pub concurrency: usize,
    pub baseline: Baseline,
    pub ledger: LedgerSpec,
    /// `--record DIR`: every exchange kept (secrets redacted).
    pub record: Option<PathBuf>,
    /// `--record-overwrite`: an earlier recording in the directory is removed first.
    pub record_overwrite: bool,
    /// Keep every outcome whole, for reports written at the end (else only each case's
    /// status and verdict).
    pub keep_results: bool,
    /// Every case id of the plan before the partition (a shard's report carries them).
    pub plan_ids: Vec<String>,
    /// Told of every event besides the collector and the recorder (the terminal's
    /// buffer, tests' observers).
    pub reporters: Vec<Arc<dyn Reporter>>,
    /// The terminal's buffer, whose backlog holds back new cases.
    pub pace: Option<Arc<ReorderBuffer>>,
    /// How the cases were selected (libtest's filters, --no-derived), for the recording.
    pub filters: Option<crate::record::Filters>,
    /// For the summary and the recording.
    pub profile: String,
    pub partition: Option<String>,
    pub baseline_file: Option<String>,
    pub fingerprint: String,
    /// How a failure's `reproduce:` line repeats its case (the run's command, or the
    /// replay's).
    pub reproduce: Reproduce,
}

impl RunSpec {
    /// A run of `cases` (all selected, each its own plan id) against `target`, with the
    /// defaults of a plain library run: one case at a time, no baseline, an in-memory
    /// ledger, no recording, no reporter, results kept, the documented profile's name;
    /// callers set what differs with struct update (`RunSpec { .., ..RunSpec::new(..) }`).
    pub fn new(
        contract: Arc<Contract>,
        service: Arc<dyn Service>,
        target: Target,
        config: RunConfig,
        cases: Vec<LoadedCase>,
    ) -> Self {
        RunSpec {
            contract,
            service,
            target,
            config,
            selection: vec![Selection::Run; cases.len()],
            plan_ids: cases.iter().map(|case| case.id.clone()).collect(),
            cases,
            concurrency: 1,
            baseline: Baseline::default(),
            ledger: LedgerSpec::InMemory,
            record: None,
            record_overwrite: false,
            keep_results: true,
            reporters: Vec::new(),
            pace: None,
            filters: None,
            profile: "documented".into(),
            partition: None,
            baseline_file: None,
            fingerprint: String::new(),
            reproduce: Reproduce::default(),
        }
    }
}

/// Why a run could not start. Nothing was sent to the target but the check before the run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A configuration problem (exit 2).
    #[error("{0}")]
    Config(String),
    /// The target did not answer the check before the run, or refused the credentials
    /// (exit 3). Already redacted.
    #[error("{0}")]
    Unreachable(String),
}

/// A run ready to execute: its target started and checked, its session made.
pub struct Prepared {
    session: Arc<Session>,
    cases: Vec<LoadedCase>,
    selection: Vec<Selection>,
    concurrency: usize,
    pace: Option<Arc<ReorderBuffer>>,
    embedded: Option<RunningEmulator>,
    recorder: Option<Arc<Recorder>>,
    collector: Arc<Collector>,
    traffic: Arc<Traffic>,
    runtime: tokio::runtime::Handle,
    target_kind: &'static str,
    /// The embedded emulator's fault modes, for the summary.
    faults: Vec<String>,
    profile: String,
    partition: Option<String>,
    baseline_file: Option<String>,
    fingerprint: String,
    reproduce: Reproduce,
    plan_ids: Vec<String>,
    redactor: Arc<Redactor>,
    /// What the caller should say before the first case (already redacted).
    pub warnings: Vec<String>,
    started: OffsetDateTime,
}

/// A run that ended.
pub struct Finished {
    /// One per planned case, in plan order.
    pub results: Vec<CaseResult>,
    pub summary: RunSummary,
    /// The recording could not be finished (the message says why).
    pub recording_error: Option<String>,
    /// The run stopped because the target refuses its configuration (one line).
    pub configuration_error: Option<String>,
    /// The requests the run sent (a replay: answered from the recording), by operation.
    pub traffic: TrafficCounts,
    /// What the plan's cases exercise of the contract (for the reports and completeness).
    pub coverage: Vec<crate::coverage::Row>,
    /// What ran and what was ignored, and whether that is the whole plan.
    pub completeness: crate::report::completeness::Completeness,
    /// The bucket pool the run used (for a bundle's manifest).
    pub pool: crate::bundle::Pool,
    /// The run's redactor (every secret it knows).
    pub redactor: Arc<Redactor>,
}

/// Starts the target, checks it (unless no case runs), and makes the run's session.
pub fn prepare(mut spec: RunSpec, runtime: &tokio::runtime::Handle) -> Result<Prepared, RunError> {
    let mut warnings = Vec::new();
    let replaying = matches!(spec.target, Target::Replay(_));
    if replaying {
        // A replay creates nothing: no leak budget holds its cases back.
        spec.config.max_live = usize::MAX;
    }
    let redactor = Arc::new(Redactor::new(spec.config.credentials.secrets()));
    let sends = spec.selection.iter().any(|s| matches!(s, Selection::Run));
    let mut embedded = None;
    if let Target::Embedded {
        faults,
        documents_only,
    } = &spec.target
    {
        if sends {
            let running = runtime
                .block_on(target::start_embedded(
                    &spec.config,
                    faults,
                    *documents_only,
                ))
                .map_err(RunError::Config)?;
            spec.config.base_url = running.base_url();
            embedded = Some(running);
        }
    }
    let client = match &spec.target {
        Target::Replay(_) => HttpClient::for_target(&spec.config.base_url),
        _ => HttpClient::for_target_with(&spec.config.base_url, &spec.config.tls),
    }
    .map_err(|e| RunError::Config(e.to_string()))?;
    let ledger = match &spec.ledger {
        LedgerSpec::InMemory | LedgerSpec::ReadOnly(_) => {
            Ledger::in_memory(&spec.config.run_id, Arc::clone(&spec.service))
        }
        LedgerSpec::File(path) => {
            Ledger::with_file(&spec.config.run_id, path, Arc::clone(&spec.service))
                .map_err(|e| RunError::Config(format!("{e}; pass a writable --ledger FILE")))?
        }
    };
    // Before the first request the ledger takes its first line (or the run ends, exit 2,
    // nothing sent).
    if sends {
        ledger
            .begin(&spec.config.base_url, &spec.config.project_id)
            .map_err(|e| {
                RunError::Config(format!(
                    "{e}; nothing was sent (pass a writable --ledger FILE)"
                ))
            })?;
    }
    // A run that runs no case (a filter or a shard that selects none, as `--no-tests`
    // allows) sends nothing, not even the check: it cannot fail for a target it never
    // needed, nor ask anything of a real account. A replay sends nothing at all.
    if sends && !matches!(spec.target, Target::Replay(_)) {
        let check = runtime
            .block_on(run::preflight(&client, &spec.config, &*spec.service))
            .map_err(|e| {
                ledger.discard_unused();
                RunError::Unreachable(
                    redactor
                        .redact(&format!(
                            "target {} is unreachable: {e}",
                            spec.config.base_url
                        ))
                        .into_owned(),
                )
            })?;
        if check.rejected() {
            ledger.discard_unused();
            return Err(RunError::Unreachable(
                redactor
                    .redact(&format!(
                        "credentials rejected by {}: {}{}",
                        spec.config.base_url,
                        crate::report::escape::terminal(&check.answer()),
                        credentials_hint(&spec.config.credentials)
                    ))
                    .into_owned(),
            ));
        }
        if !(200..300).contains(&check.status) {
            warnings.push(
                redactor
                    .redact(&format!(
                        "warning: the check before the run (GET {}) was answered {}; \
                         the pool's buckets could not be checked against what the account holds",
                        spec.service
                            .check_path(&run::request::encode_component(&spec.config.project_id)),
                        crate::report::escape::terminal(&check.answer())
                    ))
                    .into_owned(),
            );
        }
        let earlier_runs = match &spec.ledger {
            LedgerSpec::ReadOnly(path) => Some(path.as_path()),
            _ => ledger.path(),
        };
        warnings.extend(run::preflight::leave_out_tracked_buckets(
            &mut spec.config,
            &check,
            earlier_runs,
            &*spec.service,
        ));
    }
    let recorder = match &spec.record {
        None => None,
        Some(dir) => {
            let mut meta = RunMeta::for_run(
                &spec.config,
                spec.target.kind(),
                &spec.profile,
                spec.partition.clone(),
                &spec.fingerprint,
            );
            meta.selected = spec
                .cases
                .iter()
                .zip(&spec.selection)
                .filter(|(_, s)| matches!(s, Selection::Run))
                .map(|(case, _)| case.id.clone())
                .collect();
            meta.threads = Some(spec.concurrency);
            meta.filters = spec.filters.clone();
            if spec.record_overwrite {
                crate::record::write::clear(dir).map_err(|e| {
                    ledger.discard_unused();
                    RunError::Config(e.to_string())
                })?;
            }
            Some(
                Recorder::create(dir, meta, (*redactor).clone()).map_err(|e| {
                    ledger.discard_unused();
                    RunError::Config(e.to_string())
                })?,
            )
        }
    };
    let mut session = Session::new(
        spec.contract,
        spec.service,
        spec.config,
        client,
        runtime.clone(),
        ledger,
    )
    .with_baseline(Arc::new(spec.baseline));
    if let Target::Replay(recording) = &spec.target {
        session = session.with_replay(Arc::clone(recording) as _);
    }
    if embedded.is_some() {
        // A fresh emulator of the run's own: nothing but the run writes to it.
        session = session.as_only_writer();
    }
    if let Some(recorder) = &recorder {
        session = session.with_reporter(Arc::clone(recorder) as Arc<dyn Reporter>);
    }
    // Whole outcomes only for the reports that show them; else each case's verdict, for
    // the completeness line.
    let collector = Arc::new(match spec.keep_results {
        true => Collector::default(),
        false => Collector::without_steps(),
    });
    session = session.with_reporter(Arc::clone(&collector) as Arc<dyn Reporter>);
    let traffic = Arc::new(Traffic::default());
    session = session.with_reporter(Arc::clone(&traffic) as Arc<dyn Reporter>);
    for reporter in spec.reporters {
        session = session.with_reporter(reporter);
    }
    Ok(Prepared {
        session: Arc::new(session),
        cases: spec.cases,
        selection: spec.selection,
        concurrency: spec.concurrency.max(1),
        pace: spec.pace,
        embedded,
        recorder,
        collector,
        traffic,
        runtime: runtime.clone(),
        target_kind: spec.target.kind(),
        faults: match &spec.target {
            Target::Embedded { faults, .. } => faults.iter().map(|f| f.to_string()).collect(),
            _ => Vec::new(),
        },
        profile: spec.profile,
        partition: spec.partition,
        baseline_file: spec.baseline_file,
        fingerprint: spec.fingerprint,
        reproduce: spec.reproduce,
        plan_ids: spec.plan_ids,
        redactor,
        warnings,
        started: OffsetDateTime::now_utc(),
    })
}

impl Prepared {
    /// The run's session (to interrupt it, or read its ledger).
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The planned cases, in plan order.
    pub fn cases(&self) -> &[LoadedCase] {
        &self.cases
    }

    /// Redacts the run's secrets.
    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }

    /// The critical-path bound of the selected cases on this run's target, pool and
    /// concurrency ([`run::bound`]): a case the session would ignore (a variable it
    /// cannot give, a change it may not make) sends nothing; one in `unmet` (after the
    /// run: it ended at its precondition) sends its requests up to it.
    pub fn critical_path(&self, unmet: &run::bound::UnmetPreconditions) -> run::bound::Bound {
        let session = &self.session;
        let planned: Vec<run::bound::PlannedCase> = self
            .selection
            .iter()
            .zip(&self.cases)
            .enumerate()
            .filter(|(_, (selection, _))| matches!(selection, Selection::Run))
            .map(|(index, (_, case))| {
                let mut planned =
                    run::bound::PlannedCase::of(case, !unmet.contains(index), &*session.service);
                let ignored = session.unavailable_for(case).is_some()
                    || (!session.mutations_allowed() && run::case::mutates(session, case));
                if ignored {
                    planned.requests = 0;
                }
                planned.places = session.places_for(case) as u64;
                planned
            })
            .collect();
        let pool = session.pool();
        let with = |operations| {
            pool.data_buckets()
                .iter()
                .filter(|b| pool.free_operations(b).contains(operations))
                .count()
        };
        let capacity = run::bound::Capacity {
            threads: self.concurrency,
            read: with(run::pool::Operations::READ),
            write: with(run::pool::Operations::WRITE),
            both: with(run::pool::Operations::BOTH),
            live: session.live().max(),
            before: 1,
        };
        run::bound::critical_path(&planned, capacity)
    }

    /// Runs the selected cases, `concurrency` at once, until every one has ended (or the
    /// run was interrupted and the started ones cleaned up). Blocks; every outcome leaves
    /// as an event.
    pub fn execute(&self) {
        let order: Vec<usize> = self
            .selection
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Selection::Run))
            .map(|(index, _)| index)
            .collect();
        run::schedule::run_cases(
            &self.session,
            &self.cases,
            &order,
            self.concurrency,
            self.pace.as_deref(),
        );
    }

    /// Stops the embedded target, finishes the recording, and gives the results (one per
    /// planned case) and the summary.
    pub fn finish(mut self) -> Finished {
        if let Some(running) = self.embedded.take() {
            self.runtime.block_on(running.shutdown());
        }
        let finished = self.collector.take();
        let results = results::collect(&self.cases, &self.selection_verdicts(), finished);
        let recording_error = self
            .recorder
            .and_then(|recorder| recorder.finish(crate::record::now()).err())
            .map(|e| e.to_string());
        let config = &self.session.config;
        let coverage =
            crate::coverage::compute(&self.session.contract, &*self.session.service, &self.cases);
        let pool = crate::bundle::Pool {
            data_buckets: config.data_buckets.clone(),
            obs_buckets: config.obs_buckets.clone(),
        };
        // A replay created nothing: what its ledger lists as not removed was never there.
        let leftovers = match self.target_kind {
            "replay" => Leftovers::default(),
            _ => Leftovers {
                trackers: self
                    .session
                    .leftovers()
                    .iter()
                    .map(|r| self.session.service.describe(&r.names))
                    .collect(),
                sweep: self.session.ledger().path().map(run::sweep::command),
            },
        };
        let summary = RunSummary {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            target: config.base_url.clone(),
            target_kind: self.target_kind.into(),
            project_id: config.project_id.clone(),
            run_id: config.run_id.clone(),
            profile: self.profile,
            partition: self.partition,
            baseline: self.baseline_file,
            fingerprint: self.fingerprint,
            started: self.started,
            finished: OffsetDateTime::now_utc(),
            interrupted: self.session.interrupted(),
            leftovers,
            plan: self.plan_ids,
            merged_from: Vec::new(),
            faults: self.faults,
            reproduce: self.reproduce,
        };
        let completeness = crate::report::completeness::assess(
            &results,
            &coverage,
            &summary.profile,
            summary.interrupted,
        );
        Finished {
            results,
            summary,
            recording_error,
            configuration_error: self.session.configuration_error().map(str::to_string),
            traffic: self.traffic.counts(),
            coverage,
            completeness,
            pool,
            redactor: self.redactor,
        }
    }

    /// For each planned case, the verdict it has without running (`None`: it runs).
    fn selection_verdicts(&self) -> Vec<Option<Verdict>> {
        self.selection
            .iter()
            .map(|s| match s {
                Selection::Run => None,
                Selection::Skip(verdict) => Some(verdict.clone()),
            })
            .collect()
    }
}

/// A run configuration for the embedded target, URL to come (see [`prepare`]).
pub fn embedded_config(project_id: &str) -> RunConfig {
    RunConfig::new("http://127.0.0.1:0", project_id)
}
