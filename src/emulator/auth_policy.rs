//! Who may call the emulator, and the answer when someone may not.
//!
//! An [`AuthPolicy`] lists accounts (an AK/SK pair and the project it grants) and
//! IAM-style tokens (each granting one project). [`AuthPolicy::check`] decides one
//! request, given its signed parts and the project its path names:
//! - `Authorization: SDK-HMAC-SHA256 ...` is verified with [`auth::verify`] against
//!   the accounts' keys (signature, `X-Sdk-Date` within [`AuthPolicy::max_skew`]);
//! - otherwise an `X-Auth-Token` must be one of the tokens;
//! - otherwise, or when either check fails: **401** `CTS.0002`;
//! - a valid credential on a `/v3/{project_id}/...` path of a project it does not
//!   grant: **403** `CTS.0013`.
//!
//! The CTS error-code table lists no code for 401; `CTS.0002` ("authentication or
//! permission failure", listed under 403) is used for it, and `CTS.0013` ("no
//! permission") for 403. No answer, error or `Debug` output contains a secret.
//!
//! A policy is also read from a JSON file ([`AuthPolicy::from_json`]):
//! `{"accounts": [{"ak", "sk", "project_id"}], "tokens": [{"token", "project_id"}]}`.

use std::path::Path;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::auth::{self, AuthError, Credentials, RequestParts, SecretString};

/// The token header (the alternative to AK/SK signing).
pub const TOKEN_HEADER: &str = "x-auth-token";

/// An AK/SK pair and the project it may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The access key and its secret key.
    pub credentials: Credentials,
    /// The project the account's requests may name in their path.
    pub project_id: String,
}

/// A token and the project it may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The `X-Auth-Token` value.
    pub token: SecretString,
    /// The project the token's requests may name in their path.
    pub project_id: String,
}

/// The credentials the emulator accepts. Build it with [`AuthPolicy::new`] (or from
/// a file), which checks it is consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPolicy {
    accounts: Vec<Account>,
    tokens: Vec<Token>,
    max_skew: Duration,
}

/// Why a policy cannot be built. Messages name entries by position, never by value.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// An AK, SK, token or project id is empty (or only spaces).
    #[error("{0} is empty")]
    Empty(String),
    /// The same AK is listed twice with different secret keys.
    #[error(
        "account {0} repeats the access key of an earlier account with a different secret key"
    )]
    ConflictingSecretKey(usize),
    /// The credentials file could not be read.
    #[error("cannot read the credentials file {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// The credentials file is not the expected JSON. Only the position and the kind
    /// of error are given: serde's own message could quote a secret.
    #[error("the credentials file is not valid: {kind} at line {line}, column {column}; expected {{\"accounts\": [{{\"ak\", \"sk\", \"project_id\"}}], \"tokens\": [{{\"token\", \"project_id\"}}]}}")]
    Parse {
        /// syntax error, wrong structure, an unknown or missing key (named), ...
        kind: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// What is wrong with a credentials file, with its name.
    #[error("{path}: {source}")]
    InFile {
        /// The file.
        path: String,
        #[source]
        source: Box<PolicyError>,
    },
}

/// Why a request is refused; answered as a CTS error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 401: no credentials, or credentials that do not verify.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: valid credentials for another project than the path's.
    #[error("the credentials do not grant access to project {0}")]
    Forbidden(String),
}

impl Refusal {
    /// `CTS.0002` for 401 (authentication failure), `CTS.0013` for 403 (no permission).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "CTS.0002",
            Self::Forbidden(_) => "CTS.0013",
        }
    }

    /// 401 or 403.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
        }
    }
}

