//! The main job: the suite against a target (the embedded emulator by default), with
//! libtest output, reports, the ledger and Ctrl-C handling.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cts_conform::auth::Redactor;
use cts_conform::contract::Contract;
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, Token};
use cts_conform::report::{self, RunSummary};
use cts_conform::run::event::{Collector, Reporter};
use cts_conform::run::ledger::Ledger;
use cts_conform::run::{self, Credentials, RunConfig, Session};
use libtest_mimic::{ColorSetting, Trial};

use super::args::{RunArgs, DEFAULT_LEDGER};
use super::checks::{check_run_args, check_selection};
use super::exit::{exit_now, runtime, usage, Exit};
use super::plan::load_plan;
use super::reports::{load_baseline, Reports};

/// The project the embedded target runs against unless told otherwise.
const EMBEDDED_PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";
/// The embedded emulator's policy: the run's own credentials, granting its project.
fn embedded_policy(
    credentials: &Credentials,
    project_id: &str,
) -> Result<Option<AuthPolicy>, String> {
    let (accounts, tokens) = match credentials {
        Credentials::None => return Ok(None),
        Credentials::AkSk(credentials) => (
            vec![Account {
                credentials: credentials.clone(),
                project_id: project_id.to_owned(),
            }],
            Vec::new(),
        ),
        Credentials::Token(token) => (
            Vec::new(),
            vec![Token {
                token: token.clone(),
                project_id: project_id.to_owned(),
            }],
        ),
    };
    AuthPolicy::new(accounts, tokens)
        .map(Some)
        .map_err(|e| format!("invalid credentials: {e}"))
}

/// A fresh AK (20 upper-case letters and digits, like a real one) and SK (40
/// characters) for the embedded run, so that it runs signed by default.
fn generated_credentials() -> Credentials {
    let random = || uuid::Uuid::new_v4().simple().to_string();
    let ak = format!("CC{}", random()[..18].to_ascii_uppercase());
    let sk = format!("{}{}", random(), random())[..40].to_owned();
    Credentials::AkSk(cts_conform::auth::Credentials::new(ak, sk))
}

/// The ledger of this run: in memory for the embedded target, else a file.
fn ledger_for(args: &RunArgs, embedded: bool, run_id: &str) -> Result<Ledger, Exit> {
    let path = match (&args.ledger, embedded) {
        (Some(path), _) => path.clone(),
        (None, true) => return Ok(Ledger::in_memory(run_id)),
        (None, false) => PathBuf::from(DEFAULT_LEDGER),
    };
    Ledger::with_file(run_id, &path)
        .map_err(|e| usage(format!("{e}; pass a writable --ledger FILE")))
}

/// The embedded run's own bucket pool, which its emulator is told exist.
struct EmbeddedBuckets {
    data: Vec<String>,
    obs: Vec<String>,
}

impl EmbeddedBuckets {
    /// The buckets a run makes up ([`cts_conform::cts::made_up_buckets`]).
    fn for_run(run_id: &str) -> Self {
        let (data, obs) = cts_conform::cts::made_up_buckets(run_id);
        EmbeddedBuckets { data, obs }
    }
}

/// A pool flag's names; without any, the single-bucket environment variable of earlier
/// versions (`CTS_DATA_BUCKET`, `CTS_OBS_BUCKET`) if set.
fn pool_names(given: &[String], single_env: &str) -> Vec<String> {
    let names: Vec<String> = given
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if !names.is_empty() {
        return names;
    }
    std::env::var(single_env)
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .into_iter()
        .collect()
}

/// Leaves out of the pool the data buckets that trackers already on the account track
/// (the run did not create them, so their bucket operations are taken), with a warning.
fn leave_out_tracked_buckets(config: &mut RunConfig, tracked: &std::collections::BTreeSet<String>) {
    let (taken, free): (Vec<String>, Vec<String>) = std::mem::take(&mut config.data_buckets)
        .into_iter()
        .partition(|b| tracked.contains(b));
    config.data_buckets = free;
    if !taken.is_empty() {
        eprintln!(
            "warning: left out of the bucket pool, already tracked by a tracker this run did not \
             create: {}{}",
            taken.join(", "),
            if config.data_buckets.is_empty() {
                " (no data bucket is left: cases that track one are ignored)"
            } else {
                ""
            }
        );
    }
}

