//! Tests of `cts_conform::auth::Redactor`: known secrets in many positions (JSON,
//! curl commands, header lines, multi-line logs, encoded spellings) and the pattern
//! rules that apply whatever the secret.

use cts_conform::auth::{format_sdk_date, sign, Credentials, Redactor, RequestParts};
use time::macros::datetime;

const AK: &str = "AKTESTAKTESTAKTEST01";
const SK: &str = "SKtestSKtestSKtestSKtestSKtestSKtest0001";
const TOKEN: &str = "MIIDtoken-Example_with/slash+plus==";
const ODD: &str = r#"p"a\ss w/rd"#;

fn redactor() -> Redactor {
    Redactor::new([AK, SK, TOKEN, ODD].map(String::from))
}

/// A real Authorization value for AK/SK, and its signature.
fn authorization() -> (String, String) {
    let headers = vec![
        ("Host".to_owned(), "127.0.0.1:8080".to_owned()),
        (
            "X-Sdk-Date".to_owned(),
            format_sdk_date(datetime!(2024-01-01 0:00 UTC)),
        ),
    ];
    let parts = RequestParts {
        method: "GET",
        path: "/v3/p/trackers",
        query: "",
        headers: &headers,
        body: b"",
    };
    let auth = sign(&parts, &Credentials::new(AK, SK)).expect("signs");
    (auth.to_string(), auth.signature)
}

/// Every spelling of every secret that must not survive.
fn forbidden() -> Vec<String> {
    let (_, sig) = authorization();
    vec![
        AK.into(),
        SK.into(),
        TOKEN.into(),
        "MIIDtoken".into(),
        "slash%2Bplus".into(),
        "p\"a".into(),
        r#"p\"a"#.into(),
        "w/rd".into(),
        sig[..16].to_owned(),
        sig[48..].to_owned(),
    ]
}

fn assert_clean(redacted: &str) {
    for secret in forbidden() {
        assert!(
            !redacted.contains(&secret),
            "{secret:?} survived in:\n{redacted}"
        );
    }
}

#[test]
fn secrets_in_json() {
    let text = format!(
        r#"{{"ak": "{AK}", "sk": "{SK}", "nested": {{"token": "{TOKEN}", "list": ["{AK}{SK}"]}}}}"#
    );
    let out = redactor().redact(&text);
    assert_clean(&out);
    assert_eq!(
        out,
        r#"{"ak": "***", "sk": "***", "nested": {"token": "***", "list": ["******"]}}"#
    );
}

