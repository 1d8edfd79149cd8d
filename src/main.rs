//! The `cts-conform` command: parses the command line, builds a run (or the standalone
//! emulator), and turns the outcome into a named exit code. All logic is in the library.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cts_conform::auth::{Redactor, SecretString};
use cts_conform::case::model::Profile;
use cts_conform::case::{self, LoadedCase, Source};
use cts_conform::contract::Contract;
use cts_conform::derive;
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, Fault, Token};
use cts_conform::partition::Partition;
use cts_conform::report::{self, Baseline, CaseResult, RunSummary};
use cts_conform::run::ledger::Ledger;
use cts_conform::run::{self, Credentials, RunConfig, Session};
use libtest_mimic::{ColorSetting, Trial};

/// Exit codes (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Every case passed.
    Passed = 0,
    /// Usage, configuration or case-file error; nothing was run.
    Usage = 2,
    /// The target did not answer the reachability check.
    Unreachable = 3,
    /// At least one case failed (as `cargo test`).
    Failed = 101,
    /// Interrupted with Ctrl-C (SIGINT); started cases cleaned up.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "cts-conform",
    version,
    about = "Contract-conformance harness for the CTS v3 tracker API, with a reference emulator",
    args_conflicts_with_subcommands = true,
    help_template = "{about}\n\n{usage-heading} {usage}\n\n{all-args}"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    libtest: libtest_mimic::Arguments,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the reference emulator standalone.
    Serve(ServeArgs),
    /// Remove what an interrupted run created, as its ledger records (and nothing else).
    Sweep(SweepArgs),
    /// Show which cases exercise each request field, query parameter and status.
    Coverage(CoverageArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    /// `embedded` (the built-in emulator on a free loopback port) or a base URL.
    #[arg(long, env = "CTS_TARGET", default_value = "embedded")]
    target: String,
    /// Project ID to run against (default for the embedded target: a fixed test project).
    #[arg(long, env = "HUAWEICLOUD_SDK_PROJECT_ID")]
    project_id: Option<String>,
    #[command(flatten)]
    credentials: CredentialArgs,
    #[command(flatten)]
    plan: PlanArgs,
    /// Per-request timeout in seconds (headers and body).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
    /// Largest response body read, in bytes; a larger one fails its case.
    #[arg(long, value_name = "BYTES", default_value_t = run::config::DEFAULT_MAX_RESPONSE_BYTES)]
    max_response_bytes: usize,
    /// An existing OBS bucket that data trackers may track (`${data_bucket}`; needed on a
    /// real account, where a tracked bucket must exist). Default: `cc-<run id>-src`.
    #[arg(long, env = "CTS_DATA_BUCKET", value_name = "BUCKET")]
    data_bucket: Option<String>,
    /// An existing OBS bucket that traces may be transferred to (`${obs_bucket}`).
    /// Default: `cc-<run id>-obs`.
    #[arg(long, env = "CTS_OBS_BUCKET", value_name = "BUCKET")]
    obs_bucket: Option<String>,
    /// Let cases create, update and delete trackers on a target that is not on loopback.
    #[arg(long)]
    allow_mutations: bool,
    /// Embedded target only: switch on an emulator fault mode (repeatable), to see the
    /// suite catch it. `cts-conform serve --list-faults` lists them.
    #[arg(long, value_name = "NAME")]
    emulator_fault: Vec<Fault>,
    /// Ledger of created trackers (JSON Lines, appended) for `sweep` after a crash.
    /// Default for a URL target: cts-conform.ledger.jsonl; the embedded target keeps none.
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    #[command(flatten)]
    outputs: OutputArgs,
}

/// Report files, the known-failure baseline and sharding (see docs/ci.md).
#[derive(Args, Debug)]
struct OutputArgs {
    /// Write a JUnit XML report (for GitLab, Jenkins, GitHub test reporters).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a machine-readable JSON report.
    #[arg(long, value_name = "FILE")]
    report_json: Option<PathBuf>,
    /// Write a self-contained HTML certification report.
    #[arg(long, value_name = "FILE")]
    report_html: Option<PathBuf>,
    /// Cases known to fail on this target: {"expected_failures": [{"case": "suite::name", "reason": "..."}]}.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Run one shard of the suite: hash:K/N or count:K/N (K from 1); serial groups stay together.
    #[arg(long, value_name = "hash:K/N")]
    partition: Option<Partition>,
}

