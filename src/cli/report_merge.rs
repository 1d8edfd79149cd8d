//! `cts-conform report merge SHARD.json...`: one report (JUnit, JSON, HTML) from the JSON
//! reports of a partitioned run's shards, read back without running anything. Refuses
//! (exit 2, one line naming the file) what it cannot vouch for (see
//! `cts_conform::report::merge`); `--allow-partial` merges a missing or interrupted shard
//! anyway, the result INCOMPLETE, and exits 6 once written.

use cts_conform::auth::Redactor;
use cts_conform::report;

use super::exit::{usage, Exit};
use super::reports::{plan_file, write_file};
use cts_conform::options::args::{MergeArgs, ReportArgs, ReportCommand};

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
    let merged = match report::merge::merge(&shards, args.allow_partial) {
        Ok(merged) => merged,
        Err(e) => return usage(format!("cannot merge: {e}")),
    };
    for note in &merged.partial {
        eprintln!("warning: --allow-partial: {note}");
    }
    let partial = !merged.partial.is_empty();
    let mut merged = merged.report;
    let loaded = report::load::summary(&merged)
        .and_then(|summary| report::load::results(&merged).map(|results| (summary, results)));
    let (summary, results) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return usage(format!("cannot read the shards back: {e}")),
    };
    // Coverage and completeness counted again over the merged cases.
    let rows = report::load::coverage_rows(&merged);
    let completeness =
        report::completeness::assess(&results, &rows, &summary.profile, summary.interrupted);
    merged["complete"] = serde_json::json!(completeness.complete());
    merged["completeness"] = completeness.to_json();
    let files = (
        plan_file("--junit", &args.junit),
        plan_file("--report-json", &args.report_json),
        plan_file("--report-html", &args.report_html),
    );
    let (junit, json, html) = match files {
        (Ok(j), Ok(r), Ok(h)) => (j, r, h),
        (Err(exit), _, _) | (_, Err(exit), _) | (_, _, Err(exit)) => return exit,
    };
    // Reports were redacted when written; the redactor only guards against more.
    let redactor = Redactor::default();
    let mut ok = true;
    if let Some(file) = junit {
        ok &= write_file(
            &file,
            &report::junit::render(&summary, &results, &rows, &redactor),
        );
    }
    if let Some(file) = json {
        let mut text = serde_json::to_string_pretty(&merged).unwrap_or_default();
        text.push('\n');
        ok &= write_file(&file, &text);
    }
    if let Some(file) = html {
        ok &= write_file(
            &file,
            &report::html::render(&summary, &results, &rows, &redactor),
        );
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
    println!("{}\n{}", completeness.line(), completeness.details());
    if !ok {
        Exit::ReportNotWritten
    } else if partial {
        eprintln!("error: merged with --allow-partial: the result is incomplete (exit 6)");
        Exit::Incomplete
    } else {
        Exit::Passed
    }
}
