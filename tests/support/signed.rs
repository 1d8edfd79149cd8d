//! Requests signed as the official SDK signs them (SDK-HMAC-SHA256), with a chosen
//! set of headers left out of SignedHeaders, a chosen clock, sent with reqwest.

use cts_conform::auth::{self, Credentials, RequestParts};
use cts_conform::http::client::http_client_builder;
use time::OffsetDateTime;

pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";
pub const AK: &str = "AKVIOLATIONSTEST0001";
pub const SK: &str = "SKviolationsSKviolationsSKviolations0001";

/// The headers of a request to `url` signed with (AK, SK) at `at`: Host, X-Sdk-Date,
/// Content-Type and X-Project-Id, all signed except those in `leave_out`.
pub fn signed_headers(
    method: &str,
    url: &str,
    body: &[u8],
    leave_out: &[&str],
    at: OffsetDateTime,
    sk: &str,
) -> Vec<(String, String)> {
    let parsed = reqwest::Url::parse(url).expect("a URL");
    let host = format!(
        "{}:{}",
        parsed.host_str().expect("a host"),
        parsed.port().expect("a port")
    );
    let headers = vec![
        ("Host".to_owned(), host),
        ("X-Sdk-Date".to_owned(), auth::format_sdk_date(at)),
        (
            "Content-Type".to_owned(),
            "application/json;charset=utf-8".to_owned(),
        ),
        ("X-Project-Id".to_owned(), PROJECT.to_owned()),
    ];
    let signed: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !leave_out.contains(&n.to_ascii_lowercase().as_str()))
        .cloned()
        .collect();
    let parts = RequestParts {
        method,
        path: parsed.path(),
        query: parsed.query().unwrap_or(""),
        headers: &signed,
        body,
    };
    let authorization = auth::sign(&parts, &Credentials::new(AK, sk)).expect("signs");
    let mut all = headers;
    all.push(("Authorization".to_owned(), authorization.to_string()));
    all
}

/// Sends a request with exactly these headers; returns status, headers and body bytes.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let client = http_client_builder().build().expect("a client");
    let mut request = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).expect("a method"),
        url,
    );
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if !body.is_empty() {
        request = request.body(body.to_vec());
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, headers, body)
}

/// Sends a request signed now with the right SK.
pub async fn send_signed(method: &str, url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let headers = signed_headers(method, url, body, &[], OffsetDateTime::now_utc(), SK);
    let (status, _, body) = send(method, url, &headers, body).await;
    (status, body)
}
