//! `cts-conform sweep`: removes what an interrupted run created, as its ledger says
//! (`cts_conform::run::sweep`; what it prints is `cts_conform::runner::sweep`'s).

use std::time::Duration;

use cts_conform::auth::Redactor;
use cts_conform::cts;
use cts_conform::run;
use cts_conform::runner::sweep::{dry_run_lines, report_lines, unconfirmed_lines, NO_CREDENTIALS};

use cts_conform::options::args::SweepArgs;
use cts_conform::options::spec::tls_trust;

use super::exit::{runtime, usage, Exit};

pub(crate) fn sweep(args: SweepArgs) -> Exit {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let credentials = args.credentials.credentials();
    let redactor = Redactor::new(credentials.secrets());
    let found = match run::sweep::outstanding(&args.ledger, &cts::Cts) {
        Ok(found) => found,
        Err(e) => return usage(e.to_string()),
    };
    for skipped in &found.skipped {
        eprintln!("warning: {skipped}");
    }
    for line in unconfirmed_lines(&found.unconfirmed, &cts::Cts) {
        println!("{line}");
    }
    if args.dry_run || found.outstanding.is_empty() {
        for line in dry_run_lines(&found.outstanding, &args.ledger, &cts::Cts) {
            println!("{line}");
        }
        return Exit::Passed;
    }
    let no_credentials = matches!(credentials, run::Credentials::None);
    if no_credentials {
        eprintln!("warning: {NO_CREDENTIALS}");
    }
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let tls = match tls_trust(&args.tls, "the ledger's targets", &mut |w| eprintln!("{w}")) {
        Ok(tls) => tls,
        Err(message) => return usage(message),
    };
    let swept = run::sweep::sweep(
        &args.ledger,
        &credentials,
        timeout,
        &tls,
        cts_conform::contract::Contract::embedded_shared(),
        cts::Cts::shared(),
    );
    let report = match runtime.block_on(swept) {
        Ok(report) => report,
        Err(e) => return usage(e.to_string()),
    };
    for line in report_lines(&report, &cts::Cts, &redactor, no_credentials) {
        println!("{line}");
    }
    if report.failed.is_empty() {
        Exit::Passed
    } else {
        Exit::Failed
    }
}
