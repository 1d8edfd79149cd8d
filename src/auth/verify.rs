//! The verifier: what the emulator uses to check an AK/SK-signed request.
//!
//! Steps, each with its own [`AuthError`]:
//! 1. an `Authorization` header is present ([`AuthError::MissingAuthorization`]) and
//!    parses ([`AuthError::MalformedAuthorization`]);
//! 2. `x-sdk-date` is among its `SignedHeaders` ([`AuthError::UnsignedRequiredHeader`]).
//!    That is the only header required to be signed: the Go SDK's published vectors
//!    sign `x-sdk-date` alone, without `host`, and real clients must verify. Every
//!    listed header must be present in the request ([`AuthError::MissingSignedHeader`]);
//! 3. `X-Sdk-Date` is present ([`AuthError::MissingDate`]), well-formed
//!    ([`AuthError::MalformedDate`]) and at most `max_skew` away from `now`, in either
//!    direction ([`AuthError::ClockSkew`]);
//! 4. the AK is known ([`AuthError::UnknownAccessKey`]);
//! 5. the signature recomputed with that SK over the same signed headers, in the same
//!    order, equals the one sent, compared in constant time
//!    ([`AuthError::SignatureMismatch`]).
//!
//! Because the canonical request covers the method, the path, the query, the body
//! hash and every signed header, a change to any of them after signing fails step 5.
//! Unsigned headers (e.g. `User-Agent` added by a proxy) may change freely.

use hmac::Mac;
use time::{Duration, OffsetDateTime};

use super::canonical::{canonical_request, header_value, string_to_sign};
use super::date::{parse_sdk_date, SDK_DATE_HEADER};
use super::sign::mac;
use super::{AuthError, Authorization, Credentials, RequestParts};

/// A request that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key (AK) that signed it.
    pub ak: String,
    /// The headers the signature covers, lower case, as listed in `SignedHeaders`.
    pub signed_headers: Vec<String>,
}

/// Verifies an AK/SK-signed request (see the module documentation for the steps).
///
/// `lookup` maps an AK to its credentials; `now` is the verifier's clock; a request
/// whose `X-Sdk-Date` differs from `now` by more than `max_skew` (either way) is
/// rejected. The CTS/APIG gateway allows 15 minutes.
pub fn verify<'c>(
    parts: &RequestParts,
    lookup: impl Fn(&str) -> Option<&'c Credentials>,
    now: OffsetDateTime,
    max_skew: Duration,
) -> Result<Verified, AuthError> {
    let auth: Authorization = header_value(parts.headers, "authorization")
        .ok_or(AuthError::MissingAuthorization)?
        .parse()?;

    if !auth.signed_headers.iter().any(|h| h == SDK_DATE_HEADER) {
        return Err(AuthError::UnsignedRequiredHeader(
            SDK_DATE_HEADER.to_owned(),
        ));
    }
    if let Some(missing) = auth
        .signed_headers
        .iter()
        .find(|h| header_value(parts.headers, h).is_none())
    {
        // x-sdk-date absent is reported as the more specific MissingDate below.
        if missing != SDK_DATE_HEADER {
            return Err(AuthError::MissingSignedHeader(missing.clone()));
        }
    }

    let date = header_value(parts.headers, SDK_DATE_HEADER).ok_or(AuthError::MissingDate)?;
    let signed_at = parse_sdk_date(&date)?;
    let skew = signed_at - now;
    if skew.abs() > max_skew {
        return Err(AuthError::ClockSkew {
            date,
            skew_seconds: skew.whole_seconds(),
            max_seconds: max_skew.whole_seconds(),
        });
    }

    let creds = lookup(&auth.access).ok_or(AuthError::UnknownAccessKey)?;

    // The parser guarantees 64 hex digits; decode failure is still handled.
    let sent = hex::decode(&auth.signature).map_err(|_| {
        AuthError::MalformedAuthorization("Signature must be 64 hexadecimal digits".to_owned())
    })?;
    let canonical = canonical_request(parts, &auth.signed_headers);
    let sts = string_to_sign(&date, &canonical);
    let mut m = mac(creds.sk().expose().as_bytes());
    m.update(sts.as_bytes());
    m.verify_slice(&sent)
        .map_err(|_| AuthError::SignatureMismatch)?;

    Ok(Verified {
        ak: auth.access,
        signed_headers: auth.signed_headers,
    })
}
