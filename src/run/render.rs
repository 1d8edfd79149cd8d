//! Turning a step of a case into the exact request to send: variables expanded, path and
//! query percent-encoded, body serialised, credentials applied.

use serde_json::Value;

use super::config::Credentials;
use crate::case::model::{AuthMode, StepSpec};
use crate::case::vars::{self, VarError, Vars};
use crate::contract::Operation;
use crate::exchange::SentRequest;

/// Percent-encodes one path segment or query component (RFC 3986 unreserved characters
/// kept): the same encoding the signature's canonical request uses, from its one home.
pub use crate::auth::canonical::encode_component;

/// Builds the request for `step`. `base_url` has no trailing slash.
pub fn render(
    step: &StepSpec,
    op: &Operation,
    vars: &Vars,
    base_url: &str,
) -> Result<SentRequest, VarError> {
    let mut path = op.path.clone();
    for param in op
        .parameters
        .iter()
        .filter(|p| p.location == crate::contract::ParamLocation::Path)
    {
        let raw = match step.path.get(&param.name) {
            Some(value) => vars::expand_text(value, vars)?,
            None => vars::expand_text(&format!("${{{}}}", param.name), vars)?,
        };
        path = path.replace(&format!("{{{}}}", param.name), &encode_component(&raw));
    }
    let mut query = Vec::new();
    for (name, value) in &step.query {
        let value = vars::expand_text(value, vars)?;
        query.push(format!(
            "{}={}",
            encode_component(name),
            encode_component(&value)
        ));
    }
    let url = if query.is_empty() {
        format!("{base_url}{path}")
    } else {
        format!("{base_url}{path}?{}", query.join("&"))
    };
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
        "configuration: this step sends `{0}` credentials, but the run has none \
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

/// The body as JSON for display, if it is JSON.
pub fn body_json(request: &SentRequest) -> Option<Value> {
    request
        .body
        .as_deref()
        .and_then(|b| serde_json::from_slice(b).ok())
}
