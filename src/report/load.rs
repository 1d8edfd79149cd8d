//! Reading a JSON report (`--report-json`, see [`super::json`]) back into the types the
//! reporters render, to write JUnit and HTML from reports without running anything
//! (`report merge`). What the JSON report does not keep stays out: bodies are as cut and
//! redacted there, and a transport error keeps only its message.

use std::time::Duration;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::check::{Finding, FindingKind, JsonDiff};
use crate::coverage::{self, Row};
use crate::http::exchange::{Exchange, ReceivedResponse, SentRequest, TransportError};
use crate::outcome::{CaseOutcome, CaseStatus, StepOutcome, Verdict};

use super::json::FORMAT;
use super::results::{CaseResult, Leftovers, RunSummary};

/// Every finding kind, to read its kebab-case name back.
const KINDS: [FindingKind; 10] = [
    FindingKind::Transport,
    FindingKind::UndocumentedStatus,
    FindingKind::UnexpectedStatus,
    FindingKind::ContentType,
    FindingKind::Contract,
    FindingKind::Body,
    FindingKind::Header,
    FindingKind::Capture,
    FindingKind::Cleanup,
    FindingKind::Throttled,
];

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_string()
}

/// Why a JSON report cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `found` is the report's `format` member (null when it has none).
    #[error("not a JSON report of format {FORMAT} (format: {found})")]
    Format { found: Value },
    #[error("{key} is not an RFC 3339 time ({source})")]
    Time {
        key: &'static str,
        #[source]
        source: time::error::Parse,
    },
    #[error("the report has no cases array")]
    NoCases,
    /// `case` is the case's `id` member as the report has it.
    #[error("case {case}: unknown status {status:?}")]
    UnknownStatus { case: Value, status: String },
}

fn time(value: &Value, key: &'static str) -> Result<OffsetDateTime, LoadError> {
    OffsetDateTime::parse(value[key].as_str().unwrap_or_default(), &Rfc3339)
        .map_err(|source| LoadError::Time { key, source })
}

/// The run of a JSON report.
pub fn summary(report: &Value) -> Result<RunSummary, LoadError> {
    if report["format"].as_u64() != Some(u64::from(FORMAT)) {
        return Err(LoadError::Format {
            found: report["format"].clone(),
        });
    }
    Ok(RunSummary {
        tool_version: text(&report["tool"], "version"),
        target: text(&report["target"], "url"),
        target_kind: text(&report["target"], "kind"),
        project_id: text(&report["target"], "project_id"),
        run_id: text(report, "run_id"),
        profile: text(report, "profile"),
        faults: strings(&report["emulator_faults"]),
        // A report does not keep the command its run was started with.
        reproduce: Default::default(),
        partition: report["partition"].as_str().map(String::from),
        baseline: report["baseline"].as_str().map(String::from),
        fingerprint: text(report, "fingerprint_sha256"),
        started: time(report, "started")?,
        finished: time(report, "finished")?,
        interrupted: report["interrupted"].as_bool().unwrap_or(false),
        leftovers: Leftovers {
            trackers: report["leftovers"]["trackers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            sweep: report["leftovers"]["sweep"].as_str().map(String::from),
        },
        plan: strings(&report["plan"]["ids"]),
        merged_from: report["merged_from"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|shard| {
                format!(
                    "{} (partition {}, run {})",
                    text(shard, "report"),
                    shard["partition"].as_str().unwrap_or("none"),
                    text(shard, "run_id")
                )
            })
            .collect(),
    })
}

/// The strings of a JSON array (others left out).
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

/// The coverage rows of a JSON report (`coverage_rows`), with the cases of the report
/// that exercise each; rows of an unknown kind are left out.
pub fn coverage_rows(report: &Value) -> Vec<Row> {
    report["coverage_rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            Some(Row {
                operation: text(row, "operation"),
                kind: coverage::kind_named(row["kind"].as_str()?)?,
                name: text(row, "name"),
                doc: text(row, "doc"),
                provokable: row["provokable"].as_bool().unwrap_or(false),
                cases: strings(&row["cases"]),
            })
        })
        .collect()
}

/// The cases of a JSON report, in its order.
pub fn results(report: &Value) -> Result<Vec<CaseResult>, LoadError> {
    report["cases"]
        .as_array()
        .ok_or(LoadError::NoCases)?
        .iter()
        .map(result)
        .collect()
}

