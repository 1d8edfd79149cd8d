//! The text of a failed case, as libtest prints it under `---- suite::case ----`: each
//! step with its request and status, every finding (schema violations with their instance
//! path, body mismatches with a unified diff), the response, a `curl` reproduction, and
//! the document rule the case checks. Secrets are redacted from all of it.

use std::fmt::Write;

use crate::auth::Redactor;
use crate::check::FindingKind;
use crate::run::exchange::{Exchange, TransportError};
use crate::run::{CaseOutcome, StepOutcome};

use super::curl::curl_command;
use super::diff::json_diff;

/// Bodies longer than this are cut in the report (the full body is in `--report-json`).
const BODY_PREVIEW_CHARS: usize = 2000;

/// Renders a case outcome for a person; `color` adds ANSI colour to diffs.
pub fn render_case(outcome: &CaseOutcome, redactor: &Redactor, color: bool) -> String {
    let mut out = String::new();
    for (i, step) in outcome.steps.iter().enumerate() {
        let position = format!("step {} of {}", i + 1, outcome.planned_steps);
        render_step(&mut out, &position, step, redactor, color);
    }
    let not_run = outcome.planned_steps.saturating_sub(outcome.steps.len());
    if not_run > 0 {
        let _ = writeln!(
            out,
            "({not_run} later step{} not run)",
            if not_run == 1 { "" } else { "s" }
        );
    }
    for (i, step) in outcome.cleanup.iter().enumerate() {
        let position = format!("cleanup {} of {}", i + 1, outcome.cleanup.len());
        render_step(&mut out, &position, step, redactor, color);
    }
    let _ = writeln!(out, "checks: {}", outcome.doc);
    redactor.redact(&out).into_owned()
}

fn render_step(
    out: &mut String,
    position: &str,
    step: &StepOutcome,
    redactor: &Redactor,
    color: bool,
) {
    let _ = write!(out, "{position}: {}", step.label);
    if let Some(reason) = &step.skipped {
        let _ = writeln!(out, "  skipped ({reason})");
        return;
    }
    let Some(exchange) = &step.exchange else {
        let _ = writeln!(out);
        for finding in &step.findings {
            let _ = writeln!(out, "  {}: {}", finding.kind.label(), finding.summary);
        }
        return;
    };
    let _ = write!(
        out,
        "  {} {}",
        exchange.request.method, exchange.request.url
    );
    match &exchange.response {
        Ok(r) => {
            let _ = writeln!(out, "  -> {} in {} ms", r.status, r.elapsed.as_millis());
        }
        Err(TransportError::BodyTimeout { status, .. }) => {
            let _ = writeln!(out, "  -> {status}, body incomplete");
        }
        Err(TransportError::TooLarge { .. }) => {
            let _ = writeln!(out, "  -> body over the size cap");
        }
        Err(_) => {
            let _ = writeln!(out, "  -> no response");
        }
    }
    if !step.failed() {
        return;
    }
    for finding in &step.findings {
        let _ = writeln!(out, "  {}: {}", finding.kind.label(), finding.summary);
        for detail in &finding.details {
            let _ = writeln!(out, "    {detail}");
        }
        if let Some(diff) = &finding.diff {
            out.push_str(&json_diff(&diff.expected, &diff.actual, "    ", color));
        }
    }
    render_bodies(
        out,
        exchange,
        step.findings
            .iter()
            .any(|f| f.kind == FindingKind::UnexpectedStatus),
    );
    let _ = writeln!(
        out,
        "  reproduce: {}",
        curl_command(&exchange.request, redactor)
    );
}

fn render_bodies(out: &mut String, exchange: &Exchange, always_show_response: bool) {
    if let Some(body) = &exchange.request.body {
        let _ = writeln!(
            out,
            "  request body: {}",
            preview(&String::from_utf8_lossy(body))
        );
    }
    if let Ok(response) = &exchange.response {
        if always_show_response || !response.body.is_empty() {
            let _ = writeln!(out, "  response body: {}", preview(&response.body_text()));
        }
    }
}

fn preview(text: &str) -> String {
    let text = text.trim_end();
    if text.is_empty() {
        return "(empty)".into();
    }
    let count = text.chars().count();
    if count <= BODY_PREVIEW_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(BODY_PREVIEW_CHARS).collect();
        format!("{cut}… ({count} characters in all)")
    }
}
