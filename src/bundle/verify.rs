//! `cts-conform verify DIR`: re-checks a bundle. Intact: every file's SHA-256 equals
//! `SHA256SUMS`, no file missing or added. Consistent: the manifest and the JSON report
//! are of one run, every selected case has a verdict and no other case does, each
//! verdict agrees with its own step records (a `passed` case with a failed step, a
//! `failed` case with none), and each case that ran has its recording, whose own verdict
//! agrees. Then green: nothing failed, the run exited 0 and is complete
//! ([`crate::report::completeness`]). Reading is here; the checks are pure functions, and
//! so is the [`Decision`] (refused, failed, incomplete, green) with the lines that say it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::outcome::Exit;
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

/// What `verify` decides about a bundle, first match wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It cannot be vouched for: `problems` problems (missing, changed or inconsistent
    /// files).
    Refused { problems: usize },
    /// Intact, but `failed` cases failed (or the run exited [`Exit::Failed`]).
    Failed { failed: usize },
    /// Intact and nothing failed, but not a complete green run of the whole suite; the
    /// run's exit code as its manifest says.
    Incomplete { exit_code: Option<i32> },
    /// Intact, complete and green.
    Green,
}

impl Decision {
    /// The exit code of `verify` for this decision: 2 refused, 101 failed, 6 incomplete,
    /// 0 green.
    pub fn exit(self) -> Exit {
        match self {
            Decision::Refused { .. } => Exit::Usage,
            Decision::Failed { .. } => Exit::Failed,
            Decision::Incomplete { .. } => Exit::Incomplete,
            Decision::Green => Exit::Passed,
        }
    }
}

/// One line `verify` prints: on stdout (what it found) or on stderr (refusals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Out(String),
    Err(String),
}

impl Verification {
    /// The decision: refused, failed, incomplete or green.
    pub fn decision(&self) -> Decision {
        if !self.intact() {
            Decision::Refused {
                problems: self.problems.len(),
            }
        } else if self.failed() > 0 || self.exit_code == Some(Exit::Failed as i32) {
            Decision::Failed {
                failed: self.failed(),
            }
        } else if !self.green() {
            Decision::Incomplete {
                exit_code: self.exit_code,
            }
        } else {
            Decision::Green
        }
    }

    /// What `verify` prints about the bundle `dir` (as given), in order: each problem,
    /// the completeness line and its details, then the decision.
    pub fn lines(&self, dir: &str) -> Vec<Line> {
        let mut lines: Vec<Line> = self
            .problems
            .iter()
            .map(|problem| Line::Err(format!("refused: {problem}")))
            .collect();
        if let Some(completeness) = &self.completeness {
            lines.push(Line::Out(completeness.line()));
            lines.push(Line::Out(completeness.details()));
        }
        match self.decision() {
            Decision::Refused { problems } => lines.push(Line::Err(format!(
                "error: {dir}: the bundle cannot be vouched for ({problems} problem{})",
                if problems == 1 { "" } else { "s" }
            ))),
            Decision::Failed { failed } => lines.push(Line::Out(format!(
                "{dir}: intact, but {failed} case(s) failed"
            ))),
            Decision::Incomplete { exit_code } => {
                lines.extend(
                    self.gaps
                        .iter()
                        .map(|gap| Line::Out(format!("not the whole suite: {gap}"))),
                );
                lines.push(Line::Out(format!(
                    "{dir}: intact, but not a complete green run (the run exited {})",
                    exit_code.map_or_else(|| "?".to_string(), |c| c.to_string())
                )));
            }
            Decision::Green => lines.push(Line::Out(format!("{dir}: intact, complete and green"))),
        }
        lines
    }
}

/// Why `verify` cannot begin: what it was given is not a directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{dir}: not a bundle directory")]
pub struct NotABundle {
    pub dir: String,
}

/// Verifies the bundle in `dir`.
pub fn verify(dir: &Path) -> Result<Verification, NotABundle> {
    if !dir.is_dir() {
        return Err(NotABundle {
            dir: dir.display().to_string(),
        });
    }
    Ok(check(dir))
}

