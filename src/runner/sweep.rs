//! What `cts-conform sweep` says: one line per resource of the ledger (where it was
//! created, and what became of it: not touched, would be removed, removed, already gone,
//! FAILED with the reasons) and the totals. The reading and removing are
//! [`crate::run::sweep`]'s; this only words what they found. Resources are named as the
//! service names them ([`Service::describe`]); a FAILED line is redacted and kept to one
//! terminal line, since its reasons may quote the target's answer.

use std::path::Path;

use crate::auth::Redactor;
use crate::cts::Service;
use crate::outcome::StepOutcome;
use crate::report::escape;
use crate::run::ledger::Resource;
use crate::run::sweep::SweepReport;

/// Where the credentials go, said when `sweep` has none (printed as a warning before
/// anything is removed, and added to the reasons of a removal refused with 401 or 403).
pub const NO_CREDENTIALS: &str = "sweep has no credentials; give the ones the run used: \
    --ak AK --sk SK (or HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK) or --token TOKEN (or CTS_AUTH_TOKEN)";

/// A resource of the ledger as sweep names it: `data tracker N (project P, TARGET)`.
pub fn placed(resource: &Resource, service: &dyn Service) -> String {
    format!(
        "{} (project {}, {})",
        service.describe(&resource.names),
        resource.project_id,
        resource.target
    )
}

/// One line for each create that was sent but never answered: left alone.
pub fn unconfirmed_lines(unconfirmed: &[Resource], service: &dyn Service) -> Vec<String> {
    unconfirmed
        .iter()
        .map(|resource| {
            format!(
                "not touched: a create of {} was sent but never answered; \
                 its name does not prove this harness made it, so check it yourself",
                placed(resource, service)
            )
        })
        .collect()
}

/// What a sweep that removes nothing says (`--dry-run`, or nothing outstanding): what it
/// would remove, then how many are outstanding in `ledger`.
pub fn dry_run_lines(
    outstanding: &[Resource],
    ledger: &Path,
    service: &dyn Service,
) -> Vec<String> {
    let mut lines: Vec<String> = outstanding
        .iter()
        .map(|resource| format!("would remove {}", placed(resource, service)))
        .collect();
    lines.push(format!(
        "{} tracker(s) outstanding in {}",
        outstanding.len(),
        ledger.display()
    ));
    lines
}

/// Why the removal of `resource` failed, as one redacted terminal line: its findings, and
/// where the credentials go when the target refused a sweep that had none.
pub fn failed_line(
    resource: &Resource,
    outcome: &StepOutcome,
    service: &dyn Service,
    redactor: &Redactor,
    no_credentials: bool,
) -> String {
    let mut why: Vec<String> = outcome.findings.iter().map(|f| f.summary.clone()).collect();
    let refused = outcome
        .exchange
        .as_ref()
        .and_then(|e| e.response.as_ref().ok())
        .is_some_and(|r| matches!(r.status, 401 | 403));
    if refused && no_credentials {
        why.push(NO_CREDENTIALS.to_string());
    }
    let line = format!(
        "FAILED to remove {}: {}",
        service.describe(&resource.names),
        why.join("; ")
    );
    let line = redactor.redact(&line);
    // The reasons may quote the target's answer: one line, whatever it sent.
    escape::terminal(&line).into_owned()
}

/// `R removed, G already gone, F failed`.
pub fn totals_line(report: &SweepReport) -> String {
    format!(
        "{} removed, {} already gone, {} failed",
        report.removed.len(),
        report.already_gone.len(),
        report.failed.len()
    )
}

