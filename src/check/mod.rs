//! Checks: pure functions from an already-fetched response to findings.
//!
//! Every response gets the automatic contract checks (the status is documented for the
//! operation, a documented body is JSON with a JSON content type and validates against the
//! status's schema); then the step's own expectations (status, body subset, headers).

pub mod matcher;

use serde_json::Value;

use crate::case::model::Expect;
use crate::contract::{Contract, Operation};
use crate::http::exchange::{is_json_media_type, BodyError, ReceivedResponse};

/// What kind of rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// No usable response (timeout, reset, body too large, ...).
    Transport,
    /// The status is not one the operation documents.
    UndocumentedStatus,
    /// The status is documented but not the one the case expects.
    UnexpectedStatus,
    /// A documented JSON body came with another content type.
    ContentType,
    /// The body is missing, not JSON, or breaks the status's schema.
    Contract,
    /// The body differs from the case's expectation.
    Body,
    /// A response header differs from the case's expectation.
    Header,
    /// A capture's pointer found nothing in the body.
    Capture,
    /// What the run created could not be recorded or removed.
    Cleanup,
    /// The target kept throttling (429, or 503 with Retry-After) after every retry:
    /// no verdict on the contract.
    Throttled,
    /// The harness could not do its part (a request it cannot build, a trial that
    /// stopped without an outcome): not the target's fault.
    Harness,
    /// The run's configuration does not allow the step (e.g. a credential it needs was
    /// not given): not the target's fault.
    Config,
}

impl FindingKind {
    /// A short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::Transport => "transport",
            FindingKind::UndocumentedStatus => "undocumented status",
            FindingKind::UnexpectedStatus => "unexpected status",
            FindingKind::ContentType => "content type",
            FindingKind::Contract => "contract",
            FindingKind::Body => "expected body",
            FindingKind::Header => "expected header",
            FindingKind::Capture => "capture",
            FindingKind::Cleanup => "cleanup",
            FindingKind::Throttled => "throttled",
            FindingKind::Harness => "harness",
            FindingKind::Config => "configuration",
        }
    }

    /// Whether the finding is a problem of the run (transport, harness, configuration,
    /// a target that kept throttling)
    /// rather than a finding about the target's answers: JUnit calls these `<error>`.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            FindingKind::Transport
                | FindingKind::Harness
                | FindingKind::Config
                | FindingKind::Throttled
        )
    }
}

/// Expected and actual JSON, reduced to what the expectation covers, for a diff.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonDiff {
    pub expected: Value,
    pub actual: Value,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    /// One line: what is wrong.
    pub summary: String,
    /// One line each: violations, mismatches.
    pub details: Vec<String>,
    pub diff: Option<JsonDiff>,
}

impl Finding {
    pub fn new(kind: FindingKind, summary: impl Into<String>) -> Self {
        Finding {
            kind,
            summary: summary.into(),
            details: Vec::new(),
            diff: None,
        }
    }

    /// The finding as one line, `kind: summary`, its kind said once (a summary that
    /// already starts with it is not prefixed again: no "throttled: throttled:").
    pub fn line(&self) -> String {
        let label = self.kind.label();
        match self.summary.strip_prefix(label) {
            Some(rest) if rest.starts_with(": ") => self.summary.clone(),
            _ => format!("{label}: {}", self.summary),
        }
    }
}

/// A response body parsed as JSON: `None` when empty, `Some(Err)` with the reason when not
/// JSON (see [`ReceivedResponse::json`]). The runner parses each body once and passes it on.
pub type ParsedBody = Option<Result<Value, BodyError>>;

/// The automatic checks every response gets, from the contract alone.
pub fn contract_checks(
    contract: &Contract,
    op: &Operation,
    response: &ReceivedResponse,
) -> Vec<Finding> {
    contract_checks_parsed(contract, op, response, &response.json())
}

