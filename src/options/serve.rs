//! What `serve`'s flags ask for: the emulator's configuration ([`EmulatorConfig`]), with
//! its credentials, faults, violations file and the traits of a real account
//! (`--bucket`, `--preload`, `--rate-limit`, `--gateway-errors`, or all but buckets with
//! `--cloud`). What the operator should know (authentication off, faults on, an exposed
//! address) goes to `notice` in the order it is found; a bad flag is the error.

use std::collections::BTreeSet;

use super::server_args::ServeArgs;
use crate::emulator::{self, AuthPolicy, EmulatorConfig, Fault, PolicyFlags, Preload};

impl ServeArgs {
    /// The emulator these flags describe; the error is a usage message.
    pub fn emulator_config(
        &self,
        notice: &mut dyn FnMut(String),
    ) -> Result<EmulatorConfig, String> {
        let limits = self.server.limits()?;
        self.server.check_listen(
            self.listen,
            "the emulator (and, without --ak/--sk/--token/--credentials, with no authentication)",
            notice,
        )?;
        let flags = PolicyFlags {
            ak: &self.ak,
            sk: &self.sk,
            project_id: &self.project_id,
            token: &self.token,
            credentials: self.credentials.as_deref(),
        };
        let auth = flags.policy()?;
        notice(match &auth {
            None => "warning: authentication is off, every request is accepted \
                     (turn it on with --ak/--sk/--project-id, --token or --credentials)"
                .to_string(),
            Some(policy) => format!(
                "authentication is on: {} account(s), {} token(s)",
                policy.accounts().len(),
                policy.tokens().len()
            ),
        });
        let faults: emulator::FaultSet = self.fault.iter().copied().collect();
        if !faults.is_empty() {
            let names: Vec<&str> = faults.iter().map(Fault::name).collect();
            notice(format!(
                "warning: fault modes on, the emulator breaks the contract: {}",
                names.join(", ")
            ));
        }
        let secrets = auth.as_ref().map_or_else(Vec::new, AuthPolicy::secrets);
        let sink = self.violation_limits.sink(
            self.violations.as_deref(),
            self.strict_requests,
            secrets,
        )?;
        let mut config = if self.cloud {
            let projects: BTreeSet<&str> =
                auth.iter().flat_map(AuthPolicy::granted_projects).collect();
            if projects.is_empty() {
                notice(
                    "warning: --cloud: no project is configured (--project-id, --token, \
                     --credentials), so no management tracker is preloaded"
                        .into(),
                );
            }
            EmulatorConfig::cloud(projects)
        } else {
            EmulatorConfig::default()
        };
        if let Some(path) = &self.preload {
            let loaded = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| Preload::from_json(&text).map_err(|e| e.to_string()));
            config.preload =
                loaded.map_err(|reason| format!("--preload {}: {reason}", path.display()))?;
        }
        if !self.bucket.is_empty() {
            config.buckets = Some(self.bucket.iter().cloned().collect());
        }
        if self.rate_limit.is_some() {
            config.rate_limit = self.rate_limit;
        }
        config.gateway_errors |= self.gateway_errors;
        config.latency = self.latency.map(std::time::Duration::from_millis);
        config.verbose = self.verbose;
        config.auth = auth;
        config.faults = faults;
        config.violations = sink;
        config.strict_requests = self.strict_requests;
        config.limits = limits;
        config.rules = emulator::Rules::documents_only(self.documents_only);
        if self.documents_only {
            notice(
                "documents-only: the two documents' rules alone (no account rule of api-facts, \
                 CTS.0003 for every refused input)"
                    .into(),
            );
        }
        notice(config.account_summary());
        Ok(config)
    }
}
