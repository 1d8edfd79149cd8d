//! The target side of a run: the embedded emulator a run starts for itself (its account
//! and its buckets), the credentials it generates for it, and what to say when
//! credentials are refused.

use std::net::SocketAddr;

use crate::emulator::{
    self, Account, AuthPolicy, EmulatorConfig, Fault, Rules, RunningEmulator, Token,
};
use crate::run::{Credentials, RunConfig};

/// The embedded emulator's policy: the run's own credentials, granting its project.
fn embedded_policy(
    credentials: &Credentials,
    project_id: &str,
) -> Result<Option<AuthPolicy>, String> {
    let (accounts, tokens) = match credentials {
        Credentials::None => return Ok(None),
        Credentials::AkSk(credentials) => (
            vec![Account {
                credentials: credentials.clone(),
                project_id: project_id.to_owned(),
            }],
            Vec::new(),
        ),
        Credentials::Token(token) => (
            Vec::new(),
            vec![Token {
                token: token.clone(),
                project_id: project_id.to_owned(),
            }],
        ),
    };
    AuthPolicy::new(accounts, tokens)
        .map(Some)
        .map_err(|e| format!("invalid credentials: {e}"))
}

/// A fresh AK (20 upper-case letters and digits, like a real one) and SK (40
/// characters) for the embedded run, so that it runs signed by default.
pub fn generated_credentials() -> Credentials {
    let random = || uuid::Uuid::new_v4().simple().to_string();
    let ak = format!("CC{}", random()[..18].to_ascii_uppercase());
    let sk = format!("{}{}", random(), random())[..40].to_owned();
    Credentials::AkSk(crate::auth::Credentials::new(ak, sk))
}

/// The embedded emulator of a run: it accepts exactly the run's credentials, and the
/// run's pool is the whole of what exists, so the suite meets the bucket rules of a real
/// account (api-facts, CTS.0211).
pub(super) fn embedded_emulator(
    config: &RunConfig,
    faults: &[Fault],
    documents_only: bool,
) -> Result<EmulatorConfig, String> {
    Ok(EmulatorConfig {
        auth: embedded_policy(&config.credentials, &config.project_id)?,
        faults: faults.iter().copied().collect(),
        rules: Rules::documents_only(documents_only),
        buckets: Some(
            config
                .data_buckets
                .iter()
                .chain(&config.obs_buckets)
                .cloned()
                .collect(),
        ),
        ..EmulatorConfig::default()
    })
}

/// Starts the embedded emulator of a run on a free loopback port.
pub(super) async fn start_embedded(
    config: &RunConfig,
    faults: &[Fault],
    documents_only: bool,
) -> Result<RunningEmulator, String> {
    let emulator = embedded_emulator(config, faults, documents_only)?;
    emulator::start(emulator, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("cannot start the embedded emulator: {e}"))
}

/// What to try when the credentials were refused.
pub fn credentials_hint(credentials: &Credentials) -> &'static str {
    match credentials {
        Credentials::None => {
            " (no credentials were given: pass --ak/--sk, or --token, or set HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK)"
        }
        _ => " (check the AK/SK or token, and that they belong to the project)",
    }
}

/// The project the embedded target runs against unless told otherwise.
pub const EMBEDDED_PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";

/// Which target a command addresses, as its flags say (`--target`, `--project-id`, the
/// credentials, the embedded emulator's faults and mode, the bucket pool).
#[derive(Debug, Clone)]
pub struct TargetChoice {
    /// `embedded` or the endpoint's base URL.
    pub target: String,
    pub project_id: Option<String>,
    pub credentials: Credentials,
    /// `--emulator-fault` (embedded only).
    pub faults: Vec<Fault>,
    /// `--emulator-documents-only` (embedded only).
    pub documents_only: bool,
    /// `--data-bucket`: without any, `CTS_DATA_BUCKET` (one name, as earlier versions).
    pub data_buckets: Vec<String>,
    /// `--obs-bucket`: without any, `CTS_OBS_BUCKET`.
    pub obs_buckets: Vec<String>,
}

impl TargetChoice {
    /// Whether the target is the run's own emulator.
    pub fn is_embedded(&self) -> bool {
        self.target == "embedded"
    }

    /// The target and the run's configuration: the embedded emulator (its project,
    /// credentials generated unless given, the buckets the run makes up for itself) or a
    /// URL with its project and pool. The error is one line for the user.
    pub fn resolve(
        self,
        service: &dyn crate::cts::Service,
    ) -> Result<(super::Target, RunConfig), String> {
        let mut credentials = self.credentials;
        let (target, mut config) = if self.target == "embedded" {
            let project_id = self
                .project_id
                .unwrap_or_else(|| EMBEDDED_PROJECT_ID.into());
            if matches!(credentials, Credentials::None) {
                credentials = generated_credentials();
            }
            let mut config = RunConfig::new("http://127.0.0.1:0", project_id);
            let (data, obs) = service.made_up_buckets(&config.run_id);
            config.data_buckets = data;
            config.obs_buckets = obs;
            let target = super::Target::Embedded {
                faults: self.faults,
                documents_only: self.documents_only,
            };
            (target, config)
        } else {
            if self.documents_only {
                return Err(format!(
                    "--emulator-documents-only needs the embedded target; {} is not the \
                     built-in emulator (run `cts-conform serve --documents-only` for a \
                     standalone one)",
                    self.target
                ));
            }
            if !self.faults.is_empty() {
                return Err(format!(
                    "--emulator-fault needs the embedded target; {} is not the built-in \
                     emulator (run `cts-conform serve --fault NAME` to break a standalone one)",
                    self.target
                ));
            }
            let Some(project_id) = self.project_id else {
                return Err(
                    "a URL target needs --project-id (or HUAWEICLOUD_SDK_PROJECT_ID)".into(),
                );
            };
            let mut config = RunConfig::new(self.target, project_id);
            config.data_buckets = pool_names(&self.data_buckets, "CTS_DATA_BUCKET");
            config.obs_buckets = pool_names(&self.obs_buckets, "CTS_OBS_BUCKET");
            (super::Target::Url, config)
        };
        config.credentials = credentials;
        Ok((target, config))
    }
}

/// A pool flag's names; without any, the single-bucket environment variable of earlier
/// versions (`CTS_DATA_BUCKET`, `CTS_OBS_BUCKET`) if set.
fn pool_names(given: &[String], single_env: &str) -> Vec<String> {
    let names: Vec<String> = given
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if !names.is_empty() {
        return names;
    }
    std::env::var(single_env)
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .into_iter()
        .collect()
}

/// The problem with `--target`, as one line: `embedded` or an http(s) URL that is the
/// endpoint's base: the harness adds `/v3/{project_id}/...` itself.
pub fn check_url(target: &str) -> Option<String> {
    if target == "embedded" {
        return None;
    }
    let Ok(url) = reqwest::Url::parse(target) else {
        return Some(format!(
            "--target must be `embedded` or an http(s) URL, not {target:?}"
        ));
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!(
            "--target must be `embedded` or an http(s) URL, not {target:?}"
        ));
    }
    let path = url.path().trim_end_matches('/');
    if !path.is_empty() || url.query().is_some() {
        let mut base = url.clone();
        base.set_path("");
        base.set_query(None);
        let base = base.as_str().trim_end_matches('/').to_string();
        return Some(format!(
            "--target {target} has a path; requests would go to {}/v3/{{project_id}}/..., \
             which no endpoint serves: pass the base URL, --target {base}",
            target.trim_end_matches('/')
        ));
    }
    None
}
