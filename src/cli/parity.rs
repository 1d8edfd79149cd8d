//! `cts-conform parity DIR_A DIR_B`: two recordings compared case by case and step by
//! step; exit 0 when they answer alike in what `--compare` judges (after the rules), 101
//! otherwise, 2 for a bad rules file (unknown case ids and operations included).

use std::io::IsTerminal;

use cts_conform::auth::Redactor;
use cts_conform::contract::Contract;
use cts_conform::parity::documented::Documented;
use cts_conform::parity::{self, explain, group, render, rules, score, Compare, Comparison};
use cts_conform::record::Recording;

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
    let (rules, rules_name) = match &args.baseline {
        None => (rules::Rules::default(), String::new()),
        Some(path) => {
            let name = path.display().to_string();
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the rules file {name}: {e}"))
                .and_then(|text| rules::parse(&name, &text).map_err(|e| e.to_string()));
            match parsed {
                Ok(rules) => (rules, name),
                Err(e) => return usage(e),
            }
        }
    };
    let load = |dir: &std::path::Path| Recording::load(dir).map_err(|e| usage(e.to_string()));
    let (a, b) = match (load(&args.a), load(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    // Two empty recordings are not "the same": there is nothing to vouch for.
    for (dir, recording) in [(&args.a, &a), (&args.b, &b)] {
        if recording.cases.is_empty() {
            return usage(format!(
                "{} holds no case file: nothing to compare (a run that selected no case, or \
                 a recording whose case files were removed)",
                dir.display()
            ));
        }
    }
    let contract = Contract::embedded();
    let unknown = rules.unknown(
        |id| a.cases.contains_key(id) || b.cases.contains_key(id),
        |op| contract.operation(op).is_some(),
    );
    if !unknown.is_empty() {
        return usage(format!("{rules_name}: {}", unknown.join("; ")));
    }
    let compare = match args.compare {
        CompareArg::Documented => Compare::Documented,
        CompareArg::All => Compare::All,
    };
    let (name_a, name_b) = (args.a.display().to_string(), args.b.display().to_string());
    let explanation = explain::explain(&a, &b, (&name_a, &name_b));
    let documented = Documented::new(contract);
    let how = Comparison {
        documented: &documented,
        service: &cts_conform::cts::Cts,
        normalisers: &rules.normalisers,
    };
    let mut cases = parity::compare(&a, &b, &how, &explanation.not_selected);
    let unused_rules = rules::apply(&mut cases, &rules.accepted);
    let unused_normalisers: Vec<_> = rules
        .normalisers
        .iter()
        .filter(|n| n.matched() == 0)
        .collect();
    let groups = group::groups(&cases);
    let scores = score::scores(&cases);
    let outcome = render::Outcome {
        sides: render::Sides {
            a: (&name_a, &a.meta),
            b: (&name_b, &b.meta),
        },
        compare,
        explanation: &explanation,
        cases: &cases,
        groups: &groups,
        scores: &scores,
        unused_rules: &unused_rules,
        unused_normalisers: &unused_normalisers,
    };
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
