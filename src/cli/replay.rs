//! `cts-conform replay DIR`: the recorded answers judged again with today's contract and
//! cases, with no network (the embedded emulator is not started); and the start of a
//! recording for `--record DIR` on a run.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cts_conform::auth::{Redactor, SecretString};
use cts_conform::contract::Contract;
use cts_conform::partition::Partition;
use cts_conform::record::{self, Recorder, Recording, RunMeta, RunSettings};
use cts_conform::report::{self, RunSummary};
use cts_conform::run::event::{Collector, Reporter};
use cts_conform::run::ledger::Ledger;
use cts_conform::run::{self, Credentials, RunConfig, Session};
use libtest_mimic::{ColorSetting, Trial};
use time::format_description::well_known::Rfc3339;

use super::args::{PlanArgs, ProfileArg, ReplayArgs};
use super::exit::{runtime, usage, Exit};
use super::plan::load_plan;
use super::reports::{load_baseline, Reports};

/// Now, as RFC 3339.
pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// What `run.json` says of a run about to start.
pub(crate) struct RecordingStart<'a> {
    pub(crate) config: &'a RunConfig,
    pub(crate) target_kind: &'a str,
    pub(crate) profile: String,
    pub(crate) partition: Option<String>,
    pub(crate) fingerprint: String,
    /// `--record-overwrite`: an earlier recording in the directory is removed first.
    pub(crate) overwrite: bool,
}

