//! `cts-conform report merge SHARD.json...`: one report (JUnit, JSON, HTML) from the JSON
//! reports of a partitioned run's shards, read back without running anything. Refuses
//! (exit 2, one line naming the file) what it cannot vouch for (see
//! `cts_conform::report::merge` and `cts_conform::report::merged`); `--allow-partial`
//! merges a missing or interrupted shard anyway, the result INCOMPLETE, and exits 6 once
//! written.

use cts_conform::auth::Redactor;
use cts_conform::report::merged::{merge_files, MergedRun};

use super::exit::{usage, Exit};
use super::reports::{plan_file, write_file};
use cts_conform::options::args::{MergeArgs, ReportArgs, ReportCommand};

pub(crate) fn report(args: ReportArgs) -> Exit {
    match args.command {
        ReportCommand::Merge(args) => merge(args),
    }
}

fn merge(args: MergeArgs) -> Exit {
    let merged = match merge_files(&args.shards, args.allow_partial) {
        Ok(merged) => merged,
        Err(e) => return usage(e.to_string()),
    };
    for note in &merged.partial {
        eprintln!("warning: --allow-partial: {note}");
    }
    let run = match MergedRun::read_back(merged) {
        Ok(run) => run,
        Err(e) => return usage(e.to_string()),
    };
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
        ok &= write_file(&file, &run.junit(&redactor));
    }
    if let Some(file) = json {
        ok &= write_file(&file, &run.json());
    }
    if let Some(file) = html {
        ok &= write_file(&file, &run.html(&redactor));
    }
    print!("{}", run.printed());
    if !ok {
        Exit::ReportNotWritten
    } else if run.is_partial() {
        eprintln!("error: merged with --allow-partial: the result is incomplete (exit 6)");
        Exit::Incomplete
    } else {
        Exit::Passed
    }
}
