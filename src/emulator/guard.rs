//! The gate every request passes before a handler sees it: the body is read once,
//! up to the configured cap, and the request is checked as a whole.
//!
//! With a rate limit, the [`Throttle`] goes first: a request past its credential's
//! budget is answered `429 APIGW.0308` by the gateway ([`super::gateway`]).
//! Without an [`AuthPolicy`] every request passes. With one, [`authenticate`] hands
//! the method, the raw path and query as received, the headers and the exact body
//! bytes (what an AK/SK signature covers) to [`AuthPolicy::check`], and a refused
//! request is answered 401/403 ([`Refusal`]) before any handler runs; with
//! `gateway_errors` a 401 is the gateway's (`APIGW.0301`, `request_id`).

use std::sync::Arc;
use std::time::Instant;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::access::RequestId;
use super::auth_policy::{path_project, AuthPolicy, Refusal};
use super::error::CtsError;
use super::gateway::{CredentialKey, GatewayError, Throttle};
use crate::auth::RequestParts;

/// What the guard needs to know.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// Bodies larger than this are refused with 400 CTS.0003, reading no further.
    pub max_body_bytes: usize,
    /// Who may call; `None` lets every request through.
    pub auth: Option<Arc<AuthPolicy>>,
    /// Requests per second per credential; `None`: no limit.
    pub throttle: Option<Arc<Throttle>>,
    /// Answer authentication failures (401) as the API gateway does.
    pub gateway_errors: bool,
}

/// A request as the authentication check sees it; the body is complete.
#[derive(Debug)]
pub struct RequestView<'a> {
    /// Request line and headers (method, URI with path and query, headers).
    pub parts: &'a Parts,
    /// The whole body.
    pub body: &'a Bytes,
}

/// Decides whether the request may reach the handlers, by `policy` at time `now`.
pub fn authenticate(
    request: &RequestView<'_>,
    policy: &AuthPolicy,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    let uri = &request.parts.uri;
    let headers: Vec<(String, String)> = request
        .parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let parts = RequestParts {
        method: request.parts.method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &headers,
        body: request.body,
    };
    policy.check(&parts, path_project(uri.path()).as_deref(), now)
}

/// The middleware: buffer the body under the cap, authenticate, pass on.
pub async fn guard(State(config): State<GuardConfig>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(throttle) = &config.throttle {
        if !throttle.admit(&CredentialKey::of(&parts.headers), Instant::now()) {
            return GatewayError::throttled(throttle.limit(), gateway_request_id(&parts))
                .into_response();
        }
    }
    let body = match read_body(&parts, body, config.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    if let Some(policy) = &config.auth {
        let view = RequestView {
            parts: &parts,
            body: &body,
        };
        match authenticate(&view, policy, OffsetDateTime::now_utc()) {
            Ok(()) => {}
            Err(Refusal::Unauthenticated(why)) if config.gateway_errors => {
                return GatewayError::unauthenticated(&why, gateway_request_id(&parts))
                    .into_response();
            }
            Err(refusal) => return refusal.into_response(),
        }
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// The request id of the access log ([`RequestId`]) as the gateway writes it: 32
/// hex digits; a fresh one if the request has none.
fn gateway_request_id(parts: &Parts) -> String {
    parts.extensions.get::<RequestId>().map_or_else(
        || uuid::Uuid::new_v4().simple().to_string(),
        |id| id.0.replace('-', ""),
    )
}

async fn read_body(parts: &Parts, body: Body, max_body_bytes: usize) -> Result<Bytes, CtsError> {
    let too_large = || {
        CtsError::invalid_request(format!(
            "the request body is larger than {max_body_bytes} bytes"
        ))
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(max_body_bytes).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    // Reads at most `max_body_bytes` (a chunked body without Content-Length stops there).
    to_bytes(body, max_body_bytes).await.map_err(|error| {
        CtsError::invalid_request(format!(
            "the request body is larger than {max_body_bytes} bytes or could not be read: {error}"
        ))
    })
}
