//! `cts-conform verify DIR`: re-checks a bundle. Intact: every file's SHA-256 equals
//! `SHA256SUMS`, no file missing or added. Consistent: the manifest and the JSON report
//! are of one run, every selected case has a verdict and no other case does, each
//! verdict agrees with its own step records (a `passed` case with a failed step, a
//! `failed` case with none), and each case that ran has its recording, whose own verdict
//! agrees. Then green: nothing failed, the run exited 0 and is complete
//! ([`crate::report::completeness`]). Reading is here; the checks are pure functions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::record::{case_file_name, RecordedCase};
use crate::report::completeness::{self, Completeness};
use crate::report::json::status_against_steps;
use crate::report::load;

use super::{files, sha256_hex, Manifest, MANIFEST, RECORDING, REPORT_JSON, SUMS};

/// What `verify` found.
#[derive(Debug)]
pub struct Verification {
    /// Why the bundle cannot be vouched for (each one line naming the file); empty when
    /// it is intact and consistent.
    pub problems: Vec<String>,
    /// What the run checked, when the report could be read.
    pub completeness: Option<Completeness>,
    /// Why an intact bundle is still not the whole suite (one line each): it holds one
    /// shard of the plan, or selected no case.
    pub gaps: Vec<String>,
    /// The run's exit code, as its manifest says.
    pub exit_code: Option<i32>,
}

impl Verification {
    /// Intact and consistent.
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Cases that failed the run.
    pub fn failed(&self) -> usize {
        self.completeness
            .as_ref()
            .map_or(0, |c| c.failed + c.unexpected_passes)
    }

    /// Intact, consistent, nothing failed, complete, the whole plan, and the run exited 0.
    pub fn green(&self) -> bool {
        self.intact()
            && self.gaps.is_empty()
            && self.failed() == 0
            && self.exit_code == Some(0)
            && self
                .completeness
                .as_ref()
                .is_some_and(Completeness::complete)
    }
}

/// Verifies the bundle in `dir`.
pub fn verify(dir: &Path) -> Verification {
    let shown = |file: &str| dir.join(file).display().to_string();
    let mut problems = integrity(dir);
    let manifest = std::fs::read_to_string(dir.join(MANIFEST))
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Manifest>(&t).map_err(|e| e.to_string()));
    let report = std::fs::read_to_string(dir.join(REPORT_JSON))
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()));
    let (manifest, report) = match (manifest, report) {
        (Ok(m), Ok(r)) => (m, r),
        (m, r) => {
            if let Err(e) = m {
                problems.push(format!("{}: not a bundle manifest ({e})", shown(MANIFEST)));
            }
            if let Err(e) = r {
                problems.push(format!("{}: not a JSON report ({e})", shown(REPORT_JSON)));
            }
            return Verification {
                problems,
                completeness: None,
                gaps: Vec::new(),
                exit_code: None,
            };
        }
    };
    let recorded = recorded_verdicts(&dir.join(RECORDING), &report);
    problems.extend(
        consistency(&manifest, &report, &recorded)
            .into_iter()
            .map(|p| format!("{}: {p}", shown(REPORT_JSON))),
    );
    let completeness = load::results(&report).ok().map(|results| {
        completeness::assess(
            &results,
            &load::coverage_rows(&report),
            &manifest.profile,
            manifest.interrupted || report["interrupted"] == true,
        )
    });
    if completeness.is_none() {
        problems.push(format!("{}: its cases cannot be read", shown(REPORT_JSON)));
    }
    Verification {
        problems,
        completeness,
        gaps: gaps(&manifest, &report),
        exit_code: Some(manifest.exit_code),
    }
}

