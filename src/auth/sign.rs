//! The signer: what the harness client uses to sign a request with an AK/SK.
//!
//! Which headers are signed: every header present at signing time whose name has no
//! `_` (proxies drop such headers), lower-cased, de-duplicated and sorted, except
//! `authorization` itself. This matches the SDKs, which sign whatever headers they
//! have set (the Python SDK: `content-type;host;user-agent;x-project-id;x-sdk-date`).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::canonical::{canonical_request, header_value, string_to_sign};
use super::date::{parse_sdk_date, SDK_DATE_HEADER};
use super::{AuthError, Authorization, Credentials, RequestParts};

/// HMAC-SHA256 with a key of any length.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// A keyed HMAC-SHA256 ready for input. HMAC accepts keys of any length, so this
/// cannot fail.
pub(crate) fn mac(sk: &[u8]) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(sk).expect("HMAC accepts keys of any length")
}

/// The signature: lower-case hex of HMAC-SHA256(key = `sk`, `string_to_sign`).
pub fn signature(sk: &[u8], string_to_sign: &str) -> String {
    let mut m = mac(sk);
    m.update(string_to_sign.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The header names [`sign()`] signs for these headers: names without `_`, other than
/// `authorization`, trimmed, lower-cased, de-duplicated and sorted.
pub fn signable_headers(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty() && !n.contains('_') && n != "authorization")
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Signs a request.
///
/// The caller has already put `Host`, `X-Sdk-Date` (see
/// [`format_sdk_date`](super::format_sdk_date)) and any other headers to be sent
/// (`X-Project-Id`, `Content-Type`) into `parts.headers`. Every header whose name has
/// no `_` is signed (see [`signable_headers`]). The returned [`Authorization`]'s
/// `to_string()` is the `Authorization` header value to add.
///
/// Errors: [`AuthError::MissingDate`] without an `X-Sdk-Date` header,
/// [`AuthError::MalformedDate`] if it is not `YYYYMMDDTHHMMSSZ`.
pub fn sign(parts: &RequestParts, creds: &Credentials) -> Result<Authorization, AuthError> {
    let date = header_value(parts.headers, SDK_DATE_HEADER).ok_or(AuthError::MissingDate)?;
    parse_sdk_date(&date)?;
    let signed_headers = signable_headers(parts.headers);
    let canonical = canonical_request(parts, &signed_headers);
    let sts = string_to_sign(&date, &canonical);
    Ok(Authorization {
        access: creds.ak.clone(),
        signed_headers,
        signature: signature(creds.sk().expose().as_bytes(), &sts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn signable_headers_rules() {
        let headers = h(&[
            ("X-Sdk-Date", "20240101T000000Z"),
            ("Host", "h"),
            ("X_Underscore", "x"),
            ("Authorization", "old"),
            ("host", "h"),
            ("Content-Type", "application/json"),
        ]);
        assert_eq!(
            signable_headers(&headers),
            ["content-type", "host", "x-sdk-date"]
        );
    }

    #[test]
    fn sign_needs_a_valid_date() {
        let creds = Credentials::new("AK", "SK");
        fn parts(headers: &[(String, String)]) -> RequestParts<'_> {
            RequestParts {
                method: "GET",
                path: "/",
                query: "",
                headers,
                body: b"",
            }
        }
        let no_date = h(&[("Host", "h")]);
        assert_eq!(sign(&parts(&no_date), &creds), Err(AuthError::MissingDate));
        let bad_date = h(&[("X-Sdk-Date", "yesterday")]);
        assert!(matches!(
            sign(&parts(&bad_date), &creds),
            Err(AuthError::MalformedDate(_))
        ));
    }

    #[test]
    fn hmac_known_answer() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
