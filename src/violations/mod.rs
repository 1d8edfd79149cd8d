//! Contract violations in what a client sends (and, through the proxy, in what a
//! service answers), as typed records for SDK and tool authors.
//!
//! The [`Judge`] is pure: given a request as received (method, raw path and query,
//! headers, body bytes) and the [`Contract`], it finds the operation and lists every
//! [`Violation`]: the body against the operation's request schema (which has
//! `additionalProperties: false`, so a misspelt key such as `aegncy_name` is one),
//! required keys, JSON types, enums, the query parameters (known names, types, enums),
//! the content type, and, when an `Authorization` header is present, the signing rules
//! (a header that must be signed but is not, a skewed `X-Sdk-Date`, a signature that
//! does not verify for the body sent), reusing [`crate::auth`]. [`judge_response`]
//! judges an answer as a run does ([`crate::check::contract_checks`]).
//!
//! Each violation serialises to one JSON Lines record ([`ViolationSink`]): time,
//! direction, operation, request id, location, JSON pointer, rule, document row,
//! value, message. Secrets never: the `Authorization` value, tokens and signatures are
//! never copied into a record, and the sink redacts the secrets it is given.
//!
//! Files: [`request`] (body and query), [`signing`] (the signing rules),
//! [`response`] (answers), [`doc_row`] (pointer -> document row), [`sink`] (the file and
//! the summary).

pub mod doc_row;
pub mod request;
pub mod response;
pub mod signing;
pub mod sink;

use serde::Serialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use request::{find_operation, Judge, JudgeContext, JudgeError, Judgement};
pub use response::judge_response;
pub use sink::ViolationSink;

/// Which way the judged message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// What the client sent.
    Request,
    /// What the service answered (proxy only).
    Response,
}

/// Where in the message the violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// The request line: method and path.
    Path,
    /// A query parameter (`pointer` is `/NAME`).
    Query,
    /// A header (`pointer` is `/lower-case-name`).
    Header,
    /// The JSON body (`pointer` is a JSON pointer into it, `""` for the whole body).
    Body,
    /// The response status.
    Status,
}

/// One broken rule: one JSON Lines record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// When it was judged (RFC 3339, UTC).
    pub time: String,
    pub direction: Direction,
    /// The `operationId`, when the request matched one.
    pub operation: Option<String>,
    /// The request id (the emulator's, or the upstream's `X-Request-Id`).
    pub request_id: Option<String>,
    pub location: Location,
    /// JSON pointer (see [`Location`]).
    pub pointer: String,
    /// The rule: a JSON Schema keyword (`additionalProperties`, `enum`, `required`,
    /// `type`, ...) or a named rule (`unsigned-header`, `sdk-date-skew`, `signature`, ...).
    pub rule: String,
    /// The row (or table) of the API documents the rule comes from.
    pub doc_row: Option<String>,
    /// The offending value (never a secret); `null` when absent.
    pub value: Option<Value>,
    /// What is wrong, in words.
    pub message: String,
}

/// Longest JSON text of a value kept in a record; longer ones are cut.
const MAX_VALUE_CHARS: usize = 200;

impl Violation {
    /// A violation not yet stamped with time, operation and request id.
    pub(crate) fn new(
        location: Location,
        pointer: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Violation {
            time: String::new(),
            direction: Direction::Request,
            operation: None,
            request_id: None,
            location,
            pointer: pointer.into(),
            rule: rule.into(),
            doc_row: None,
            value: None,
            message: message.into(),
        }
    }

    pub(crate) fn with_value(mut self, value: Option<Value>) -> Self {
        self.value = value.map(shorten);
        self
    }

    pub(crate) fn with_doc_row(mut self, doc_row: Option<String>) -> Self {
        self.doc_row = doc_row;
        self
    }

    /// Sets the time, direction, operation and request id.
    pub(crate) fn stamp(
        mut self,
        now: OffsetDateTime,
        direction: Direction,
        operation: Option<&str>,
        request_id: Option<&str>,
    ) -> Self {
        self.time = rfc3339(now);
        self.direction = direction;
        self.operation = operation.map(str::to_owned);
        self.request_id = request_id.map(str::to_owned);
        self
    }
}

/// `now` as RFC 3339.
pub(crate) fn rfc3339(now: OffsetDateTime) -> String {
    now.format(&Rfc3339).unwrap_or_default()
}

/// A value whose JSON text is too long becomes a string of its first characters.
fn shorten(value: Value) -> Value {
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        return value;
    }
    let mut cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
    cut.push('…');
    Value::String(cut)
}

/// A JSON pointer with one more member (escaped as RFC 6901 says).
pub(crate) fn join_pointer(pointer: &str, member: &str) -> String {
    crate::json_pointer::child(pointer, member)
}
