//! `cts-conform sweep`: removes what an interrupted run created, as its ledger says.

use std::time::Duration;

use cts_conform::auth::Redactor;
use cts_conform::run::{self};

use super::args::SweepArgs;
use super::exit::{runtime, usage, Exit};

pub(crate) fn sweep(args: SweepArgs) -> Exit {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let credentials = args.credentials.credentials();
    let redactor = Redactor::new(credentials.secrets());
    let (outstanding, unconfirmed) = match run::sweep::outstanding(&args.ledger) {
        Ok(found) => found,
        Err(e) => return usage(e.to_string()),
    };
    for r in &unconfirmed {
        println!(
            "not touched: a create of {} tracker {} (project {}, {}) was sent but never answered; \
             its name does not prove this harness made it, so check it yourself",
            r.tracker_type, r.tracker_name, r.project_id, r.target
        );
    }
    if args.dry_run || outstanding.is_empty() {
        for r in &outstanding {
            println!(
                "would remove {} tracker {} (project {}, {})",
                r.tracker_type, r.tracker_name, r.project_id, r.target
            );
        }
        println!(
            "{} tracker(s) outstanding in {}",
            outstanding.len(),
            args.ledger.display()
        );
        return Exit::Passed;
    }
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let report = match runtime.block_on(run::sweep::sweep(&args.ledger, &credentials, timeout)) {
        Ok(report) => report,
        Err(e) => return usage(e.to_string()),
    };
    for r in &report.removed {
        println!(
            "removed {} tracker {} (project {}, {})",
            r.tracker_type, r.tracker_name, r.project_id, r.target
        );
    }
    for (r, outcome) in &report.failed {
        let why: Vec<String> = outcome.findings.iter().map(|f| f.summary.clone()).collect();
        println!(
            "{}",
            redactor.redact(&format!(
                "FAILED to remove {} tracker {}: {}",
                r.tracker_type,
                r.tracker_name,
                why.join("; ")
            ))
        );
    }
    println!(
        "{} removed, {} failed",
        report.removed.len(),
        report.failed.len()
    );
    if report.failed.is_empty() {
        Exit::Passed
    } else {
        Exit::Failed
    }
}
