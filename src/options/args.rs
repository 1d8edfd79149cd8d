//! The command line's flags as typed values (clap derive): the run's (with libtest's
//! flattened in), and each subcommand's (`serve`, `sweep`, `coverage`, `proxy`, `replay`,
//! `parity`, `report merge`, `verify`, `explore`). Flag and subcommand names are fixed
//! (DESIGN.md and the issues): add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::server_args::{ProxyArgs, ServeArgs};
use crate::auth::SecretString;
use crate::emulator::Fault;
use crate::partition::Partition;
use crate::run::{self, Credentials};

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
pub struct Cli {
    /// Print the version.
    #[arg(short = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the reference emulator standalone.
    Serve(ServeArgs),
    /// Remove what an interrupted run created, as its ledger records (and nothing else).
    Sweep(SweepArgs),
    /// Show which cases exercise each request field, query parameter and status.
    Coverage(CoverageArgs),
    /// A validating proxy in front of a real endpoint: judge, re-sign, forward, judge the answer.
    Proxy(ProxyArgs),
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
    mut_arg("with_builtin", |a| a.hide(true)),
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
pub struct ExploreArgs {
    /// Seed of the sequences (default: a random one; it is printed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Sequences to run, unless one fails first.
    #[arg(long, value_name = "N", default_value_t = crate::explore::DEFAULT_SEQUENCES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub sequences: u64,
    /// Steps of a sequence, at most (1 to 100).
    #[arg(long, value_name = "M", default_value_t = crate::explore::DEFAULT_MAX_STEPS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100))]
    pub max_steps: usize,
    /// Where the shrunk case file of a failing sequence is written (DIR/seed_S_sequence_I.json).
    #[arg(long, value_name = "DIR", default_value = "explore-cases")]
    pub out: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A bundle written with --bundle.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// `embedded` (the built-in emulator on a free loopback port) or a base URL.
    #[arg(long, env = "CTS_TARGET", default_value = "embedded")]
    pub target: String,
    /// Project ID to run against (default for the embedded target: a fixed test project).
    #[arg(long, env = "HUAWEICLOUD_SDK_PROJECT_ID")]
    pub project_id: Option<String>,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Per-request timeout in seconds (headers and body).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Largest response body read, in bytes; a larger one fails its case.
    #[arg(long, value_name = "BYTES", default_value_t = run::config::DEFAULT_MAX_RESPONSE_BYTES)]
    pub max_response_bytes: usize,
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
    pub data_bucket: Vec<String>,
    /// An existing OBS bucket that traces may be transferred to (`${obs_bucket}`;
    /// repeatable). Never one of the tracked buckets. Env: comma-separated.
    #[arg(
        long,
        env = "CTS_OBS_BUCKETS",
        value_name = "BUCKET",
        value_delimiter = ','
    )]
    pub obs_bucket: Vec<String>,
    /// Cap on the whole run's request rate, in requests per second (default: no cap).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Retries of a throttled request (429, or 503 with Retry-After), with exponential
    /// backoff and jitter, within the step's deadline.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_retries: u32,
    /// Let cases create, update and delete trackers on a target that is not on loopback.
    #[arg(long)]
    pub allow_mutations: bool,
    /// Embedded target only: switch on an emulator fault mode (repeatable), to see the
    /// suite catch it. `cts-conform serve --list-faults` lists them.
    #[arg(long, value_name = "NAME")]
    pub emulator_fault: Vec<Fault>,
    /// At most N trackers of the run alive at once: a case that would exceed it waits;
    /// trackers the run could not remove keep their place (see README, "Safe on a real
    /// account").
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::run::budget::DEFAULT_MAX_LIVE,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_live: usize,
    /// Embedded target only: the emulator follows the two documents alone (no account
    /// rule of api-facts, its own error codes), as `serve --documents-only`.
    #[arg(long)]
    pub emulator_documents_only: bool,
    /// Ledger of created trackers (JSON Lines, appended) for `sweep` after a crash.
    /// Default for a URL target: cts-conform.ledger.jsonl; the embedded target keeps none.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// What a run that selects no case does: fail (exit 4), warn (exit 0) or pass.
    #[arg(
        long,
        value_enum,
        value_name = "fail|warn|pass",
        default_value = "fail"
    )]
    pub no_tests: NoTests,
    #[command(flatten)]
    pub outputs: OutputArgs,
    /// Record every exchange of the run, per case and step, into DIR (run.json and
    /// cases/*.json; secrets masked), for `replay` and `parity`. DIR must be new or
    /// empty: a used one is refused before any request (see --record-overwrite).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Exit 6 when the run is incomplete: a selected case did not run for a reason that
    /// is not inherent to the target (a missing bucket or flag, a filter, an interrupt).
    #[arg(long)]
    pub fail_on_ignored: bool,
    /// Exit 6 when the cases that ran covered less than PCT percent of the documented
    /// request fields, query parameters and statuses (0 to 100).
    #[arg(long, value_name = "PCT")]
    pub min_coverage: Option<f64>,
    /// Write a certification bundle into DIR (new or empty): manifest, JSON/JUnit/HTML
    /// reports, the recording and SHA256SUMS; `cts-conform verify DIR` re-checks it.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Replace the recording a used --record DIR holds (its run.json and cases/ are
    /// removed first). A directory that is not a recording (no run.json, or other files)
    /// is never emptied: the run is refused.
    #[arg(long, requires = "record")]
    pub record_overwrite: bool,
    /// After the run, print the selected cases' critical-path bound on this target, pool
    /// and --test-threads (round trips, `run::bound`; a case that ended at its
    /// precondition counted to it): what bench/run.sh measures a far target's run against.
    #[arg(long, hide = true)]
    pub print_critical_path: bool,
    /// With --list: each case and whether this run would run it, and if not why (the
    /// run's own reasons), for the current target and flags. Sends nothing but the check
    /// a run makes before its first case (one ListTrackers of a URL target).
    #[arg(long)]
    pub explain: bool,
}