/// What keeps the selected list from being the required one: the plan's every case.
fn gaps(manifest: &Manifest, report: &Value) -> Vec<String> {
    let plan: BTreeSet<&str> = report["plan"]["ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let selected: BTreeSet<&str> = manifest.selected.iter().map(String::as_str).collect();
    let mut gaps = Vec::new();
    if selected.is_empty() {
        gaps.push("the run selected no case".to_string());
    }
    let outside = plan.difference(&selected).count();
    if outside > 0 {
        gaps.push(format!(
            "{outside} of the plan's {} cases are not in this bundle (partition {}): it \
             certifies one shard, not the suite",
            plan.len(),
            manifest.partition.as_deref().unwrap_or("none")
        ));
    }
    gaps
}

/// Every file against `SHA256SUMS`: changed, missing, or not listed.
fn integrity(dir: &Path) -> Vec<String> {
    let shown = |file: &str| dir.join(file).display().to_string();
    let sums = match std::fs::read_to_string(dir.join(SUMS)) {
        Ok(text) => text,
        Err(e) => return vec![format!("{}: cannot be read ({e})", shown(SUMS))],
    };
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for (number, line) in sums.lines().enumerate() {
        let Some((hash, file)) = line.split_once("  ") else {
            problems.push(format!("{}:{}: not `HASH  FILE`", shown(SUMS), number + 1));
            continue;
        };
        let safe = !file.starts_with('/') && file.split('/').all(|p| p != ".." && !p.is_empty());
        if !safe {
            problems.push(format!(
                "{}:{}: {file} is not a path inside the bundle",
                shown(SUMS),
                number + 1
            ));
            continue;
        }
        listed.insert(file.to_string());
        match std::fs::read(dir.join(file)) {
            Ok(bytes) if sha256_hex(&bytes) == hash => {}
            Ok(_) => problems.push(format!(
                "{}: changed (its SHA-256 is not the one in {SUMS})",
                shown(file)
            )),
            Err(_) => problems.push(format!("{}: missing (listed in {SUMS})", shown(file))),
        }
    }
    match files(dir) {
        Ok(present) => {
            for file in present.iter().filter(|f| !listed.contains(*f)) {
                problems.push(format!("{}: not listed in {SUMS}", shown(file)));
            }
        }
        Err(e) => problems.push(format!("{}: cannot be listed ({e})", dir.display())),
    }
    problems
}

/// The recorded verdict (`passed`, `failed`, `ignored`) of every case of the report
/// whose recording file can be read; a case whose file is missing is absent.
fn recorded_verdicts(recording: &Path, report: &Value) -> BTreeMap<String, String> {
    report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|case| case["id"].as_str())
        .filter_map(|id| {
            let text =
                std::fs::read_to_string(recording.join("cases").join(case_file_name(id))).ok()?;
            let case: RecordedCase = serde_json::from_str(&text).ok()?;
            Some((id.to_string(), case.verdict))
        })
        .collect()
}

/// Whether a report's case statuses agree with the run, their steps and the recording.
/// Each problem is one line (the caller names the file).
pub fn consistency(
    manifest: &Manifest,
    report: &Value,
    recorded: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, manifest_value, report_value) in [
        (
            "fingerprint_sha256",
            &manifest.fingerprint_sha256,
            &report["fingerprint_sha256"],
        ),
        ("run_id", &manifest.run_id, &report["run_id"]),
        ("profile", &manifest.profile, &report["profile"]),
        (
            "tool version",
            &manifest.tool.version,
            &report["tool"]["version"],
        ),
    ] {
        if report_value.as_str() != Some(manifest_value.as_str()) {
            problems.push(format!(
                "{key} {report_value} is not the manifest's {manifest_value:?}"
            ));
        }
    }
    let cases: Vec<&Value> = report["cases"].as_array().into_iter().flatten().collect();
    let judged: BTreeSet<&str> = cases.iter().filter_map(|c| c["id"].as_str()).collect();
    for id in &manifest.selected {
        if !judged.contains(id.as_str()) {
            problems.push(format!("case {id} was selected but has no verdict"));
        }
    }
    let selected: BTreeSet<&str> = manifest.selected.iter().map(String::as_str).collect();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or_default();
        if !selected.contains(id) {
            problems.push(format!("case {id} has a verdict but was not selected"));
        }
        problems.extend(status_against_steps(case));
        let status = case["status"].as_str().unwrap_or_default();
        let ran = matches!(
            status,
            "passed" | "failed" | "expected-failure" | "unexpected-pass"
        );
        let expected_record = match status {
            "passed" | "unexpected-pass" => "passed",
            "failed" | "expected-failure" => "failed",
            _ => "ignored",
        };
        match recorded.get(id) {
            None if ran => problems.push(format!(
                "case {id} is {status} but has no recording ({RECORDING}/cases/{})",
                case_file_name(id)
            )),
            Some(verdict) if verdict != expected_record => problems.push(format!(
                "case {id} is {status} but its recording says {verdict}"
            )),
            _ => {}
        }
    }
    problems
}
