//! `cts-conform proxy`: a validating proxy in front of a real CTS endpoint.
//!
//! Security model: the proxy holds credentials of an account (`--ak/--sk` or `--token`)
//! and forwards only what the real service would accept from a client holding the same
//! ones ([`admit`]): a request whose signature verifies with the proxy's AK/SK (or whose
//! token is the proxy's), dated within the gateway's 15 minutes, in origin form without
//! `.`/`..` segments, addressing one of the contract's operations of the configured
//! project with that operation's method. Anything else gets the answer the service
//! would give (401 in the gateway's shape, 403, 404, 405, 400) and reaches the upstream
//! never. `forward_unverified` (`--forward-unverified`) skips the credential check, for
//! an SDK whose signing is not written yet. Only [`admit::FORWARDED_HEADERS`] pass.
//!
//! Each client request is judged ([`crate::violations::Judge`]; the client's own
//! signature is verified with the proxy's credentials and its faults reported), refused
//! or re-signed with those credentials for the upstream host (the `Host` changes, so
//! the client's signature cannot pass through) or given the proxy's token, and
//! forwarded. The upstream's answer is judged as a run judges it
//! ([`crate::violations::judge_response`]) and passed back unchanged: status,
//! headers (except hop-by-hop ones) and body, byte for byte. Violations of both
//! directions go to one [`ViolationSink`]. Nothing here prints a secret.

pub mod admit;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::json;
use time::OffsetDateTime;

use crate::auth::{self, Credentials, RequestParts, SecretString};
use crate::emulator::auth_policy::{Account, AuthPolicy, Token};
use crate::emulator::server::{self, BodyError, BodyLimits, ServerLimits};
use crate::http::client::HttpClient;
use crate::http::exchange::{ReceivedResponse, SentRequest, TransportError};
use crate::violations::signing::MUST_BE_SIGNED;
use crate::violations::{
    judge_response, Direction, Judge, JudgeContext, JudgeError, Location, Violation, ViolationSink,
};
use admit::{Admission, Refused, CLIENT_CREDENTIAL_HEADERS, FORWARDED_HEADERS};

/// Headers that belong to one connection and are never passed back (RFC 9110 7.6.1).
pub const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// How the proxy authenticates to the upstream.
#[derive(Debug, Clone)]
pub enum UpstreamAuth {
    /// Pass the client's `Authorization` / `X-Auth-Token` through unchanged (an AK/SK
    /// signature then fails upstream, since the host differs). Nothing verifies: only
    /// with `forward_unverified` is anything forwarded.
    PassThrough,
    /// Re-sign every request with this AK/SK (and verify the client's signature with it).
    AkSk(Credentials),
    /// Send this token as `X-Auth-Token` (and accept only clients sending the same).
    Token(SecretString),
}

/// How the proxy behaves.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The upstream's base URL (`https://cts.example.com`), without a trailing slash.
    pub upstream: String,
    /// The project requests may address (`/v3/{project_id}/...`); `None`: any one project
    /// per request (the upstream decides which the proxy's credentials grant).
    pub project_id: Option<String>,
    pub auth: UpstreamAuth,
    /// Forward requests whose credentials do not verify (`--forward-unverified`).
    pub forward_unverified: bool,
    /// Where violations go.
    pub sink: Option<ViolationSink>,
    /// Per upstream request (headers and body).
    pub timeout: Duration,
    /// Largest request and response body passed through; a larger declared request
    /// body is answered 413 before it is read.
    pub max_body_bytes: usize,
    /// Timeouts, connection cap and body budget of the proxy's own server.
    pub limits: ServerLimits,
}

impl ProxyConfig {
    /// A proxy to `upstream` for `project_id` with 30 s timeouts, 8 MiB bodies and the
    /// default server limits, forwarding verified requests only.
    pub fn new(
        upstream: impl Into<String>,
        project_id: Option<String>,
        auth: UpstreamAuth,
        sink: Option<ViolationSink>,
    ) -> Self {
        ProxyConfig {
            upstream: upstream.into().trim_end_matches('/').to_owned(),
            project_id,
            auth,
            forward_unverified: false,
            sink,
            timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
            limits: ServerLimits::default(),
        }
    }

