//! AK/SK request signing (`SDK-HMAC-SHA256`, as in the Huawei Cloud SDKs) and its
//! verification, plus redaction of secrets from anything the harness prints.
//!
//! One algorithm serves both sides: the harness client calls [`sign()`], the emulator
//! calls [`verify()`]; both build the same [`canonical_request`]. Everything here is
//! pure: no I/O, no clock (the caller passes `now`), no async.
//!
//! Signing, in short (see [`canonical`] for the exact rules):
//! 1. The caller puts `Host`, `X-Sdk-Date` ([`format_sdk_date`]) and the other
//!    headers (`X-Project-Id`, `Content-Type`, ...) into the request.
//! 2. [`sign()`] signs every header whose name has no `_`, lower-cased and sorted, and
//!    returns an [`Authorization`] whose `Display` is the header value
//!    `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`.
//!
//! Verification ([`verify()`]) parses that header, looks up the SK of its AK, checks
//! `X-Sdk-Date` against the clock, recomputes the signature over the same signed
//! headers and compares in constant time.
//!
//! Secrets: [`SecretString`] and [`Credentials`] never print the SK; no
//! [`AuthError`] message contains the SK, the AK or a signature; [`Redactor`] scrubs
//! registered secrets and known secret-bearing patterns from text.

pub mod canonical;
pub mod date;
pub mod redact;
pub mod sign;
pub mod verify;

use std::fmt;
use std::str::FromStr;

pub use canonical::{canonical_request, string_to_sign};
pub use date::{format_sdk_date, parse_sdk_date, SDK_DATE_HEADER};
pub use redact::Redactor;
pub use sign::{sign, signature};
pub use verify::{verify, Verified};

/// The algorithm name, first word of the `Authorization` value and first line of the
/// string to sign.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// A string that must not be printed: `Debug` and `Display` show `***`.
/// Read it deliberately with [`SecretString::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Do not print it; pass it to [`Redactor::new`] instead.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An access key (AK, public identifier) and its secret key (SK).
/// `Debug` prints the SK as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id, sent in clear in `Authorization: ... Access=<AK>`.
    pub ak: String,
    sk: SecretString,
}

impl Credentials {
    /// Builds credentials from an AK and an SK.
    pub fn new(ak: impl Into<String>, sk: impl Into<SecretString>) -> Self {
        Self {
            ak: ak.into(),
            sk: sk.into(),
        }
    }

    /// The secret key; `.expose()` it to get the string.
    pub fn sk(&self) -> &SecretString {
        &self.sk
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("ak", &self.ak)
            .field("sk", &self.sk)
            .finish()
    }
}

/// The parts of an HTTP request that the signature covers, borrowed as they are
/// (or will be) sent on the wire.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, upper case as sent (`GET`, `POST`, ...). Used verbatim.
    pub method: &'a str,
    /// The raw path as sent, possibly percent-encoded, without the query.
    pub path: &'a str,
    /// The raw query string without the `?`; may be empty.
    pub query: &'a str,
    /// The request headers as sent, names in any case. For signing they must already
    /// contain `X-Sdk-Date` (and `Host`, `X-Project-Id`, `Content-Type` as sent).
    pub headers: &'a [(String, String)],
    /// The body bytes exactly as sent; empty when there is no body.
    pub body: &'a [u8],
}

/// A parsed `Authorization` value:
/// `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>`.
///
/// `Display` produces exactly that form; `FromStr` accepts it with any amount of
/// whitespace around the separators, parameter names in any case and in any order.
/// `Debug` hides the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id (AK).
    pub access: String,
    /// The signed header names, lower case, in the order they were signed.
    pub signed_headers: Vec<String>,
    /// The signature, 64 lower-case hex digits.
    pub signature: String,
}

impl fmt::Display for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ALGORITHM} Access={}, SignedHeaders={}, Signature={}",
            self.access,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("access", &self.access)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"***")
            .finish()
    }
}

impl FromStr for Authorization {
    type Err = AuthError;

