//! The machine-readable report (`--report-json FILE`): the run (tool version, target, run
//! id, profile, times, fingerprint), totals per verdict, and per planned case its verdict,
//! findings (with their kind), the failure text as the terminal shows it, and a summary of
//! each request and response (bodies cut to [`BODY_LIMIT_BYTES`]). Every string is redacted.
//! The shape is documented in `docs/ci.md`; [`FORMAT`] changes when it changes incompatibly.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use crate::auth::Redactor;
use crate::coverage::{self, Row};
use crate::http::exchange::{Exchange, SentRequest};
use crate::outcome::StepOutcome;

use super::completeness;
use super::curl::curl_command;
use super::failure::{render_case, Reproduce};
use super::results::{totals, CaseResult, RunSummary};

/// The version of the report's shape.
pub const FORMAT: u32 = 1;

/// Request and response bodies longer than this are cut (on a character boundary).
pub const BODY_LIMIT_BYTES: usize = 4096;

/// Renders the JSON report (pretty-printed, ending in a newline). `rows` is the coverage
/// of the run's plan ([`crate::coverage::compute`]).
pub fn render(
    summary: &RunSummary,
    results: &[CaseResult],
    rows: &[Row],
    redactor: &Redactor,
) -> String {
    let completeness = completeness::assess(results, rows, &summary.profile, summary.interrupted);
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let mut totals_value = json!({"cases": results.len()});
    for (name, count) in totals(results) {
        totals_value[name] = json!(count);
    }
    // Throttled answers waited out and sent again, over every step of every case.
    totals_value["retries"] = json!(results
        .iter()
        .flat_map(|r| r.outcome.steps.iter().chain(&r.outcome.cleanup))
        .map(|s| s.retries.len())
        .sum::<usize>());
    let mut report = json!({
        "format": FORMAT,
        "tool": {"name": "cts-conform", "version": summary.tool_version},
        "target": {
            "url": summary.target,
            "kind": summary.target_kind,
            "project_id": summary.project_id,
        },
        "run_id": summary.run_id,
        "profile": summary.profile,
        "emulator_faults": summary.faults,
        "partition": summary.partition,
        "baseline": summary.baseline,
        "fingerprint_sha256": summary.fingerprint,
        "started": time(summary.started),
        "finished": time(summary.finished),
        "duration_ms": summary.duration().as_millis() as u64,
        "interrupted": summary.interrupted,
        "ok": !summary.interrupted
            && !results.iter().any(|r| r.verdict.fails_run())
            && summary.leftovers.is_empty(),
        "leftovers": {
            "trackers": summary.leftovers.trackers,
            "sweep": summary.leftovers.sweep,
        },
        "complete": completeness.complete(),
        "completeness": completeness.to_json(),
        "totals": totals_value,
        "plan": {"cases": summary.plan.len(), "ids": summary.plan},
        "coverage_rows": coverage_rows(rows),
        "cases": results.iter().map(|r| case(r, &summary.reproduce, redactor)).collect::<Vec<_>>(),
    });
    redact_strings(&mut report, redactor);
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// The plan's coverage rows with the cases (of this report) that exercise each: what a
/// merge or `verify` needs to count the coverage of the cases that ran.
fn coverage_rows(rows: &[Row]) -> Value {
    rows.iter()
        .map(|row| {
            json!({
                "operation": row.operation,
                "kind": coverage::kind_name(row.kind),
                "name": row.name,
                "doc": row.doc,
                "provokable": row.provokable,
                "cases": row.cases,
            })
        })
        .collect()
}

fn case(result: &CaseResult, reproduce: &Reproduce, redactor: &Redactor) -> Value {
    let outcome = &result.outcome;
    let phases = outcome
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("step {} of {}", i + 1, outcome.planned_steps), s))
        .chain(
            outcome
                .cleanup
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("cleanup {} of {}", i + 1, outcome.cleanup.len()), s)),
        );
    let mut findings = Vec::new();
    let mut steps = Vec::new();
    for (position, step) in phases {
        for finding in &step.findings {
            findings.push(json!({
                "step": position,
                "operation": step.operation,
                "kind": finding.kind,
                "summary": finding.summary,
                "details": finding.details,
                "diff": finding.diff.as_ref().map(|d| json!({"expected": d.expected, "actual": d.actual})),
            }));
        }
        steps.push(step_value(&position, step, redactor));
    }
    json!({
        "id": outcome.id,
        "suite": result.suite,
        "name": result.name(),
        "file": outcome.file,
        "doc": outcome.doc,
        "operations": result.operations,
        "status": result.verdict.name(),
        "reason": result.verdict.message(),
        "duration_ms": outcome.duration.as_millis() as u64,
        "interrupted": outcome.interrupted,
        "findings": findings,
        "steps": steps,
        "failure_text": result
            .verdict
            .has_failure_text()
            .then(|| render_case(outcome, redactor, reproduce, false)),
    })
}