    /// The policy the client's credentials are verified with (`None`: not verified).
    fn policy(&self) -> Option<AuthPolicy> {
        if self.forward_unverified {
            return None;
        }
        // The policy verifies credentials only (it is asked with no project: which
        // project a request may address is the admission's decision), so without
        // --project-id its grant is a placeholder.
        let project_id = self.project_id.clone().unwrap_or_else(|| "*".into());
        let built = match &self.auth {
            UpstreamAuth::AkSk(credentials) => AuthPolicy::new(
                vec![Account {
                    credentials: credentials.clone(),
                    project_id,
                }],
                vec![],
            ),
            UpstreamAuth::Token(token) => AuthPolicy::new(
                vec![],
                vec![Token {
                    token: token.clone(),
                    project_id,
                }],
            ),
            UpstreamAuth::PassThrough => AuthPolicy::new(vec![], vec![]),
        };
        // Only an empty AK, SK, token or project fails; then nothing verifies.
        Some(built.unwrap_or_else(|_| {
            AuthPolicy::new(vec![], vec![]).unwrap_or_else(|_| unreachable!("empty policy"))
        }))
    }
}

struct ProxyState {
    config: ProxyConfig,
    client: HttpClient,
    /// `Host` as the upstream expects it (`host[:port]`).
    upstream_host: String,
    policy: Option<AuthPolicy>,
    bodies: BodyLimits,
}

/// What [`reqwest::Url::parse`] fails with.
pub type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

/// Why the proxy cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// A defect: the built-in contract is tested to compile.
    #[error("the built-in contract's request judge cannot be built: {0}")]
    Judge(#[source] &'static JudgeError),
    #[error("--upstream {upstream:?} is not a URL: {source}")]
    NotAUrl {
        upstream: String,
        #[source]
        source: UrlParseError,
    },
    #[error("--upstream {upstream:?} must be an http:// or https:// URL with a host")]
    NotHttp { upstream: String },
    #[error(
        "--upstream {upstream} has a path; requests would go to {upstream}/v3/{{project_id}}/..., \
         which no endpoint serves: pass the base URL, --upstream {base}"
    )]
    HasPath { upstream: String, base: String },
    #[error("the project id is empty: give --project-id")]
    NoProject,
    #[error(transparent)]
    Client(#[from] TransportError),
}

/// The upstream URL checked (http(s), a host, no path, query or fragment) and its `Host`.
fn upstream_host(upstream: &str) -> Result<String, ProxyError> {
    let url = reqwest::Url::parse(upstream).map_err(|source| ProxyError::NotAUrl {
        upstream: upstream.to_owned(),
        source,
    })?;
    let Some(host) = url
        .host_str()
        .filter(|_| matches!(url.scheme(), "http" | "https"))
    else {
        return Err(ProxyError::NotHttp {
            upstream: upstream.to_owned(),
        });
    };
    if !url.path().trim_end_matches('/').is_empty()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        let mut base = url.clone();
        base.set_path("");
        base.set_query(None);
        base.set_fragment(None);
        return Err(ProxyError::HasPath {
            upstream: upstream.to_owned(),
            base: base.as_str().trim_end_matches('/').to_owned(),
        });
    }
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// The proxy as an `axum::Router`. Fails on an unusable upstream URL or project.
pub fn router(config: ProxyConfig) -> Result<Router, ProxyError> {
    Judge::embedded().map_err(ProxyError::Judge)?;
    let upstream_host = upstream_host(&config.upstream)?;
    if config
        .project_id
        .as_deref()
        .is_some_and(|p| p.trim().is_empty())
    {
        return Err(ProxyError::NoProject);
    }
    let client = HttpClient::for_target(&config.upstream)?;
    let state = Arc::new(ProxyState {
        policy: config.policy(),
        bodies: BodyLimits::new(config.max_body_bytes, &config.limits),
        config,
        client,
        upstream_host,
    });
    Ok(Router::new().fallback(forward).with_state(state))
}

/// The proxy running in the background.
pub type RunningProxy = crate::emulator::RunningServer;

/// Binds `listen` and runs the proxy on the current runtime until shut down.
pub async fn start(config: ProxyConfig, listen: SocketAddr) -> std::io::Result<RunningProxy> {
    let app = router(config).map_err(std::io::Error::other)?;
    RunningProxy::spawn(app, listen).await
}

