//! One HTTP exchange as the checks and reports see it: the request exactly as sent, and
//! the response (or why there is none), already fully read.

use std::time::Duration;

use serde_json::Value;

/// A request as sent on the wire (header values are kept; reports redact them).
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// A response, fully read (up to the size cap).
#[derive(Debug, Clone)]
pub struct ReceivedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

/// Why a request got no usable response (serialized in recordings: `run::transport`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportError {
    #[error("no response within {0:?} (timeout; raise it with --timeout)")]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    /// A replay: the recording cannot answer this request (it differs from the recorded
    /// one, or was never sent then).
    #[error("not replayable: {0}")]
    NotReplayable(String),
    #[error(
        "the response body is larger than the cap of {cap} bytes (read {read} so far; raise it with --max-response-bytes)"
    )]
    TooLarge { cap: usize, read: usize },
    #[error(
        "the response body did not arrive within {timeout:?}: status {status} came, then only {read} body bytes (a stalled or trickling target; raise the limit with --timeout)"
    )]
    BodyTimeout {
        timeout: Duration,
        status: u16,
        read: usize,
    },
    #[error("the connection failed: {0}")]
    Connection(String),
    #[error("the request could not be built: {0}")]
    Request(String),
}

/// Why a response body is not JSON ([`ReceivedResponse::json`]).
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body is not UTF-8 ({source})")]
    NotUtf8 {
        #[source]
        source: std::str::Utf8Error,
    },
    #[error("the body is not JSON ({source})")]
    NotJson {
        #[source]
        source: serde_json::Error,
    },
}

/// A request and what came of it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: SentRequest,
    pub response: Result<ReceivedResponse, TransportError>,
}

impl TransportError {
    /// The same error, saying it happened again on a second try.
    pub fn tried_twice(self) -> Self {
        const AGAIN: &str = " (and again on a second try, on a fresh connection)";
        match self {
            TransportError::Connect(m) => TransportError::Connect(m + AGAIN),
            TransportError::Connection(m) => TransportError::Connection(m + AGAIN),
            other => other,
        }
    }
}

impl ReceivedResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON: `None` when empty, `Some(Err)` with the reason when not JSON.
    pub fn json(&self) -> Option<Result<Value, BodyError>> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(match std::str::from_utf8(&self.body) {
            Err(source) => Err(BodyError::NotUtf8 { source }),
            Ok(text) => serde_json::from_str(text).map_err(|source| BodyError::NotJson { source }),
        })
    }

    /// The body as text for display (lossy for invalid UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Headers as the exchange types hold them: (name, value) pairs in the map's order, each
/// value read as UTF-8 (lossily: a header is bytes). One home for the runner, the proxy and
/// the emulator.
pub fn header_pairs(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// `application/json`, or any `+json` type, with or without parameters.
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
