//! Report files (JUnit, JSON, HTML): where each goes is checked before the run (its
//! directory exists, it is not a directory, no two reports share a file), so a plain typo
//! is a usage error before any request; each is written once at the end of the run, whole
//! or not at all ([`crate::atomic_write`]): a run that stops early leaves no report, and a
//! report is never half written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::atomic_write::{directory, write_atomically};
use crate::auth::Redactor;
use crate::coverage::Row;

use super::{html, json, junit, CaseResult, RunSummary};

/// Why a report file cannot be planned or written; each names its flag and file.
#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    #[error("cannot write the {flag} report to {}: no directory {}", path.display(), directory(path).display())]
    NoDirectory { flag: &'static str, path: PathBuf },
    #[error("cannot write the {flag} report to {}: it is a directory", path.display())]
    IsADirectory { flag: &'static str, path: PathBuf },
    #[error("{first} and {second} both write {}; give each report its own file", path.display())]
    Shared {
        first: &'static str,
        second: &'static str,
        path: PathBuf,
    },
    #[error("cannot write the {flag} report to {}: {source}", path.display())]
    Write {
        flag: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where one report goes, and the flag that asked for it.
#[derive(Debug)]
pub struct ReportFile {
    pub flag: &'static str,
    pub path: PathBuf,
}

impl ReportFile {
    /// The report asked for by `flag`, if any; refused when its directory is missing or
    /// the path is a directory.
    pub fn plan(flag: &'static str, path: Option<&Path>) -> Result<Option<Self>, ReportFileError> {
        let Some(path) = path else { return Ok(None) };
        let path = path.to_path_buf();
        if !directory(&path).is_dir() {
            return Err(ReportFileError::NoDirectory { flag, path });
        }
        if path.is_dir() {
            return Err(ReportFileError::IsADirectory { flag, path });
        }
        Ok(Some(ReportFile { flag, path }))
    }

    /// Writes the report whole.
    pub fn write(&self, text: &str) -> Result<(), ReportFileError> {
        write_atomically(&self.path, text.as_bytes()).map_err(|source| ReportFileError::Write {
            flag: self.flag,
            path: self.path.clone(),
            source,
        })
    }
}

/// The report files of a run (`--junit`, `--report-json`, `--report-html`).
#[derive(Debug)]
pub struct Reports {
    pub junit: Option<ReportFile>,
    pub json: Option<ReportFile>,
    pub html: Option<ReportFile>,
}

impl Reports {
    /// The report files asked for (nothing is created yet); `None` when none is.
    pub fn plan(
        junit: Option<&Path>,
        json: Option<&Path>,
        html: Option<&Path>,
    ) -> Result<Option<Self>, ReportFileError> {
        let reports = Reports {
            junit: ReportFile::plan("--junit", junit)?,
            json: ReportFile::plan("--report-json", json)?,
            html: ReportFile::plan("--report-html", html)?,
        };
        let mut seen: BTreeMap<PathBuf, &'static str> = BTreeMap::new();
        for file in reports.files() {
            if let Some(first) = seen.insert(normal(&file.path), file.flag) {
                return Err(ReportFileError::Shared {
                    first,
                    second: file.flag,
                    path: file.path.clone(),
                });
            }
        }
        Ok((!seen.is_empty()).then_some(reports))
    }

    fn files(&self) -> impl Iterator<Item = &ReportFile> {
        [&self.junit, &self.json, &self.html].into_iter().flatten()
    }

    /// Renders and writes every requested report; each one that could not be written is
    /// returned (the others are written all the same).
    pub fn write(
        &self,
        summary: &RunSummary,
        results: &[CaseResult],
        coverage: &[Row],
        redactor: &Redactor,
    ) -> Vec<ReportFileError> {
        let mut failed = Vec::new();
        let mut write =
            |file: &Option<ReportFile>,
             render: fn(&RunSummary, &[CaseResult], &[Row], &Redactor) -> String| {
                if let Some(file) = file {
                    if let Err(e) = file.write(&render(summary, results, coverage, redactor)) {
                        failed.push(e);
                    }
                }
            };
        write(&self.junit, junit::render);
        write(&self.json, json::render);
        write(&self.html, html::render);
        failed
    }
}

/// A path compared by what it names: made absolute, `.` components dropped.
fn normal(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    absolute.components().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_and_a_shared_file_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nowhere/report.xml");
        let error = Reports::plan(Some(&missing), None, None).expect_err("no directory");
        assert!(error.to_string().contains("--junit"), "{error}");
        assert!(error.to_string().contains("nowhere"), "{error}");
        let same = dir.path().join("r.json");
        let dotted = dir.path().join(".").join("r.json");
        let error = Reports::plan(None, Some(&same), Some(&dotted)).expect_err("shared");
        assert!(
            error
                .to_string()
                .starts_with("--report-json and --report-html both write"),
            "{error}"
        );
        assert!(Reports::plan(None, None, None).expect("none").is_none());
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    }
}