/// What to try when the credentials were refused.
fn credentials_hint(credentials: &Credentials) -> &'static str {
    match credentials {
        Credentials::None => {
            " (no credentials were given: pass --ak/--sk, or --token, or set HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK)"
        }
        _ => " (check the AK/SK or token, and that they belong to the project)",
    }
}

/// First Ctrl-C: stop gracefully (finish in-flight requests, clean up). Second: quit now.
async fn watch_interrupts(session: Arc<Session>, ledger: Option<String>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    eprintln!(
        "\ninterrupt: finishing requests in flight and cleaning up (Ctrl-C again to quit at once)"
    );
    session.interrupt();
    if tokio::signal::ctrl_c().await.is_ok() {
        match ledger {
            Some(path) => {
                eprintln!("quitting now; remove leftovers with: cts-conform sweep --ledger {path}")
            }
            None => eprintln!("quitting now"),
        }
        exit_now(Exit::Interrupted);
    }
}

pub(crate) fn run_suite(args: RunArgs, mut libtest: libtest_mimic::Arguments) -> Exit {
    let contract = Contract::embedded();
    if let Some(problem) = check_run_args(&args, &libtest, contract) {
        return usage(problem);
    }
    report::failure::set_rerun_command(super::reports::rerun_command(&args));
    let mut plan = match load_plan(&args.plan, contract) {
        Ok(plan) => plan,
        Err(exit) => return exit,
    };
    if !libtest.list {
        // The response schemas compile on another core while the run gets ready (the
        // target's check, the emulator), not on the way of the first answers; if no
        // thread can be had, each compiles when first needed. Not during the load: the
        // two would add up at a large plan's peak of memory.
        let _ = std::thread::Builder::new()
            .name("cts-conform-schemas".into())
            .spawn(|| contract.compile_response_schemas());
    }
    if args.target != "embedded" {
        if let Err(exit) = super::plan::check_created_names(&plan) {
            return exit;
        }
    }
    let baseline = match load_baseline(&args.outputs.baseline, &plan, contract) {
        Ok(baseline) => Arc::new(baseline),
        Err(exit) => return exit,
    };
    let planned = std::mem::take(&mut plan.cases);
    let cases = match args.outputs.partition {
        Some(partition) => partition.select(planned),
        None => planned,
    };
    if !libtest.list {
        if let Err(exit) = check_selection(&cases, &libtest, args.no_tests) {
            return exit;
        }
    }
    let (reports, runtime) = match Reports::plan_for(libtest.list, &args.outputs)
        .and_then(|reports| runtime().map(|runtime| (reports, runtime)))
    {
        Ok(planned) => planned,
        Err(exit) => return exit,
    };
    // The case files' texts are needed no more than for their fingerprint, and that only
    // for a recording or a report (it is left empty otherwise): a large suite's text is
    // not kept for the whole run.
    let sources = std::mem::take(&mut plan.sources);
    let recording = args.record.is_some() && !libtest.list;
    let fingerprint = if recording || reports.is_some() {
        report::results::fingerprint(cts_conform::contract::EMBEDDED_OPENAPI, &sources)
    } else {
        String::new()
    };
    drop(sources);
    // The target: the embedded emulator, started fresh, or a URL.
    let run_id = run::config::new_run_id();
    let embedded_buckets = (args.target == "embedded").then(|| EmbeddedBuckets::for_run(&run_id));
    let mut embedded = None;
    let mut credentials = args.credentials.credentials();
    let (base_url, project_id) = if args.target == "embedded" {
        let project_id = args
            .project_id
            .clone()
            .unwrap_or_else(|| EMBEDDED_PROJECT_ID.into());
        if matches!(credentials, Credentials::None) {
            credentials = generated_credentials();
        }
        if libtest.list {
            ("http://127.0.0.1:0".to_string(), project_id)
        } else {
            let config = match embedded_policy(&credentials, &project_id) {
                Ok(auth) => EmulatorConfig {
                    auth,
                    faults: args.emulator_fault.iter().copied().collect(),
                    // The run's own pool is the whole of what exists: the suite then
                    // meets the bucket rules of a real account (api-facts, CTS.0211).
                    buckets: embedded_buckets
                        .as_ref()
                        .map(|b| b.data.iter().chain(&b.obs).cloned().collect()),
                    ..EmulatorConfig::default()
                },
                Err(message) => return usage(message),
            };
            let listen = SocketAddr::from(([127, 0, 0, 1], 0));
            match runtime.block_on(emulator::start(config, listen)) {
                Ok(running) => {
                    let url = running.base_url();
                    embedded = Some(running);
                    (url, project_id)
                }
                Err(e) => return usage(format!("cannot start the embedded emulator: {e}")),
            }
        }
    } else {
        if !args.emulator_fault.is_empty() {
            return usage(format!(
                "--emulator-fault needs the embedded target; {} is not the built-in emulator \
                 (run `cts-conform serve --fault NAME` to break a standalone one)",
                args.target
            ));
        }
        let Some(project_id) = args.project_id.clone() else {
            return usage("a URL target needs --project-id (or HUAWEICLOUD_SDK_PROJECT_ID)".into());
        };
        (args.target.clone(), project_id)
    };
    let mut config = RunConfig::new(base_url, project_id);
    config.run_id = run_id;
    config.credentials = credentials;
    config.timeout = Duration::from_secs_f64(args.timeout);
    config.max_response_bytes = args.max_response_bytes;
    config.profile = plan.profile;
    config.tls = match super::tls::tls_trust(&args.tls, &args.target) {
        Ok(tls) => tls,
        Err(message) => return usage(message),
    };
    let client = match run::http::HttpClient::for_target_with(&config.base_url, &config.tls) {
        Ok(client) => client,
        Err(e) => return usage(e.to_string()),
    };
    let redactor = Arc::new(Redactor::new(config.credentials.secrets()));
    config.rate = args.rate;
    config.max_retries = args.max_retries;
    config.data_buckets = pool_names(&args.data_bucket, "CTS_DATA_BUCKET");
    config.obs_buckets = pool_names(&args.obs_bucket, "CTS_OBS_BUCKET");
    if let Some(names) = &embedded_buckets {
        config.data_buckets = names.data.clone();
        config.obs_buckets = names.obs.clone();
    }
    // A run that runs no case (a filter or a shard that selects none, as `--no-tests`
    // allows) sends nothing, not even the check: it cannot fail for a target it never
    // needed, nor ask anything of a real account.
    let sends = !libtest.list && cases.iter().any(|case| super::trials::runs(&libtest, case));
    if sends {
        match runtime.block_on(run::preflight(&client, &config)) {
            Err(e) => {
                eprintln!(
                    "error: {}",
                    redactor.redact(&format!("target {} is unreachable: {e}", config.base_url))
                );
                return Exit::Unreachable;
            }
            Ok(check) if check.rejected() => {
                eprintln!(
                    "error: {}",
                    redactor.redact(&format!(
                        "credentials rejected by {}: {}{}",
                        config.base_url,
                        check.answer(),
                        credentials_hint(&config.credentials)
                    ))
                );
                return Exit::Unreachable;
            }
            Ok(check) => {
                if !(200..300).contains(&check.status) {
                    eprintln!(
                        "warning: {}",
                        redactor.redact(&format!(
                            "the check before the run (ListTrackers of the project) was answered {}; \
                             the pool's buckets could not be checked against existing trackers",
                            check.answer()
                        ))
                    );
                }
                leave_out_tracked_buckets(&mut config, &check.tracked_buckets());
            }
        }
    }
    let color = match libtest.color {
        Some(ColorSetting::Always) => true,
        Some(ColorSetting::Never) => false,
        _ => std::io::stdout().is_terminal(),
    };
    // Cases wait on the network, not the CPU: run more at once than there are cores.
    libtest.test_threads = libtest
        .test_threads
        .or(Some(super::trials::DEFAULT_CONCURRENCY));
    config.allow_mutations = args.allow_mutations;
    let ledger = match ledger_for(&args, embedded.is_some(), &config.run_id) {
        Ok(ledger) => ledger,
        Err(exit) => return exit,
    };
    let ledger_path = ledger.path().map(|p| p.display().to_string());
    // --record DIR: run.json now, each case's file as it finishes.
    let recorder = match args.record.as_deref().filter(|_| !libtest.list) {
        None => None,
        Some(dir) => {
            let start = super::replay::RecordingStart {
                config: &config,
                target_kind: if embedded.is_some() {
                    "embedded"
                } else {
                    "url"
                },
                profile: format!("{:?}", plan.profile).to_lowercase(),
                partition: args.outputs.partition.map(|p| p.to_string()),
                fingerprint: fingerprint.clone(),
                overwrite: args.record_overwrite,
            };
            match super::replay::start_recording(dir, start, &redactor) {
                Ok(recorder) => Some(recorder),
                Err(exit) => return exit,
            }
        }
    };
    let mut session = Session::new(contract, config, client, runtime.handle().clone(), ledger);
    if let Some(recorder) = &recorder {
        session = session.with_reporter(Arc::clone(recorder) as Arc<dyn Reporter>);
    }
    // Outcomes are kept only for the reports asked for.
    let collector = reports.as_ref().map(|_| Arc::new(Collector::default()));
    if let Some(collector) = &collector {
        session = session.with_reporter(Arc::clone(collector) as Arc<dyn Reporter>);
    }
    let session = Arc::new(session);
    runtime.spawn(watch_interrupts(Arc::clone(&session), ledger_path));
    let started = time::OffsetDateTime::now_utc();
    let cases = Arc::new(cases);
    let conclusion = super::trials::run(&libtest, &session, &cases, &redactor, &baseline, color);
    if libtest.list {
        return Exit::Passed;
    }
    if let Some(running) = embedded {
        runtime.block_on(running.shutdown());
    }
    let filtered = |id: &str| libtest.is_filtered_out(&Trial::test(id, || Ok(())));
    let results = match &collector {
        Some(collector) => {
            report::results::collect(&cases, collector.outcomes(), &baseline, filtered)
        }
        None => Vec::new(),
    };
    let mut written = true;
    if let Some(recorder) = recorder {
        if let Err(e) = recorder.finish(super::replay::now()) {
            eprintln!("error: {e}");
            written = false;
        }
    }
    if let Some(reports) = reports {
        let summary = RunSummary {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            target: session.config.base_url.clone(),
            target_kind: if args.target == "embedded" {
                "embedded"
            } else {
                "url"
            }
            .into(),
            project_id: session.config.project_id.clone(),
            run_id: session.config.run_id.clone(),
            profile: format!("{:?}", plan.profile).to_lowercase(),
            partition: args.outputs.partition.map(|p| p.to_string()),
            baseline: args
                .outputs
                .baseline
                .as_ref()
                .map(|p| p.display().to_string()),
            fingerprint,
            started,
            finished: time::OffsetDateTime::now_utc(),
            interrupted: session.interrupted(),
        };
        let coverage = cts_conform::coverage::compute(contract, &cases);
        written = reports.write(&summary, &results, &coverage, &redactor);
    }
    if session.interrupted() {
        eprintln!("interrupted: cases that had started stopped after their current step and cleaned up; the rest did not run");
        return Exit::Interrupted;
    }
    // The process ends next: freeing every loaded case one by one would only cost time.
    std::mem::forget(cases);
    verdict(conclusion.has_failed(), &results, written)
}

/// The exit code of a run that ran: a report that could not be written first (CI would
/// otherwise judge without it), then a failure seen by libtest or by the reports (they
/// never disagree: a case the reports count as failed fails the run).
pub(crate) fn verdict(libtest_failed: bool, results: &[report::CaseResult], written: bool) -> Exit {
    if !written {
        eprintln!("error: the run finished but a report could not be written (exit 5)");
        return Exit::ReportNotWritten;
    }
    if libtest_failed || results.iter().any(|r| r.verdict.fails_run()) {
        Exit::Failed
    } else {
        Exit::Passed
    }
}
