//! `report merge` without its files and exit codes: the shards' JSON reports read (a bad
//! one named with its position), merged ([`super::merge`]), and the result read back as a
//! run's, its completeness counted again over the merged cases; then the reports it
//! writes and the lines it prints. Every refusal is one line ([`MergeRefusal`]).

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::auth::Redactor;
use crate::coverage::Row;

use super::completeness::{self, Completeness};
use super::load::{self, LoadError};
use super::merge::{merge, MergeError, Merged};
use super::results::{CaseResult, RunSummary};
use super::{html, junit};

/// Why `report merge` writes nothing (exit 2); each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum MergeRefusal {
    #[error("cannot read {file}: {source}")]
    Unreadable {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: not JSON ({source})", line = source.line(), column = source.column())]
    NotJson {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot merge: {0}")]
    Merge(#[from] MergeError),
    #[error("cannot read the shards back: {0}")]
    ReadBack(#[from] LoadError),
}

/// Each shard report of `paths` (named as given), parsed; the first that cannot be read
/// or is not JSON refuses them all.
pub fn read_shards(paths: &[PathBuf]) -> Result<Vec<(String, Value)>, MergeRefusal> {
    paths
        .iter()
        .map(|path| {
            let file = path.display().to_string();
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(source) => return Err(MergeRefusal::Unreadable { file, source }),
            };
            match serde_json::from_str(&text) {
                Ok(value) => Ok((file, value)),
                Err(source) => Err(MergeRefusal::NotJson { file, source }),
            }
        })
        .collect()
}

/// The shard reports of `paths` read and merged (see [`merge`]); what `allow_partial`
/// let through is in [`Merged::partial`].
pub fn merge_files(paths: &[PathBuf], allow_partial: bool) -> Result<Merged, MergeRefusal> {
    let shards = read_shards(paths)?;
    Ok(merge(&shards, allow_partial)?)
}

/// A merged report read back as one run's, with its completeness counted again.
#[derive(Debug)]
pub struct MergedRun {
    /// The merged JSON report, `complete` and `completeness` filled in.
    pub report: Value,
    /// What `--allow-partial` let through (one line each); empty for a whole merge.
    pub partial: Vec<String>,
    pub summary: RunSummary,
    pub results: Vec<CaseResult>,
    pub coverage: Vec<Row>,
    pub completeness: Completeness,
}

impl MergedRun {
    /// `merged` read back: its run, its cases and coverage, and its completeness.
    pub fn read_back(merged: Merged) -> Result<Self, MergeRefusal> {
        let Merged {
            mut report,
            partial,
        } = merged;
        let summary = load::summary(&report)?;
        let results = load::results(&report)?;
        // Coverage and completeness counted again over the merged cases.
        let coverage = load::coverage_rows(&report);
        let completeness =
            completeness::assess(&results, &coverage, &summary.profile, summary.interrupted);
        report["complete"] = json!(completeness.complete());
        report["completeness"] = completeness.to_json();
        Ok(MergedRun {
            report,
            partial,
            summary,
            results,
            coverage,
            completeness,
        })
    }

    /// Whether `--allow-partial` let a missing or interrupted shard through: the result
    /// is incomplete.
    pub fn is_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// The JUnit report (`--junit`).
    pub fn junit(&self, redactor: &Redactor) -> String {
        junit::render(&self.summary, &self.results, &self.coverage, redactor)
    }

    /// The JSON report (`--report-json`), pretty, one final newline.
    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.report).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The HTML report (`--report-html`).
    pub fn html(&self, redactor: &Redactor) -> String {
        html::render(&self.summary, &self.results, &self.coverage, redactor)
    }

    /// `merged N shard reports: C cases: P passed; ...`, from the merged totals.
    pub fn totals_line(&self) -> String {
        let totals = &self.report["totals"];
        format!(
            "merged {} shard reports: {} cases: {} passed; {} failed; {} unexpected-pass; {} expected-failure; {} ignored; {} not-run",
            self.summary.merged_from.len(),
            totals["cases"],
            totals["passed"],
            totals["failed"],
            totals["unexpected-pass"],
            totals["expected-failure"],
            totals["ignored"],
            totals["not-run"]
        )
    }

    /// What `report merge` prints: the totals line, the completeness line and its
    /// details, each line ended.
    pub fn printed(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.totals_line(),
            self.completeness.line(),
            self.completeness.details()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::merge::tests::{failed_steps, shard};
    use super::*;

    /// Writes each shard report into `dir` as its name; their paths.
    fn written(dir: &Path, shards: &[(String, Value)]) -> Vec<PathBuf> {
        shards
            .iter()
            .map(|(name, report)| {
                let path = dir.join(name);
                std::fs::write(&path, report.to_string()).expect("written");
                path
            })
            .collect()
    }

    #[test]
    fn a_shard_that_is_not_json_is_named_with_its_position() {
        let dir = tempfile::tempdir().expect("dir");
        let good = written(dir.path(), &[shard("1", json!([]))]);
        let bad = dir.path().join("2.json");
        std::fs::write(&bad, "{\n  \"format\": ,\n}").expect("written");
        let error = merge_files(&[good[0].clone(), bad.clone()], false).expect_err("not JSON");
        assert!(
            error
                .to_string()
                .starts_with(&format!("{}:2:13: not JSON (expected value", bad.display())),
            "{error}"
        );
        let missing = dir.path().join("3.json");
        let error = merge_files(std::slice::from_ref(&missing), false).expect_err("missing");
        assert!(
            error
                .to_string()
                .starts_with(&format!("cannot read {}: ", missing.display())),
            "{error}"
        );
    }

    #[test]
    fn a_refused_merge_says_cannot_merge() {
        let dir = tempfile::tempdir().expect("dir");
        let paths = written(
            dir.path(),
            &[shard(
                "1",
                json!([{"id": "s::a", "status": "passed", "steps": []}]),
            )],
        );
        let error = merge_files(&paths, false).expect_err("a shard is missing");
        assert!(
            error
                .to_string()
                .starts_with("cannot merge: 2 of 3 planned cases are in no shard report"),
            "{error}"
        );
    }

    #[test]
    fn the_totals_line_counts_the_merged_cases_and_the_shards() {
        let dir = tempfile::tempdir().expect("dir");
        let paths = written(
            dir.path(),
            &[
                shard(
                    "1",
                    json!([{"id": "s::a", "status": "passed", "steps": []},
                           {"id": "s::c", "status": "not-run", "steps": []}]),
                ),
                shard(
                    "2",
                    json!([{"id": "s::b", "status": "failed", "steps": failed_steps()},
                           {"id": "s::c", "status": "ignored", "steps": []}]),
                ),
            ],
        );
        let run =
            MergedRun::read_back(merge_files(&paths, false).expect("merged")).expect("read back");
        assert_eq!(
            run.totals_line(),
            "merged 2 shard reports: 3 cases: 1 passed; 1 failed; 0 unexpected-pass; \
             0 expected-failure; 1 ignored; 0 not-run"
        );
        assert!(!run.is_partial());
        // Counted again: an ignored case leaves the merged run incomplete.
        assert_eq!(run.report["complete"], json!(run.completeness.complete()));
        assert!(!run.report["completeness"].is_null());
        assert!(run.printed().starts_with(&format!(
            "{}\n{}\n",
            run.totals_line(),
            run.completeness.line()
        )));
        assert!(run.json().ends_with("}\n"));
    }

    #[test]
    fn a_partial_merge_is_marked_partial() {
        let dir = tempfile::tempdir().expect("dir");
        let paths = written(
            dir.path(),
            &[shard(
                "1",
                json!([{"id": "s::a", "status": "passed", "steps": []}]),
            )],
        );
        let run =
            MergedRun::read_back(merge_files(&paths, true).expect("merged")).expect("read back");
        assert!(run.is_partial());
        assert!(!run.completeness.complete());
        assert!(
            run.totals_line().ends_with("; 2 not-run"),
            "{}",
            run.totals_line()
        );
    }
}