/// [`contract_checks`] with the body already parsed.
pub fn contract_checks_parsed(
    contract: &Contract,
    op: &Operation,
    response: &ReceivedResponse,
    body: &ParsedBody,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(spec) = op.response(response.status) else {
        let documented: Vec<String> = op.responses.keys().map(u16::to_string).collect();
        // A redirect is never followed: say where it pointed, so a loop is visible.
        let redirect = match response.header("location") {
            Some(location) if (300..400).contains(&response.status) => {
                format!("; a redirect to {location:?}, which the harness does not follow")
            }
            _ => String::new(),
        };
        findings.push(Finding::new(
            FindingKind::UndocumentedStatus,
            format!(
                "status {} is not documented for {} (documented: {}){redirect}",
                response.status,
                op.id,
                documented.join(", ")
            ),
        ));
        return findings;
    };
    let Some(schema) = spec.schema.as_deref() else {
        return findings;
    };
    let content_type = response.header("content-type").unwrap_or("");
    if !is_json_media_type(content_type) {
        findings.push(Finding::new(
            FindingKind::ContentType,
            format!(
                "status {} documents a JSON body ({schema}) but Content-Type is {}",
                response.status,
                if content_type.is_empty() {
                    "missing".to_string()
                } else {
                    format!("{content_type:?}")
                }
            ),
        ));
    }
    match body {
        None => findings.push(Finding::new(
            FindingKind::Contract,
            format!(
                "status {} documents a body ({schema}) but the body is empty",
                response.status
            ),
        )),
        Some(Err(reason)) => findings.push(Finding::new(FindingKind::Contract, reason.to_string())),
        Some(Ok(body)) => {
            let violations = contract.validate(schema, body).unwrap_or_default();
            if !violations.is_empty() {
                let mut finding = Finding::new(
                    FindingKind::Contract,
                    format!(
                        "body breaks {schema} (status {}): {} violation{}",
                        response.status,
                        violations.len(),
                        if violations.len() == 1 { "" } else { "s" }
                    ),
                );
                finding.details = violations
                    .iter()
                    .map(|v| format!("{}: {} [{}]", v.instance_path, v.message, v.keyword))
                    .collect();
                findings.push(finding);
            }
        }
    }
    findings
}

/// The step's own expectations (compiled at load; expand `${variables}` first with
/// [`Expect::expand`]). Body expectations are skipped when the status is not the expected
/// one (the status finding says it all; the response is shown anyway).
pub fn expectation_checks(expect: &Expect, response: &ReceivedResponse) -> Vec<Finding> {
    expectation_checks_parsed(expect, response, &response.json())
}

/// [`expectation_checks`] with the body already parsed.
pub fn expectation_checks_parsed(
    expect: &Expect,
    response: &ReceivedResponse,
    body: &ParsedBody,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(status) = &expect.status {
        if !status.contains(response.status) {
            findings.push(Finding::new(
                FindingKind::UnexpectedStatus,
                format!("expected status {status}, got {}", response.status),
            ));
            return findings;
        }
    }
    for (name, want) in &expect.headers {
        let have = response.header(name).map(|v| Value::String(v.to_string()));
        if !matcher::member_matches(want.root(), have.as_ref()) {
            findings.push(Finding::new(
                FindingKind::Header,
                format!(
                    "header {name}: expected {}, found {}",
                    want.to_value(),
                    have.map_or("none".to_string(), |v| v.to_string())
                ),
            ));
        }
    }
    if let Some(expected) = &expect.body {
        match body {
            Some(Ok(actual)) => {
                if let Some(reconciled) = matcher::evaluate(expected, actual) {
                    let n = reconciled.mismatches.len();
                    let mut finding = Finding::new(
                        FindingKind::Body,
                        format!("{n} difference{}", if n == 1 { "" } else { "s" }),
                    );
                    finding.details = reconciled
                        .mismatches
                        .iter()
                        .map(|m| format!("{}: {}", m.path, m.reason))
                        .collect();
                    finding.diff = Some(JsonDiff {
                        expected: reconciled.expected_view,
                        actual: reconciled.actual_view,
                    });
                    findings.push(finding);
                }
            }
            Some(Err(reason)) => findings.push(Finding::new(
                FindingKind::Body,
                format!("expected a JSON body: {reason}"),
            )),
            None => findings.push(Finding::new(
                FindingKind::Body,
                "expected a JSON body, the body is empty",
            )),
        }
    }
    findings
}

#[cfg(test)]
mod finding_line_tests {
    use super::{Finding, FindingKind};

    const KINDS: [FindingKind; 12] = [
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
        FindingKind::Harness,
        FindingKind::Config,
    ];

    #[test]
    fn a_finding_says_its_kind_once() {
        for kind in KINDS {
            let label = kind.label();
            let plain = Finding::new(kind, "429 APIGW.0308 after 5 retries");
            assert_eq!(
                plain.line(),
                format!("{label}: 429 APIGW.0308 after 5 retries")
            );
            // A summary that already names its kind (a message built elsewhere) is not
            // prefixed again: "throttled: throttled: ..." was printed (issue 32).
            let named = Finding::new(kind, format!("{label}: 429"));
            assert_eq!(named.line(), format!("{label}: 429"));
            assert_eq!(named.line().matches(&format!("{label}:")).count(), 1);
        }
        // A word that merely starts like the label is not taken for it.
        let finding = Finding::new(FindingKind::Body, "expected body-shaped text");
        assert_eq!(finding.line(), "expected body: expected body-shaped text");
    }
}
