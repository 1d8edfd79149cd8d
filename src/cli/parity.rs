//! `cts-conform parity DIR_A DIR_B`: two recordings compared case by case and step by
//! step (`cts_conform::parity::pair`); exit 0 when they answer alike in what `--compare`
//! judges (after the rules), 101 otherwise, 2 for a bad rules file (unknown case ids and
//! operations included).

use std::io::IsTerminal;

use cts_conform::auth::Redactor;
use cts_conform::contract::Contract;
use cts_conform::parity::pair::{Pair, PairSpec};
use cts_conform::parity::{render, Compare};

use super::exit::{usage, Exit};
use super::reports::{plan_file, write_file};
use cts_conform::options::args::{ColorArg, CompareArg, ParityArgs};

pub(crate) fn parity(args: ParityArgs) -> Exit {
    let json = match plan_file("--report-json", &args.report_json) {
        Ok(file) => file,
        Err(exit) => return exit,
    };
    let html = match plan_file("--report-html", &args.report_html) {
        Ok(file) => file,
        Err(exit) => return exit,
    };
    let spec = PairSpec {
        a: &args.a,
        b: &args.b,
        rules: args.baseline.as_deref(),
        compare: match args.compare {
            CompareArg::Documented => Compare::Documented,
            CompareArg::All => Compare::All,
        },
    };
    let pair = match Pair::compare(&spec, Contract::embedded(), &cts_conform::cts::Cts) {
        Ok(pair) => pair,
        Err(e) => {
            for line in e.lines() {
                usage(line);
            }
            return Exit::Usage;
        }
    };
    let outcome = pair.outcome();
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal(),
    };
    // Recordings are redacted when written; this only guards what is shown.
    let redactor = Redactor::default();
    print!("{}", redactor.redact(&render::text(&outcome, color)));
    let mut written = true;
    if let Some(file) = json {
        written &= write_file(&file, &render::json_report(&outcome, &redactor));
    }
    if let Some(file) = html {
        written &= write_file(&file, &render::html_report(&outcome, &redactor));
    }
    match (outcome.ok(), written) {
        (false, _) => Exit::Failed,
        (true, true) => Exit::Passed,
        (true, false) => Exit::ReportNotWritten,
    }
}
