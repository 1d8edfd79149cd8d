//! Report files (JUnit, JSON, HTML), written once at the end of a run, each to a
//! temporary file beside it and then renamed into place: a run that stops early (exit 2
//! or 3) leaves no report, and a report is never half written. Where each goes is checked
//! before the run (its directory exists), so a plain typo is a usage error before any
//! request. Also the known-failure baseline.

use std::io::Write;
use std::path::{Path, PathBuf};

use cts_conform::auth::Redactor;
use cts_conform::bundle;
use cts_conform::contract::Contract;
use cts_conform::outcome::Baseline;
use cts_conform::report::completeness::Completeness;
use cts_conform::report::{self, CaseResult, RunSummary};
use time::format_description::well_known::Rfc3339;

use super::args::{OutputArgs, ProfileArg, RunArgs};
use super::exit::{usage, Exit};
use super::plan::Plan;

/// Where one report goes.
pub(crate) struct ReportFile {
    pub(crate) flag: &'static str,
    pub(crate) path: PathBuf,
}

impl ReportFile {
    /// The report asked for by `flag`, if any; a usage error when its directory is missing.
    pub(crate) fn plan(flag: &'static str, path: &Option<PathBuf>) -> Result<Option<Self>, Exit> {
        let Some(path) = path else { return Ok(None) };
        let dir = directory(path);
        if !dir.is_dir() {
            return Err(usage(format!(
                "cannot write the {flag} report to {}: no directory {}",
                path.display(),
                dir.display()
            )));
        }
        if path.is_dir() {
            return Err(usage(format!(
                "cannot write the {flag} report to {}: it is a directory",
                path.display()
            )));
        }
        Ok(Some(ReportFile {
            flag,
            path: path.clone(),
        }))
    }

