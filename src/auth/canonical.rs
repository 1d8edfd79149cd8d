//! The canonical request of SDK-HMAC-SHA256 and the string to sign.
//!
//! ```text
//! METHOD \n URI \n QUERY \n HEADERS \n SIGNEDHEADERS \n PAYLOADHASH
//! ```
//!
//! - `URI`: the raw path is percent-decoded, split on `/`, each segment is
//!   percent-encoded again (only the unreserved characters `A-Z a-z 0-9 - . _ ~` are
//!   kept), the segments are joined with `/`, and a `/` is appended unless the result
//!   already ends with one. An empty path becomes `/`.
//! - `QUERY`: the raw query is split on `&` (empty pieces are skipped), each piece at
//!   its first `=` (no `=` means an empty value); keys and values are percent-decoded,
//!   the (key, value) pairs are sorted by their decoded bytes, then both are encoded
//!   like a path segment (space `%20`, `/` `%2F`) and joined as `k=v` with `&`.
//!   A `+` is a literal plus, not a space: the SDKs encode spaces as `%20` and `+`
//!   as `%2B`, so a `+` on the wire can only have come from somewhere else and is
//!   signed as `%2B`.
//! - `HEADERS`: `name:value\n` for each signed header, in the order given, with the
//!   value trimmed of surrounding whitespace (so a blank line precedes SIGNEDHEADERS).
//!   Header names are matched case-insensitively. If a header occurs more than once
//!   its trimmed values are joined with `,` (HTTP list semantics); the SDKs never send
//!   duplicates. A signed header that is absent contributes an empty value (the
//!   verifier rejects that case before getting here).
//! - `SIGNEDHEADERS`: the signed header names joined with `;`.
//! - `PAYLOADHASH`: lower-case hex SHA-256 of the body (of `""` when there is none).
//!
//! String to sign: `SDK-HMAC-SHA256\n` + `X-Sdk-Date` value + `\n` + hex SHA-256 of
//! the canonical request.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use super::{RequestParts, ALGORITHM};

/// Everything except the RFC 3986 unreserved characters is encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes raw bytes (possibly not UTF-8, after decoding a path) keeping only
/// the unreserved characters.
fn encode_bytes(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, ENCODE).to_string()
}

/// Percent-encodes a string keeping only the unreserved characters (`%20` for a
/// space, `%2F` for `/`, upper-case hex).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_encoded(&mut out, s);
    out
}

/// Appends `s` percent-encoded as [`encode_component`] does, without a new string.
pub fn push_encoded(out: &mut String, s: &str) {
    out.extend(utf8_percent_encode(s, ENCODE));
}

/// The canonical URI of a raw request path (see the module documentation).
pub fn canonical_uri(raw_path: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(raw_path).collect();
    let mut uri = decoded
        .split(|&b| b == b'/')
        .map(encode_bytes)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query string of a raw query (without the leading `?`).
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (
                percent_decode_str(k).collect(),
                percent_decode_str(v).collect(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_bytes(k), encode_bytes(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value a (case-insensitively matched) header contributes to the canonical
/// request: its trimmed value, several occurrences joined with `,`; `None` if absent.
pub(crate) fn header_value(headers: &[(String, String)], name: &str) -> Option<String> {
    let mut values = headers
        .iter()
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim());
    let first = values.next()?;
    let mut out = first.to_owned();
    for v in values {
        out.push(',');
        out.push_str(v);
    }
    Some(out)
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Builds the canonical request of `parts` over `signed_headers` (names as they will
/// appear in `SignedHeaders`, normally lower case and sorted; used in the order given).
pub fn canonical_request(parts: &RequestParts, signed_headers: &[String]) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(parts.method);
    out.push('\n');
    out.push_str(&canonical_uri(parts.path));
    out.push('\n');
    out.push_str(&canonical_query(parts.query));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        out.push_str(&header_value(parts.headers, name).unwrap_or_default());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(&sha256_hex(parts.body));
    out
}

/// The string to sign: `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex SHA-256 of the canonical request>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_always_ends_with_slash() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/path"), "/path/");
        assert_eq!(canonical_uri("/v3/p/tracker/"), "/v3/p/tracker/");
    }

    #[test]
    fn uri_decodes_then_encodes_each_segment() {
        // Encoded and unencoded spellings of the same path are the same resource.
        assert_eq!(canonical_uri("/a b/c~d"), "/a%20b/c~d/");
        assert_eq!(canonical_uri("/a%20b/c%7Ed"), "/a%20b/c~d/");
        assert_eq!(canonical_uri("/a%2fb"), "/a/b/");
        assert_eq!(canonical_uri("/%C3%A9/é"), "/%C3%A9/%C3%A9/");
        assert_eq!(canonical_uri("/x%zz"), "/x%25zz/");
        // Invalid UTF-8 after decoding survives as bytes.
        assert_eq!(canonical_uri("/%FF"), "/%FF/");
    }

    #[test]
    fn query_sorted_and_encoded() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("limit=1"), "limit=1");
        assert_eq!(
            canonical_query("tracker_type=data&tracker_name=a%20b%2Fc~d"),
            "tracker_name=a%20b%2Fc~d&tracker_type=data"
        );
        assert_eq!(canonical_query("b=2&a=2&a=1"), "a=1&a=2&b=2");
        assert_eq!(canonical_query("flag&x="), "flag=&x=");
        assert_eq!(canonical_query("&&a=1&"), "a=1");
        assert_eq!(canonical_query("a=x+y"), "a=x%2By");
        assert_eq!(canonical_query("a=b=c"), "a=b%3Dc");
        assert_eq!(canonical_query("n=a b/c%7e"), "n=a%20b%2Fc~");
    }

    #[test]
    fn header_values_case_insensitive_trimmed() {
        let h = vec![
            ("Content-Type".to_owned(), "  application/json ".to_owned()),
            ("X-A".to_owned(), "1".to_owned()),
            ("x-a".to_owned(), " 2".to_owned()),
        ];
        assert_eq!(
            header_value(&h, "content-type").as_deref(),
            Some("application/json")
        );
        assert_eq!(header_value(&h, "x-a").as_deref(), Some("1,2"));
        assert_eq!(header_value(&h, "host"), None);
    }

    #[test]
    fn empty_body_hash() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