impl From<AuthError> for Refusal {
    fn from(error: AuthError) -> Self {
        Self::Unauthenticated(error.to_string())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({ "error_code": self.code(), "error_msg": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}

/// The file form of a policy.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    accounts: Vec<AccountEntry>,
    #[serde(default)]
    tokens: Vec<TokenEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntry {
    ak: String,
    sk: String,
    project_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token: String,
    project_id: String,
}

impl AuthPolicy {
    /// How far `X-Sdk-Date` may be from the emulator's clock, as the CTS gateway allows.
    pub const DEFAULT_MAX_SKEW: Duration = Duration::minutes(15);

    /// A policy with [`Self::DEFAULT_MAX_SKEW`]. Refuses empty fields and an AK listed
    /// twice with different SKs (the same AK/SK may be listed once per project).
    pub fn new(accounts: Vec<Account>, tokens: Vec<Token>) -> Result<Self, PolicyError> {
        for (index, account) in accounts.iter().enumerate() {
            let n = index + 1;
            require(&account.credentials.ak, || format!("the AK of account {n}"))?;
            require(account.credentials.sk().expose(), || {
                format!("the SK of account {n}")
            })?;
            require(&account.project_id, || {
                format!("the project id of account {n}")
            })?;
            let conflicting = accounts[..index].iter().any(|earlier| {
                earlier.credentials.ak == account.credentials.ak
                    && earlier.credentials.sk() != account.credentials.sk()
            });
            if conflicting {
                return Err(PolicyError::ConflictingSecretKey(n));
            }
        }
        for (index, token) in tokens.iter().enumerate() {
            let n = index + 1;
            require(token.token.expose(), || format!("token {n}"))?;
            require(&token.project_id, || format!("the project id of token {n}"))?;
        }
        Ok(Self {
            accounts,
            tokens,
            max_skew: Self::DEFAULT_MAX_SKEW,
        })
    }

    /// Reads a policy from JSON text (see the module documentation for the form).
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile = serde_json::from_str(text).map_err(|error| PolicyError::Parse {
            kind: match error.classify() {
                serde_json::error::Category::Io => "an I/O error".into(),
                serde_json::error::Category::Syntax => "a JSON syntax error".into(),
                // Only a key's name is quoted, never a value (it could be a secret).
                serde_json::error::Category::Data => {
                    crate::suggest::serde_key_problem(&error.to_string())
                        .unwrap_or_else(|| "an unexpected field or value".into())
                }
                serde_json::error::Category::Eof => "an unexpected end of the file".into(),
            },
            line: error.line(),
            column: error.column(),
        })?;
        let accounts = file
            .accounts
            .into_iter()
            .map(|entry| Account {
                credentials: Credentials::new(entry.ak, entry.sk),
                project_id: entry.project_id,
            })
            .collect();
        let tokens = file
            .tokens
            .into_iter()
            .map(|entry| Token {
                token: SecretString::new(entry.token),
                project_id: entry.project_id,
            })
            .collect();
        Self::new(accounts, tokens)
    }

    /// Reads a policy from a JSON file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|reason| PolicyError::Read {
            path: path.display().to_string(),
            reason,
        })?;
        Self::from_json(&text).map_err(|source| PolicyError::InFile {
            path: path.display().to_string(),
            source: Box::new(source),
        })
    }

    /// The accounts.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The tokens.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The allowed distance between `X-Sdk-Date` and the clock.
    pub fn max_skew(&self) -> Duration {
        self.max_skew
    }

    /// Every project the accounts and tokens grant (with repeats).
    pub fn granted_projects(&self) -> impl Iterator<Item = &str> {
        let accounts = self.accounts.iter().map(|a| a.project_id.as_str());
        accounts.chain(self.tokens.iter().map(|t| t.project_id.as_str()))
    }

    /// Every secret the policy holds (SKs and tokens), e.g. for a [`auth::Redactor`].
    pub fn secrets(&self) -> Vec<String> {
        let sks = self
            .accounts
            .iter()
            .map(|account| account.credentials.sk().expose().to_owned());
        let tokens = self
            .tokens
            .iter()
            .map(|token| token.token.expose().to_owned());
        sks.chain(tokens).collect()
    }

    /// Decides one request: `Ok` when its credentials verify and grant `project` (the
    /// decoded `{project_id}` of its path, `None` for a path that names none).
    pub fn check(
        &self,
        request: &RequestParts,
        project: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let granted: Vec<&str> = if has_header(request, "authorization") {
            let verified = auth::verify(request, |ak| self.credentials(ak), now, self.max_skew)?;
            self.accounts
                .iter()
                .filter(|account| account.credentials.ak == verified.ak)
                .map(|account| account.project_id.as_str())
                .collect()
        } else if let Some(sent) = header(request, TOKEN_HEADER) {
            let granted: Vec<&str> = self
                .tokens
                .iter()
                .filter(|token| same_secret(token.token.expose(), sent))
                .map(|token| token.project_id.as_str())
                .collect();
            if granted.is_empty() {
                return Err(Refusal::Unauthenticated(
                    "the X-Auth-Token is not valid here; check the token configured for this target"
                        .to_owned(),
                ));
            }
            granted
        } else {
            return Err(AuthError::MissingAuthorization.into());
        };
        match project {
            Some(project) if !granted.contains(&project) => {
                Err(Refusal::Forbidden(project.to_owned()))
            }
            _ => Ok(()),
        }
    }

    /// The credentials of `ak`, from its first account.
    fn credentials(&self, ak: &str) -> Option<&Credentials> {
        self.accounts
            .iter()
            .map(|account| &account.credentials)
            .find(|credentials| credentials.ak == ak)
    }
}

/// Credentials as `serve` takes them on its command line: the Nth `--ak`, `--sk` and
/// `--project-id` form one account; `--token TOKEN[:PROJECT_ID]` (without a project, the
/// first `--project-id`); `--credentials FILE` adds a file's accounts and tokens.
#[derive(Debug, Default)]
pub struct PolicyFlags<'a> {
    pub ak: &'a [String],
    pub sk: &'a [String],
    pub project_id: &'a [String],
    pub token: &'a [String],
    pub credentials: Option<&'a Path>,
}