/// `--no-tests`: what a run that selects no case does (cargo-nextest's convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NoTests {
    Fail,
    Warn,
    Pass,
}

/// Report files, the known-failure baseline and sharding (see docs/ci.md).
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Write a JUnit XML report (for GitLab, Jenkins, GitHub test reporters).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a machine-readable JSON report.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write a self-contained HTML certification report.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Cases known to fail on this target: {"expected_failures": [{"case": "suite::name", "reason": "..."}]}.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Run one shard of the suite: hash:K/N or count:K/N (K from 1); serial groups stay together.
    #[arg(long, value_name = "hash:K/N")]
    pub partition: Option<Partition>,
}

/// Which cases make up the plan.
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Directory of case files to run instead of the built-in ones (repeatable: the
    /// directories' cases together).
    #[arg(long, value_name = "DIR")]
    pub cases: Vec<PathBuf>,
    /// With --cases: run the built-in cases too (a case name defined twice is an error
    /// naming both files).
    #[arg(long)]
    pub with_builtin: bool,
    /// Which assertions to run: only what the documents require, or also the stricter ones.
    #[arg(long, value_enum, default_value = "documented")]
    pub profile: ProfileArg,
    /// Leave out the cases derived from the schema constraints (`derived::...`).
    #[arg(long)]
    pub no_derived: bool,
}

#[derive(Args, Debug)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
}

/// How requests authenticate: AK/SK signing or a token (or neither).
#[derive(Args, Debug)]
pub struct CredentialArgs {
    /// Access key for SDK-HMAC-SHA256 signing.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_AK",
        hide_env_values = true,
        requires = "sk"
    )]
    pub ak: Option<String>,
    /// Secret key for SDK-HMAC-SHA256 signing.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_SK",
        hide_env_values = true,
        requires = "ak"
    )]
    pub sk: Option<String>,
    /// IAM token sent as X-Auth-Token instead of signing.
    #[arg(
        long,
        env = "CTS_AUTH_TOKEN",
        hide_env_values = true,
        conflicts_with = "ak"
    )]
    pub token: Option<String>,
}

impl CredentialArgs {
    pub fn credentials(&self) -> Credentials {
        match (&self.ak, &self.sk, &self.token) {
            (Some(ak), Some(sk), _) => {
                Credentials::AkSk(crate::auth::Credentials::new(ak.clone(), sk.clone()))
            }
            (_, _, Some(token)) => Credentials::Token(SecretString::new(token.clone())),
            _ => Credentials::None,
        }
    }
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The ledger a run wrote (see --ledger).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LEDGER)]
    pub ledger: PathBuf,
    /// Only list what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// TLS trust for an https target (the run's and sweep's).
#[derive(Args, Debug)]
pub struct TlsArgs {
    /// A PEM file of CA certificates to trust (added to the system's roots) for an
    /// https target with a private CA. SSL_CERT_FILE is honoured the same way.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Do not verify the target's TLS certificate (a warning says so on every run).
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    Documented,
    Strict,
}

/// Where a run against a URL target keeps its ledger unless told otherwise.
pub const DEFAULT_LEDGER: &str = "cts-conform.ledger.jsonl";

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
pub struct ReplayArgs {
    /// A recording made with --record.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Directory of case files to judge with instead of the built-in ones (repeatable).
    #[arg(long, value_name = "DIR")]
    pub cases: Vec<PathBuf>,
    /// With --cases: judge with the built-in cases too.
    #[arg(long)]
    pub with_builtin: bool,
    /// Which assertions to run (default: the recorded run's profile).
    #[arg(long, value_enum)]
    pub profile: Option<ProfileArg>,
    /// Leave out the cases derived from the schema constraints.
    #[arg(long)]
    pub no_derived: bool,
    /// With --list: each case and whether this replay would judge it, and if not why
    /// (libtest's selection, the recorded run's flags, what the recording holds of it).
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub outputs: OutputArgs,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

#[derive(Args, Debug)]
pub struct ParityArgs {
    /// The first recording (A).
    #[arg(value_name = "DIR_A")]
    pub a: PathBuf,
    /// The second recording (B).
    #[arg(value_name = "DIR_B")]
    pub b: PathBuf,
    /// Write the comparison as JSON.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the comparison as a self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Accepted differences and value normalisers: {"accepted": [{"pattern": "**/error_msg",
    /// "class": "message", "reason": "..."}], "normalise": [{"pattern": "**/trackers/*/id",
    /// "name": "tracker-id"}]} (the per-case {"case": ..., "pointer": ...} entries are read too).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Which differences the verdict judges: the documented ones (status, error code,
    /// documented fields, steps and cases), or all (also message text, undocumented
    /// fields, headers, order).
    #[arg(long, value_enum, default_value = "documented")]
    pub compare: CompareArg,
    /// Colour the terminal output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

/// `parity --compare`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareArg {
    Documented,
    All,
}

/// `--color` of the subcommands that print their own text.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// One report from the JSON reports (--report-json) of a partitioned run's shards.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shards' JSON reports.
    #[arg(value_name = "SHARD.json", required = true)]
    pub shards: Vec<PathBuf>,
    /// Write the merged JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the merged JSON report.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the merged HTML report.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Merge even when a shard is missing or was interrupted: the missing cases are
    /// `not-run`, the result is INCOMPLETE, and the merge exits 6 once written.
    #[arg(long)]
    pub allow_partial: bool,
}
