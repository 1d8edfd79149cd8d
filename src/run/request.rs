//! Turning a step of a case into the exact request to send: variables expanded, path and
//! query percent-encoded, body serialised, credentials applied.

use super::config::Credentials;
use crate::case::model::{AuthMode, StepSpec};
use crate::case::vars::{self, VarError, Vars};
use crate::contract::Operation;
use crate::http::exchange::SentRequest;

use crate::auth::canonical;
/// Percent-encodes one path segment or query component (RFC 3986 unreserved characters
/// kept): the same encoding the signature's canonical request uses, from its one home.
pub use crate::auth::canonical::encode_component;

/// Builds the request for `step`. `base_url` has no trailing slash.
pub fn build(
    step: &StepSpec,
    op: &Operation,
    vars: &Vars,
    base_url: &str,
) -> Result<SentRequest, VarError> {
    // The URL is written into one buffer: the base, the path with each `{param}`
    // replaced by its value (`${param}` when the step gives none), then the query.
    let mut url = String::with_capacity(base_url.len() + op.path.len() + 96);
    url.push_str(base_url);
    let mut rest = op.path.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|i| open + i) else {
            break;
        };
        url.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        let value = match step.path.get(name) {
            Some(value) => vars::expand_text(value, vars)?,
            None => vars::variable_text(name, vars)?,
        };
        canonical::push_encoded(&mut url, &value);
        rest = &rest[close + 1..];
    }
    url.push_str(rest);
    for (i, (name, value)) in step.query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        canonical::push_encoded(&mut url, name);
        url.push('=');
        canonical::push_encoded(&mut url, &vars::expand_text(value, vars)?);
    }
    let body = match (&step.body, &step.raw_body) {
        (Some(json), _) => Some(json.render(vars)?),
        (None, Some(raw)) => Some(vars::expand_text(raw, vars)?.into_bytes()),
        (None, None) => None,
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    if body.is_some()
        && !step
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    for (name, value) in &step.headers {
        headers.push((name.to_string(), vars::expand_text(value, vars)?));
    }
    Ok(SentRequest {
        method: op.method.clone(),
        url,
        headers,
        body,
    })
}

/// The token header.
pub const TOKEN_HEADER: &str = "X-Auth-Token";

/// Why a step's authentication mode cannot be applied with the run's credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthUnavailable {
    #[error(
        "this step sends `{0}` credentials, but the run has none \
         (pass --ak/--sk or --token)"
    )]
    NoCredentials(AuthMode),
}

/// Applies the run's credentials to `request` as the step's auth mode asks.
pub fn authorize(
    request: &mut SentRequest,
    mode: AuthMode,
    credentials: &Credentials,
    project_id: &str,
) -> Result<(), AuthUnavailable> {
    let token_header = |request: &mut SentRequest, value: String| {
        request.headers.push((TOKEN_HEADER.to_string(), value));
    };
    match (mode, credentials) {
        (AuthMode::None, _) | (AuthMode::Default, Credentials::None) => {}
        (_, Credentials::None) => return Err(AuthUnavailable::NoCredentials(mode)),
        (AuthMode::Default, Credentials::Token(token)) => {
            token_header(request, token.expose().to_string())
        }
        (AuthMode::WrongKey, Credentials::Token(token)) => {
            token_header(request, format!("{}-not-a-valid-token", token.expose()))
        }
        (AuthMode::TamperedSignature, Credentials::Token(token)) => {
            token_header(request, tamper(token.expose()))
        }
        (_, Credentials::AkSk(creds)) => super::signing::sign_request(
            request,
            mode,
            creds,
            project_id,
            time::OffsetDateTime::now_utc(),
        ),
    }
    Ok(())
}

/// Changes the last character of a credential (still the same length and alphabet).
pub fn tamper(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use serde_json::{json, Value};

    fn step(value: Value) -> StepSpec {
        serde_json::from_value(value).expect("a valid step")
    }

    fn vars() -> Vars {
        Vars::from([
            ("project_id".into(), json!("p 1/ü")),
            ("prefix".into(), json!("cc-7f3a")),
            ("n".into(), json!(5)),
        ])
    }

    #[test]
    fn the_url_has_the_path_parameters_and_the_query_encoded_in_order() {
        let contract = Contract::embedded();
        let op = contract.operation("ListTrackers").expect("ListTrackers");
        let step = step(json!({
            "operation": "ListTrackers",
            "query": {"tracker_type": "data", "tracker_name": "${prefix}-a b&c=${n}"}
        }));
        let request = build(&step, op, &vars(), "http://h:1").expect("renders");
        assert_eq!(request.method, "GET");
        assert_eq!(
            request.url,
            "http://h:1/v3/p%201%2F%C3%BC/trackers\
             ?tracker_name=cc-7f3a-a%20b%26c%3D5&tracker_type=data"
        );
        assert_eq!(request.body, None);
        assert!(request.headers.is_empty());
    }

    #[test]
    fn a_given_path_value_wins_and_the_body_is_the_expanded_json() {
        let contract = Contract::embedded();
        let op = contract.operation("CreateTracker").expect("CreateTracker");
        let step = step(json!({
            "operation": "CreateTracker",
            "path": {"project_id": "other-${n}"},
            "body": {"tracker_name": "${prefix}", "n": "${n}"}
        }));
        let request = build(&step, op, &vars(), "http://h:1").expect("renders");
        assert_eq!(request.url, "http://h:1/v3/other-5/tracker");
        assert_eq!(
            request.body.as_deref(),
            Some(br#"{"n":5,"tracker_name":"cc-7f3a"}"#.as_slice())
        );
        assert_eq!(
            request.headers,
            [("Content-Type".to_string(), "application/json".to_string())]
        );
    }

    #[test]
    fn an_unknown_variable_is_an_error() {
        let contract = Contract::embedded();
        let op = contract.operation("ListTrackers").expect("ListTrackers");
        let step = step(json!({"operation": "ListTrackers", "query": {"tracker_name": "${nope}"}}));
        assert_eq!(
            build(&step, op, &vars(), "http://h:1").unwrap_err(),
            VarError::Unknown("nope".into())
        );
    }
}
