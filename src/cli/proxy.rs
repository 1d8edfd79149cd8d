//! `cts-conform proxy`: the validating proxy in front of a real endpoint
//! (`cts_conform::proxy`), and the violations file `serve` shares with it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use cts_conform::emulator::server;
use cts_conform::http::client::HttpClient;
use cts_conform::proxy::{self, ProxyConfig, UpstreamAuth};
use cts_conform::run::{preflight, Credentials, RunConfig};
use cts_conform::violations::sink::SinkLimits;
use cts_conform::violations::ViolationSink;

use super::args::{CredentialArgs, ServerArgs, ViolationLimitArgs};
use super::exit::{runtime, usage, Exit};

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
pub(crate) struct ProxyArgs {
    /// The endpoint to forward to, e.g. https://cts.ap-southeast-1.myhuaweicloud.com
    /// (the base URL: no path).
    #[arg(long, value_name = "URL")]
    pub(crate) upstream: String,
    /// Address to listen on (loopback unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:9001")]
    pub(crate) listen: SocketAddr,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
    /// The project clients may address (/v3/{ID}/...); the credentials' project, checked
    /// with one signed ListTrackers at start. Without it, each request may address any
    /// one project (the upstream decides which the credentials grant; warned at start).
    #[arg(long, value_name = "ID", env = "HUAWEICLOUD_SDK_PROJECT_ID")]
    pub(crate) project_id: Option<String>,
    /// Forward requests whose credentials do not verify (or without --ak/--sk/--token,
    /// with the client's own credentials): for an SDK whose signing is not written yet.
    #[arg(long)]
    pub(crate) forward_unverified: bool,
    /// Write each violation (request and response) to FILE, JSON Lines; an existing
    /// file is appended to.
    #[arg(long, value_name = "FILE")]
    pub(crate) violations: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) violation_limits: ViolationLimitArgs,
    /// Per upstream request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub(crate) timeout: f64,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// The sink of `--violations FILE` (appended to; secrets redacted from every line); a
/// counting one for `counting` alone; none otherwise. The error is a usage message.
pub(crate) fn violation_sink(
    path: Option<&Path>,
    limits: &ViolationLimitArgs,
    counting: bool,
    secrets: Vec<String>,
) -> Result<Option<ViolationSink>, String> {
    let limits = SinkLimits {
        per_request: limits.violations_per_request,
        max_file_bytes: limits.violations_max_bytes,
    };
    match path {
        Some(path) => ViolationSink::append(path, secrets, limits)
            .map(Some)
            .map_err(|e| format!("cannot write the violations file {}: {e}", path.display())),
        None if counting => Ok(Some(ViolationSink::counting_only())),
        None => Ok(None),
    }
}

/// Prints the warning of a non-loopback `listen`, or gives the usage error without
/// `--allow-remote`.
pub(crate) fn check_listen(
    listen: SocketAddr,
    allow_remote: bool,
    exposed: &'static str,
) -> Result<(), Exit> {
    match server::check_listen(listen, allow_remote, exposed) {
        Ok(Some(warning)) => {
            eprintln!("{warning}");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(refused) => Err(usage(refused.to_string())),
    }
}

pub(crate) fn proxy(args: ProxyArgs) -> Exit {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return usage(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        ));
    }
    let limits = match args.server.limits() {
        Ok(limits) => limits,
        Err(message) => return usage(message),
    };
    if let Err(exit) = check_listen(
        args.listen,
        args.server.allow_remote,
        "the upstream with the proxy's credentials",
    ) {
        return exit;
    }
    let project_id = args.project_id.clone();
    if project_id.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return usage(
            "--project-id is empty: give the project the proxy forwards requests of".into(),
        );
    }
    let credentials = args.credentials.credentials();
    let (auth, secrets) = match &credentials {
        Credentials::AkSk(creds) => (
            UpstreamAuth::AkSk(creds.clone()),
            vec![creds.sk().expose().to_owned()],
        ),
        Credentials::Token(token) => (
            UpstreamAuth::Token(token.clone()),
            vec![token.expose().to_owned()],
        ),
        Credentials::None if args.forward_unverified => {
            eprintln!(
                "warning: no --ak/--sk or --token: the client's credentials pass through \
                 unchanged (an AK/SK signature fails upstream, the host differs)"
            );
            (UpstreamAuth::PassThrough, Vec::new())
        }
        Credentials::None => {
            return usage(
                "give --ak/--sk or --token: the proxy forwards only requests whose \
                 credentials verify with its own (or pass --forward-unverified)"
                    .into(),
            )
        }
    };
    if args.forward_unverified {
        eprintln!(
            "warning: --forward-unverified: requests are forwarded whether or not their \
             credentials verify; anyone who reaches the proxy acts with its credentials"
        );
    }
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let sink = match violation_sink(
        args.violations.as_deref(),
        &args.violation_limits,
        true,
        secrets,
    ) {
        Ok(sink) => sink,
        Err(message) => return usage(message),
    };
    let mut config = ProxyConfig::new(args.upstream.clone(), project_id, auth, sink.clone());
    config.timeout = Duration::from_secs_f64(args.timeout);
    config.forward_unverified = args.forward_unverified;
    config.limits = limits;
    if let Err(e) = proxy::router(config.clone()) {
        return usage(e.to_string());
    }
    match (&config.project_id, &credentials) {
        (_, Credentials::None) => {}
        (Some(project_id), _) => {
            let check = check_credentials(&config, project_id, credentials.clone());
            if let Err(exit) = runtime.block_on(check) {
                return exit;
            }
        }
        (None, _) => eprintln!(
            "warning: no --project-id: a request may address any project (the upstream \
             decides which the proxy's credentials grant), and the credentials are not \
             checked at start (give --project-id for both)"
        ),
    }
    eprintln!("forwarding to {}", config.upstream);
    let served = runtime.block_on(proxy::serve(config, args.listen, server::interrupted()));
    if let Some(sink) = &sink {
        eprint!("{}", sink.summary());
    }
    match served {
        Ok(()) => Exit::Passed,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.listen)),
    }
}

/// One signed ListTrackers of the project, as a run checks before it starts: no
/// answer, or the credentials refused, is exit 3 with one line.
async fn check_credentials(
    config: &ProxyConfig,
    project_id: &str,
    credentials: Credentials,
) -> Result<(), Exit> {
    let mut check = RunConfig::new(config.upstream.clone(), project_id);
    check.credentials = credentials;
    check.timeout = config.timeout;
    let client = HttpClient::for_target(&config.upstream).map_err(|e| usage(e.to_string()))?;
    match preflight(&client, &check, &cts_conform::cts::Cts).await {
        Ok(answer) if answer.rejected() => {
            eprintln!(
                "error: the upstream refused the proxy's own credentials: {} (check --ak/--sk \
                 or --token and --project-id)",
                cts_conform::report::escape::terminal(&answer.answer())
            );
            Err(Exit::Unreachable)
        }
        Ok(_) => Ok(()),
        Err(error) => {
            eprintln!(
                "error: the upstream {} did not answer the credential check: {error}",
                config.upstream
            );
            Err(Exit::Unreachable)
        }
    }
}
