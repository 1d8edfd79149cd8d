//! `cts-conform parity DIR_A DIR_B`: two recordings compared case by case and step by
//! step; exit 0 when they answer alike (after the baseline), 101 otherwise.

use cts_conform::auth::Redactor;
use cts_conform::parity::{self, baseline, render};
use cts_conform::record::Recording;

use super::args::ParityArgs;
use super::exit::{usage, Exit};
use super::reports::ReportFile;

pub(crate) fn parity(args: ParityArgs) -> Exit {
    let json = match ReportFile::plan("--report-json", &args.report_json) {
        Ok(file) => file,
        Err(exit) => return exit,
    };
    let html = match ReportFile::plan("--report-html", &args.report_html) {
        Ok(file) => file,
        Err(exit) => return exit,
    };
    let accepted = match &args.baseline {
        None => Vec::new(),
        Some(path) => {
            let name = path.display().to_string();
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the baseline {name}: {e}"))
                .and_then(|text| baseline::parse(&name, &text).map_err(|e| e.to_string()));
            match parsed {
                Ok(accepted) => accepted,
                Err(e) => return usage(e),
            }
        }
    };
    let load = |dir: &std::path::Path| Recording::load(dir).map_err(|e| usage(e.to_string()));
    let (a, b) = match (load(&args.a), load(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    let mut cases = parity::compare(&a, &b);
    let stale = baseline::apply(&mut cases, &accepted);
    let (name_a, name_b) = (args.a.display().to_string(), args.b.display().to_string());
    let sides = render::Sides {
        a: (&name_a, &a.meta),
        b: (&name_b, &b.meta),
    };
    // Recordings are redacted when written; this only guards what is shown.
    let redactor = Redactor::default();
    print!("{}", redactor.redact(&render::text(&sides, &cases, &stale)));
    let mut written = true;
    if let Some(file) = json {
        written &= file.write(&render::json_report(&sides, &cases, &stale, &redactor));
    }
    if let Some(file) = html {
        written &= file.write(&render::html_report(&sides, &cases, &stale, &redactor));
    }
    match (render::ok(&cases, &stale), written) {
        (false, _) => Exit::Failed,
        (true, true) => Exit::Passed,
        (true, false) => Exit::ReportNotWritten,
    }
}
