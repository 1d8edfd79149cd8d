//! The command line (clap): the run's flags (with libtest's flattened in), and each
//! subcommand's (`serve`, `sweep`, `coverage`, `proxy`, `replay`, `parity`, `report merge`,
//! `verify`). Flag and subcommand names are fixed (DESIGN.md and the issues): add, never
//! rename.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cts_conform::auth::SecretString;
use cts_conform::emulator::Fault;
use cts_conform::partition::Partition;
use cts_conform::run::{self, Credentials};

#[derive(Parser, Debug)]
#[command(
    name = "cts-conform",
    version,
    about = "Contract-conformance harness for the CTS v3 tracker API, with a reference emulator",
    long_about = "Contract-conformance harness for the CTS v3 tracker API, with a reference emulator.\n\n\
        Runs the suite (hand-written and derived cases) against a target (the embedded emulator \
        by default) and prints libtest-style results with diffs. Exit codes: 0 passed, 101 a \
        case failed (or the run left a tracker it could not remove), 2 usage, configuration \
        or case-file error, 3 target unreachable or credentials rejected, 4 no case selected, \
        5 a report could not be written, 6 incomplete (--fail-on-ignored, --min-coverage), \
        129 hung up (SIGHUP), 130 interrupted (SIGINT), 143 terminated (SIGTERM).",
    args_conflicts_with_subcommands = true,
    // libtest-mimic's flags that do nothing here: hidden (--bench is refused).
    mut_arg("bench", |a| a.hide(true)),
    mut_arg("test", |a| a.hide(true)),
    mut_arg("nocapture", |a| a.hide(true)),
    mut_arg("show_output", |a| a.hide(true)),
    mut_arg("unstable_flags", |a| a.hide(true)),
    mut_arg("test_threads", |a| a.help(
        "Number of cases run at once (default 8; cases wait on the network, not the CPU)"
    )),
    help_template = "{about}\n\n{usage-heading} {usage}\n\n{all-args}"
)]
pub(crate) struct Cli {
    /// Print the version.
    #[arg(short = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) libtest: libtest_mimic::Arguments,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run the reference emulator standalone.
    Serve(ServeArgs),
    /// Remove what an interrupted run created, as its ledger records (and nothing else).
    Sweep(SweepArgs),
    /// Show which cases exercise each request field, query parameter and status.
    Coverage(CoverageArgs),
    /// A validating proxy in front of a real endpoint: judge, re-sign, forward, judge the answer.
    Proxy(super::proxy::ProxyArgs),
    /// Judge a recording's answers (see --record) with today's contract and cases, with
    /// no network: same output, reports and exit codes as a run.
    Replay(ReplayArgs),
    /// Compare two recordings case by case and step by step (exit 101 on a difference).
    Parity(ParityArgs),
    /// Work with report files: `report merge` joins the JSON reports of a run's shards.
    Report(ReportArgs),
    /// Re-check a certification bundle (--bundle): hashes, every selected case judged and
    /// consistent with its steps, nothing failed, complete (exit 0 only then).
    Verify(VerifyArgs),
    /// Seeded random sequences of operations, each answer checked by the contract and the
    /// run's model; a failing sequence is shrunk and written as a case file (exit 101).
    Explore(Box<ExploreArgs>),
}