    /// Writes the report (temporary file, then rename); false after saying why not.
    pub(crate) fn write(self, text: &str) -> bool {
        match write_atomically(&self.path, text) {
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

/// The directory a file goes in (`.` for a bare name).
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// `text` into a fresh temporary file in `path`'s directory, flushed, then renamed over
/// `path`; the temporary file is removed when anything fails.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let temporary = directory(path).join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

/// The report files of a run.
pub(crate) struct Reports {
    pub(crate) junit: Option<ReportFile>,
    pub(crate) json: Option<ReportFile>,
    pub(crate) html: Option<ReportFile>,
}

impl Reports {
    /// The report files asked for (nothing is created yet); `None` when none is asked for.
    pub(crate) fn plan(args: &OutputArgs) -> Result<Option<Self>, Exit> {
        let reports = Reports {
            junit: ReportFile::plan("--junit", &args.junit)?,
            json: ReportFile::plan("--report-json", &args.report_json)?,
            html: ReportFile::plan("--report-html", &args.report_html)?,
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
            ok &= file.write(&report::junit::render(summary, results, coverage, redactor));
        }
        if let Some(file) = self.json {
            ok &= file.write(&report::json::render(summary, results, coverage, redactor));
        }
        if let Some(file) = self.html {
            ok &= file.write(&report::html::render(summary, results, coverage, redactor));
        }
        ok
    }
}

/// Prints what the run checked after libtest's summary: the completeness line and the
/// counts, score and coverage (on stderr when libtest writes JSON to stdout).
pub(crate) fn print_completeness(libtest: &libtest_mimic::Arguments, completeness: &Completeness) {
    let text = format!("{}\n{}", completeness.line(), completeness.details());
    if matches!(libtest.format, Some(libtest_mimic::FormatSetting::Json)) {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}

/// One line after the run's summary: on stdout, or on stderr when stdout is libtest's
/// JSON (which must stay JSON).
pub(crate) fn print_summary_line(libtest: &libtest_mimic::Arguments, line: &str) {
    if matches!(libtest.format, Some(libtest_mimic::FormatSetting::Json)) {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// `exit` unless the run passed but is incomplete under `--fail-on-ignored` or
/// `--min-coverage`: then exit 6, with the reason.
pub(crate) fn gated(
    exit: Exit,
    completeness: &Completeness,
    fail_on_ignored: bool,
    min_coverage: Option<f64>,
) -> Exit {
    if exit != Exit::Passed {
        return exit;
    }
    match report::completeness::gate(completeness, fail_on_ignored, min_coverage) {
        Some(reason) => {
            eprintln!("error: the run is incomplete (exit 6): {reason}");
            Exit::Incomplete
        }
        None => exit,
    }
}

/// Writes the certification bundle of a run that ended with `exit` (its recording is
/// already in place); exit 5 when it cannot be written.
pub(crate) fn write_bundle(
    dir: &Path,
    summary: &RunSummary,
    results: &[CaseResult],
    coverage: &[cts_conform::coverage::Row],
    pool: bundle::Pool,
    exit: Exit,
    redactor: &Redactor,
) -> Exit {
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let completeness =
        report::completeness::assess(results, coverage, &summary.profile, summary.interrupted);
    let manifest = bundle::Manifest {
        format: bundle::FORMAT,
        tool: bundle::Tool {
            name: "cts-conform".into(),
            version: summary.tool_version.clone(),
        },
        contract_sha256: bundle::sha256_hex(cts_conform::contract::EMBEDDED_OPENAPI.as_bytes()),
        fingerprint_sha256: summary.fingerprint.clone(),
        selected: results.iter().map(|r| r.outcome.id.clone()).collect(),
        profile: summary.profile.clone(),
        partition: summary.partition.clone(),
        target: bundle::Target {
            url: summary.target.clone(),
            kind: summary.target_kind.clone(),
            project_id: summary.project_id.clone(),
        },
        pool,
        run_id: summary.run_id.clone(),
        started: time(summary.started),
        finished: time(summary.finished),
        exit_code: exit as i32,
        interrupted: summary.interrupted,
        completeness: completeness.line(),
    };
    let reports = bundle::Reports {
        json: report::json::render(summary, results, coverage, redactor),
        junit: report::junit::render(summary, results, coverage, redactor),
        html: report::html::render(summary, results, coverage, redactor),
    };
    match bundle::write(dir, &manifest, &reports) {
        Ok(()) => exit,
        Err(e) => {
            eprintln!("error: {e}");
            Exit::ReportNotWritten
        }
    }
}

pub(crate) fn load_baseline(
    path: &Option<PathBuf>,
    plan: &Plan,
    contract: &Contract,
) -> Result<Baseline, Exit> {
    let Some(path) = path else {
        return Ok(Baseline::default());
    };
    let ids = plan.known_ids(contract);
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read the baseline {name}: {e}")))?;
    Baseline::parse(&name, &text, |id| ids.contains(id)).map_err(|e| usage(e.to_string()))
}

/// The command that re-runs one of this run's cases (a failure's reproduction line adds
/// `--exact ID`): the target, project, cases and the flags that shape a case, never a
/// credential (those come from the environment, as they did for this run).
pub(crate) fn rerun_command(args: &RunArgs) -> String {
    use cts_conform::report::failure::quote;
    let mut parts = vec!["cts-conform".to_string()];
    let mut flag = |name: &str, value: String| {
        parts.push(name.to_string());
        parts.push(quote(&value));
    };
    if args.target != "embedded" {
        flag("--target", args.target.clone());
    }
    if let Some(project_id) = &args.project_id {
        flag("--project-id", project_id.clone());
    }
    for cases in &args.plan.cases {
        flag("--cases", cases.display().to_string());
    }
    if matches!(args.plan.profile, ProfileArg::Strict) {
        flag("--profile", "strict".into());
    }
    for fault in &args.emulator_fault {
        flag("--emulator-fault", fault.to_string());
    }
    for bucket in &args.data_bucket {
        flag("--data-bucket", bucket.clone());
    }
    for bucket in &args.obs_bucket {
        flag("--obs-bucket", bucket.clone());
    }
    if let Some(cacert) = &args.tls.cacert {
        flag("--cacert", cacert.display().to_string());
    }
    if args.plan.with_builtin && !args.plan.cases.is_empty() {
        parts.push("--with-builtin".into());
    }
    if args.allow_mutations {
        parts.push("--allow-mutations".into());
    }
    if args.emulator_documents_only {
        parts.push("--emulator-documents-only".into());
    }
    if args.tls.insecure {
        parts.push("--insecure".into());
    }
    parts.join(" ")
}
