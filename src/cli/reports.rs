//! The reports' side of a command: report files planned from the flags before anything
//! runs and written at the end ([`cts_conform::report::files`]), and the bundle.

use std::path::{Path, PathBuf};

use cts_conform::auth::Redactor;
use cts_conform::bundle;
use cts_conform::report::files::{ReportFile, Reports};
use cts_conform::report::{CaseResult, RunSummary};
use cts_conform::runner::Finished;

use super::exit::{usage, Exit};

/// One report file of `flag` (`parity`, `report merge`); a usage error as above.
pub(crate) fn plan_file(
    flag: &'static str,
    path: &Option<PathBuf>,
) -> Result<Option<ReportFile>, Exit> {
    ReportFile::plan(flag, path.as_deref()).map_err(|e| usage(e.to_string()))
}

/// Writes a report file; false after saying why not.
pub(crate) fn write_file(file: &ReportFile, text: &str) -> bool {
    match file.write(text) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}

/// Writes every requested report of a run; false when one could not be written (each
/// failure said).
pub(crate) fn write_reports(
    reports: &Reports,
    summary: &RunSummary,
    results: &[CaseResult],
    coverage: &[cts_conform::coverage::Row],
    redactor: &Redactor,
) -> bool {
    let failed = reports.write(summary, results, coverage, redactor);
    for e in &failed {
        eprintln!("error: {e}");
    }
    failed.is_empty()
}

/// Writes the certification bundle of a run that ended with `exit` (its recording is
/// already in place); exit 5 when it cannot be written.
pub(crate) fn write_bundle(dir: &Path, run: &Finished, exit: Exit) -> Exit {
    let (summary, results) = (&run.summary, &run.results);
    let pool = run.pool.clone();
    match bundle::write_run(
        dir,
        summary,
        results,
        &run.coverage,
        pool,
        exit as i32,
        &run.redactor,
    ) {
        Ok(()) => exit,
        Err(e) => {
            eprintln!("error: {e}");
            Exit::ReportNotWritten
        }
    }
}
