//! Certification bundles (`--bundle DIR`): one folder holding everything a certification
//! rests on, and `cts-conform verify DIR` to re-check it (anchor: the Kubernetes
//! conformance submission checks: files present, the test list equal to the required
//! list, nothing failed).
//!
//! ```text
//! DIR/manifest.json     the run: tool version, contract hash, suite fingerprint, selected
//!                       case ids, profile, partition, target, project, bucket pool,
//!                       start/end, exit code, completeness line
//! DIR/report.json       the JSON report (`--report-json`)
//! DIR/junit.xml         the JUnit report (`--junit`)
//! DIR/report.html       the HTML report (`--report-html`)
//! DIR/recording/        the recording (`--record`): run.json and cases/*.json
//! DIR/SHA256SUMS        SHA-256 of every other file, `sha256sum -c` compatible
//! ```
//! The sums make the bundle tamper-evident against a changed, added or removed file; they
//! do not bind it to who made it (sign `SHA256SUMS` for that).

pub mod verify;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

use crate::atomic_write::write_atomically;
use crate::auth::Redactor;
use crate::coverage::Row;
use crate::report::{self, CaseResult, RunSummary};

pub use crate::record::{Target, Tool};

/// The version of the bundle's layout and manifest.
pub const FORMAT: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const SUMS: &str = "SHA256SUMS";
pub const REPORT_JSON: &str = "report.json";
pub const JUNIT: &str = "junit.xml";
pub const REPORT_HTML: &str = "report.html";
pub const RECORDING: &str = "recording";

/// Why a bundle cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("--bundle {dir}: the directory is not empty (a bundle holds one run; give an empty or new directory)")]
    NotEmpty { dir: PathBuf },
    #[error("--bundle {dir}: not a directory")]
    NotADirectory { dir: PathBuf },
    #[error("--bundle {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes `dir` ready for a bundle before the run: created when missing, refused when it
/// holds anything (a bundle never mixes two runs).
pub fn prepare(dir: &Path) -> Result<(), BundleError> {
    if dir.exists() && !dir.is_dir() {
        return Err(BundleError::NotADirectory {
            dir: dir.to_path_buf(),
        });
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
    if entries.next().is_some() {
        return Err(BundleError::NotEmpty {
            dir: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub tool: Tool,
    /// SHA-256 of the contract (the OpenAPI document) the run checked against.
    pub contract_sha256: String,
    /// SHA-256 of the contract and every case file ([`crate::report::results::fingerprint`]).
    pub fingerprint_sha256: String,
    /// The ids of the cases the run selected (its plan after any partition), in plan order.
    pub selected: Vec<String>,
    pub profile: String,
    pub partition: Option<String>,
    pub target: Target,
    pub pool: Pool,
    pub run_id: String,
    pub started: String,
    pub finished: String,
    /// The run's exit code.
    pub exit_code: i32,
    pub interrupted: bool,
    /// The run's completeness line ([`crate::report::completeness::Completeness::line`]).
    pub completeness: String,
}

/// The bucket pool the run used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pool {
    pub data_buckets: Vec<String>,
    pub obs_buckets: Vec<String>,
}

/// The reports, rendered.
pub struct Reports {
    pub json: String,
    pub junit: String,
    pub html: String,
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes the bundle of a finished run that ends with `exit_code` into `dir` (its
/// recording is already in `dir/recording`): the manifest, the three reports, the sums.
pub fn write_run(
    dir: &Path,
    summary: &RunSummary,
    results: &[CaseResult],
    coverage: &[Row],
    pool: Pool,
    exit_code: i32,
    redactor: &Redactor,
) -> Result<(), BundleError> {
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let completeness =
        report::completeness::assess(results, coverage, &summary.profile, summary.interrupted);
    let manifest = Manifest {
        format: FORMAT,
        tool: Tool {
            name: "cts-conform".into(),
            version: summary.tool_version.clone(),
        },
        contract_sha256: sha256_hex(crate::contract::EMBEDDED_OPENAPI.as_bytes()),
        fingerprint_sha256: summary.fingerprint.clone(),
        selected: results.iter().map(|r| r.outcome.id.clone()).collect(),
        profile: summary.profile.clone(),
        partition: summary.partition.clone(),
        target: Target {
            url: summary.target.clone(),
            kind: summary.target_kind.clone(),
            project_id: summary.project_id.clone(),
        },
        pool,
        run_id: summary.run_id.clone(),
        started: time(summary.started),
        finished: time(summary.finished),
        exit_code,
        interrupted: summary.interrupted,
        completeness: completeness.line(),
    };
    let reports = Reports {
        json: report::json::render(summary, results, coverage, redactor),
        junit: report::junit::render(summary, results, coverage, redactor),
        html: report::html::render(summary, results, coverage, redactor),
    };
    write(dir, &manifest, &reports)
}

/// Writes the reports and the manifest into `dir` (the recording is already in
/// `dir/recording`), then `SHA256SUMS` over every file.
pub fn write(dir: &Path, manifest: &Manifest, reports: &Reports) -> Result<(), BundleError> {
    let manifest_text = serde_json::to_string_pretty(manifest).unwrap_or_default() + "\n";
    for (name, text) in [
        (REPORT_JSON, reports.json.as_str()),
        (JUNIT, reports.junit.as_str()),
        (REPORT_HTML, reports.html.as_str()),
        (MANIFEST, manifest_text.as_str()),
    ] {
        let path = dir.join(name);
        write_atomically(&path, text.as_bytes()).map_err(io(&path))?;
    }
    let mut sums = String::new();
    for file in files(dir).map_err(io(dir))? {
        let path = dir.join(&file);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        sums.push_str(&format!("{}  {file}\n", sha256_hex(&bytes)));
    }
    let path = dir.join(SUMS);
    write_atomically(&path, sums.as_bytes()).map_err(io(&path))
}

/// Every file under `dir` but `SHA256SUMS`, as `/`-separated relative paths, sorted.
pub fn files(dir: &Path) -> std::io::Result<Vec<String>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if let Ok(relative) = path.strip_prefix(root) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.retain(|f| f != SUMS);
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_used_directory_is_refused_and_a_new_one_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join("new");
        prepare(&fresh).expect("a new directory");
        assert!(fresh.is_dir());
        prepare(&fresh).expect("an empty one");
        std::fs::write(fresh.join("old.json"), "{}").expect("write");
        assert!(matches!(prepare(&fresh), Err(BundleError::NotEmpty { .. })));
    }
}
