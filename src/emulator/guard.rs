//! The gate every request passes before a handler sees it: the body is read once,
//! up to the configured cap, and the request is checked as a whole.
//!
//! Today the check lets everything through. Request authentication (AK/SK
//! `SDK-HMAC-SHA256` signature verification, or an `X-Auth-Token`) plugs into
//! [`authenticate`]: it receives the method, path, query, headers and the exact body
//! bytes the signature covers, and answers a [`CtsError`] (401/403) to refuse.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::CtsError;

/// What the guard needs to know.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// Bodies larger than this are refused with 400 CTS.0003, reading no further.
    pub max_body_bytes: usize,
}

/// A request as the authentication check sees it; the body is complete.
#[derive(Debug)]
pub struct RequestView<'a> {
    /// Request line and headers (method, URI with path and query, headers).
    pub parts: &'a Parts,
    /// The whole body.
    pub body: &'a Bytes,
}

/// Decides whether the request may reach the handlers. Always yes for now; the auth
/// issue verifies signatures and tokens here.
pub fn authenticate(_request: &RequestView<'_>) -> Result<(), CtsError> {
    Ok(())
}

/// The middleware: buffer the body under the cap, authenticate, pass on.
pub async fn guard(State(config): State<GuardConfig>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts, body, config.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    if let Err(error) = authenticate(&RequestView {
        parts: &parts,
        body: &body,
    }) {
        return error.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
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
