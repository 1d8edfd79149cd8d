//! The flags of the two servers, `serve` (the reference emulator) and `proxy` (the
//! validating proxy), and the bounds they share on the network (`ServerArgs`) and in the
//! violations file (`ViolationLimitArgs`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;

use super::args::CredentialArgs;
use crate::emulator::Fault;
use crate::violations::sink::SinkLimits;
use crate::violations::ViolationSink;

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
pub struct ServeArgs {
    /// Address to listen on: HOST:PORT (a name such as localhost is resolved; port 0
    /// picks a free one).
    #[arg(long, default_value = "127.0.0.1:9000", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// Log one line per request to stderr (method, path, status, time, request id; no headers).
    #[arg(long)]
    pub verbose: bool,
    /// Access key of an account; repeatable. The Nth --ak, --sk and --project-id form account N.
    #[arg(long, value_name = "AK", requires_all = ["sk", "project_id"])]
    pub ak: Vec<String>,
    /// Secret key of the account of the same position; repeatable.
    #[arg(long, value_name = "SK", requires = "ak")]
    pub sk: Vec<String>,
    /// Project of the account of the same position; repeatable. The first one is also
    /// the project of a --token given without one.
    #[arg(long, value_name = "ID")]
    pub project_id: Vec<String>,
    /// An accepted X-Auth-Token, granting PROJECT_ID (after the last `:`) or else the
    /// first --project-id; repeatable (the same token twice grants two projects).
    #[arg(long, value_name = "TOKEN[:PROJECT_ID]")]
    pub token: Vec<String>,
    /// JSON file of accepted credentials, added to the flags':
    /// {"accounts": [{"ak", "sk", "project_id"}], "tokens": [{"token", "project_id"}]}.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// Break the contract in one known way (repeatable); see --list-faults.
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<Fault>,
    /// Print every fault mode, one a line (`NAME  description`), and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// An OBS bucket that exists (repeatable). With any given, only these exist: a
    /// tracked bucket not listed gets 400 CTS.0211, and so does a transfer bucket unless
    /// is_obs_created is true (which creates it). Without any, every valid name exists.
    #[arg(long, value_name = "NAME")]
    pub bucket: Vec<String>,
    /// Trackers present at start, per project, in ListTrackers' shape:
    /// {"<project_id>": {"trackers": [...]}}. They are listed exactly as the file gives them
    /// until updated. A file that cannot be read or parsed: exit 2.
    #[arg(long, value_name = "FILE")]
    pub preload: Option<PathBuf>,
    /// At most N requests per second per credential (AK, token or anonymous); past it,
    /// 429 APIGW.0308 in the API gateway's shape (request_id, Server: api-gateway).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Answer authentication failures as the API gateway does: 401 APIGW.0301 with a
    /// request_id and Server: api-gateway, instead of 401 CTS.0002 (403 is unchanged).
    #[arg(long)]
    pub gateway_errors: bool,
    /// Answer every request MS milliseconds late (after handling it), as a slow or distant
    /// service does: a create is then made well before its answer arrives.
    #[arg(long, value_name = "MS")]
    pub latency: Option<u64>,
    /// Behave like a real account: --gateway-errors, a management tracker already present
    /// in each project the credentials grant (--project-id, --token, --credentials), a rate
    /// limit of 100 requests per second (unless --rate-limit), and ListQuotas also lists
    /// smn_notification. Buckets still come from --bucket; --preload replaces the preset
    /// trackers.
    #[arg(long)]
    pub cloud: bool,
    /// Judge every request against the contract's request side and write each
    /// violation to FILE (JSON Lines); a summary is printed at shutdown (docs/sdk-authors.md).
    #[arg(long, value_name = "FILE")]
    pub violations: Option<PathBuf>,
    /// Answer a request that breaks the contract 400 (CTS.0003) with the violations in
    /// error_msg, once it has passed authentication (an unauthenticated one gets its 401).
    #[arg(long)]
    pub strict_requests: bool,
    /// Follow the two documents alone: none of api-facts' account rules (buckets that
    /// exist, one tracker per bucket operation, tracked bucket not the transfer bucket,
    /// status changes carrying data_bucket), and CTS.0003 for every refused input
    /// (docs/contract.md, "The documents-only target").
    #[arg(long)]
    pub documents_only: bool,
    #[command(flatten)]
    pub violation_limits: ViolationLimitArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Security model: the proxy forwards only what the real service would accept from a client \
holding the proxy's own credentials. A request is forwarded only if its signature verifies \
with --ak/--sk (or its X-Auth-Token is --token), its X-Sdk-Date is within 15 minutes, it \
is in origin form without `.`/`..` segments, and it addresses one of the contract's \
operations under /v3/{--project-id}/ (any one project without it) with that operation's method. Anything else is \
answered as the service would (401 APIGW.0301, 403, 404, 405, 400), judged, written to \
--violations, and never forwarded. Only an allow-list of client headers is passed on. \
--forward-unverified skips the credential check (for an SDK whose signing is not written \
yet; warned at every start). At start one signed ListTrackers of --project-id checks the \
proxy's own credentials (refused: exit 3). It listens on loopback unless --allow-remote.

Each forwarded request is judged against the contract (body, query, content type, signing \
rules), re-signed with --ak/--sk (or given --token) for the upstream; the answer is judged \
as a run judges it and passed back unchanged. Violations of both directions go to \
--violations as JSON Lines, appended to an existing file (never truncated), at most \
--violations-per-request records per request and --violations-max-bytes per file; a \
summary is printed at shutdown (Ctrl-C or SIGTERM). Secrets are never printed. See \
docs/sdk-authors.md.")]
pub struct ProxyArgs {
    /// The endpoint to forward to, e.g. https://cts.ap-southeast-1.myhuaweicloud.com
    /// (the base URL: no path).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Address to listen on (loopback unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:9001")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// The project clients may address (/v3/{ID}/...); the credentials' project, checked
    /// with one signed ListTrackers at start. Without it, each request may address any
    /// one project (the upstream decides which the credentials grant; warned at start).
    #[arg(long, value_name = "ID", env = "HUAWEICLOUD_SDK_PROJECT_ID")]
    pub project_id: Option<String>,
    /// Forward requests whose credentials do not verify (or without --ak/--sk/--token,
    /// with the client's own credentials): for an SDK whose signing is not written yet.
    #[arg(long)]
    pub forward_unverified: bool,
    /// Write each violation (request and response) to FILE, JSON Lines; an existing
    /// file is appended to.
    #[arg(long, value_name = "FILE")]
    pub violations: Option<PathBuf>,
    #[command(flatten)]
    pub violation_limits: ViolationLimitArgs,
    /// Per upstream request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// How much `--violations FILE` may hold.
#[derive(Args, Debug)]
pub struct ViolationLimitArgs {
    /// At most N violation records per request; past them one record says how many more
    /// were left out.
    #[arg(long, value_name = "N", default_value_t = crate::violations::sink::DEFAULT_PER_REQUEST,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub violations_per_request: u64,
    /// Largest size of the violations file in bytes; when reached, one last line says so
    /// and nothing more is written (violations are still counted in the summary).
    #[arg(long, value_name = "BYTES", default_value_t = crate::violations::sink::DEFAULT_MAX_FILE_BYTES,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub violations_max_bytes: u64,
}

impl ViolationLimitArgs {
    /// The sink of `--violations FILE` (appended to; `secrets` redacted from every line);
    /// a counting one for `counting` alone; none otherwise. The error is a usage message.
    pub fn sink(
        &self,
        path: Option<&Path>,
        counting: bool,
        secrets: Vec<String>,
    ) -> Result<Option<ViolationSink>, String> {
        let limits = SinkLimits {
            per_request: self.violations_per_request,
            max_file_bytes: self.violations_max_bytes,
        };
        match path {
            Some(path) => ViolationSink::append(path, secrets, limits)
                .map(Some)
                .map_err(|e| format!("cannot write the violations file {}: {e}", path.display())),
            None if counting => Ok(Some(ViolationSink::counting_only())),
            None => Ok(None),
        }
    }
}

/// The bounds of a server on the network (`serve`, `proxy`).
#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Listen on a non-loopback --listen address (without it: exit 2). Anyone who can
    /// reach the address can then use the server; a warning says what is exposed.
    #[arg(long)]
    pub allow_remote: bool,
    /// Seconds a connection may take to send a request's headers, counted from when it
    /// opens or its previous answer was sent (so also the idle keep-alive timeout).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub header_timeout: f64,
    /// Seconds a request's body may take to arrive whole.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub body_timeout: f64,
    /// Connections open at once; more wait until one closes.
    #[arg(long, value_name = "N", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Bytes of request bodies held at once over all connections (each counts its
    /// Content-Length, or the body cap without one); a body that does not fit in what is
    /// left is answered 503 with Retry-After at once.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub body_budget: usize,
    /// Seconds Ctrl-C or SIGTERM waits for requests in flight before cutting them.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub drain_timeout: f64,
}

impl ServerArgs {
    /// Refuses a non-loopback `listen` without `--allow-remote` (the usage message);
    /// with it, warns through `notice` that `exposed` is open to whoever reaches it.
    pub fn check_listen(
        &self,
        listen: SocketAddr,
        exposed: &'static str,
        notice: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        match crate::emulator::server::check_listen(listen, self.allow_remote, exposed) {
            Ok(Some(warning)) => {
                notice(warning);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(refused) => Err(refused.to_string()),
        }
    }

    /// The limits, or the usage message of a flag out of range.
    pub fn limits(&self) -> Result<crate::emulator::server::ServerLimits, String> {
        let seconds = |flag: &str, value: f64| {
            if value.is_finite() && value > 0.0 && value < 1e9 {
                Ok(std::time::Duration::from_secs_f64(value))
            } else {
                Err(format!(
                    "--{flag} must be a positive number of seconds, not {value}"
                ))
            }
        };
        Ok(crate::emulator::server::ServerLimits {
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
