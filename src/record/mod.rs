//! Recordings (`--record DIR`): every exchange of a run, per case and step, as sent and as
//! answered, with the run's metadata; read back by `replay` (judge the recorded answers
//! again, with no network) and `parity` (compare two recordings).
//!
//! # The format (version 1, stable: [`FORMAT`] changes when it changes incompatibly)
//!
//! ```text
//! DIR/run.json                 the run (RunMeta)
//! DIR/cases/<case file>.json   one file per case that ran (RecordedCase)
//! ```
//!
//! `run.json`:
//! ```json
//! {"format": 1, "tool": {"name": "cts-conform", "version": "0.1.0"},
//!  "target": {"url": "http://127.0.0.1:9000", "kind": "embedded", "project_id": "..."},
//!  "run_id": "0a1b2c3d", "profile": "documented", "partition": null,
//!  "fingerprint_sha256": "<contract and cases, see report::results::fingerprint>",
//!  "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:01:00Z",
//!  "threads": 8, "filters": {"filter": null, "skip": [], "exact": false, "ignored": false,
//!                            "include_ignored": false, "no_derived": false},
//!  "config": {"other_project_id": "...", "data_buckets": ["..."], "obs_buckets": ["..."],
//!             "allow_mutations": false, "max_retries": 5, "timeout_ms": 30000,
//!             "max_response_bytes": 4194304, "credentials": "aksk"}}
//! ```
//! `finished` is `null` until the run ends (a killed run keeps the cases it finished).
//! `credentials` is `aksk`, `token` or `none`: the kind only, never a value. `threads`
//! (cases run at once) and `filters` (the case selection; `partition` is the shard, e.g.
//! `2/3`) are `null` in recordings made before they were kept; `parity` says so.
//!
//! A case file is named after the case id, `::` written `__` and every character other
//! than ASCII letters, digits, `.`, `_` and `-` written `%XX` (its UTF-8 bytes in hex):
//! ```json
//! {"format": 1, "id": "suite::name", "file": "cases/suite.json",
//!  "leased": {"data_bucket": "..."},
//!  "verdict": "passed", "reason": null, "interrupted": false,
//!  "steps": [Step...], "cleanup": [Step...]}
//! ```
//! `verdict` is the case's own (`passed`, `failed`, `ignored`), before any baseline. A step:
//! ```json
//! {"label": "create", "operation": "CreateTracker", "skipped": null, "failed": false,
//!  "findings": [{"kind": "body", "summary": "..."}],
//!  "retries": [{"status": 429, "error_code": "APIGW.0308", "waited_ms": 1000, "retry_after": true}],
//!  "request": {"method": "POST", "url": "...", "headers": [["Content-Type", "application/json"]],
//!              "body": {"text": "..."}},
//!  "response": {"status": 201, "headers": [["content-type", "application/json"]],
//!               "body": {"text": "..."}, "elapsed_ms": 12},
//!  "error": null}
//! ```
//! A body is `null` (none), `{"text": "..."}` (UTF-8) or `{"base64": "..."}` (otherwise).
//! A step that sent nothing has no `request`; one with no usable answer has `error` (a
//! transport error: `{"timeout": {"secs": 30, "nanos": 0}}`, `{"connect": "..."}`, ...)
//! instead of `response`. `retries` lists the throttled answers waited out before the one
//! recorded (the request was the same each time).
//!
//! Secrets are never written: every string goes through the run's redactor (as reports
//! do), and the `Authorization` header's `Access=`/`Signature=` and the whole
//! `X-Auth-Token` value are `***` whatever the redactor knows.

pub mod read;
pub mod write;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::time::Duration;

use crate::auth::SecretString;
use crate::case::model::Profile;
use crate::run::{Credentials, RunConfig};

pub use read::{Recording, ReplayError};
pub use write::{RecordError, Recorder};

/// The version of the recording format.
pub const FORMAT: u32 = 1;

/// `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunMeta {
    pub format: u32,
    pub tool: Tool,
    pub target: Target,
    pub run_id: String,
    pub profile: String,
    pub partition: Option<String>,
    pub fingerprint_sha256: String,
    pub started: String,
    pub finished: Option<String>,
    pub config: RunSettings,
    /// The ids of the cases the run selected (so that a replay knows which case files a
    /// complete recording has). Empty in recordings made before it was kept.
    #[serde(default)]
    pub selected: Vec<String>,
    /// Cases run at once (`--test-threads`); `None` in a recording made before it was kept.
    #[serde(default)]
    pub threads: Option<usize>,
    /// Which cases the run selected; `None` in a recording made before it was kept.
    #[serde(default)]
    pub filters: Option<Filters>,
}