/// `explore`: the run's target, credential, pool and ledger flags, and the budget. The
/// run's flags that choose or report cases do not apply: hidden, and refused if given.
#[derive(Args, Debug)]
#[command(
    mut_arg("cases", |a| a.hide(true)),
    mut_arg("no_derived", |a| a.hide(true)),
    mut_arg("junit", |a| a.hide(true)),
    mut_arg("report_json", |a| a.hide(true)),
    mut_arg("report_html", |a| a.hide(true)),
    mut_arg("baseline", |a| a.hide(true)),
    mut_arg("partition", |a| a.hide(true)),
    mut_arg("no_tests", |a| a.hide(true)),
    mut_arg("record", |a| a.hide(true)),
    mut_arg("record_overwrite", |a| a.hide(true)),
    mut_arg("fail_on_ignored", |a| a.hide(true)),
    mut_arg("min_coverage", |a| a.hide(true)),
    mut_arg("bundle", |a| a.hide(true)),
    mut_arg("explain", |a| a.hide(true)),
)]
pub(crate) struct ExploreArgs {
    /// Seed of the sequences (default: a random one; it is printed).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Sequences to run, unless one fails first.
    #[arg(long, value_name = "N", default_value_t = cts_conform::explore::DEFAULT_SEQUENCES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) sequences: u64,
    /// Steps of a sequence, at most (1 to 100).
    #[arg(long, value_name = "M", default_value_t = cts_conform::explore::DEFAULT_MAX_STEPS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100))]
    pub(crate) max_steps: usize,
    /// Where the shrunk case file of a failing sequence is written (DIR/seed_S_sequence_I.json).
    #[arg(long, value_name = "DIR", default_value = "explore-cases")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// A bundle written with --bundle.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// `embedded` (the built-in emulator on a free loopback port) or a base URL.
    #[arg(long, env = "CTS_TARGET", default_value = "embedded")]
    pub(crate) target: String,
    /// Project ID to run against (default for the embedded target: a fixed test project).
    #[arg(long, env = "HUAWEICLOUD_SDK_PROJECT_ID")]
    pub(crate) project_id: Option<String>,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
    #[command(flatten)]
    pub(crate) plan: PlanArgs,
    /// Per-request timeout in seconds (headers and body).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub(crate) timeout: f64,
    /// Largest response body read, in bytes; a larger one fails its case.
    #[arg(long, value_name = "BYTES", default_value_t = run::config::DEFAULT_MAX_RESPONSE_BYTES)]
    pub(crate) max_response_bytes: usize,
    /// An existing OBS bucket that data trackers may track (repeatable: a pool; each case
    /// that creates a data tracker holds the operations it tracks, READ and/or WRITE, of
    /// one bucket alone while its trackers live: a READ case and a WRITE case share one).
    /// Needed on a real account, where a tracked bucket must exist. Env: comma-separated.
    #[arg(
        long,
        env = "CTS_DATA_BUCKETS",
        value_name = "BUCKET",
        value_delimiter = ','
    )]
    pub(crate) data_bucket: Vec<String>,
    /// An existing OBS bucket that traces may be transferred to (`${obs_bucket}`;
    /// repeatable). Never one of the tracked buckets. Env: comma-separated.
    #[arg(
        long,
        env = "CTS_OBS_BUCKETS",
        value_name = "BUCKET",
        value_delimiter = ','
    )]
    pub(crate) obs_bucket: Vec<String>,
    /// Cap on the whole run's request rate, in requests per second (default: no cap).
    #[arg(long, value_name = "N")]
    pub(crate) rate: Option<f64>,
    /// Retries of a throttled request (429, or 503 with Retry-After), with exponential
    /// backoff and jitter, within the step's deadline.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(crate) max_retries: u32,
    /// Let cases create, update and delete trackers on a target that is not on loopback.
    #[arg(long)]
    pub(crate) allow_mutations: bool,
    /// Embedded target only: switch on an emulator fault mode (repeatable), to see the
    /// suite catch it. `cts-conform serve --list-faults` lists them.
    #[arg(long, value_name = "NAME")]
    pub(crate) emulator_fault: Vec<Fault>,
    /// At most N trackers of the run alive at once: a case that would exceed it waits;
    /// trackers the run could not remove keep their place (see README, "Safe on a real
    /// account").
    #[arg(
        long,
        value_name = "N",
        default_value_t = cts_conform::run::budget::DEFAULT_MAX_LIVE,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub(crate) max_live: usize,
    /// Embedded target only: the emulator follows the two documents alone (no account
    /// rule of api-facts, its own error codes), as `serve --documents-only`.
    #[arg(long)]
    pub(crate) emulator_documents_only: bool,
    /// Ledger of created trackers (JSON Lines, appended) for `sweep` after a crash.
    /// Default for a URL target: cts-conform.ledger.jsonl; the embedded target keeps none.
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) tls: TlsArgs,
    /// What a run that selects no case does: fail (exit 4), warn (exit 0) or pass.
    #[arg(
        long,
        value_enum,
        value_name = "fail|warn|pass",
        default_value = "fail"
    )]
    pub(crate) no_tests: NoTests,
    #[command(flatten)]
    pub(crate) outputs: OutputArgs,
    /// Record every exchange of the run, per case and step, into DIR (run.json and
    /// cases/*.json; secrets masked), for `replay` and `parity`. DIR must be new or
    /// empty: a used one is refused before any request (see --record-overwrite).
    #[arg(long, value_name = "DIR")]
    pub(crate) record: Option<PathBuf>,
    /// Exit 6 when the run is incomplete: a selected case did not run for a reason that
    /// is not inherent to the target (a missing bucket or flag, a filter, an interrupt).
    #[arg(long)]
    pub(crate) fail_on_ignored: bool,
    /// Exit 6 when the cases that ran covered less than PCT percent of the documented
    /// request fields, query parameters and statuses (0 to 100).
    #[arg(long, value_name = "PCT")]
    pub(crate) min_coverage: Option<f64>,
    /// Write a certification bundle into DIR (new or empty): manifest, JSON/JUnit/HTML
    /// reports, the recording and SHA256SUMS; `cts-conform verify DIR` re-checks it.
    #[arg(long, value_name = "DIR")]
    pub(crate) bundle: Option<PathBuf>,
    /// Replace the recording a used --record DIR holds (its run.json and cases/ are
    /// removed first). A directory that is not a recording (no run.json, or other files)
    /// is never emptied: the run is refused.
    #[arg(long, requires = "record")]
    pub(crate) record_overwrite: bool,
    /// After the run, print the selected cases' critical-path bound on this target, pool
    /// and --test-threads (round trips, `run::bound`; a case that ended at its
    /// precondition counted to it): what bench/run.sh measures a far target's run against.
    #[arg(long, hide = true)]
    pub(crate) print_critical_path: bool,
    /// With --list: each case and whether this run would run it, and if not why (the
    /// run's own reasons), for the current target and flags. Sends nothing but the check
    /// a run makes before its first case (one ListTrackers of a URL target).
    #[arg(long)]
    pub(crate) explain: bool,
}

