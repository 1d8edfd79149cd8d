//! The gate every request passes before a handler sees it, as one layer: the request
//! gets its id and access-log line ([`super::access`]), is judged against the contract
//! when `serve --violations` or `--strict-requests` asked for it ([`super::violations`]),
//! its body is read once, up to the configured cap, and the request is checked as a
//! whole. Whatever is off costs nothing: a bodiless request is not buffered, and no
//! judge runs unless asked.
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

use axum::body::{to_bytes, Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::access::{AccessLog, RequestId};
use super::auth_policy::{path_project, AuthPolicy, Refusal};
use super::error::CtsError;
use super::gateway::{CredentialKey, GatewayError, Throttle};
use super::server::{BodyError, BodyLimits};
use super::violations::{self, ViolationLayer};
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
    let headers = crate::http::exchange::header_pairs(&request.parts.headers);
    let parts = RequestParts {
        method: request.parts.method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &headers,
        body: request.body,
    };
    policy.check(&parts, path_project(uri.path()).as_deref(), now)
}

/// Everything the gate needs, built once with the router.
#[derive(Debug)]
pub struct Gate {
    /// The access log.
    pub access: AccessLog,
    /// The request judge; `None` unless violations are recorded or refused.
    pub judge: Option<ViolationLayer>,
    /// The body cap, the throttle and authentication.
    pub guard: GuardConfig,
    /// How a body is read off the network: capped, timed, within the shared budget.
    pub body: BodyLimits,
}

/// The middleware: stamp and log; judge (if asked); throttle, buffer the body under
/// the cap, authenticate; pass on.
pub async fn gate(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let visit = gate.access.open(&request);
    let (parts, body) = request.into_parts();
    // Read off the network once, within the limits; the budget is held until answered.
    let response = match gate.body.read(&parts.headers, body).await {
        Ok(held) => {
            let request = Request::from_parts(parts, Body::from(held.bytes.clone()));
            let response = match admit(&gate, request, visit.id).await {
                Ok(request) => next.run(request).await,
                Err(refused) => refused,
            };
            drop(held);
            response
        }
        Err(error) => body_refusal(&error),
    };
    visit.close(response)
}

/// The answer to a body that was not read: over the cap 400 `CTS.0003` (as any
/// oversized body), too slow 408, no budget left 503 with `Retry-After`; each closes
/// the connection, since the rest of the body may still be on its way.
pub fn body_refusal(error: &BodyError) -> Response {
    let status = match error {
        BodyError::TooLarge(_) | BodyError::Read(_) => StatusCode::BAD_REQUEST,
        BodyError::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
        BodyError::Busy => StatusCode::SERVICE_UNAVAILABLE,
    };
    let code = if status == StatusCode::SERVICE_UNAVAILABLE {
        "CTS.0004"
    } else {
        "CTS.0003"
    };
    let body = serde_json::json!({ "error_code": code, "error_msg": error.to_string() });
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// The request as the handlers get it, or the answer that refuses it.
async fn admit(gate: &Gate, request: Request, request_id: RequestId) -> Result<Request, Response> {
    let (request, strict_refusal) = match &gate.judge {
        Some(judge) => violations::judge(judge, request, request_id).await?,
        None => (request, None),
    };
    // Authentication first: strictness refuses only a request that passed it.
    let request = guard(&gate.guard, request, request_id).await?;
    match strict_refusal {
        Some(refusal) => Err(refusal),
        None => Ok(request),
    }
}

/// The guard's part: throttle, buffer the body under the cap, authenticate.
async fn guard(
    config: &GuardConfig,
    request: Request,
    request_id: RequestId,
) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    if let Some(throttle) = &config.throttle {
        if !throttle.admit(&CredentialKey::of(&parts.headers), Instant::now()) {
            return Err(
                GatewayError::throttled(throttle.limit(), request_id.simple()).into_response(),
            );
        }
    }
    check_declared_length(&parts, config.max_body_bytes).map_err(IntoResponse::into_response)?;
    // A request without a body (every GET, most DELETEs) passes as it came.
    let (body, bytes) = if body.is_end_stream() {
        (body, Bytes::new())
    } else {
        let bytes = read_body(body, config.max_body_bytes)
            .await
            .map_err(IntoResponse::into_response)?;
        (Body::from(bytes.clone()), bytes)
    };
    if let Some(policy) = &config.auth {
        let view = RequestView {
            parts: &parts,
            body: &bytes,
        };
        match authenticate(&view, policy, OffsetDateTime::now_utc()) {
            Ok(()) => {}
            Err(Refusal::Unauthenticated(why)) if config.gateway_errors => {
                return Err(
                    GatewayError::unauthenticated(&why, request_id.simple()).into_response()
                );
            }
            Err(refusal) => return Err(refusal.into_response()),
        }
    }
    Ok(Request::from_parts(parts, body))
}

fn too_large(max_body_bytes: usize) -> CtsError {
    CtsError::invalid_request(format!(
        "the request body is larger than {max_body_bytes} bytes"
    ))
}

/// A `Content-Length` over the cap is refused before any of the body is read.
fn check_declared_length(parts: &Parts, max_body_bytes: usize) -> Result<(), CtsError> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(max_body_bytes).unwrap_or(u64::MAX)) {
        return Err(too_large(max_body_bytes));
    }
    Ok(())
}

async fn read_body(body: Body, max_body_bytes: usize) -> Result<Bytes, CtsError> {
    // Reads at most `max_body_bytes` (a chunked body without Content-Length stops there).
    to_bytes(body, max_body_bytes).await.map_err(|error| {
        CtsError::invalid_request(format!(
            "the request body is larger than {max_body_bytes} bytes or could not be read: {error}"
        ))
    })
}
