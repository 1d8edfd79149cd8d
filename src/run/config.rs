//! What a run needs to know about its target and limits.

use std::time::Duration;

use crate::case::model::Profile;

/// How requests authenticate.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    /// No credentials (the emulator without auth, or a test server).
    #[default]
    None,
    /// `X-Auth-Token: <token>`.
    Token(String),
    /// SDK-HMAC-SHA256 signing with an access key and secret key.
    AkSk { ak: String, sk: String },
}

impl Credentials {
    /// The secrets to redact from every output.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Credentials::None => Vec::new(),
            Credentials::Token(token) => vec![token.clone()],
            Credentials::AkSk { ak, sk } => vec![ak.clone(), sk.clone()],
        }
    }
}

/// Everything a run is configured with.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:9000`.
    pub base_url: String,
    pub project_id: String,
    /// A project the credentials do not belong to (for 403 cases).
    pub other_project_id: String,
    /// Short random id of this run; resource names start with `cc-<run_id>`.
    pub run_id: String,
    pub credentials: Credentials,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    pub profile: Profile,
}

/// The default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

impl RunConfig {
    /// A config with defaults for everything but the target.
    pub fn new(base_url: impl Into<String>, project_id: impl Into<String>) -> Self {
        RunConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            project_id: project_id.into(),
            other_project_id: "ffffffffffffffffffffffffffffffff".into(),
            run_id: new_run_id(),
            credentials: Credentials::None,
            timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            profile: Profile::Documented,
        }
    }

    /// The prefix of every resource name this run creates.
    pub fn prefix(&self) -> String {
        format!("cc-{}", self.run_id)
    }
}

/// Eight random hex digits.
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}