/// `--no-tests`: what a run that selects no case does (cargo-nextest's convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoTests {
    Fail,
    Warn,
    Pass,
}

/// Report files, the known-failure baseline and sharding (see docs/ci.md).
#[derive(Args, Debug)]
pub(crate) struct OutputArgs {
    /// Write a JUnit XML report (for GitLab, Jenkins, GitHub test reporters).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write a machine-readable JSON report.
    #[arg(long, value_name = "FILE")]
    pub(crate) report_json: Option<PathBuf>,
    /// Write a self-contained HTML certification report.
    #[arg(long, value_name = "FILE")]
    pub(crate) report_html: Option<PathBuf>,
    /// Cases known to fail on this target: {"expected_failures": [{"case": "suite::name", "reason": "..."}]}.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Run one shard of the suite: hash:K/N or count:K/N (K from 1); serial groups stay together.
    #[arg(long, value_name = "hash:K/N")]
    pub(crate) partition: Option<Partition>,
}

/// Which cases make up the plan.
#[derive(Args, Debug)]
pub(crate) struct PlanArgs {
    /// Directory of case files to run instead of the built-in ones (repeatable: the
    /// directories' cases together).
    #[arg(long, value_name = "DIR")]
    pub(crate) cases: Vec<PathBuf>,
    /// With --cases: run the built-in cases too (a case name defined twice is an error
    /// naming both files).
    #[arg(long)]
    pub(crate) with_builtin: bool,
    /// Which assertions to run: only what the documents require, or also the stricter ones.
    #[arg(long, value_enum, default_value = "documented")]
    pub(crate) profile: ProfileArg,
    /// Leave out the cases derived from the schema constraints (`derived::...`).
    #[arg(long)]
    pub(crate) no_derived: bool,
}

#[derive(Args, Debug)]
pub(crate) struct CoverageArgs {
    #[command(flatten)]
    pub(crate) plan: PlanArgs,
}

/// How requests authenticate: AK/SK signing or a token (or neither).
#[derive(Args, Debug)]
pub(crate) struct CredentialArgs {
    /// Access key for SDK-HMAC-SHA256 signing.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_AK",
        hide_env_values = true,
        requires = "sk"
    )]
    pub(crate) ak: Option<String>,
    /// Secret key for SDK-HMAC-SHA256 signing.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_SK",
        hide_env_values = true,
        requires = "ak"
    )]
    pub(crate) sk: Option<String>,
    /// IAM token sent as X-Auth-Token instead of signing.
    #[arg(
        long,
        env = "CTS_AUTH_TOKEN",
        hide_env_values = true,
        conflicts_with = "ak"
    )]
    pub(crate) token: Option<String>,
}

