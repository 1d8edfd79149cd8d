//! `cts-conform sweep`: removes what an interrupted or crashed run created, as recorded
//! in its ledger, and nothing else. Each outstanding resource is removed by the names the
//! ledger holds (the service says how: [`crate::cts::Service::removal_step`]), on the
//! target and project it was created on; a 404 counts as already gone. Removals are
//! appended to the same ledger, so a sweep can be repeated.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::case::remove;
use super::config::{Credentials, RunConfig};
use super::ledger::{self, Ledger, LedgerError, Resource};
use super::session::Session;
use crate::contract::Contract;
use crate::cts::Removal;
use crate::cts::Service;
use crate::http::client::{HttpClient, TlsTrust};
use crate::outcome::StepOutcome;

/// What a sweep did with each outstanding resource.
#[derive(Debug)]
pub struct SweepReport {
    pub removed: Vec<Resource>,
    /// Already gone before the sweep (the target answered 404).
    pub already_gone: Vec<Resource>,
    /// Creates that were never answered, of resources whose names do not prove the run
    /// made them (the management tracker `system`): not touched; a person must look.
    pub unconfirmed: Vec<Resource>,
    pub failed: Vec<(Resource, StepOutcome)>,
}

/// What a ledger file says is left, without touching anything.
#[derive(Debug)]
pub struct Outstanding {
    /// What to remove.
    pub outstanding: Vec<Resource>,
    /// Creates never answered whose names do not prove the run made them.
    pub unconfirmed: Vec<Resource>,
    /// The lines skipped because they do not parse (each with its file:line).
    pub skipped: Vec<LedgerError>,
}

/// The outstanding and the unconfirmed resources of a ledger file, and the lines that
/// were skipped, without touching anything.
pub fn outstanding(path: &Path, service: &dyn Service) -> Result<Outstanding, LedgerError> {
    let read = ledger::read(path)?;
    Ok(Outstanding {
        outstanding: ledger::outstanding(&read.entries, service),
        unconfirmed: ledger::unconfirmed(&read.entries, service),
        skipped: read.skipped,
    })
}

/// The command that removes what the ledger at `path` lists.
pub fn command(path: &Path) -> String {
    format!("cts-conform sweep --ledger {}", path.display())
}

/// Deletes every outstanding resource of the ledger at `path` (the `service` removes it
/// by the requests of `contract`), trusting `tls` for an https target (`--cacert`,
/// `--insecure`).
pub async fn sweep(
    path: &Path,
    credentials: &Credentials,
    timeout: std::time::Duration,
    tls: &TlsTrust,
    contract: Arc<Contract>,
    service: Arc<dyn Service>,
) -> Result<SweepReport, LedgerError> {
    let entries = ledger::read(path)?.entries;
    let mut by_case: BTreeMap<(String, String, String), Vec<Resource>> = BTreeMap::new();
    let left = ledger::outstanding(&entries, &*service);
    for resource in &left {
        // The case that created it, for the ledger line recording its removal.
        let case = entries
            .iter()
            .rev()
            .find(|e| &e.resource == resource)
            .map(|e| e.case.clone())
            .unwrap_or_default();
        by_case
            .entry((resource.target.clone(), resource.project_id.clone(), case))
            .or_default()
            .push(resource.clone());
    }
    let client = HttpClient::with_tls(tls).map_err(|e| LedgerError::Parse {
        path: path.to_path_buf(),
        line: 0,
        reason: e.to_string(),
    })?;
    let mut report = SweepReport {
        removed: Vec::new(),
        already_gone: Vec::new(),
        unconfirmed: ledger::unconfirmed(&entries, &*service),
        failed: Vec::new(),
    };
    for ((target, project_id, case), resources) in by_case {
        let mut config = RunConfig::new(target, project_id);
        config.credentials = credentials.clone();
        config.timeout = timeout;
        config.tls = tls.clone();
        let known = entries.iter().filter(|e| e.case == case).cloned().collect();
        let ledger = Ledger::resume("sweep", path, known, Arc::clone(&service))?;
        let session = Session::new(
            Arc::clone(&contract),
            Arc::clone(&service),
            config,
            client.clone(),
            tokio::runtime::Handle::current(),
            ledger,
        );
        for resource in resources {
            let outcome = remove(&session, &case, &resource).await;
            let status = outcome
                .exchange
                .as_ref()
                .and_then(|e| e.response.as_ref().ok())
                .map(|r| r.status);
            if outcome.failed() {
                report.failed.push((resource, outcome));
            } else if status.map(|s| service.removal(s)) == Some(Removal::AlreadyGone) {
                report.already_gone.push(resource);
            } else {
                report.removed.push(resource);
            }
        }
    }
    Ok(report)
}
