//! `cts-conform report merge SHARD.json...`: one report (JUnit, JSON, HTML) from the JSON
//! reports of a partitioned run's shards, read back without running anything. Refuses
//! (exit 2, one line) shards of different contracts or cases, and shards that overlap.

use cts_conform::auth::Redactor;
use cts_conform::contract::Contract;
use cts_conform::report;

use super::args::{MergeArgs, PlanArgs, ProfileArg, ReportArgs, ReportCommand};
use super::exit::{usage, Exit};
use super::plan::load_plan;
use super::reports::ReportFile;

pub(crate) fn report(args: ReportArgs) -> Exit {
    match args.command {
        ReportCommand::Merge(args) => merge(args),
    }
}

fn merge(args: MergeArgs) -> Exit {
    let mut shards = Vec::new();
    for path in &args.shards {
        let name = path.display().to_string();
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {name}: {e}"))
            .and_then(|text| {
                serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| format!("{name}:{}:{}: not JSON ({e})", e.line(), e.column()))
            });
        match parsed {
            Ok(value) => shards.push((name, value)),
            Err(e) => return usage(e),
        }
    }
    let merged = match report::merge::merge(&shards) {
        Ok(merged) => merged,
        Err(e) => return usage(format!("cannot merge: {e}")),
    };
    let loaded = report::load::summary(&merged)
        .and_then(|summary| report::load::results(&merged).map(|results| (summary, results)));
    let (summary, results) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return usage(format!("cannot read the shards back: {e}")),
    };
    let files = (
        ReportFile::plan("--junit", &args.junit),
        ReportFile::plan("--report-json", &args.report_json),
        ReportFile::plan("--report-html", &args.report_html),
    );
    let (junit, json, html) = match files {
        (Ok(j), Ok(r), Ok(h)) => (j, r, h),
        (Err(exit), _, _) | (_, Err(exit), _) | (_, _, Err(exit)) => return exit,
    };
    // Reports were redacted when written; the redactor only guards against more.
    let redactor = Redactor::default();
    let mut ok = true;
    if let Some(file) = junit {
        ok &= file.write(&report::junit::render(&summary, &results, &redactor));
    }
    if let Some(file) = json {
        let mut text = serde_json::to_string_pretty(&merged).unwrap_or_default();
        text.push('\n');
        ok &= file.write(&text);
    }
    if let Some(file) = html {
        ok &= file.write(&report::html::render(
            &summary,
            &results,
            &coverage(&summary),
            &redactor,
        ));
    }
    let totals = &merged["totals"];
    println!(
        "merged {} shard reports: {} cases: {} passed; {} failed; {} unexpected-pass; {} expected-failure; {} ignored; {} not-run",
        shards.len(),
        totals["cases"],
        totals["passed"],
        totals["failed"],
        totals["unexpected-pass"],
        totals["expected-failure"],
        totals["ignored"],
        totals["not-run"]
    );
    if ok {
        Exit::Passed
    } else {
        Exit::ReportNotWritten
    }
}

/// The coverage of the built-in cases when the shards ran them (same fingerprint), else none.
fn coverage(summary: &report::RunSummary) -> Vec<cts_conform::coverage::Row> {
    let contract = Contract::embedded();
    let plan = PlanArgs {
        cases: None,
        profile: if summary.profile == "strict" {
            ProfileArg::Strict
        } else {
            ProfileArg::Documented
        },
        no_derived: false,
    };
    match load_plan(&plan, contract) {
        Ok(plan)
            if report::results::fingerprint(
                cts_conform::contract::EMBEDDED_OPENAPI,
                &plan.sources,
            ) == summary.fingerprint =>
        {
            cts_conform::coverage::compute(contract, &plan.cases)
        }
        _ => Vec::new(),
    }
}
