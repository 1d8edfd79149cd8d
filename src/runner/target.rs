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