/// The run's case selection: libtest's filter flags and `--no-derived` (the partition is
/// [`RunMeta::partition`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Filters {
    /// The positional filter, if any.
    pub filter: Option<String>,
    /// `--skip` filters.
    pub skip: Vec<String>,
    pub exact: bool,
    /// `--ignored`: only the ignored cases.
    pub ignored: bool,
    pub include_ignored: bool,
    pub no_derived: bool,
}

impl Filters {
    /// Whether the selection leaves cases out (besides the partition).
    pub fn narrows(&self) -> bool {
        self.filter.is_some() || !self.skip.is_empty() || self.ignored || self.no_derived
    }

    /// The selection as flags (`--skip x --exact ...`), `all cases` when none.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(filter) = &self.filter {
            parts.push(format!("filter {filter:?}"));
        }
        parts.extend(self.skip.iter().map(|s| format!("--skip {s:?}")));
        for (set, flag) in [
            (self.exact, "--exact"),
            (self.ignored, "--ignored"),
            (self.include_ignored, "--include-ignored"),
            (self.no_derived, "--no-derived"),
        ] {
            if set {
                parts.push(flag.to_string());
            }
        }
        if parts.is_empty() {
            "all cases".into()
        } else {
            parts.join(" ")
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Target {
    pub url: String,
    pub kind: String,
    pub project_id: String,
}

/// What a replay needs to render the same requests as the recorded run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunSettings {
    pub other_project_id: String,
    pub data_buckets: Vec<String>,
    pub obs_buckets: Vec<String>,
    pub allow_mutations: bool,
    pub max_retries: u32,
    pub timeout_ms: u64,
    pub max_response_bytes: usize,
    /// `aksk`, `token` or `none`.
    pub credentials: String,
}

