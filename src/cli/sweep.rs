//! `cts-conform sweep`: removes what an interrupted run created, as its ledger says.

use std::time::Duration;

use cts_conform::auth::Redactor;
use cts_conform::cts;
use cts_conform::run::{self, ledger::Resource};

use cts_conform::options::args::SweepArgs;
use cts_conform::options::spec::tls_trust;

use super::exit::{runtime, usage, Exit};

/// What `sweep` says when it has no credentials: where they go.
const NO_CREDENTIALS: &str = "warning: sweep has no credentials; give the ones the run used: \
    --ak AK --sk SK (or HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK) or --token TOKEN (or CTS_AUTH_TOKEN)";

pub(crate) fn sweep(args: SweepArgs) -> Exit {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let credentials = args.credentials.credentials();
    let redactor = Redactor::new(credentials.secrets());
    let (outstanding, unconfirmed) = match run::sweep::outstanding(&args.ledger, &cts::Cts) {
        Ok(found) => {
            for skipped in &found.skipped {
                eprintln!("warning: {skipped}");
            }
            (found.outstanding, found.unconfirmed)
        }
        Err(e) => return usage(e.to_string()),
    };
    for r in &unconfirmed {
        println!(
            "not touched: a create of {} was sent but never answered; \
             its name does not prove this harness made it, so check it yourself",
            placed(r)
        );
    }
    if args.dry_run || outstanding.is_empty() {
        for r in &outstanding {
            println!("would remove {}", placed(r));
        }
        println!(
            "{} tracker(s) outstanding in {}",
            outstanding.len(),
            args.ledger.display()
        );
        return Exit::Passed;
    }
    let no_credentials = matches!(credentials, run::Credentials::None);
    if no_credentials {
        eprintln!("{NO_CREDENTIALS}");
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
    for r in &report.removed {
        println!("removed {}", placed(r));
    }
    for r in &report.already_gone {
        println!("already gone: {}", placed(r));
    }
    for (r, outcome) in &report.failed {
        let mut why: Vec<String> = outcome.findings.iter().map(|f| f.summary.clone()).collect();
        let refused = outcome
            .exchange
            .as_ref()
            .and_then(|e| e.response.as_ref().ok())
            .is_some_and(|r| matches!(r.status, 401 | 403));
        if refused && no_credentials {
            why.push(NO_CREDENTIALS.trim_start_matches("warning: ").to_string());
        }
        let line = redactor
            .redact(&format!(
                "FAILED to remove {}: {}",
                cts::describe(&r.names),
                why.join("; ")
            ))
            .into_owned();
        // The reasons may quote the target's answer: one line, whatever it sent.
        println!("{}", cts_conform::report::escape::terminal(&line));
    }
    println!(
        "{} removed, {} already gone, {} failed",
        report.removed.len(),
        report.already_gone.len(),
        report.failed.len()
    );
    if report.failed.is_empty() {
        Exit::Passed
    } else {
        Exit::Failed
    }
}

/// A resource of the ledger as sweep names it: `data tracker N (project P, TARGET)`.
fn placed(r: &Resource) -> String {
    format!(
        "{} (project {}, {})",
        cts::describe(&r.names),
        r.project_id,
        r.target
    )
}
