//! `serve --violations FILE` and `serve --strict-requests`: every request is judged
//! against the contract's request side ([`crate::violations::Judge`]) before the
//! guard sees it ([`super::guard::gate`] calls [`judge`], only when one of the two is
//! on), so signing faults the guard refuses are reported too. Each
//! violation goes to the [`ViolationSink`] as it happens; the emulator then answers
//! as it would, or, with `strict`, answers a violating request 400 (CTS.0003) with
//! the violations in `error_msg` once the request has passed authentication (an
//! unauthenticated one gets the guard's 401 as without `strict`).

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::access::RequestId;
use super::error::CtsError;
use crate::auth::{Credentials, RequestParts};
use crate::violations::{Judge, JudgeContext, ViolationSink};

/// What the layer needs.
#[derive(Debug, Clone)]
pub struct ViolationLayer {
    /// Where violations go (`None`: only `strict` matters).
    pub sink: Option<ViolationSink>,
    /// Answer a violating request 400 instead of as usual.
    pub strict: bool,
    /// The accounts' credentials, to verify signatures with.
    pub credentials: Arc<Vec<Credentials>>,
    /// Whether an unauthenticated request is a violation (authentication is on).
    pub require_credentials: bool,
    /// The body cap (as the guard's).
    pub max_body_bytes: usize,
}

impl ViolationLayer {
    /// Whether requests are judged at all (a sink to write to, or strict).
    pub fn is_on(&self) -> bool {
        self.sink.is_some() || self.strict
    }
}

/// Reads the body, judges, records; gives the request back with, when strict and the
/// request violates the contract, the 400 that answers it once it has passed
/// authentication (the guard decides that: an unauthenticated request gets its 401 first).
pub async fn judge(
    layer: &ViolationLayer,
    request: Request,
    request_id: RequestId,
) -> Result<(Request, Option<Response>), Response> {
    if !layer.is_on() {
        return Ok((request, None));
    }
    // The built-in contract is tested to compile; were it not, requests pass unjudged.
    let Ok(judge) = Judge::embedded() else {
        return Ok((request, None));
    };
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, layer.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => {
            return Err(CtsError::invalid_request(format!(
                "the request body is larger than {} bytes or could not be read: {error}",
                layer.max_body_bytes
            ))
            .into_response())
        }
    };
    let headers = crate::http::exchange::header_pairs(&parts.headers);
    let mut id_buffer = [0; uuid::fmt::Hyphenated::LENGTH];
    let request_id = request_id.hyphenated(&mut id_buffer);
    let judgement = judge.judge(
        &RequestParts {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: &body,
        },
        &JudgeContext {
            now: OffsetDateTime::now_utc(),
            request_id: Some(request_id),
            credentials: &layer.credentials,
            require_credentials: layer.require_credentials,
        },
    );
    if let Some(sink) = &layer.sink {
        sink.record(&judgement.violations);
    }
    if layer.strict && !judgement.violations.is_empty() {
        let listed: Vec<String> = judgement
            .violations
            .iter()
            .map(|v| {
                format!(
                    "{} {:?}: {} ({})",
                    v.rule,
                    v.pointer,
                    v.message,
                    location(v)
                )
            })
            .collect();
        let refusal = CtsError::invalid_request(format!(
            "the request breaks the contract: {}",
            listed.join("; ")
        ))
        .into_response();
        return Ok((Request::from_parts(parts, Body::from(body)), Some(refusal)));
    }
    Ok((Request::from_parts(parts, Body::from(body)), None))
}

fn location(v: &crate::violations::Violation) -> &'static str {
    match v.location {
        crate::violations::Location::Path => "path",
        crate::violations::Location::Query => "query",
        crate::violations::Location::Header => "header",
        crate::violations::Location::Body => "body",
        crate::violations::Location::Status => "status",
    }
}
