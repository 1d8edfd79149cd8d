//! A request as a `curl` command a person can paste to reproduce it (secrets redacted).

use crate::auth::Redactor;
use crate::exchange::SentRequest;

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
        let value = redactor.redact_header(name, value);
        parts.push("-H".into());
        parts.push(quote(&format!("{name}: {value}")));
    }
    if let Some(body) = &request.body {
        parts.push("--data-raw".into());
        parts.push(quote(&String::from_utf8_lossy(body)));
    }
    redactor.redact(&parts.join(" ")).into_owned()
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
            r#"curl -X POST 'http://127.0.0.1:9/v3/p/tracker' -H 'Content-Type: application/json' -H 'X-Auth-Token: ***' --data-raw '{"n":"it'\''s"}'"#
        );
    }
}