    /// Parses an `Authorization` value. Errors are [`AuthError::MalformedAuthorization`]
    /// and never quote the signature or the AK.
    fn from_str(s: &str) -> Result<Self, AuthError> {
        let bad = |why: &str| AuthError::MalformedAuthorization(why.to_owned());
        let s = s.trim();
        let (scheme, rest) = s
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((s, ""));
        if !scheme.eq_ignore_ascii_case(ALGORITHM) {
            return Err(bad(&format!(
                "the scheme must be {ALGORITHM} (got {} characters that are not it)",
                scheme.chars().count()
            )));
        }
        let (mut access, mut signed, mut signature) = (None, None, None);
        for param in rest.split(',') {
            let param = param.trim();
            if param.is_empty() {
                continue;
            }
            let Some((key, value)) = param.split_once('=') else {
                return Err(bad("each parameter must have the form Name=value"));
            };
            let (key, value) = (key.trim(), value.trim());
            let slot = if key.eq_ignore_ascii_case("Access") {
                &mut access
            } else if key.eq_ignore_ascii_case("SignedHeaders") {
                &mut signed
            } else if key.eq_ignore_ascii_case("Signature") {
                &mut signature
            } else {
                return Err(bad(
                    "unknown parameter; expected only Access, SignedHeaders and Signature",
                ));
            };
            if slot.replace(value).is_some() {
                return Err(bad("a parameter is given twice"));
            }
        }
        let access = access.ok_or_else(|| bad("the Access=<AK> parameter is missing"))?;
        let signed = signed.ok_or_else(|| bad("the SignedHeaders=<a;b> parameter is missing"))?;
        let signature = signature.ok_or_else(|| bad("the Signature=<hex> parameter is missing"))?;
        if access.is_empty() || access.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("Access must be a non-empty AK without spaces"));
        }
        let signed_headers: Vec<String> = signed
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if signed_headers
            .iter()
            .any(|h| h.is_empty() || !h.bytes().all(is_header_name_byte))
        {
            return Err(bad(
                "SignedHeaders must be header names separated by ';', none empty",
            ));
        }
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("Signature must be 64 hexadecimal digits"));
        }
        Ok(Authorization {
            access: access.to_owned(),
            signed_headers,
            signature: signature.to_ascii_lowercase(),
        })
    }
}

/// RFC 9110 token characters, the only ones a header name may contain.
fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Why a request could not be signed or did not verify. Messages say what is wrong
/// and what to do; they never contain the SK, the AK or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header (and, for the caller, no token either).
    #[error("the request has no Authorization header; sign it with AK/SK ({ALGORITHM}) or send X-Auth-Token")]
    MissingAuthorization,
    /// The `Authorization` header could not be parsed; the reason is given.
    #[error("malformed Authorization header: {0} (expected `{ALGORITHM} Access=<AK>, SignedHeaders=<a;b>, Signature=<64 hex digits>`)")]
    MalformedAuthorization(String),
    /// The AK is not one the verifier knows.
    #[error("the access key (AK) in the Authorization header is not known here; check the AK configured for this target")]
    UnknownAccessKey,
    /// No `X-Sdk-Date` header.
    #[error("the request has no X-Sdk-Date header; add it (UTC, YYYYMMDDTHHMMSSZ) before signing")]
    MissingDate,
    /// `X-Sdk-Date` is present but not `YYYYMMDDTHHMMSSZ`; the (shortened) value is given.
    #[error(
        "X-Sdk-Date `{0}` is not a UTC time of the form YYYYMMDDTHHMMSSZ (e.g. 20240101T000000Z)"
    )]
    MalformedDate(String),
    /// `X-Sdk-Date` is further from the verifier's clock than allowed.
    #[error("X-Sdk-Date {date} is {skew_seconds} s away from the server clock, more than the {max_seconds} s allowed; sync the client clock and sign again")]
    ClockSkew {
        /// The `X-Sdk-Date` value.
        date: String,
        /// Signed distance: date minus now, in seconds (negative: in the past).
        skew_seconds: i64,
        /// The allowed distance, in seconds.
        max_seconds: i64,
    },
    /// The recomputed signature differs from the one sent.
    #[error("the signature does not match: the request (method, path, query, a signed header or the body) changed after signing, or it was signed with a different SK")]
    SignatureMismatch,
    /// A header that must be signed is not listed in `SignedHeaders`.
    #[error("header `{0}` must be listed in SignedHeaders")]
    UnsignedRequiredHeader(String),
    /// A header listed in `SignedHeaders` is not in the request.
    #[error("header `{0}` is listed in SignedHeaders but is not in the request")]
    MissingSignedHeader(String),
}