/// Runs the proxy standalone: prints `listening on http://ADDR` to stderr and serves
/// within `config.limits` until `shutdown` resolves, then drains.
pub async fn serve(
    config: ProxyConfig,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = config.limits.clone();
    let app = router(config).map_err(std::io::Error::other)?;
    server::serve(app, listen, &limits, shutdown).await
}

/// The proxy's own error answer (never the upstream's): CTS-shaped, `PROXY.XXXX`.
fn proxy_error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(json!({ "error_code": code, "error_msg": message })),
    )
        .into_response()
}

/// The answer to a body that was not read: 413 over the cap, 408 too slow, 503 when
/// other requests hold the whole body budget; the connection is closed.
fn body_refusal(error: &BodyError) -> Response {
    let (status, code) = match error {
        BodyError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "PROXY.0413"),
        BodyError::TimedOut(_) => (StatusCode::REQUEST_TIMEOUT, "PROXY.0408"),
        BodyError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "PROXY.0503"),
        BodyError::Read(_) => (StatusCode::BAD_REQUEST, "PROXY.0400"),
    };
    let mut response = proxy_error(status, code, error.to_string());
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let config = &state.config;
    let (parts, body) = request.into_parts();
    let held = match state.bodies.read(&parts.headers, body).await {
        Ok(held) => held,
        Err(error) => return body_refusal(&error),
    };
    let body: &Bytes = &held.bytes;
    let headers = crate::http::exchange::header_pairs(&parts.headers);
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let received = RequestParts {
        method: parts.method.as_str(),
        path,
        query,
        headers: &headers,
        body,
    };
    let now = OffsetDateTime::now_utc();
    let known: Vec<Credentials> = match &config.auth {
        UpstreamAuth::AkSk(creds) => vec![creds.clone()],
        _ => Vec::new(),
    };
    let Ok(judge) = Judge::embedded() else {
        return proxy_error(
            StatusCode::BAD_GATEWAY,
            "PROXY.0500",
            "the built-in contract does not compile".into(),
        );
    };
    let judgement = judge.judge(
        &received,
        &JudgeContext {
            now,
            request_id: None,
            credentials: &known,
            require_credentials: true,
        },
    );
    let admission = Admission {
        contract: judge.contract(),
        project_id: config.project_id.as_deref(),
        policy: state.policy.as_ref(),
    };
    if let Err(refused) = admit::admit(&admission, &parts.uri, &received, now) {
        let request_id = uuid::Uuid::new_v4().simple().to_string();
        if let Some(sink) = &config.sink {
            let mut violations = judgement.violations;
            for v in &mut violations {
                v.request_id = Some(request_id.clone());
            }
            // The judge names what breaks the contract (an unknown operation, bad
            // signing); another project breaks none. A refused request target, or
            // credentials refused with nothing judged (a wrong token), is recorded here.
            let own_record = match refused {
                Refused::NotOriginForm(_) | Refused::DotSegment => true,
                Refused::Unauthenticated(_) => violations.is_empty(),
                Refused::OtherProject { .. } | Refused::UnknownPath(_) | Refused::Method(_) => {
                    false
                }
            };
            if own_record {
                violations.push(
                    Violation::new(Location::Path, "", refused.rule(), refused.to_string()).stamp(
                        now,
                        Direction::Request,
                        judgement.operation.as_deref(),
                        Some(&request_id),
                    ),
                );
            }
            sink.record(&violations);
        }
        let mut response = refused.response(request_id.clone());
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-request-id", value);
        }
        return response;
    }

    let outgoing = upstream_request(&state, &received, now);
    let exchange = state
        .client
        .send(outgoing, config.timeout, config.max_body_bytes)
        .await;
    let response = match exchange.response {
        Ok(response) => response,
        Err(error) => {
            if let Some(sink) = &config.sink {
                sink.record(&judgement.violations);
            }
            return proxy_error(
                StatusCode::BAD_GATEWAY,
                "PROXY.0502",
                format!("the upstream gave no usable answer: {error}"),
            );
        }
    };
    let request_id = response.header("x-request-id").map(str::to_owned);
    if let Some(sink) = &config.sink {
        let mut violations: Vec<_> = judgement
            .violations
            .into_iter()
            .map(|mut v| {
                v.request_id.clone_from(&request_id);
                v
            })
            .collect();
        if let Some(op) = judgement
            .operation
            .as_deref()
            .and_then(|id| judge.contract().operation(id))
        {
            violations.extend(judge_response(
                judge.contract(),
                op,
                &response,
                request_id.as_deref(),
                OffsetDateTime::now_utc(),
            ));
        }
        sink.record(&violations);
    }
    passed_back(response)
}

