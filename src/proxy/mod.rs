//! `cts-conform proxy`: a validating proxy in front of a real CTS endpoint.
//!
//! Each client request is judged ([`crate::violations::Judge`]; the client's own
//! signature is verified with the proxy's credentials and its faults reported),
//! re-signed with those credentials for the upstream host (the `Host` changes, so
//! the client's signature cannot pass through) or given the proxy's token, and
//! forwarded. The upstream's answer is judged as a run judges it
//! ([`crate::violations::judge_response`]) and passed back unchanged: status,
//! headers (except hop-by-hop ones) and body, byte for byte. Violations of both
//! directions go to one [`ViolationSink`]. Nothing here prints a secret.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::json;
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::auth::{self, Credentials, RequestParts, SecretString};
use crate::http::client::HttpClient;
use crate::http::exchange::{ReceivedResponse, SentRequest, TransportError};
use crate::violations::signing::MUST_BE_SIGNED;
use crate::violations::{judge_response, Judge, JudgeContext, JudgeError, ViolationSink};

/// Headers that belong to one connection and are never forwarded (RFC 9110 7.6.1).
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
    /// signature then fails upstream, since the host differs).
    PassThrough,
    /// Re-sign every request with this AK/SK (and verify the client's signature with it).
    AkSk(Credentials),
    /// Send this token as `X-Auth-Token` instead of the client's credentials.
    Token(SecretString),
}

/// How the proxy behaves.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The upstream's base URL (`https://cts.example.com`), without a trailing slash.
    pub upstream: String,
    pub auth: UpstreamAuth,
    /// Where violations go.
    pub sink: Option<ViolationSink>,
    /// Per upstream request (headers and body).
    pub timeout: Duration,
    /// Largest request and response body passed through.
    pub max_body_bytes: usize,
}

impl ProxyConfig {
    /// A proxy to `upstream` with 30 s timeouts and 8 MiB bodies.
    pub fn new(
        upstream: impl Into<String>,
        auth: UpstreamAuth,
        sink: Option<ViolationSink>,
    ) -> Self {
        ProxyConfig {
            upstream: upstream.into().trim_end_matches('/').to_owned(),
            auth,
            sink,
            timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

struct ProxyState {
    config: ProxyConfig,
    client: HttpClient,
    /// `Host` as the upstream expects it (`host[:port]`).
    upstream_host: String,
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
    #[error(transparent)]
    Client(#[from] TransportError),
}

/// The proxy as an `axum::Router`. Fails on an unusable upstream URL.
pub fn router(config: ProxyConfig) -> Result<Router, ProxyError> {
    Judge::embedded().map_err(ProxyError::Judge)?;
    let url = reqwest::Url::parse(&config.upstream).map_err(|source| ProxyError::NotAUrl {
        upstream: config.upstream.clone(),
        source,
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ProxyError::NotHttp {
            upstream: config.upstream.clone(),
        });
    }
    let upstream_host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => String::new(),
    };
    let client = HttpClient::for_target(&config.upstream)?;
    let state = Arc::new(ProxyState {
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
/// until `shutdown` resolves.
pub async fn serve(
    config: ProxyConfig,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(config).map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(listen).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The proxy's own error answer (never the upstream's): CTS-shaped, `PROXY.XXXX`.
fn proxy_error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(json!({ "error_code": code, "error_msg": message })),
    )
        .into_response()
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let config = &state.config;
    let (parts, body) = request.into_parts();
    let body: Bytes = match to_bytes(body, config.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => {
            return proxy_error(
                StatusCode::BAD_REQUEST,
                "PROXY.0400",
                format!(
                    "the request body is larger than {} bytes or could not be read: {e}",
                    config.max_body_bytes
                ),
            )
        }
    };
    let headers = crate::http::exchange::header_pairs(&parts.headers);
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let received = RequestParts {
        method: parts.method.as_str(),
        path,
        query,
        headers: &headers,
        body: &body,
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

/// The request to send upstream: the client's, with hop-by-hop headers, `Host` and
/// `Content-Length` dropped, and its credentials replaced by the proxy's.
fn upstream_request(
    state: &ProxyState,
    received: &RequestParts,
    now: OffsetDateTime,
) -> SentRequest {
    let config = &state.config;
    let replaced: &[&str] = match config.auth {
        UpstreamAuth::PassThrough => &[],
        UpstreamAuth::AkSk(_) | UpstreamAuth::Token(_) => {
            &["authorization", "x-auth-token", "x-sdk-date"]
        }
    };
    let mut headers: Vec<(String, String)> = received
        .headers
        .iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&name.as_str())
                && name != "host"
                && name != "content-length"
                && !replaced.contains(&name.as_str())
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
        router(ProxyConfig::new(upstream, UpstreamAuth::PassThrough, None))
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
    }
}
