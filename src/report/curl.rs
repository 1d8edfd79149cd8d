//! A request as a `curl` command a person can paste to reproduce it (secrets redacted):
//! the token header reads the token from `$CTS_AUTH_TOKEN`, so the line runs as it is.

use crate::auth::Redactor;
use crate::http::exchange::SentRequest;

/// `curl -X METHOD 'URL' -H 'Name: value' ... --data-raw 'BODY'`, shell-quoted, with every
/// secret replaced by `***`.
pub fn curl_command(request: &SentRequest, redactor: &Redactor) -> String {
    let mut parts = vec![
        "curl".to_string(),
        "-X".into(),
        request.method.clone(),
        quote(&request.url),
    ];
    for (name, value) in &request.headers {
        parts.push("-H".into());
        // The run's token (registered with the redactor) where it stands in the value.
        let literal = redactor.redact(value);
        if name.eq_ignore_ascii_case(TOKEN_HEADER) && literal.contains("***") {
            parts.push(token_from_env(name, &literal));
        } else {
            let value = redactor.redact_header(name, value);
            parts.push(quote(&format!("{name}: {value}")));
        }
    }
    if let Some(body) = &request.body {
        parts.push("--data-raw".into());
        parts.push(quote(&String::from_utf8_lossy(body)));
    }
    redactor.redact(&parts.join(" ")).into_owned()
}

/// The token header; a request with a token is not signed, so it can be sent again.
const TOKEN_HEADER: &str = "X-Auth-Token";

/// `"X-Auth-Token: $CTS_AUTH_TOKEN"` (double-quoted so the shell expands it), the redacted
/// token replaced by the variable wherever it stood (a tampered token keeps its change).
fn token_from_env(name: &str, redacted: &str) -> String {
    let escape = |text: &str| {
        text.chars()
            .flat_map(|c| match c {
                '"' | '\\' | '$' | '`' => vec!['\\', c],
                c => vec![c],
            })
            .collect::<String>()
    };
    let parts: Vec<String> = redacted.split("***").map(escape).collect();
    format!("\"{}: {}\"", escape(name), parts.join("${CTS_AUTH_TOKEN}"))
}

/// Single-quotes for POSIX shells.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_redacts() {
        let request = SentRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:9/v3/p/tracker".into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-Auth-Token".into(), "tok-SECRET-123".into()),
            ],
            body: Some(br#"{"n":"it's"}"#.to_vec()),
        };
        let redactor = Redactor::new(["tok-SECRET-123"]);
        assert_eq!(
            curl_command(&request, &redactor),
            r#"curl -X POST 'http://127.0.0.1:9/v3/p/tracker' -H 'Content-Type: application/json' -H "X-Auth-Token: ${CTS_AUTH_TOKEN}" --data-raw '{"n":"it'\''s"}'"#
        );
    }

    #[test]
    fn a_tampered_token_keeps_its_change_around_the_variable() {
        let request = SentRequest {
            method: "GET".into(),
            url: "http://h/v3/p/trackers".into(),
            headers: vec![("X-Auth-Token".into(), "tok-S3CRET-not-a-valid-token".into())],
            body: None,
        };
        let redactor = Redactor::new(["tok-S3CRET"]);
        assert_eq!(
            curl_command(&request, &redactor),
            r#"curl -X GET 'http://h/v3/p/trackers' -H "X-Auth-Token: ${CTS_AUTH_TOKEN}-not-a-valid-token""#
        );
    }
}