impl PolicyFlags<'_> {
    /// The policy the flags describe; `None` (accept everything) when they name no
    /// credential. The error is one line for the user and never quotes a secret.
    pub fn policy(&self) -> Result<Option<AuthPolicy>, String> {
        let (aks, sks, projects) = (self.ak.len(), self.sk.len(), self.project_id.len());
        if aks != sks || (aks > 0 && projects != aks) {
            return Err(format!(
                "give --ak, --sk and --project-id equally often, the Nth of each forming one \
                 account (got {aks} --ak, {sks} --sk, {projects} --project-id)"
            ));
        }
        if aks == 0 && self.token.is_empty() && projects > 0 {
            return Err(
                "--project-id grants a project to an --ak/--sk account or a --token; give one"
                    .into(),
            );
        }
        let mut accounts: Vec<Account> = self
            .ak
            .iter()
            .zip(self.sk)
            .zip(self.project_id)
            .map(|((ak, sk), project_id)| Account {
                credentials: Credentials::new(ak.as_str(), sk.as_str()),
                project_id: project_id.clone(),
            })
            .collect();
        let mut tokens = self
            .token
            .iter()
            .map(|arg| token_grant(arg, self.project_id.first()))
            .collect::<Result<Vec<Token>, String>>()?;
        if let Some(path) = self.credentials {
            let file = AuthPolicy::load(path).map_err(|e| e.to_string())?;
            if file.accounts().is_empty() && file.tokens().is_empty() {
                return Err(format!("{} lists no account and no token", path.display()));
            }
            accounts.extend_from_slice(file.accounts());
            tokens.extend_from_slice(file.tokens());
        }
        if accounts.is_empty() && tokens.is_empty() {
            return Ok(None);
        }
        AuthPolicy::new(accounts, tokens)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// A `--token TOKEN[:PROJECT_ID]` argument; without `:PROJECT_ID` the token grants
/// `first_project`.
fn token_grant(arg: &str, first_project: Option<&String>) -> Result<Token, String> {
    let (token, project_id) = match arg.rsplit_once(':') {
        Some((token, project_id)) => (token, project_id.to_owned()),
        None => (
            arg,
            first_project
                .cloned()
                .ok_or("a --token without :PROJECT_ID grants the first --project-id; give one")?,
        ),
    };
    Ok(Token {
        token: SecretString::new(token),
        project_id,
    })
}

/// The decoded `{project_id}` of a `/v3/{project_id}/...` path, if the path has one.
pub fn path_project(raw_path: &str) -> Option<String> {
    let mut segments = raw_path.strip_prefix('/')?.split('/');
    if segments.next()? != "v3" {
        return None;
    }
    let project = segments.next()?;
    segments.next()?;
    Some(percent_decode_str(project).decode_utf8_lossy().into_owned())
}

fn require(value: &str, what: impl FnOnce() -> String) -> Result<(), PolicyError> {
    if value.trim().is_empty() {
        Err(PolicyError::Empty(what()))
    } else {
        Ok(())
    }
}

fn has_header(request: &RequestParts, name: &str) -> bool {
    header(request, name).is_some()
}

/// The first value of header `name` (any case).
fn header<'a>(request: &'a RequestParts, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

/// Compares two secrets in time that depends on their length only.
fn same_secret(expected: &str, sent: &str) -> bool {
    let (expected, sent) = (expected.as_bytes(), sent.as_bytes());
    expected.len() == sent.len()
        && expected
            .iter()
            .zip(sent)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_of_a_path() {
        assert_eq!(path_project("/v3/p1/trackers").as_deref(), Some("p1"));
        assert_eq!(path_project("/v3/a%20b/tracker").as_deref(), Some("a b"));
        assert_eq!(path_project("/v3/p1"), None);
        assert_eq!(path_project("/v2/p1/trackers"), None);
        assert_eq!(path_project("/"), None);
        assert_eq!(path_project(""), None);
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("token-1", "token-1"));
        assert!(!same_secret("token-1", "token-2"));
        assert!(!same_secret("token-1", "token-12"));
    }

    #[test]
    fn file_errors_do_not_quote_values() {
        let error = AuthPolicy::from_json(r#"{"accounts": "SECRET-VALUE"}"#)
            .expect_err("a string is not a list");
        assert!(!error.to_string().contains("SECRET-VALUE"), "{error}");
    }

    #[test]
    fn conflicting_keys_are_refused() {
        let account = |sk: &str, project: &str| Account {
            credentials: Credentials::new("AK1", sk),
            project_id: project.to_owned(),
        };
        assert!(AuthPolicy::new(vec![account("s1", "p1"), account("s1", "p2")], vec![]).is_ok());
        assert!(matches!(
            AuthPolicy::new(vec![account("s1", "p1"), account("s2", "p2")], vec![]),
            Err(PolicyError::ConflictingSecretKey(2))
        ));
    }
}