/// Starts the recording of a run into `dir` (writes `run.json`); a usage error if the
/// directory cannot be written.
pub(crate) fn start_recording(
    dir: &Path,
    start: RecordingStart,
    redactor: &Redactor,
) -> Result<Arc<Recorder>, Exit> {
    let config = start.config;
    let meta = RunMeta {
        format: record::FORMAT,
        tool: record::Tool {
            name: "cts-conform".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target: record::Target {
            url: config.base_url.clone(),
            kind: start.target_kind.into(),
            project_id: config.project_id.clone(),
        },
        run_id: config.run_id.clone(),
        profile: start.profile,
        partition: start.partition,
        fingerprint_sha256: start.fingerprint,
        started: now(),
        finished: None,
        config: RunSettings {
            other_project_id: config.other_project_id.clone(),
            data_buckets: config.data_buckets.clone(),
            obs_buckets: config.obs_buckets.clone(),
            allow_mutations: config.allow_mutations,
            max_retries: config.max_retries,
            timeout_ms: config.timeout.as_millis() as u64,
            max_response_bytes: config.max_response_bytes,
            credentials: match config.credentials {
                Credentials::None => "none",
                Credentials::Token(_) => "token",
                Credentials::AkSk(_) => "aksk",
            }
            .into(),
        },
    };
    if start.overwrite {
        record::write::clear(dir).map_err(|e| usage(e.to_string()))?;
    }
    Recorder::create(dir, meta, redactor.clone()).map_err(|e| usage(e.to_string()))
}

/// Credentials of the recorded kind (their values never matter: a replay sends nothing,
/// and signatures are not compared).
fn stand_in_credentials(kind: &str) -> Credentials {
    match kind {
        "aksk" => Credentials::AkSk(cts_conform::auth::Credentials::new(
            "REPLAYREPLAYREPLAY00",
            "replay-secret-key-that-signs-nothing-000",
        )),
        "token" => Credentials::Token(SecretString::new("replay-token-sent-nowhere")),
        _ => Credentials::None,
    }
}

/// The run configuration the recorded run had (so requests render the same).
fn replay_config(meta: &RunMeta, profile: cts_conform::case::model::Profile) -> RunConfig {
    let settings = &meta.config;
    let mut config = RunConfig::new(meta.target.url.clone(), meta.target.project_id.clone());
    config.run_id = meta.run_id.clone();
    config.other_project_id = settings.other_project_id.clone();
    config.credentials = stand_in_credentials(&settings.credentials);
    config.timeout = Duration::from_millis(settings.timeout_ms.max(1));
    config.max_response_bytes = settings.max_response_bytes;
    config.profile = profile;
    config.allow_mutations = settings.allow_mutations;
    config.data_buckets = settings.data_buckets.clone();
    config.obs_buckets = settings.obs_buckets.clone();
    config.max_retries = settings.max_retries;
    config
}

pub(crate) fn replay(args: ReplayArgs) -> Exit {
    let mut libtest = args.libtest;
    let recording = match Recording::load(&args.dir) {
        Ok(recording) => recording,
        Err(e) => return usage(e.to_string()),
    };
    let meta = recording.meta.clone();
    let contract = Contract::embedded();
    let profile = args.profile.unwrap_or(if meta.profile == "strict" {
        ProfileArg::Strict
    } else {
        ProfileArg::Documented
    });
    let plan_args = PlanArgs {
        cases: args.cases.clone(),
        profile,
        no_derived: args.no_derived,
    };
    let mut plan = match load_plan(&plan_args, contract) {
        Ok(plan) => plan,
        Err(exit) => return exit,
    };
    let baseline = match load_baseline(&args.outputs.baseline, &plan, contract) {
        Ok(baseline) => Arc::new(baseline),
        Err(exit) => return exit,
    };
    let partition = match (&args.outputs.partition, &meta.partition) {
        (Some(p), _) => Some(*p),
        (None, Some(text)) => match text.parse::<Partition>() {
            Ok(p) => Some(p),
            Err(e) => return usage(format!("the recording's partition {text:?}: {e}")),
        },
        (None, None) => None,
    };
    let planned = std::mem::take(&mut plan.cases);
    let cases = match partition {
        Some(partition) => partition.select(planned),
        None => planned,
    };
    let (reports, runtime) = match Reports::plan_for(libtest.list, &args.outputs)
        .and_then(|reports| runtime().map(|runtime| (reports, runtime)))
    {
        Ok(planned) => planned,
        Err(exit) => return exit,
    };
    let config = replay_config(&meta, plan.profile);
    let client = match run::http::HttpClient::for_target(&config.base_url) {
        Ok(client) => client,
        Err(e) => return usage(e.to_string()),
    };
    let redactor = Arc::new(Redactor::new(config.credentials.secrets()));
    let fingerprint =
        report::results::fingerprint(cts_conform::contract::EMBEDDED_OPENAPI, &plan.sources);
    if !libtest.list {
        println!(
            "replaying {}: recorded {} against {} (run {}); no request is sent",
            args.dir.display(),
            meta.started,
            meta.target.url,
            meta.run_id
        );
        if fingerprint != meta.fingerprint_sha256 {
            println!(
                "note: the contract or the cases changed since the recording: verdicts may change"
            );
        }
    }
    let color = match libtest.color {
        Some(ColorSetting::Always) => true,
        Some(ColorSetting::Never) => false,
        _ => std::io::stdout().is_terminal(),
    };
    libtest.test_threads = libtest
        .test_threads
        .or(Some(super::trials::DEFAULT_CONCURRENCY));
    let ledger = Ledger::in_memory(&config.run_id);
    // A replay keeps every outcome: its verdicts are the point (and reports may be asked).
    let collector = Arc::new(Collector::default());
    let session = Arc::new(
        Session::new(contract, config, client, runtime.handle().clone(), ledger)
            .with_replay(Arc::new(recording))
            .with_reporter(Arc::clone(&collector) as Arc<dyn Reporter>),
    );
    let started = time::OffsetDateTime::now_utc();
    let cases = Arc::new(cases);
    let conclusion = super::trials::run(&libtest, &session, &cases, &redactor, &baseline, color);
    let filtered = |id: &str| libtest.is_filtered_out(&Trial::test(id, || Ok(())));
    let results = report::results::collect(&cases, collector.outcomes(), &baseline, filtered);
    let mut written = true;
    if let Some(reports) = reports {
        let summary = RunSummary {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            target: meta.target.url.clone(),
            target_kind: "replay".into(),
            project_id: meta.target.project_id.clone(),
            run_id: meta.run_id.clone(),
            profile: format!("{:?}", plan.profile).to_lowercase(),
            partition: partition.map(|p| p.to_string()),
            baseline: args
                .outputs
                .baseline
                .as_ref()
                .map(|p| p.display().to_string()),
            fingerprint,
            started,
            finished: time::OffsetDateTime::now_utc(),
            interrupted: false,
        };
        let coverage = cts_conform::coverage::compute(contract, &cases);
        written = reports.write(&summary, &results, &coverage, &redactor);
    }
    super::run::verdict(conclusion.has_failed(), &results, written)
}