impl RunMeta {
    /// What `run.json` says of a run about to start with `config`.
    pub fn for_run(
        config: &RunConfig,
        target_kind: &str,
        profile: &str,
        partition: Option<String>,
        fingerprint: &str,
    ) -> Self {
        RunMeta {
            format: FORMAT,
            tool: Tool {
                name: "cts-conform".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            target: Target {
                url: config.base_url.clone(),
                kind: target_kind.into(),
                project_id: config.project_id.clone(),
            },
            run_id: config.run_id.clone(),
            profile: profile.into(),
            partition,
            fingerprint_sha256: fingerprint.into(),
            started: now(),
            finished: None,
            selected: Vec::new(),
            threads: None,
            filters: None,
            config: RunSettings {
                other_project_id: config.other_project_id.clone(),
                data_buckets: config.data_buckets.clone(),
                obs_buckets: config.obs_buckets.clone(),
                allow_mutations: config.allow_mutations,
                max_retries: config.max_retries,
                timeout_ms: config.timeout.as_millis() as u64,
                max_response_bytes: config.max_response_bytes,
                credentials: match config.credentials {
                    Credentials::None => "none",
                    Credentials::Token(_) => "token",
                    Credentials::AkSk(_) => "aksk",
                }
                .into(),
            },
        }
    }

    /// The run configuration the recorded run had, so that a replay renders the same
    /// requests. Credentials are stand-ins of the recorded kind: a replay sends nothing,
    /// and signatures are not compared.
    pub fn replay_config(&self, profile: Profile) -> RunConfig {
        let settings = &self.config;
        let mut config = RunConfig::new(self.target.url.clone(), self.target.project_id.clone());
        config.run_id = self.run_id.clone();
        config.other_project_id = settings.other_project_id.clone();
        config.credentials = match settings.credentials.as_str() {
            "aksk" => Credentials::AkSk(crate::auth::Credentials::new(
                "REPLAYREPLAYREPLAY00",
                "replay-secret-key-that-signs-nothing-000",
            )),
            "token" => Credentials::Token(SecretString::new("replay-token-sent-nowhere")),
            _ => Credentials::None,
        };
        config.timeout = Duration::from_millis(settings.timeout_ms.max(1));
        config.max_response_bytes = settings.max_response_bytes;
        config.profile = profile;
        config.allow_mutations = settings.allow_mutations;
        config.data_buckets = settings.data_buckets.clone();
        config.obs_buckets = settings.obs_buckets.clone();
        config.max_retries = settings.max_retries;
        config
    }
}

/// Now, as RFC 3339 (the times of `run.json`).
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One case file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedCase {
    pub format: u32,
    pub id: String,
    pub file: String,
    pub leased: BTreeMap<String, Value>,
    pub verdict: String,
    pub reason: Option<String>,
    pub interrupted: bool,
    pub steps: Vec<RecordedStep>,
    pub cleanup: Vec<RecordedStep>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedStep {
    pub label: String,
    pub operation: String,
    pub skipped: Option<String>,
    pub failed: bool,
    pub findings: Vec<RecordedFinding>,
    pub retries: Vec<RecordedRetry>,
    #[serde(default)]
    pub request: Option<RecordedRequest>,
    #[serde(default)]
    pub response: Option<RecordedResponse>,
    #[serde(default)]
    pub error: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedFinding {
    pub kind: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedRetry {
    pub status: u16,
    pub error_code: Option<String>,
    pub waited_ms: u64,
    pub retry_after: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

impl RecordedRequest {
    /// The request as it was sent (its secrets as the recording masked them).
    pub fn to_sent(&self) -> crate::http::exchange::SentRequest {
        crate::http::exchange::SentRequest {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: self.body.as_ref().map(Body::bytes),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    pub elapsed_ms: u64,
}

/// A body: UTF-8 text, or base64 of bytes that are not UTF-8.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    Text(String),
    Base64(String),
}

impl Body {
    /// The body of `bytes`, `None` when empty.
    pub fn of(bytes: &[u8]) -> Option<Body> {
        use base64::Engine;
        if bytes.is_empty() {
            return None;
        }
        Some(match std::str::from_utf8(bytes) {
            Ok(text) => Body::Text(text.to_string()),
            Err(_) => Body::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        })
    }

    /// The bytes (a base64 body that does not decode gives its text).
    pub fn bytes(&self) -> Vec<u8> {
        use base64::Engine;
        match self {
            Body::Text(text) => text.as_bytes().to_vec(),
            Body::Base64(text) => base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_else(|_| text.as_bytes().to_vec()),
        }
    }

    /// The body parsed as JSON, when it is JSON text.
    pub fn json(&self) -> Option<Value> {
        match self {
            Body::Text(text) => serde_json::from_str(text).ok(),
            Body::Base64(_) => None,
        }
    }
}

impl RecordedStep {
    /// Every step then every cleanup step of a case, with its position: `steps/0`, ...,
    /// `cleanup/0`, ... (the JSON pointer prefix of its place in the case file).
    pub fn positions(case: &RecordedCase) -> impl Iterator<Item = (String, &RecordedStep)> {
        let steps = case
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("steps/{i}"), s));
        let cleanup = case
            .cleanup
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("cleanup/{i}"), s));
        steps.chain(cleanup)
    }
}

/// The file name of a case's recording (without the directory).
pub fn case_file_name(id: &str) -> String {
    let mut name = String::new();
    for part in id.split("::").enumerate() {
        if part.0 > 0 {
            name.push_str("__");
        }
        for byte in part.1.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
                name.push(byte as char);
            } else {
                name.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    if name.starts_with('.') {
        name.replace_range(..1, "%2E");
    }
    name.push_str(".json");
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_file_names_are_safe() {
        assert_eq!(case_file_name("suite::name_1"), "suite__name_1.json");
        assert_eq!(
            case_file_name("derived::a/b c::..x"),
            "derived__a%2Fb%20c__..x.json"
        );
        assert_eq!(case_file_name("../x"), "%2E.%2Fx.json");
    }

    #[test]
    fn bodies_are_text_or_base64() {
        assert_eq!(Body::of(b""), None);
        let text = Body::of(b"{\"a\":1}").expect("body");
        assert_eq!(text, Body::Text("{\"a\":1}".into()));
        let binary = Body::of(&[0xff, 0x00]).expect("body");
        assert!(matches!(binary, Body::Base64(_)));
        assert_eq!(binary.bytes(), vec![0xff, 0x00]);
    }
}
