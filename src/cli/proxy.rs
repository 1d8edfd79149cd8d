//! `cts-conform proxy`: the validating proxy in front of a real endpoint
//! (`cts_conform::proxy`), and the violations file `serve` shares with it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use cts_conform::proxy::{self, ProxyConfig, UpstreamAuth};
use cts_conform::run::Credentials;
use cts_conform::violations::ViolationSink;

use super::args::CredentialArgs;
use super::exit::{runtime, usage, Exit};

#[derive(Args, Debug)]
#[command(after_help = "\
Each request is judged against the contract (body, query, content type, signing rules; the \
client's signature is verified with --ak/--sk), re-signed with --ak/--sk (or given --token) \
for the upstream and forwarded; the answer is judged as a run judges it and passed back \
unchanged. Violations of both directions go to --violations as JSON Lines; a summary is \
printed at shutdown (Ctrl-C). Secrets are never printed. See docs/sdk-authors.md.")]
pub(crate) struct ProxyArgs {
    /// The endpoint to forward to, e.g. https://cts.ap-southeast-1.myhuaweicloud.com.
    #[arg(long, value_name = "URL")]
    pub(crate) upstream: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    pub(crate) listen: SocketAddr,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
    /// Write each violation (request and response) to FILE, JSON Lines.
    #[arg(long, value_name = "FILE")]
    pub(crate) violations: Option<PathBuf>,
    /// Per upstream request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub(crate) timeout: f64,
}

/// The sink of `--violations FILE` (secrets redacted from every line); a counting one
/// for `counting` alone; none otherwise. The error is a usage message.
pub(crate) fn violation_sink(
    path: Option<&Path>,
    counting: bool,
    secrets: Vec<String>,
) -> Result<Option<ViolationSink>, String> {
    match path {
        Some(path) => ViolationSink::create(path, secrets)
            .map(Some)
            .map_err(|e| format!("cannot write the violations file {}: {e}", path.display())),
        None if counting => Ok(Some(ViolationSink::counting_only())),
        None => Ok(None),
    }
}

pub(crate) fn proxy(args: ProxyArgs) -> Exit {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return usage(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        ));
    }
    let (auth, secrets) = match args.credentials.credentials() {
        Credentials::AkSk(creds) => {
            let secrets = vec![creds.sk().expose().to_owned()];
            (UpstreamAuth::AkSk(creds), secrets)
        }
        Credentials::Token(token) => {
            let secrets = vec![token.expose().to_owned()];
            (UpstreamAuth::Token(token), secrets)
        }
        Credentials::None => {
            eprintln!(
                "warning: no --ak/--sk or --token: the client's credentials pass through \
                 unchanged (an AK/SK signature fails upstream, the host differs)"
            );
            (UpstreamAuth::PassThrough, Vec::new())
        }
    };
    let sink = match violation_sink(args.violations.as_deref(), true, secrets) {
        Ok(sink) => sink,
        Err(message) => return usage(message),
    };
    let mut config = ProxyConfig::new(args.upstream.clone(), auth, sink.clone());
    config.timeout = std::time::Duration::from_secs_f64(args.timeout);
    if let Err(e) = proxy::router(config.clone()) {
        return usage(e.to_string());
    }
    eprintln!("forwarding to {}", config.upstream);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("shutting down");
    };
    let served = runtime.block_on(proxy::serve(config, args.listen, shutdown));
    if let Some(sink) = &sink {
        eprint!("{}", sink.summary());
    }
    match served {
        Ok(()) => Exit::Passed,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.listen)),
    }
}