#[test]
fn json_escaped_secret() {
    let text = serde_json::json!({ "password": ODD, "k": SK }).to_string();
    assert!(text.contains(r#"p\"a\\ss"#), "{text}");
    let out = redactor().redact(&text);
    assert_clean(&out);
    assert_eq!(out, r#"{"k":"***","password":"***"}"#);
}

#[test]
fn curl_command() {
    let (auth, _) = authorization();
    let text = format!(
        "curl -X POST 'http://127.0.0.1:41234/v3/p/tracker?ak={AK}' \\\n  \
         -H 'Content-Type: application/json' -H 'X-Auth-Token: {TOKEN}' \\\n  \
         -H 'Authorization: {auth}' \\\n  \
         -d '{{\"tracker_type\":\"system\",\"secret\":\"{SK}\"}}'"
    );
    let out = redactor().redact(&text);
    assert_clean(&out);
    assert!(out.contains("-H 'X-Auth-Token: ***'"), "{out}");
    assert!(
        out.contains(
            "-H 'Authorization: SDK-HMAC-SHA256 Access=***, SignedHeaders=host;x-sdk-date, Signature=***'"
        ),
        "{out}"
    );
    assert!(out.contains("-H 'Content-Type: application/json'"), "{out}");
    assert!(out.starts_with("curl -X POST 'http://127.0.0.1:41234/v3/p/tracker?ak=***'"));
}

#[test]
fn header_lines_and_multi_line_log() {
    let (auth, _) = authorization();
    let text = format!(
        "> POST /v3/p/tracker HTTP/1.1\r\n\
         > Host: 127.0.0.1:8080\r\n\
         > Authorization: {auth}\r\n\
         > X-Auth-Token: {TOKEN}\r\n\
         > x-subject-token:{TOKEN}\n\
         error: signing with {SK} failed\n\
         {AK}\n\
         ak={AK} sk={SK}\n\
         tail {TOKEN}"
    );
    let out = redactor().redact(&text);
    assert_clean(&out);
    assert!(out.contains("> X-Auth-Token: ***\r\n"), "{out}");
    assert!(out.contains("> x-subject-token:***\n"), "{out}");
    assert!(out.contains("\n***\n"), "{out}");
    assert!(out.ends_with("tail ***"), "{out}");
    assert!(out.contains("> Host: 127.0.0.1:8080\r\n"), "{out}");
}

#[test]
fn percent_encoded_secret_in_url() {
    let text =
        format!("GET /login?token=MIIDtoken-Example_with%2Fslash%2Bplus%3D%3D&sk={SK} HTTP/1.1");
    let out = redactor().redact(&text);
    assert_clean(&out);
    assert_eq!(out, "GET /login?token=***&sk=*** HTTP/1.1");
}

#[test]
fn debug_output_of_headers() {
    let headers = vec![
        (
            "x-auth-token".to_owned(),
            "unregistered-token-value".to_owned(),
        ),
        ("X-Project-Id".to_owned(), "p".to_owned()),
    ];
    let text = format!("{headers:?} {{\"x-auth-token\": \"unregistered-2\"}}");
    let out = Redactor::default().redact(&text);
    assert!(!out.contains("unregistered"), "{out}");
    assert!(out.contains(r#"("X-Project-Id", "p")"#), "{out}");
}

#[test]
fn prefix_secrets_redact_fully() {
    let r = Redactor::new(["SECRET".to_owned(), "SECRET-LONGER".to_owned()]);
    assert_eq!(r.redact("a SECRET-LONGER b SECRET c"), "a *** b *** c");
}

#[test]
fn patterns_apply_whatever_the_secret() {
    let r = Redactor::default();
    let sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let cases = [
        (
            format!("Authorization: SDK-HMAC-SHA256 Access=SOMEAK, SignedHeaders=host;x-sdk-date, Signature={sig}"),
            "Authorization: SDK-HMAC-SHA256 Access=***, SignedHeaders=host;x-sdk-date, Signature=***".to_owned(),
        ),
        (
            format!("SDK-HMAC-SHA256 access = SOMEAK ,Signature= {sig}"),
            "SDK-HMAC-SHA256 access = *** ,Signature= ***".to_owned(),
        ),
        ("X-Auth-Token: abc.def/ghi".into(), "X-Auth-Token: ***".into()),
        ("x-auth-token:abc".into(), "x-auth-token:***".into()),
        (
            "curl -H 'X-Auth-Token: some token' -H \"X-Auth-Token: other\" http://h/".into(),
            "curl -H 'X-Auth-Token: ***' -H \"X-Auth-Token: ***\" http://h/".into(),
        ),
        (
            r#"{"X-Auth-Token": "tok", "Content-Type": "application/json"}"#.into(),
            r#"{"X-Auth-Token": "***", "Content-Type": "application/json"}"#.into(),
        ),
        (
            r#"{'X-Auth-Token':'tok'}"#.into(),
            r#"{'X-Auth-Token':'***'}"#.into(),
        ),
        (
            r#""{\"X-Auth-Token\": \"tok\"}""#.into(),
            r#""{\"X-Auth-Token\": \"***\"}""#.into(),
        ),
        (
            "X-Security-Token: t1\nX-Subject-Token: t2\n".into(),
            "X-Security-Token: ***\nX-Subject-Token: ***\n".into(),
        ),
        (
            "Authorization: Bearer eyJhbGciOi.x.y".into(),
            "Authorization: Bearer ***".into(),
        ),
        (
            "https://obs.example/b/k?AccessKeyId=AK&Signature=abc%2Fdef&Expires=1".into(),
            "https://obs.example/b/k?AccessKeyId=AK&Signature=***&Expires=1".into(),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(r.redact(&input), expected, "input: {input}");
    }
    // Text that merely mentions the header names is left alone.
    let mention = "Send X-Auth-Token or an Authorization header; Access-Control-Allow-Headers";
    assert_eq!(r.redact(mention), mention);
}

#[test]
fn redaction_is_idempotent() {
    let (auth, _) = authorization();
    let r = redactor();
    for text in [
        format!("Authorization: {auth}\nX-Auth-Token: {TOKEN}"),
        format!(r#"{{"X-Auth-Token": "{TOKEN}", "sk": "{SK}"}}"#),
    ] {
        let once = r.redact(&text).into_owned();
        assert_eq!(r.redact(&once), once);
    }
}

#[test]
fn redact_header_by_name() {
    let (auth, _) = authorization();
    let r = redactor();
    assert_eq!(
        r.redact_header("Authorization", &auth),
        "SDK-HMAC-SHA256 Access=***, SignedHeaders=host;x-sdk-date, Signature=***"
    );
    // Even with no secrets registered.
    assert_eq!(
        Redactor::default().redact_header("authorization", &auth),
        "SDK-HMAC-SHA256 Access=***, SignedHeaders=host;x-sdk-date, Signature=***"
    );
    // Malformed SDK-HMAC-SHA256: pattern rules still remove what looks secret.
    let broken = Redactor::default().redact_header(
        "AUTHORIZATION",
        "SDK-HMAC-SHA256 Access=SOMEAK Signature=deadbeef",
    );
    assert!(
        !broken.contains("SOMEAK") && !broken.contains("deadbeef"),
        "{broken}"
    );
    assert_eq!(
        r.redact_header("Authorization", "Bearer abc.def"),
        "Bearer ***"
    );
    assert_eq!(r.redact_header("Authorization", "opaque-secret"), "***");
    assert_eq!(r.redact_header("Authorization", "a b c d /*"), "a ***");
    for name in [
        "X-Auth-Token",
        "x-auth-token",
        " X-Subject-Token ",
        "Cookie",
    ] {
        assert_eq!(r.redact_header(name, "anything at all"), "***", "{name}");
    }
    assert_eq!(
        r.redact_header("X-Project-Id", "0123456789abcdef0123456789abcdef"),
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(r.redact_header("X-Debug", &format!("sk={SK}")), "sk=***");
}

#[test]
fn only_secrets_change_never_a_key_or_a_mere_mention() {
    let r = Redactor::default();
    // Texts that name a secret-bearing header but hold no secret: left byte for byte.
    let untouched = [
        // The emulator's gateway 401 body, as sent, and escaped inside a JSON string.
        r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: the request has no Authorization header; sign it with AK/SK (SDK-HMAC-SHA256) or send X-Auth-Token","request_id":"4a9f5e4585a54d1b8e80948e37f99483"}"#,
        r#""{\"error_msg\":\"or send X-Auth-Token\",\"request_id\":\"4a9f\"}""#,
        // A list of header names, not a (name, value) pair.
        r#"["X-Auth-Token", "Content-Type", "X-Sdk-Date"]"#,
        // Prose.
        "missing authorization, token expired; X-Auth-Token: see the docs",
        "user access=granted, signature=none given",
        // The expected form of a signature, in an error message.
        "malformed Authorization header (expected `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<64 hex digits>`)",
    ];
    for text in untouched {
        assert_eq!(r.redact(text), text, "changed: {text}");
    }
    // The same names where a secret stands: masked.
    let masked = [
        (
            r#"[["X-Auth-Token", "tok"], ["Content-Type", "a/b"]]"#,
            r#"[["X-Auth-Token", "***"], ["Content-Type", "a/b"]]"#,
        ),
        (
            "  Authorization: Token abc123\n",
            "  Authorization: Token ***\n",
        ),
        (
            r#"{"Authorization": "Bearer abc.def"}"#,
            r#"{"Authorization": "Bearer ***"}"#,
        ),
        ("< x-subject-token: tok\r\n", "< x-subject-token: ***\r\n"),
    ];
    for (input, expected) in masked {
        assert_eq!(r.redact(input), expected, "input: {input}");
    }
}