fn verdict(case: &Value) -> Result<(Verdict, CaseStatus), LoadError> {
    let reason = text(case, "reason");
    let listed = |prefix: &str| {
        reason
            .strip_prefix(prefix)
            .unwrap_or(&reason)
            .trim_end_matches(')')
            .to_string()
    };
    Ok(match case["status"].as_str().unwrap_or_default() {
        "passed" => (Verdict::Passed, CaseStatus::Passed),
        "failed" => (Verdict::Failed, CaseStatus::Failed),
        "ignored" => (
            Verdict::Ignored(reason.clone()),
            CaseStatus::Ignored(reason),
        ),
        "not-run" => (Verdict::NotRun(reason.clone()), CaseStatus::Ignored(reason)),
        "expected-failure" => (
            Verdict::ExpectedFailure(listed("expected failure: ")),
            CaseStatus::Failed,
        ),
        "unexpected-pass" => (
            Verdict::UnexpectedPass(listed(
                "unexpected pass: remove it from the baseline (listed as: ",
            )),
            CaseStatus::Passed,
        ),
        other => {
            return Err(LoadError::UnknownStatus {
                case: case["id"].clone(),
                status: other.to_string(),
            })
        }
    })
}

fn result(case: &Value) -> Result<CaseResult, LoadError> {
    let (verdict, status) = verdict(case)?;
    let mut steps = Vec::new();
    let mut cleanup = Vec::new();
    let mut planned = None;
    for step in case["steps"].as_array().into_iter().flatten() {
        let position = text(step, "position");
        let findings = case["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["step"].as_str() == Some(position.as_str()))
            .map(finding)
            .collect();
        let outcome = StepOutcome {
            label: text(step, "label"),
            operation: text(step, "operation"),
            exchange: exchange(step),
            findings,
            skipped: step["skipped"].as_str().map(String::from),
            retries: Vec::new(),
        };
        if position.starts_with("cleanup") {
            cleanup.push(outcome);
        } else {
            planned = position
                .rsplit(" of ")
                .next()
                .and_then(|n| n.parse::<usize>().ok());
            steps.push(outcome);
        }
    }
    let outcome = CaseOutcome {
        id: text(case, "id"),
        doc: text(case, "doc"),
        file: text(case, "file"),
        planned_steps: planned.unwrap_or(steps.len()),
        steps,
        cleanup,
        status,
        interrupted: case["interrupted"].as_bool().unwrap_or(false),
        duration: Duration::from_millis(case["duration_ms"].as_u64().unwrap_or(0)),
    };
    Ok(CaseResult {
        suite: text(case, "suite"),
        operations: strings(&case["operations"]),
        outcome,
        verdict,
    })
}

fn finding(value: &Value) -> Finding {
    let kind = KINDS
        .into_iter()
        .find(|k| serde_json::to_value(k).ok().as_ref() == Some(&value["kind"]))
        .unwrap_or(FindingKind::Transport);
    Finding {
        kind,
        summary: text(value, "summary"),
        details: value["details"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(String::from))
            .collect(),
        diff: value["diff"].as_object().map(|d| JsonDiff {
            expected: d.get("expected").cloned().unwrap_or(Value::Null),
            actual: d.get("actual").cloned().unwrap_or(Value::Null),
        }),
    }
}

fn headers(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pair| Some((pair[0].as_str()?.into(), pair[1].as_str()?.into())))
        .collect()
}

fn exchange(step: &Value) -> Option<Exchange> {
    let request = step.get("request")?;
    let request = SentRequest {
        method: text(request, "method"),
        url: text(request, "url"),
        headers: headers(&request["headers"]),
        body: request["body"]["text"]
            .as_str()
            .map(|t| t.as_bytes().to_vec()),
    };
    let response = match step.get("response") {
        Some(r) => Ok(ReceivedResponse {
            status: r["status"].as_u64().unwrap_or(0) as u16,
            headers: headers(&r["headers"]),
            body: r["body"]["text"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            elapsed: Duration::from_millis(r["elapsed_ms"].as_u64().unwrap_or(0)),
        }),
        None => Err(TransportError::Connection(text(step, "error"))),
    };
    Some(Exchange { request, response })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn report() -> Value {
        json!({"format": FORMAT, "started": "2026-01-01T00:00:00Z",
               "finished": "2026-01-01T00:00:01Z", "cases": []})
    }

    #[test]
    fn a_report_that_cannot_be_read_back_says_why() {
        assert!(summary(&report()).is_ok());
        let error = summary(&json!({"format": 99})).expect_err("format");
        assert!(matches!(&error, LoadError::Format { found } if found == 99));
        assert_eq!(
            error.to_string(),
            format!("not a JSON report of format {FORMAT} (format: 99)")
        );
        let mut late = report();
        late["finished"] = json!("yesterday");
        let error = summary(&late).expect_err("time");
        assert!(matches!(
            error,
            LoadError::Time {
                key: "finished",
                ..
            }
        ));
        assert!(std::error::Error::source(&error).is_some());
        assert!(matches!(
            results(&json!({})).expect_err("no cases"),
            LoadError::NoCases
        ));
        let odd = json!({"cases": [{"id": "s::a", "status": "weird", "steps": []}]});
        assert_eq!(
            results(&odd).expect_err("status").to_string(),
            "case \"s::a\": unknown status \"weird\""
        );
    }
}