/// Which cases make up the plan.
#[derive(Args, Debug)]
struct PlanArgs {
    /// Directory of case files to run instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Which assertions to run: only what the documents require, or also the stricter ones.
    #[arg(long, value_enum, default_value = "documented")]
    profile: ProfileArg,
    /// Leave out the cases derived from the schema constraints (`derived::...`).
    #[arg(long)]
    no_derived: bool,
}

#[derive(Args, Debug)]
struct CoverageArgs {
    #[command(flatten)]
    plan: PlanArgs,
}

/// How requests authenticate: AK/SK signing or a token (or neither).
#[derive(Args, Debug)]
struct CredentialArgs {
    /// Access key for SDK-HMAC-SHA256 signing.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_AK",
        hide_env_values = true,
        requires = "sk"
    )]
    ak: Option<String>,
    /// Secret key for SDK-HMAC-SHA256 signing.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_SK",
        hide_env_values = true,
        requires = "ak"
    )]
    sk: Option<String>,
    /// IAM token sent as X-Auth-Token instead of signing.
    #[arg(
        long,
        env = "CTS_AUTH_TOKEN",
        hide_env_values = true,
        conflicts_with = "ak"
    )]
    token: Option<String>,
}

impl CredentialArgs {
    fn credentials(&self) -> Credentials {
        match (&self.ak, &self.sk, &self.token) {
            (Some(ak), Some(sk), _) => {
                Credentials::AkSk(cts_conform::auth::Credentials::new(ak.clone(), sk.clone()))
            }
            (_, _, Some(token)) => Credentials::Token(SecretString::new(token.clone())),
            _ => Credentials::None,
        }
    }
}

#[derive(Args, Debug)]
struct SweepArgs {
    /// The ledger a run wrote (see --ledger).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LEDGER)]
    ledger: PathBuf,
    /// Only list what would be removed.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    credentials: CredentialArgs,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProfileArg {
    Documented,
    Strict,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Authentication: with no --ak/--token/--credentials the emulator accepts every request \
(a warning says so). Otherwise a request must be signed (SDK-HMAC-SHA256) by a listed \
account or carry a listed X-Auth-Token, else 401 CTS.0002; a valid credential on another \
project's path gets 403 CTS.0013. Secrets are never printed.")]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Log one line per request to stderr (method, path, status, time, request id; no headers).
    #[arg(long)]
    verbose: bool,
    /// Access key of an account; repeatable. The Nth --ak, --sk and --project-id form account N.
    #[arg(long, value_name = "AK", requires_all = ["sk", "project_id"])]
    ak: Vec<String>,
    /// Secret key of the account of the same position; repeatable.
    #[arg(long, value_name = "SK", requires = "ak")]
    sk: Vec<String>,
    /// Project of the account of the same position; repeatable. The first one is also
    /// the project of a --token given without one.
    #[arg(long, value_name = "ID")]
    project_id: Vec<String>,
    /// An accepted X-Auth-Token, granting PROJECT_ID (after the last `:`) or else the
    /// first --project-id; repeatable (the same token twice grants two projects).
    #[arg(long, value_name = "TOKEN[:PROJECT_ID]")]
    token: Vec<String>,
    /// JSON file of accepted credentials, added to the flags':
    /// {"accounts": [{"ak", "sk", "project_id"}], "tokens": [{"token", "project_id"}]}.
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// Break the contract in one known way (repeatable); see --list-faults.
    #[arg(long, value_name = "NAME")]
    fault: Vec<Fault>,
    /// Print every fault mode, one a line (`NAME  description`), and exit.
    #[arg(long)]
    list_faults: bool,
}

/// Where a run against a URL target keeps its ledger unless told otherwise.
const DEFAULT_LEDGER: &str = "cts-conform.ledger.jsonl";

/// The project the embedded target runs against unless told otherwise.
const EMBEDDED_PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Sweep(args)) => sweep(args),
        Some(Command::Coverage(args)) => coverage(args),
        None => run_suite(cli.run, cli.libtest),
    };
    exit.into()
}

fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the async runtime: {e}")))
}

fn usage(message: String) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}

fn serve(args: ServeArgs) -> Exit {
    if args.list_faults {
        print!("{}", emulator::fault::listing());
        return Exit::Passed;
    }
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let auth = match serve_policy(&args) {
        Ok(auth) => auth,
        Err(message) => return usage(message),
    };
    match &auth {
        None => eprintln!(
            "warning: authentication is off, every request is accepted \
             (turn it on with --ak/--sk/--project-id, --token or --credentials)"
        ),
        Some(policy) => eprintln!(
            "authentication is on: {} account(s), {} token(s)",
            policy.accounts().len(),
            policy.tokens().len()
        ),
    }
    let faults: emulator::FaultSet = args.fault.iter().copied().collect();
    if !faults.is_empty() {
        let names: Vec<&str> = faults.iter().map(Fault::name).collect();
        eprintln!(
            "warning: fault modes on, the emulator breaks the contract: {}",
            names.join(", ")
        );
    }
    let config = EmulatorConfig {
        verbose: args.verbose,
        auth,
        faults,
        ..EmulatorConfig::default()
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("shutting down");
    };
    match runtime.block_on(emulator::serve(config, args.listen, shutdown)) {
        Ok(()) => Exit::Passed,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.listen)),
    }
}

