//! Request ids and the access log: every response (errors and 404s included) gets
//! an `X-Request-Id` header with a fresh UUID, and with `verbose` one line per
//! request goes to stderr: method, path and query, status, milliseconds, request id.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The response header carrying the request id (the SDK reads it into its errors).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id of the request being handled, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Whether to write the access log.
#[derive(Debug, Clone, Copy)]
pub struct AccessLog {
    /// One line per request to stderr.
    pub verbose: bool,
}

/// The middleware: stamp the request id, run the request, log it.
pub async fn stamp_and_log(
    State(log): State<AccessLog>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = request.method().clone();
    let target = log.verbose.then(|| {
        request
            .uri()
            .path_and_query()
            .map_or_else(|| request.uri().path().to_owned(), ToString::to_string)
    });
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if let Some(target) = target {
        eprintln!(
            "{method} {target} {} {}ms {request_id}",
            response.status().as_u16(),
            started.elapsed().as_millis()
        );
    }
    response
}