/// The request to send upstream: the client's, with only [`FORWARDED_HEADERS`] kept
/// (and its own credentials, when it has none of the proxy's to replace them with).
fn upstream_request(
    state: &ProxyState,
    received: &RequestParts,
    now: OffsetDateTime,
) -> SentRequest {
    let config = &state.config;
    let own_credentials: &[&str] = match config.auth {
        UpstreamAuth::PassThrough => &CLIENT_CREDENTIAL_HEADERS,
        UpstreamAuth::AkSk(_) | UpstreamAuth::Token(_) => &[],
    };
    let mut headers: Vec<(String, String)> = received
        .headers
        .iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            FORWARDED_HEADERS.contains(&name.as_str()) || own_credentials.contains(&name.as_str())
        })
        .cloned()
        .collect();
    headers.push(("Host".into(), state.upstream_host.clone()));
    let url = if received.query.is_empty() {
        format!("{}{}", config.upstream, received.path)
    } else {
        format!("{}{}?{}", config.upstream, received.path, received.query)
    };
    match &config.auth {
        UpstreamAuth::PassThrough => {}
        UpstreamAuth::Token(token) => {
            headers.push(("X-Auth-Token".into(), token.expose().to_owned()))
        }
        UpstreamAuth::AkSk(creds) => {
            headers.push(("X-Sdk-Date".into(), auth::format_sdk_date(now)));
            // Sign the headers that must be signed (the Python SDK's set, less
            // User-Agent): other forwarded headers may change on the way freely.
            let signed: Vec<(String, String)> = headers
                .iter()
                .filter(|(n, _)| MUST_BE_SIGNED.contains(&n.to_ascii_lowercase().as_str()))
                .cloned()
                .collect();
            let base_path = reqwest::Url::parse(&url)
                .map(|u| u.path().to_owned())
                .unwrap_or_else(|_| received.path.to_owned());
            let parts = RequestParts {
                method: received.method,
                path: &base_path,
                query: received.query,
                headers: &signed,
                body: received.body,
            };
            if let Ok(authorization) = auth::sign(&parts, creds) {
                headers.push(("Authorization".into(), authorization.to_string()));
            }
        }
    }
    SentRequest {
        method: received.method.to_owned(),
        url,
        headers,
        body: (!received.body.is_empty()).then(|| received.body.to_vec()),
    }
}

/// The upstream's answer as the client gets it: same status, headers (less
/// hop-by-hop ones) and body bytes.
fn passed_back(response: ReceivedResponse) -> Response {
    let mut out = Response::new(Body::from(response.body));
    *out.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in &response.headers {
        if HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            out.headers_mut().append(name, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router_for(upstream: &str) -> Result<Router, ProxyError> {
        router(ProxyConfig::new(
            upstream,
            Some("p1".into()),
            UpstreamAuth::PassThrough,
            None,
        ))
    }

    #[test]
    fn an_unusable_upstream_is_refused_with_the_url() {
        let error = router_for("not a url").expect_err("no URL");
        assert!(
            matches!(&error, ProxyError::NotAUrl { upstream, .. } if upstream == "not a url"),
            "{error:?}"
        );
        assert!(std::error::Error::source(&error).is_some());
        assert!(error
            .to_string()
            .starts_with("--upstream \"not a url\" is not a URL: "));
        let error = router_for("ftp://host").expect_err("not http");
        assert_eq!(
            error.to_string(),
            "--upstream \"ftp://host\" must be an http:// or https:// URL with a host"
        );
        assert!(router_for("http://127.0.0.1:9").is_ok());
        assert!(router_for("http://127.0.0.1:9/").is_ok());
        let error = router_for("http://127.0.0.1:9/v3").expect_err("a path");
        assert!(
            error
                .to_string()
                .contains("has a path; requests would go to http://127.0.0.1:9/v3/v3/"),
            "{error}"
        );
        assert!(
            error.to_string().ends_with("--upstream http://127.0.0.1:9"),
            "{error}"
        );
    }
}
