//! What a run needs to know about its target and limits.

use std::time::Duration;

use super::pool::{BucketPool, PoolOrigin};
use crate::auth::{self, SecretString};
use crate::case::model::Profile;
use crate::cts::Service;

/// How requests authenticate.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    /// No credentials (the emulator without auth, or a test server).
    #[default]
    None,
    /// `X-Auth-Token: <token>`.
    Token(SecretString),
    /// SDK-HMAC-SHA256 signing with an access key and secret key.
    AkSk(auth::Credentials),
}

impl Credentials {
    /// The secrets to redact from every output.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Credentials::None => Vec::new(),
            Credentials::Token(token) => vec![token.expose().to_string()],
            Credentials::AkSk(creds) => vec![creds.ak.clone(), creds.sk().expose().to_string()],
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
    /// Cases that create, update or delete may run against a non-loopback target.
    pub allow_mutations: bool,
    /// Existing OBS buckets data trackers may track (`${data_bucket}`, one leased per
    /// case); empty: invented names on a loopback target, none elsewhere.
    pub data_buckets: Vec<String>,
    /// Existing OBS buckets traces may be transferred to (`${obs_bucket}`).
    pub obs_buckets: Vec<String>,
    /// Data buckets given but left out of the pool before the first case (already
    /// tracked on the account: [`super::preflight::leave_out_tracked_buckets`]); the pool
    /// was still named, so a case that needs a bucket is not told to pass one.
    pub data_buckets_left_out: Vec<String>,
    /// Cap on the run's requests per second (`--rate`); `None`: no cap.
    pub rate: Option<f64>,
    /// Retries of a throttled answer (`--max-retries`).
    pub max_retries: u32,
    /// TLS trust beyond the system's roots (`--cacert`, `--insecure`).
    pub tls: crate::http::client::TlsTrust,
    /// At most this many trackers of the run alive at once (`--max-live`,
    /// [`super::budget`]).
    pub max_live: usize,
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
            allow_mutations: false,
            data_buckets: Vec::new(),
            obs_buckets: Vec::new(),
            data_buckets_left_out: Vec::new(),
            rate: None,
            max_retries: 5,
            max_live: super::budget::DEFAULT_MAX_LIVE,
            tls: crate::http::client::TlsTrust::default(),
        }
    }

    /// The run's buckets: the ones given (if all were left out, none, but named); else,
    /// on a loopback target (assumed to accept any valid name), names the `service` makes
    /// up from the run's prefix; else none.
    pub fn bucket_pool(&self, service: &dyn Service) -> BucketPool {
        let named = !self.data_buckets.is_empty()
            || !self.obs_buckets.is_empty()
            || !self.data_buckets_left_out.is_empty();
        if named {
            BucketPool::new(
                PoolOrigin::Explicit,
                self.data_buckets.clone(),
                self.obs_buckets.clone(),
            )
        } else if is_loopback(&self.base_url) {
            let (data, obs) = service.made_up_buckets(&self.run_id);
            BucketPool::new(PoolOrigin::Invented, data, obs)
        } else {
            BucketPool::new(PoolOrigin::Missing, Vec::new(), Vec::new())
        }
    }

    /// The prefix of every resource name this run creates (the `service` says how it
    /// is made from the run id).
    pub fn prefix(&self, service: &dyn Service) -> String {
        service.run_prefix(&self.run_id)
    }
}

/// Eight random hex digits.
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// Whether a URL's host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets() {
        for url in [
            "http://127.0.0.1:9000",
            "http://127.8.0.1",
            "http://[::1]:80/",
            "http://LOCALHOST:1",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://cts.example.com",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "nonsense",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