/// The emulator's auth policy from `serve`'s flags and credentials file; `None`
/// (accept everything) when neither names any credential. Errors never quote a secret.
fn serve_policy(args: &ServeArgs) -> Result<Option<AuthPolicy>, String> {
    let (aks, sks, projects) = (args.ak.len(), args.sk.len(), args.project_id.len());
    if aks != sks || (aks > 0 && projects != aks) {
        return Err(format!(
            "give --ak, --sk and --project-id equally often, the Nth of each forming one \
             account (got {aks} --ak, {sks} --sk, {projects} --project-id)"
        ));
    }
    if aks == 0 && args.token.is_empty() && projects > 0 {
        return Err(
            "--project-id grants a project to an --ak/--sk account or a --token; give one".into(),
        );
    }
    let mut accounts: Vec<Account> = args
        .ak
        .iter()
        .zip(&args.sk)
        .zip(&args.project_id)
        .map(|((ak, sk), project_id)| Account {
            credentials: cts_conform::auth::Credentials::new(ak.as_str(), sk.as_str()),
            project_id: project_id.clone(),
        })
        .collect();
    let mut tokens = args
        .token
        .iter()
        .map(|arg| token_grant(arg, args.project_id.first()))
        .collect::<Result<Vec<Token>, String>>()?;
    if let Some(path) = &args.credentials {
        let file = AuthPolicy::load(path).map_err(|e| e.to_string())?;
        if file.accounts().is_empty() && file.tokens().is_empty() {
            return Err(format!("{} lists no account and no token", path.display()));
        }
        accounts.extend_from_slice(file.accounts());
        tokens.extend_from_slice(file.tokens());
    }
    if accounts.is_empty() && tokens.is_empty() {
        return Ok(None);
    }
    AuthPolicy::new(accounts, tokens)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// A `--token TOKEN[:PROJECT_ID]` argument; without `:PROJECT_ID` the token grants
/// `first_project`.
fn token_grant(arg: &str, first_project: Option<&String>) -> Result<Token, String> {
    let (token, project_id) = match arg.rsplit_once(':') {
        Some((token, project_id)) => (token, project_id.to_owned()),
        None => (
            arg,
            first_project
                .cloned()
                .ok_or("a --token without :PROJECT_ID grants the first --project-id; give one")?,
        ),
    };
    Ok(Token {
        token: SecretString::new(token),
        project_id,
    })
}

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

/// The cases of a run and where they come from.
struct Plan {
    /// The cases of the profile, in load order.
    cases: Vec<LoadedCase>,
    /// Every case id, whatever its profile (a baseline may list any).
    ids: BTreeSet<String>,
    /// The case files, for the fingerprint.
    sources: Vec<Source>,
    profile: Profile,
}

fn load_plan(args: &PlanArgs, contract: &Contract) -> Result<Plan, Exit> {
    let sources = match &args.cases {
        Some(dir) => case::dir_sources(dir),
        None => Ok(case::builtin_sources()),
    };
    let profile = match args.profile {
        ProfileArg::Documented => Profile::Documented,
        ProfileArg::Strict => Profile::Strict,
    };
    let loaded =
        sources.and_then(|sources| case::load(&sources, contract).map(|cases| (sources, cases)));
    match loaded {
        Ok((sources, cases)) => {
            let derived = derive::derived_cases(contract);
            // A baseline may list any case, whatever the profile or --no-derived.
            let ids = cases.iter().chain(&derived).map(|c| c.id.clone()).collect();
            let derived = if args.no_derived { Vec::new() } else { derived };
            Ok(Plan {
                ids,
                cases: cases
                    .into_iter()
                    .chain(derived)
                    .filter(|c| c.spec.profile <= profile)
                    .collect(),
                sources,
                profile,
            })
        }
        Err(errors) => {
            eprintln!("{errors}");
            Err(Exit::Usage)
        }
    }
}

fn load_cases(args: &PlanArgs, contract: &Contract) -> Result<Vec<LoadedCase>, Exit> {
    load_plan(args, contract).map(|plan| plan.cases)
}

/// A report file, opened (created or truncated) before the run so that an unwritable
/// path is a usage error before any request.
struct ReportFile {
    flag: &'static str,
    path: PathBuf,
    file: File,
}

impl ReportFile {
    fn open(flag: &'static str, path: &Option<PathBuf>) -> Result<Option<Self>, Exit> {
        let Some(path) = path else { return Ok(None) };
        match File::create(path) {
            Ok(file) => Ok(Some(ReportFile {
                flag,
                path: path.clone(),
                file,
            })),
            Err(e) => Err(usage(format!(
                "cannot write the {flag} report to {}: {e}",
                path.display()
            ))),
        }
    }

    /// Writes the report; false (after saying why) when that failed.
    fn write(mut self, text: &str) -> bool {
        match self
            .file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
        {
            Ok(()) => true,
            Err(e) => {
                eprintln!(
                    "error: cannot write the {} report to {}: {e}",
                    self.flag,
                    self.path.display()
                );
                false
            }
        }
    }
}

/// The report files of a run.
struct Reports {
    junit: Option<ReportFile>,
    json: Option<ReportFile>,
    html: Option<ReportFile>,
}

impl Reports {
    fn open(args: &OutputArgs) -> Result<Self, Exit> {
        Ok(Reports {
            junit: ReportFile::open("--junit", &args.junit)?,
            json: ReportFile::open("--report-json", &args.report_json)?,
            html: ReportFile::open("--report-html", &args.report_html)?,
        })
    }

    /// Renders and writes every requested report; false when one could not be written.
    fn write(
        self,
        summary: &RunSummary,
        results: &[CaseResult],
        coverage: &[cts_conform::coverage::Row],
        redactor: &Redactor,
    ) -> bool {
        let mut ok = true;
        if let Some(file) = self.junit {
            ok &= file.write(&report::junit::render(summary, results, redactor));
        }
        if let Some(file) = self.json {
            ok &= file.write(&report::json::render(summary, results, redactor));
        }
        if let Some(file) = self.html {
            ok &= file.write(&report::html::render(summary, results, coverage, redactor));
        }
        ok
    }
}

fn load_baseline(path: &Option<PathBuf>, ids: &BTreeSet<String>) -> Result<Baseline, Exit> {
    let Some(path) = path else {
        return Ok(Baseline::default());
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read the baseline {name}: {e}")))?;
    Baseline::parse(&name, &text, |id| ids.contains(id)).map_err(usage)
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
        std::process::exit(Exit::Interrupted as i32);
    }
}

fn coverage(args: CoverageArgs) -> Exit {
    let contract = Contract::embedded();
    let cases = match load_cases(&args.plan, contract) {
        Ok(cases) => cases,
        Err(exit) => return exit,
    };
    let rows = cts_conform::coverage::compute(contract, &cases);
    print!("{}", cts_conform::coverage::render(&rows, cases.len()));
    Exit::Passed
}

fn sweep(args: SweepArgs) -> Exit {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let credentials = args.credentials.credentials();
    let redactor = Redactor::new(credentials.secrets());
    let (outstanding, unconfirmed) = match run::sweep::outstanding(&args.ledger) {
        Ok(found) => found,
        Err(e) => return usage(e.to_string()),
    };
    for r in &unconfirmed {
        println!(
            "not touched: a create of {} tracker {} (project {}, {}) was sent but never answered; \
             its name does not prove this harness made it, so check it yourself",
            r.tracker_type, r.tracker_name, r.project_id, r.target
        );
    }
    if args.dry_run || outstanding.is_empty() {
        for r in &outstanding {
            println!(
                "would remove {} tracker {} (project {}, {})",
                r.tracker_type, r.tracker_name, r.project_id, r.target
            );
        }
        println!(
            "{} tracker(s) outstanding in {}",
            outstanding.len(),
            args.ledger.display()
        );
        return Exit::Passed;
    }
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let report = match runtime.block_on(run::sweep::sweep(&args.ledger, &credentials, timeout)) {
        Ok(report) => report,
        Err(e) => return usage(e.to_string()),
    };
    for r in &report.removed {
        println!(
            "removed {} tracker {} (project {}, {})",
            r.tracker_type, r.tracker_name, r.project_id, r.target
        );
    }
    for (r, outcome) in &report.failed {
        let why: Vec<String> = outcome.findings.iter().map(|f| f.summary.clone()).collect();
        println!(
            "{}",
            redactor.redact(&format!(
                "FAILED to remove {} tracker {}: {}",
                r.tracker_type,
                r.tracker_name,
                why.join("; ")
            ))
        );
    }
    println!(
        "{} removed, {} failed",
        report.removed.len(),
        report.failed.len()
    );
    if report.failed.is_empty() {
        Exit::Passed
    } else {
        Exit::Failed
    }
}

fn run_suite(args: RunArgs, mut libtest: libtest_mimic::Arguments) -> Exit {
    let contract = Contract::embedded();
    let plan = match load_plan(&args.plan, contract) {
        Ok(plan) => plan,
        Err(exit) => return exit,
    };
    let baseline = match load_baseline(&args.outputs.baseline, &plan.ids) {
        Ok(baseline) => Arc::new(baseline),
        Err(exit) => return exit,
    };
    let cases = match args.outputs.partition {
        Some(partition) => partition.select(plan.cases.clone()),
        None => plan.cases.clone(),
    };
    let reports = if libtest.list {
        None
    } else {
        match Reports::open(&args.outputs) {
            Ok(reports) => Some(reports),
            Err(exit) => return exit,
        }
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return usage(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        ));
    }
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    // The target: the embedded emulator, started fresh, or a URL.
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
        match reqwest::Url::parse(&args.target) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => {
                return usage(format!(
                    "--target must be `embedded` or an http(s) URL, not {:?}",
                    args.target
                ))
            }
        }
        let Some(project_id) = args.project_id.clone() else {
            return usage("a URL target needs --project-id (or HUAWEICLOUD_SDK_PROJECT_ID)".into());
        };
        (args.target.clone(), project_id)
    };
    let mut config = RunConfig::new(base_url, project_id);
    config.credentials = credentials;
    config.timeout = Duration::from_secs_f64(args.timeout);
    config.max_response_bytes = args.max_response_bytes;
    config.profile = plan.profile;
    let client = match run::http::HttpClient::new() {
        Ok(client) => client,
        Err(e) => return usage(e.to_string()),
    };
    let redactor = Arc::new(Redactor::new(config.credentials.secrets()));
    if !libtest.list {
        if let Err(e) = runtime.block_on(run::preflight(&client, &config)) {
            eprintln!(
                "error: {}",
                redactor.redact(&format!("target {} is unreachable: {e}", config.base_url))
            );
            return Exit::Unreachable;
        }
    }
    let color = match libtest.color {
        Some(ColorSetting::Always) => true,
        Some(ColorSetting::Never) => false,
        _ => std::io::stdout().is_terminal(),
    };
    // Cases wait on the network, not the CPU: run more at once than there are cores.
    libtest.test_threads = libtest.test_threads.or(Some(8));
    config.allow_mutations = args.allow_mutations;
    config.data_bucket = args.data_bucket.clone().unwrap_or_default();
    config.obs_bucket = args.obs_bucket.clone().unwrap_or_default();
    let ledger = match ledger_for(&args, embedded.is_some(), &config.run_id) {
        Ok(ledger) => ledger,
        Err(exit) => return exit,
    };
    let ledger_path = ledger.path().map(|p| p.display().to_string());
    let session = Arc::new(Session::new(
        contract,
        config,
        client,
        runtime.handle().clone(),
        ledger,
    ));
    runtime.spawn(watch_interrupts(Arc::clone(&session), ledger_path));
    let started = time::OffsetDateTime::now_utc();
    let trials = report::libtest::trials(&session, cases.clone(), &redactor, &baseline, color);
    let conclusion = libtest_mimic::run(&libtest, trials);
    if let Some(running) = embedded {
        runtime.block_on(running.shutdown());
    }
    let mut written = true;
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
            fingerprint: report::results::fingerprint(
                cts_conform::contract::EMBEDDED_OPENAPI,
                &plan.sources,
            ),
            started,
            finished: time::OffsetDateTime::now_utc(),
            interrupted: session.interrupted(),
        };
        let filtered = |id: &str| libtest.is_filtered_out(&Trial::test(id, || Ok(())));
        let results = report::results::collect(&cases, session.outcomes(), &baseline, filtered);
        let coverage = cts_conform::coverage::compute(contract, &cases);
        written = reports.write(&summary, &results, &coverage, &redactor);
    }
    if session.interrupted() {
        eprintln!("interrupted: cases that had started stopped after their current step and cleaned up; the rest did not run");
        return Exit::Interrupted;
    }
    match (conclusion.has_failed(), written) {
        (true, _) => Exit::Failed,
        (false, true) => Exit::Passed,
        (false, false) => Exit::Usage,
    }
}