/// Verifies the bundle in the directory `dir`.
fn check(dir: &Path) -> Verification {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::completeness::{Covered, Gap, Ignored};

    /// A completeness of `failed` failed cases and `missing` cases ignored for lack of
    /// configuration (a gap).
    fn completeness(failed: usize, missing: usize) -> Completeness {
        let ignored = if missing == 0 {
            Vec::new()
        } else {
            vec![Ignored {
                reason: "needs --allow-mutations".into(),
                count: missing,
                gap: Gap::Missing,
            }]
        };
        Completeness {
            selected: 3 + failed + missing,
            passed: 3,
            failed,
            expected_failures: 0,
            unexpected_passes: 0,
            ignored,
            interrupted: false,
            coverage: [
                ("request fields", Covered { covered: 1, of: 1 }),
                ("query parameters", Covered { covered: 0, of: 0 }),
                ("statuses", Covered { covered: 1, of: 1 }),
            ],
            tier: "Core",
        }
    }

    fn verification(problems: &[&str], failed: usize, missing: usize) -> Verification {
        Verification {
            problems: problems.iter().map(|p| p.to_string()).collect(),
            completeness: Some(completeness(failed, missing)),
            gaps: Vec::new(),
            exit_code: Some(if failed > 0 { Exit::Failed as i32 } else { 0 }),
        }
    }

    fn last(verification: &Verification) -> Line {
        verification.lines("B").pop().expect("a decision line")
    }

    #[test]
    fn a_problem_refuses_the_bundle_whatever_else_it_holds() {
        let refused = verification(&["B/SHA256SUMS: cannot be read", "B/x: changed"], 1, 0);
        assert_eq!(refused.decision(), Decision::Refused { problems: 2 });
        let lines = refused.lines("B");
        assert_eq!(
            lines[0],
            Line::Err("refused: B/SHA256SUMS: cannot be read".into())
        );
        assert_eq!(
            lines.last(),
            Some(&Line::Err(
                "error: B: the bundle cannot be vouched for (2 problems)".into()
            ))
        );
        let one = verification(&["B/x: changed"], 0, 0);
        assert_eq!(
            last(&one),
            Line::Err("error: B: the bundle cannot be vouched for (1 problem)".into())
        );
    }

    #[test]
    fn a_failed_case_or_a_failed_exit_is_failed() {
        let failed = verification(&[], 2, 0);
        assert_eq!(failed.decision(), Decision::Failed { failed: 2 });
        assert_eq!(
            last(&failed),
            Line::Out("B: intact, but 2 case(s) failed".into())
        );
        let mut exited = verification(&[], 0, 0);
        exited.exit_code = Some(Exit::Failed as i32);
        assert_eq!(exited.decision(), Decision::Failed { failed: 0 });
    }

    #[test]
    fn a_gap_or_another_exit_is_incomplete_and_says_why() {
        let mut shard = verification(&[], 0, 0);
        shard.gaps = vec!["1 of the plan's 4 cases are not in this bundle".into()];
        assert_eq!(
            shard.decision(),
            Decision::Incomplete { exit_code: Some(0) }
        );
        let lines = shard.lines("B");
        assert_eq!(
            lines[lines.len() - 2..],
            [
                Line::Out(
                    "not the whole suite: 1 of the plan's 4 cases are not in this bundle".into()
                ),
                Line::Out("B: intact, but not a complete green run (the run exited 0)".into()),
            ]
        );
        let ignored = verification(&[], 0, 2);
        assert_eq!(
            ignored.decision(),
            Decision::Incomplete { exit_code: Some(0) }
        );
        let mut unknown_exit = verification(&[], 0, 0);
        unknown_exit.exit_code = None;
        assert_eq!(
            last(&unknown_exit),
            Line::Out("B: intact, but not a complete green run (the run exited ?)".into())
        );
    }

    #[test]
    fn intact_complete_and_passed_is_green_after_the_completeness_line() {
        let green = verification(&[], 0, 0);
        assert_eq!(green.decision(), Decision::Green);
        let lines = green.lines("B");
        assert_eq!(lines.len(), 3);
        assert!(matches!(&lines[0], Line::Out(line) if line.starts_with("COMPLETE")));
        assert_eq!(lines[2], Line::Out("B: intact, complete and green".into()));
    }

    #[test]
    fn a_file_is_not_a_bundle() {
        let file = tempfile::NamedTempFile::new().expect("file");
        let error = verify(file.path()).expect_err("a file");
        assert_eq!(
            error.to_string(),
            format!("{}: not a bundle directory", file.path().display())
        );
    }
}
