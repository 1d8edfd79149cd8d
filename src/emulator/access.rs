//! Request ids and the access log: every response (errors and 404s included) gets
//! an `X-Request-Id` header with a fresh UUID, and with `verbose` one line per
//! request goes to stderr: method, path and query, status, milliseconds, request id.
//! The [`super::guard`] opens a [`Visit`] for each request before anything else and
//! closes it on the response.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use uuid::Uuid;

/// The response header carrying the request id (the SDK reads it into its errors).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// [`REQUEST_ID_HEADER`], parsed once.
const REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// The request id of one request: a UUID v4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(Uuid);

impl RequestId {
    /// A fresh one.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// With hyphens, as the `X-Request-Id` header and the violation records carry it:
    /// written into `buffer`, no allocation.
    pub fn hyphenated<'b>(&self, buffer: &'b mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &'b str {
        self.0.hyphenated().encode_lower(buffer)
    }

    /// 32 hex digits, as the API gateway writes it.
    pub fn simple(&self) -> String {
        self.0.simple().to_string()
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether to write the access log.
#[derive(Debug, Clone, Copy)]
pub struct AccessLog {
    /// One line per request to stderr.
    pub verbose: bool,
}

/// One request on its way through: its id, and with `verbose` what the log line needs.
#[derive(Debug)]
pub struct Visit {
    /// The request id.
    pub id: RequestId,
    /// Method, target and start, only when the line is written.
    logged: Option<(Method, String, Instant)>,
}

impl AccessLog {
    /// Opens the visit of `request`: a fresh id, and the start of its log line.
    pub fn open(&self, request: &Request) -> Visit {
        let logged = self.verbose.then(|| {
            let uri = request.uri();
            let target = uri
                .path_and_query()
                .map_or_else(|| uri.path().to_owned(), ToString::to_string);
            (request.method().clone(), target, Instant::now())
        });
        Visit {
            id: RequestId::new(),
            logged,
        }
    }
}

impl Visit {
    /// Closes the visit: stamps the request id on `response` and writes the log line.
    pub fn close(self, mut response: Response) -> Response {
        let mut buffer = [0; uuid::fmt::Hyphenated::LENGTH];
        let request_id = self.id.hyphenated(&mut buffer);
        if let Ok(value) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        if let Some((method, target, started)) = self.logged {
            eprintln!(
                "{method} {target} {} {}ms {request_id}",
                response.status().as_u16(),
                started.elapsed().as_millis()
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_fresh_uuids_in_both_spellings() {
        let (a, b) = (RequestId::new(), RequestId::new());
        assert_ne!(a, b);
        let mut buffer = [0; uuid::fmt::Hyphenated::LENGTH];
        let hyphenated = a.hyphenated(&mut buffer).to_owned();
        assert_eq!(hyphenated.len(), 36);
        assert_eq!(
            Uuid::parse_str(&hyphenated).map(|u| u.get_version_num()),
            Ok(4)
        );
        assert_eq!(a.simple(), hyphenated.replace('-', ""));
    }
}