fn step_value(position: &str, step: &StepOutcome, redactor: &Redactor) -> Value {
    let mut value = json!({
        "position": position,
        "label": step.label,
        "operation": step.operation,
        "skipped": step.skipped,
        "failed": step.failed(),
        "retries": step.retries.iter().map(|r| json!({
            "status": r.status,
            "error_code": r.error_code,
            "waited_ms": r.waited.as_millis() as u64,
            "retry_after": r.from_retry_after,
        })).collect::<Vec<_>>(),
    });
    if let Some(exchange) = &step.exchange {
        value["request"] = request(&exchange.request, redactor);
        exchange_response(&mut value, exchange, redactor);
    }
    value
}

fn request(request: &SentRequest, redactor: &Redactor) -> Value {
    json!({
        "method": request.method,
        "url": request.url,
        "headers": headers(&request.headers, redactor),
        "body": request.body.as_deref().map(body),
        "curl": curl_command(request, redactor),
    })
}

fn exchange_response(value: &mut Value, exchange: &Exchange, redactor: &Redactor) {
    match &exchange.response {
        Ok(response) => {
            value["response"] = json!({
                "status": response.status,
                "elapsed_ms": response.elapsed.as_millis() as u64,
                "headers": headers(&response.headers, redactor),
                "body": body(&response.body),
            });
        }
        Err(error) => value["error"] = json!(error.to_string()),
    }
}

fn headers(headers: &[(String, String)], redactor: &Redactor) -> Value {
    headers
        .iter()
        .map(|(name, value)| json!([name, redactor.redact_header(name, value)]))
        .collect()
}

/// `{"text", "bytes", "truncated"}`: the body as (lossy UTF-8) text, cut to the limit.
fn body(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    let mut end = text.len().min(BODY_LIMIT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    json!({
        "text": &text[..end],
        "bytes": bytes.len(),
        "truncated": end < text.len(),
    })
}

/// Redacts every string in `value` (keys are fixed names, not redacted).
fn redact_strings(value: &mut Value, redactor: &Redactor) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(redacted) = redactor.redact(s) {
                *s = redacted;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_strings(v, redactor)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_strings(v, redactor)),
        _ => {}
    }
}

/// A problem when a case's status contradicts its own step records: `passed` (or an
/// unexpected pass) with a failed step, `failed` (or an expected failure) with none.
pub fn status_against_steps(case: &Value) -> Option<String> {
    let id = case["id"].as_str().unwrap_or_default();
    let status = case["status"].as_str().unwrap_or_default();
    let steps: Vec<&Value> = case["steps"].as_array().into_iter().flatten().collect();
    let failed_step = steps.iter().find(|s| s["failed"] == true);
    match (status, failed_step) {
        ("passed" | "unexpected-pass", Some(step)) => Some(format!(
            "case {id} is {status} but its {} failed",
            step["position"].as_str().unwrap_or("step")
        )),
        ("failed" | "expected-failure", None) => Some(format!(
            "case {id} is {status} but none of its steps failed"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_status_must_agree_with_its_steps() {
        let passed_failing = json!({"id": "s::a", "status": "passed",
            "steps": [{"position": "step 1 of 1", "failed": true}]});
        assert_eq!(
            status_against_steps(&passed_failing).as_deref(),
            Some("case s::a is passed but its step 1 of 1 failed")
        );
        let failed_clean = json!({"id": "s::a", "status": "failed",
            "steps": [{"position": "step 1 of 1", "failed": false}]});
        assert!(status_against_steps(&failed_clean).is_some());
        let ignored = json!({"id": "s::a", "status": "ignored",
            "steps": [{"position": "step 1 of 1", "failed": true}]});
        assert_eq!(status_against_steps(&ignored), None);
    }
}
