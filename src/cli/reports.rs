//! Report files (JUnit, JSON, HTML), opened before the run so a bad path is a usage
//! error before any request, and the known-failure baseline.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use cts_conform::auth::Redactor;
use cts_conform::report::{self, Baseline, CaseResult, RunSummary};

use super::args::OutputArgs;
use super::exit::{usage, Exit};

/// A report file, opened (created or truncated) before the run so that an unwritable
/// path is a usage error before any request.
pub(crate) struct ReportFile {
    pub(crate) flag: &'static str,
    pub(crate) path: PathBuf,
    pub(crate) file: File,
}

impl ReportFile {
    pub(crate) fn open(flag: &'static str, path: &Option<PathBuf>) -> Result<Option<Self>, Exit> {
        let Some(path) = path else { return Ok(None) };
        match File::create(path) {
            Ok(file) => Ok(Some(ReportFile {
                flag,
                path: path.clone(),
                file,
            })),
            Err(e) => Err(usage(format!(
                "cannot write the {flag} report to {}: {e}",
                path.display()
            ))),
        }
    }

    /// Writes the report; false (after saying why) when that failed.
    pub(crate) fn write(mut self, text: &str) -> bool {
        match self
            .file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
        {
            Ok(()) => true,
            Err(e) => {
                eprintln!(
                    "error: cannot write the {} report to {}: {e}",
                    self.flag,
                    self.path.display()
                );
                false
            }
        }
    }
}

/// The report files of a run.
pub(crate) struct Reports {
    pub(crate) junit: Option<ReportFile>,
    pub(crate) json: Option<ReportFile>,
    pub(crate) html: Option<ReportFile>,
}

impl Reports {
    /// The report files asked for, created now; `None` when none is asked for.
    pub(crate) fn open(args: &OutputArgs) -> Result<Option<Self>, Exit> {
        let reports = Reports {
            junit: ReportFile::open("--junit", &args.junit)?,
            json: ReportFile::open("--report-json", &args.report_json)?,
            html: ReportFile::open("--report-html", &args.report_html)?,
        };
        let any = reports.junit.is_some() || reports.json.is_some() || reports.html.is_some();
        Ok(any.then_some(reports))
    }

    /// Renders and writes every requested report; false when one could not be written.
    pub(crate) fn write(
        self,
        summary: &RunSummary,
        results: &[CaseResult],
        coverage: &[cts_conform::coverage::Row],
        redactor: &Redactor,
    ) -> bool {
        let mut ok = true;
        if let Some(file) = self.junit {
            ok &= file.write(&report::junit::render(summary, results, redactor));
        }
        if let Some(file) = self.json {
            ok &= file.write(&report::json::render(summary, results, redactor));
        }
        if let Some(file) = self.html {
            ok &= file.write(&report::html::render(summary, results, coverage, redactor));
        }
        ok
    }
}

pub(crate) fn load_baseline(
    path: &Option<PathBuf>,
    ids: &BTreeSet<String>,
) -> Result<Baseline, Exit> {
    let Some(path) = path else {
        return Ok(Baseline::default());
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read the baseline {name}: {e}")))?;
    Baseline::parse(&name, &text, |id| ids.contains(id)).map_err(usage)
}