impl CredentialArgs {
    pub(crate) fn credentials(&self) -> Credentials {
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
pub(crate) struct SweepArgs {
    /// The ledger a run wrote (see --ledger).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LEDGER)]
    pub(crate) ledger: PathBuf,
    /// Only list what would be removed.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub(crate) timeout: f64,
    #[command(flatten)]
    pub(crate) tls: TlsArgs,
}

/// TLS trust for an https target (the run's and sweep's).
#[derive(Args, Debug)]
pub(crate) struct TlsArgs {
    /// A PEM file of CA certificates to trust (added to the system's roots) for an
    /// https target with a private CA. SSL_CERT_FILE is honoured the same way.
    #[arg(long, value_name = "FILE")]
    pub(crate) cacert: Option<PathBuf>,
    /// Do not verify the target's TLS certificate (a warning says so on every run).
    #[arg(long)]
    pub(crate) insecure: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ProfileArg {
    Documented,
    Strict,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Authentication: with no --ak/--token/--credentials the emulator accepts every request \
(a warning says so). Otherwise a request must be signed (SDK-HMAC-SHA256) by a listed \
account or carry a listed X-Auth-Token, else 401 CTS.0002; a valid credential on another \
project's path gets 403 CTS.0013. Secrets are never printed.

Like a real account: the service's own rules always hold (one data tracker per bucket \
operation: 400 CTS.0209; the tracked bucket is not the transfer bucket: 400 CTS.0213; \
a data tracker's status change carries data_bucket: 400 CTS.0003). --bucket, --preload, \
--rate-limit and --gateway-errors each add one trait of a real account; --cloud switches \
on all but --bucket.")]
pub(crate) struct ServeArgs {
    /// Address to listen on: HOST:PORT (a name such as localhost is resolved; port 0
    /// picks a free one).
    #[arg(long, default_value = "127.0.0.1:9000", value_parser = parse_listen)]
    pub(crate) listen: SocketAddr,
    /// Log one line per request to stderr (method, path, status, time, request id; no headers).
    #[arg(long)]
    pub(crate) verbose: bool,
    /// Access key of an account; repeatable. The Nth --ak, --sk and --project-id form account N.
    #[arg(long, value_name = "AK", requires_all = ["sk", "project_id"])]
    pub(crate) ak: Vec<String>,
    /// Secret key of the account of the same position; repeatable.
    #[arg(long, value_name = "SK", requires = "ak")]
    pub(crate) sk: Vec<String>,
    /// Project of the account of the same position; repeatable. The first one is also
    /// the project of a --token given without one.
    #[arg(long, value_name = "ID")]
    pub(crate) project_id: Vec<String>,
    /// An accepted X-Auth-Token, granting PROJECT_ID (after the last `:`) or else the
    /// first --project-id; repeatable (the same token twice grants two projects).
    #[arg(long, value_name = "TOKEN[:PROJECT_ID]")]
    pub(crate) token: Vec<String>,
    /// JSON file of accepted credentials, added to the flags':
    /// {"accounts": [{"ak", "sk", "project_id"}], "tokens": [{"token", "project_id"}]}.
    #[arg(long, value_name = "FILE")]
    pub(crate) credentials: Option<PathBuf>,
    /// Break the contract in one known way (repeatable); see --list-faults.
    #[arg(long, value_name = "NAME")]
    pub(crate) fault: Vec<Fault>,
    /// Print every fault mode, one a line (`NAME  description`), and exit.
    #[arg(long)]
    pub(crate) list_faults: bool,
    /// An OBS bucket that exists (repeatable). With any given, only these exist: a
    /// tracked bucket not listed gets 400 CTS.0211, and so does a transfer bucket unless
    /// is_obs_created is true (which creates it). Without any, every valid name exists.
    #[arg(long, value_name = "NAME")]
    pub(crate) bucket: Vec<String>,
    /// Trackers present at start, per project, in ListTrackers' shape:
    /// {"<project_id>": {"trackers": [...]}}. They are listed exactly as the file gives them
    /// until updated. A file that cannot be read or parsed: exit 2.
    #[arg(long, value_name = "FILE")]
    pub(crate) preload: Option<PathBuf>,
    /// At most N requests per second per credential (AK, token or anonymous); past it,
    /// 429 APIGW.0308 in the API gateway's shape (request_id, Server: api-gateway).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) rate_limit: Option<u32>,
    /// Answer authentication failures as the API gateway does: 401 APIGW.0301 with a
    /// request_id and Server: api-gateway, instead of 401 CTS.0002 (403 is unchanged).
    #[arg(long)]
    pub(crate) gateway_errors: bool,
    /// Answer every request MS milliseconds late (after handling it), as a slow or distant
    /// service does: a create is then made well before its answer arrives.
    #[arg(long, value_name = "MS")]
    pub(crate) latency: Option<u64>,
    /// Behave like a real account: --gateway-errors, a management tracker already present
    /// in each project the credentials grant (--project-id, --token, --credentials), a rate
    /// limit of 100 requests per second (unless --rate-limit), and ListQuotas also lists
    /// smn_notification. Buckets still come from --bucket; --preload replaces the preset
    /// trackers.
    #[arg(long)]
    pub(crate) cloud: bool,
    /// Judge every request against the contract's request side and write each
    /// violation to FILE (JSON Lines); a summary is printed at shutdown (docs/sdk-authors.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) violations: Option<PathBuf>,
    /// Answer a request that breaks the contract 400 (CTS.0003) with the violations in
    /// error_msg, once it has passed authentication (an unauthenticated one gets its 401).
    #[arg(long)]
    pub(crate) strict_requests: bool,
    /// Follow the two documents alone: none of api-facts' account rules (buckets that
    /// exist, one tracker per bucket operation, tracked bucket not the transfer bucket,
    /// status changes carrying data_bucket), and CTS.0003 for every refused input
    /// (docs/contract.md, "The documents-only target").
    #[arg(long)]
    pub(crate) documents_only: bool,
    #[command(flatten)]
    pub(crate) violation_limits: ViolationLimitArgs,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// How much `--violations FILE` may hold.
#[derive(Args, Debug)]
pub(crate) struct ViolationLimitArgs {
    /// At most N violation records per request; past them one record says how many more
    /// were left out.
    #[arg(long, value_name = "N", default_value_t = cts_conform::violations::sink::DEFAULT_PER_REQUEST,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) violations_per_request: u64,
    /// Largest size of the violations file in bytes; when reached, one last line says so
    /// and nothing more is written (violations are still counted in the summary).
    #[arg(long, value_name = "BYTES", default_value_t = cts_conform::violations::sink::DEFAULT_MAX_FILE_BYTES,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub(crate) violations_max_bytes: u64,
}

/// The bounds of a server on the network (`serve`, `proxy`).
#[derive(Args, Debug)]
pub(crate) struct ServerArgs {
    /// Listen on a non-loopback --listen address (without it: exit 2). Anyone who can
    /// reach the address can then use the server; a warning says what is exposed.
    #[arg(long)]
    pub(crate) allow_remote: bool,
    /// Seconds a connection may take to send a request's headers, counted from when it
    /// opens or its previous answer was sent (so also the idle keep-alive timeout).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub(crate) header_timeout: f64,
    /// Seconds a request's body may take to arrive whole.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub(crate) body_timeout: f64,
    /// Connections open at once; more wait until one closes.
    #[arg(long, value_name = "N", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_connections: u32,
    /// Bytes of request bodies held at once over all connections (each counts its
    /// Content-Length, or the body cap without one); a body that does not fit in what is
    /// left is answered 503 with Retry-After at once.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub(crate) body_budget: usize,
    /// Seconds Ctrl-C or SIGTERM waits for requests in flight before cutting them.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub(crate) drain_timeout: f64,
}

impl ServerArgs {
    /// The limits, or the usage message of a flag out of range.
    pub(crate) fn limits(&self) -> Result<cts_conform::emulator::server::ServerLimits, String> {
        let seconds = |flag: &str, value: f64| {
            if value.is_finite() && value > 0.0 && value < 1e9 {
                Ok(std::time::Duration::from_secs_f64(value))
            } else {
                Err(format!(
                    "--{flag} must be a positive number of seconds, not {value}"
                ))
            }
        };
        Ok(cts_conform::emulator::server::ServerLimits {
            header_timeout: seconds("header-timeout", self.header_timeout)?,
            body_timeout: seconds("body-timeout", self.body_timeout)?,
            max_connections: self.max_connections as usize,
            body_budget_bytes: self.body_budget,
            drain_timeout: seconds("drain-timeout", self.drain_timeout)?,
        })
    }
}

/// `--listen HOST:PORT`, the host resolved (`localhost:0` works).
fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut addrs = text
        .to_socket_addrs()
        .map_err(|e| format!("not a HOST:PORT address ({e})"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{text} resolves to no address"))
}

/// Where a run against a URL target keeps its ledger unless told otherwise.
pub(crate) const DEFAULT_LEDGER: &str = "cts-conform.ledger.jsonl";

#[derive(Args, Debug)]
#[command(
    about = "Judge a recording's answers (see --record) with today's contract and cases, with \
        no network: same output, reports and exit codes as a run",
    override_usage = "cts-conform replay [OPTIONS] DIR [FILTER]",
    // libtest-mimic's flags that do nothing here: hidden (--bench is refused), as a run's.
    mut_arg("bench", |a| a.hide(true)),
    mut_arg("test", |a| a.hide(true)),
    mut_arg("nocapture", |a| a.hide(true)),
    mut_arg("show_output", |a| a.hide(true)),
    mut_arg("unstable_flags", |a| a.hide(true)),
    mut_arg("test_threads", |a| a.help("Number of cases judged at once (default 8)")),
    help_template = "{about}\n\n{usage-heading} {usage}\n\n{all-args}"
)]
pub(crate) struct ReplayArgs {
    /// A recording made with --record.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Directory of case files to judge with instead of the built-in ones (repeatable).
    #[arg(long, value_name = "DIR")]
    pub(crate) cases: Vec<PathBuf>,
    /// With --cases: judge with the built-in cases too.
    #[arg(long)]
    pub(crate) with_builtin: bool,
    /// Which assertions to run (default: the recorded run's profile).
    #[arg(long, value_enum)]
    pub(crate) profile: Option<ProfileArg>,
    /// Leave out the cases derived from the schema constraints.
    #[arg(long)]
    pub(crate) no_derived: bool,
    #[command(flatten)]
    pub(crate) outputs: OutputArgs,
    #[command(flatten)]
    pub(crate) libtest: libtest_mimic::Arguments,
}

#[derive(Args, Debug)]
pub(crate) struct ParityArgs {
    /// The first recording (A).
    #[arg(value_name = "DIR_A")]
    pub(crate) a: PathBuf,
    /// The second recording (B).
    #[arg(value_name = "DIR_B")]
    pub(crate) b: PathBuf,
    /// Write the comparison as JSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) report_json: Option<PathBuf>,
    /// Write the comparison as a self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    pub(crate) report_html: Option<PathBuf>,
    /// Accepted differences and value normalisers: {"accepted": [{"pattern": "**/error_msg",
    /// "class": "message", "reason": "..."}], "normalise": [{"pattern": "**/trackers/*/id",
    /// "name": "tracker-id"}]} (the per-case {"case": ..., "pointer": ...} entries are read too).
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Which differences the verdict judges: the documented ones (status, error code,
    /// documented fields, steps and cases), or all (also message text, undocumented
    /// fields, headers, order).
    #[arg(long, value_enum, default_value = "documented")]
    pub(crate) compare: CompareArg,
    /// Colour the terminal output.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) color: ColorArg,
}

/// `parity --compare`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompareArg {
    Documented,
    All,
}

/// `--color` of the subcommands that print their own text.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    #[command(subcommand)]
    pub(crate) command: ReportCommand,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ReportCommand {
    /// One report from the JSON reports (--report-json) of a partitioned run's shards.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// The shards' JSON reports.
    #[arg(value_name = "SHARD.json", required = true)]
    pub(crate) shards: Vec<PathBuf>,
    /// Write the merged JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write the merged JSON report.
    #[arg(long, value_name = "FILE")]
    pub(crate) report_json: Option<PathBuf>,
    /// Write the merged HTML report.
    #[arg(long, value_name = "FILE")]
    pub(crate) report_html: Option<PathBuf>,
    /// Merge even when a shard is missing or was interrupted: the missing cases are
    /// `not-run`, the result is INCOMPLETE, and the merge exits 6 once written.
    #[arg(long)]
    pub(crate) allow_partial: bool,
}
