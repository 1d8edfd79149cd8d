//! The text of a failed case, as libtest prints it under `---- suite::case ----`: each
//! step with its request and status, every finding (schema violations with their instance
//! path, body mismatches with a unified diff), the response, a `curl` reproduction, and
//! the document rule the case checks. Secrets are redacted from all of it, and control
//! characters a target sent are shown escaped (a body cannot forge a line).
//!
//! The text is built as styled lines ([`case_lines`]) so that every report shows the same
//! text: the terminal and JUnit as plain or ANSI-coloured text ([`render_case`]), the
//! HTML report with CSS classes.

use crate::auth::Redactor;
use crate::check::FindingKind;
use crate::http::exchange::{Exchange, TransportError};
use crate::outcome::{CaseOutcome, StepOutcome};

use super::curl::curl_command;
use super::diff::{diff_lines, Style};

/// How a failed step's `reproduce:` line repeats its case (a field of the run's summary,
/// given by whoever starts the run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reproduce {
    /// The command that re-runs this run's cases, without `--exact ID` and never with a
    /// secret (`cts-conform --target URL --project-id ID ...`): for a signed request (an
    /// unsigned one is reproduced by its `curl`).
    Run(String),
    /// The command that replays this replay's cases from the recording
    /// (`cts-conform replay DIR ...`): every request, as the recording has it.
    Replay(String),
}

impl Default for Reproduce {
    /// The run's command without its flags (a report read back does not know them).
    fn default() -> Self {
        Reproduce::Run("cts-conform".into())
    }
}

/// Bodies longer than this are cut in the report (the full body is in `--report-json`).
const BODY_PREVIEW_CHARS: usize = 2000;

/// Renders a case outcome for a person; `color` adds ANSI colour to diffs.
pub fn render_case(
    outcome: &CaseOutcome,
    redactor: &Redactor,
    reproduce: &Reproduce,
    color: bool,
) -> String {
    case_lines(outcome, redactor, reproduce)
        .into_iter()
        .map(|(style, line)| {
            if !color {
                return line + "\n";
            }
            // Colour the text, not its indentation.
            let text = line.trim_start_matches(' ');
            let indent = &line[..line.len() - text.len()];
            format!("{indent}{}\n", style.ansi(text))
        })
        .collect()
}

/// The lines of [`render_case`], each with its style, already redacted.
pub fn case_lines(
    outcome: &CaseOutcome,
    redactor: &Redactor,
    reproduce: &Reproduce,
) -> Vec<(Style, String)> {
    let mut out = Lines::default();
    let context = StepContext {
        case: &outcome.id,
        redactor,
        reproduce,
    };
    for (i, step) in outcome.steps.iter().enumerate() {
        let position = format!("step {} of {}", i + 1, outcome.planned_steps);
        render_step(&mut out, &position, step, &context);
    }
    let not_run = outcome.planned_steps.saturating_sub(outcome.steps.len());
    if not_run > 0 {
        out.plain(format!(
            "({not_run} later step{} not run)",
            if not_run == 1 { "" } else { "s" }
        ));
    }
    for (i, step) in outcome.cleanup.iter().enumerate() {
        let position = format!("cleanup {} of {}", i + 1, outcome.cleanup.len());
        render_step(&mut out, &position, step, &context);
    }
    out.plain(format!("checks: {}", outcome.doc));
    // Each line one line, whatever a target sent ([`super::escape::terminal`]).
    out.0
        .into_iter()
        .map(|(style, line)| {
            let line = redactor.redact(&line);
            (style, super::escape::terminal(&line).into_owned())
        })
        .collect()
}

/// Lines being built.
#[derive(Default)]
struct Lines(Vec<(Style, String)>);

impl Lines {
    fn plain(&mut self, line: String) {
        self.0.push((Style::Plain, line));
    }
}

/// What every step of a case is rendered with.
struct StepContext<'a> {
    case: &'a str,
    redactor: &'a Redactor,
    reproduce: &'a Reproduce,
}

fn render_step(out: &mut Lines, position: &str, step: &StepOutcome, context: &StepContext) {
    let StepContext {
        case,
        redactor,
        reproduce,
    } = *context;
    let head = format!("{position}: {}", step.label);
    if let Some(reason) = &step.skipped {
        out.plain(format!("{head}  skipped ({reason})"));
        return;
    }
    let Some(exchange) = &step.exchange else {
        out.plain(head);
        for finding in &step.findings {
            out.plain(format!("  {}", finding.line()));
        }
        return;
    };
    let answer = match &exchange.response {
        Ok(r) => format!("-> {} in {} ms", r.status, r.elapsed.as_millis()),
        Err(TransportError::BodyTimeout { status, .. }) => format!("-> {status}, body incomplete"),
        Err(TransportError::TooLarge { .. }) => "-> body over the size cap".to_string(),
        Err(_) => "-> no response".to_string(),
    };
    out.plain(format!(
        "{head}  {} {}  {answer}{}",
        exchange.request.method,
        exchange.request.url,
        retried(&step.retries)
    ));
    for retry in &step.retries {
        out.plain(format!("  throttled: {retry}"));
    }
    if !step.failed() {
        return;
    }
    for finding in &step.findings {
        out.plain(format!("  {}", finding.line()));
        for detail in &finding.details {
            out.plain(format!("    {detail}"));
        }
        if let Some(diff) = &finding.diff {
            for (style, line) in diff_lines(&diff.expected, &diff.actual) {
                out.0.push((style, format!("    {line}")));
            }
        }
    }
    render_bodies(
        out,
        exchange,
        step.findings
            .iter()
            .any(|f| f.kind == FindingKind::UnexpectedStatus),
    );
    let curl = curl_command(&exchange.request, redactor);
    match reproduce {
        Reproduce::Replay(command) => {
            out.plain(format!("  reproduce: {command} --exact {}", quote(case)));
            out.plain(format!("  recorded: {curl}"));
        }
        Reproduce::Run(command) if is_signed(exchange) => {
            // A signature expires (and is redacted): re-run the case instead.
            out.plain(format!("  reproduce: {command} --exact {}", quote(case)));
            out.plain(format!("  sent (signature redacted): {curl}"));
        }
        _ => out.plain(format!("  reproduce: {curl}")),
    }
}

/// `, after 2 retries (340 ms waited)` when the step was throttled and sent again (each
/// retry follows on a line of its own), else nothing.
fn retried(retries: &[crate::http::throttle::Retry]) -> String {
    if retries.is_empty() {
        return String::new();
    }
    let waited: std::time::Duration = retries.iter().map(|r| r.waited).sum();
    let n = retries.len();
    format!(
        ", after {n} {} ({} ms waited)",
        if n == 1 { "retry" } else { "retries" },
        waited.as_millis()
    )
}

/// Whether the request carries an SDK-HMAC-SHA256 signature.
fn is_signed(exchange: &Exchange) -> bool {
    exchange.request.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("authorization") && value.starts_with("SDK-HMAC-SHA256")
    })
}

/// Single-quotes for POSIX shells, when needed.
pub fn quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn render_bodies(out: &mut Lines, exchange: &Exchange, always_show_response: bool) {
    if let Some(body) = &exchange.request.body {
        out.plain(format!(
            "  request body: {}",
            preview(&String::from_utf8_lossy(body))
        ));
    }
    if let Ok(response) = &exchange.response {
        if always_show_response || !response.body.is_empty() {
            out.plain(format!(
                "  response body: {}",
                preview(&response.body_text())
            ));
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