/// What a sweep that ran says: each removed, already gone and failed resource, then the
/// totals.
pub fn report_lines(
    report: &SweepReport,
    service: &dyn Service,
    redactor: &Redactor,
    no_credentials: bool,
) -> Vec<String> {
    let removed = report
        .removed
        .iter()
        .map(|resource| format!("removed {}", placed(resource, service)));
    let gone = report
        .already_gone
        .iter()
        .map(|resource| format!("already gone: {}", placed(resource, service)));
    let failed = report.failed.iter().map(|(resource, outcome)| {
        failed_line(resource, outcome, service, redactor, no_credentials)
    });
    removed
        .chain(gone)
        .chain(failed)
        .chain([totals_line(report)])
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::check::{Finding, FindingKind};
    use crate::cts::Cts;
    use crate::http::exchange::{Exchange, ReceivedResponse, SentRequest};

    fn tracker(name: &str) -> Resource {
        Resource {
            target: "https://cts.example".into(),
            project_id: "p1".into(),
            names: BTreeMap::from([
                ("tracker_name".to_string(), name.to_string()),
                ("tracker_type".to_string(), "data".to_string()),
            ]),
        }
    }

    /// A removal answered `status`, failed with `summary`.
    fn failed(status: u16, summary: &str) -> StepOutcome {
        StepOutcome {
            label: "DeleteTracker".into(),
            operation: "DeleteTracker".into(),
            exchange: Some(Exchange {
                request: SentRequest {
                    method: "DELETE".into(),
                    url: "https://cts.example/v3/p1/trackers".into(),
                    headers: Vec::new(),
                    body: None,
                },
                response: Ok(ReceivedResponse {
                    status,
                    headers: Vec::new(),
                    body: Vec::new(),
                    elapsed: Duration::from_millis(1),
                }),
            }),
            findings: vec![Finding::new(FindingKind::UnexpectedStatus, summary)],
            skipped: None,
            retries: Vec::new(),
        }
    }

    #[test]
    fn a_resource_is_placed_by_the_services_name_project_and_target() {
        assert_eq!(
            placed(&tracker("cc-1-a"), &Cts),
            "data tracker cc-1-a (project p1, https://cts.example)"
        );
        assert_eq!(
            dry_run_lines(&[tracker("cc-1-a")], Path::new("l.jsonl"), &Cts),
            [
                "would remove data tracker cc-1-a (project p1, https://cts.example)",
                "1 tracker(s) outstanding in l.jsonl"
            ]
        );
    }

    #[test]
    fn a_failed_removal_is_one_redacted_line() {
        let redactor = Redactor::new(["s3cret"]);
        let line = failed_line(
            &tracker("cc-1-a"),
            &failed(500, "status 500: s3cret\n test x ... ok"),
            &Cts,
            &redactor,
            false,
        );
        assert!(!line.contains("s3cret"), "{line}");
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with("FAILED to remove data tracker cc-1-a: status 500: "));
        assert!(line.ends_with("\\n test x ... ok"), "{line}");
    }

    #[test]
    fn a_refused_removal_without_credentials_says_where_they_go() {
        let resource = tracker("cc-1-a");
        let redactor = Redactor::default();
        let refused = |status, no_credentials| {
            failed_line(
                &resource,
                &failed(status, "status 401"),
                &Cts,
                &redactor,
                no_credentials,
            )
        };
        assert_eq!(
            refused(401, true),
            format!("FAILED to remove data tracker cc-1-a: status 401; {NO_CREDENTIALS}")
        );
        assert!(refused(403, true).ends_with(NO_CREDENTIALS));
        assert!(!refused(401, false).contains(NO_CREDENTIALS));
        assert!(!refused(500, true).contains(NO_CREDENTIALS));
    }

    #[test]
    fn the_report_lists_removed_gone_failed_then_the_totals() {
        let report = SweepReport {
            removed: vec![tracker("a")],
            already_gone: vec![tracker("b")],
            unconfirmed: Vec::new(),
            failed: vec![(tracker("c"), failed(500, "status 500"))],
        };
        assert_eq!(
            report_lines(&report, &Cts, &Redactor::default(), false),
            [
                "removed data tracker a (project p1, https://cts.example)",
                "already gone: data tracker b (project p1, https://cts.example)",
                "FAILED to remove data tracker c: status 500",
                "1 removed, 1 already gone, 1 failed",
            ]
        );
    }
}
