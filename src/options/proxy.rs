//! What `proxy`'s flags ask for: the proxy's configuration ([`ProxyConfig`]) with the
//! upstream's credentials, and the check of those credentials at start (one signed
//! ListTrackers of `--project-id`, as a run checks before it starts). Warnings go to
//! `notice` in the order they are found; a bad flag is the error.

use std::time::Duration;

use super::server_args::ProxyArgs;
use crate::http::client::HttpClient;
use crate::proxy::{self, ProxyConfig, UpstreamAuth};
use crate::run::{preflight, Credentials, RunConfig};
use crate::runner::RunError;

/// The proxy the flags describe, and what its start must check.
pub struct ProxySetup {
    pub config: ProxyConfig,
    /// The project and credentials to check with one signed ListTrackers before serving
    /// (none without `--project-id` or without credentials).
    pub check: Option<(String, Credentials)>,
}

impl ProxyArgs {
    /// The proxy these flags describe; the error is a usage message.
    pub fn proxy_config(&self, notice: &mut dyn FnMut(String)) -> Result<ProxySetup, String> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(format!(
                "--timeout must be a positive number of seconds, not {}",
                self.timeout
            ));
        }
        let limits = self.server.limits()?;
        self.server.check_listen(
            self.listen,
            "the upstream with the proxy's credentials",
            notice,
        )?;
        let project_id = self.project_id.clone();
        if project_id.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(
                "--project-id is empty: give the project the proxy forwards requests of".into(),
            );
        }
        let credentials = self.credentials.credentials();
        let (auth, secrets) = match &credentials {
            Credentials::AkSk(creds) => (
                UpstreamAuth::AkSk(creds.clone()),
                vec![creds.sk().expose().to_owned()],
            ),
            Credentials::Token(token) => (
                UpstreamAuth::Token(token.clone()),
                vec![token.expose().to_owned()],
            ),
            Credentials::None if self.forward_unverified => {
                notice(
                    "warning: no --ak/--sk or --token: the client's credentials pass through \
                     unchanged (an AK/SK signature fails upstream, the host differs)"
                        .into(),
                );
                (UpstreamAuth::PassThrough, Vec::new())
            }
            Credentials::None => {
                return Err(
                    "give --ak/--sk or --token: the proxy forwards only requests whose \
                     credentials verify with its own (or pass --forward-unverified)"
                        .into(),
                )
            }
        };
        if self.forward_unverified {
            notice(
                "warning: --forward-unverified: requests are forwarded whether or not their \
                 credentials verify; anyone who reaches the proxy acts with its credentials"
                    .into(),
            );
        }
        let sink = self
            .violation_limits
            .sink(self.violations.as_deref(), true, secrets)?;
        let mut config = ProxyConfig::new(self.upstream.clone(), project_id, auth, sink);
        config.timeout = Duration::from_secs_f64(self.timeout);
        config.forward_unverified = self.forward_unverified;
        config.limits = limits;
        // The router refuses an upstream it cannot forward to (a URL with a path, ...).
        let _checked = proxy::router(config.clone()).map_err(|e| e.to_string())?;
        let check = match (&config.project_id, credentials) {
            (_, Credentials::None) => None,
            (Some(project_id), credentials) => Some((project_id.clone(), credentials)),
            (None, _) => {
                notice(
                    "warning: no --project-id: a request may address any project (the upstream \
                     decides which the proxy's credentials grant), and the credentials are not \
                     checked at start (give --project-id for both)"
                        .into(),
                );
                None
            }
        };
        Ok(ProxySetup { config, check })
    }
}

/// One signed ListTrackers of `project_id` with `credentials`, as a run checks before it
/// starts: no answer, or the credentials refused, is [`RunError::Unreachable`] (exit 3)
/// with one line; an upstream URL no client can be made for is a configuration error.
pub async fn check_credentials(
    config: &ProxyConfig,
    project_id: &str,
    credentials: Credentials,
) -> Result<(), RunError> {
    let mut check = RunConfig::new(config.upstream.clone(), project_id);
    check.credentials = credentials;
    check.timeout = config.timeout;
    let client =
        HttpClient::for_target(&config.upstream).map_err(|e| RunError::Config(e.to_string()))?;
    match preflight(&client, &check, &crate::cts::Cts).await {
        Ok(answer) if answer.rejected() => Err(RunError::Unreachable(format!(
            "the upstream refused the proxy's own credentials: {} (check --ak/--sk \
             or --token and --project-id)",
            crate::report::escape::terminal(&answer.answer())
        ))),
        Ok(_) => Ok(()),
        Err(error) => Err(RunError::Unreachable(format!(
            "the upstream {} did not answer the credential check: {error}",
            config.upstream
        ))),
    }
}
