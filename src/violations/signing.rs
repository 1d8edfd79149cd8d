//! The signing rules a request breaks, judged with [`crate::auth`]: the
//! `Authorization` header parses, the headers that must be signed are signed, every
//! signed header is sent, `X-Sdk-Date` is well-formed and within 15 minutes of the
//! judge's clock, and (given the client's credentials) the signature verifies for
//! what was sent, body included.
//!
//! Which headers must be signed (docs/contract.md, "Request-side rules"): `host`,
//! `x-sdk-date`, `content-type` and `x-project-id` whenever they are sent; the
//! official Python SDK signs all four. The `Authorization` value, the AK and any
//! token are never copied into a violation.

use time::Duration;

use super::request::header;
use super::{Location, Violation};
use crate::auth::{self, AuthError, Authorization, RequestParts, SDK_DATE_HEADER};

/// The document row of every signing rule.
pub const SIGNING_DOC_ROW: &str = "api-facts: Request signing: SDK-HMAC-SHA256 (AK/SK)";

/// Headers that must be in `SignedHeaders` whenever the request carries them.
pub const MUST_BE_SIGNED: [&str; 4] = ["host", "x-sdk-date", "content-type", "x-project-id"];

/// How far `X-Sdk-Date` may be from the clock (the gateway's 15 minutes).
pub const MAX_SKEW: Duration = Duration::minutes(15);

/// Headers whose value is a secret: never written into a violation.
const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "x-auth-token",
    "x-security-token",
    "cookie",
    "proxy-authorization",
];

fn rule(location: Location, pointer: &str, rule: &str, message: String) -> Violation {
    Violation::new(location, pointer, rule, message).with_doc_row(Some(SIGNING_DOC_ROW.to_owned()))
}

/// A header's value for a record: `None` for secret-bearing headers.
fn shown(name: &str, value: Option<String>) -> Option<serde_json::Value> {
    if SECRET_HEADERS.contains(&name) {
        return None;
    }
    value.map(serde_json::Value::String)
}

/// The signing violations of `request`.
pub(super) fn violations(request: &RequestParts, context: &super::JudgeContext) -> Vec<Violation> {
    let mut found = Vec::new();
    let Some(value) = header(request.headers, "authorization") else {
        if context.require_credentials && header(request.headers, "x-auth-token").is_none() {
            found.push(rule(
                Location::Header,
                "/authorization",
                "credentials",
                "the request is neither signed (Authorization: SDK-HMAC-SHA256 ...) nor carries X-Auth-Token".into(),
            ));
        }
        return found;
    };
    let authorization: Authorization = match value.parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            found.push(rule(
                Location::Header,
                "/authorization",
                "authorization",
                error.to_string(),
            ));
            return found;
        }
    };
    let signed = &authorization.signed_headers;
    for name in MUST_BE_SIGNED {
        let sent = header(request.headers, name);
        if sent.is_some() && !signed.iter().any(|s| s == name) {
            found.push(
                rule(
                    Location::Header,
                    &format!("/{name}"),
                    "unsigned-header",
                    format!(
                        "header {name} is sent but not listed in SignedHeaders ({})",
                        signed.join(";")
                    ),
                )
                .with_value(shown(name, sent)),
            );
        }
    }
    for name in signed {
        if name != SDK_DATE_HEADER && header(request.headers, name).is_none() {
            found.push(rule(
                Location::Header,
                &format!("/{name}"),
                "missing-signed-header",
                format!("header {name} is listed in SignedHeaders but is not in the request"),
            ));
        }
    }
    let date_ok = match header(request.headers, SDK_DATE_HEADER) {
        None => {
            found.push(rule(
                Location::Header,
                "/x-sdk-date",
                "sdk-date",
                AuthError::MissingDate.to_string(),
            ));
            false
        }
        Some(date) => match auth::parse_sdk_date(&date) {
            Err(error) => {
                found.push(
                    rule(
                        Location::Header,
                        "/x-sdk-date",
                        "sdk-date",
                        error.to_string(),
                    )
                    .with_value(Some(date.into())),
                );
                false
            }
            Ok(signed_at) => {
                let skew = signed_at - context.now;
                if skew.abs() > MAX_SKEW {
                    found.push(
                        rule(
                            Location::Header,
                            "/x-sdk-date",
                            "sdk-date-skew",
                            format!(
                                "X-Sdk-Date is {} s away from the clock, more than the {} s allowed",
                                skew.whole_seconds(),
                                MAX_SKEW.whole_seconds()
                            ),
                        )
                        .with_value(Some(date.into())),
                    );
                }
                true
            }
        },
    };
    if context.credentials.is_empty() || !date_ok {
        return found;
    }
    // The clock was judged above: here only the signature itself.
    let lookup = |ak: &str| context.credentials.iter().find(|c| c.ak == ak);
    match auth::verify(request, lookup, context.now, Duration::weeks(52 * 100)) {
        Err(AuthError::UnknownAccessKey) => found.push(rule(
            Location::Header,
            "/authorization",
            "unknown-access-key",
            AuthError::UnknownAccessKey.to_string(),
        )),
        Err(AuthError::SignatureMismatch) => found.push(rule(
            Location::Header,
            "/authorization",
            "signature",
            format!(
                "the signature does not verify for the request sent (payload hash of the {}-byte body, method, path, query or a signed header differ from what was signed, or another SK signed it)",
                request.body.len()
            ),
        )),
        // The other errors are reported above by their own rule.
        _ => {}
    }
    found
}
