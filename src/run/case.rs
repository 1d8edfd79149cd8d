//! Running one case: its steps in order (stopping at the first failing step), captures,
//! then its cleanup steps, always.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::exchange::Exchange;
use super::render;
use super::session::Session;
use crate::case::model::{Expect, StepSpec};
use crate::case::vars::{expand_json, Vars};
use crate::case::LoadedCase;
use crate::check::{self, Finding, FindingKind};

/// What happened in one step.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    /// `step 2 of 3` style position is derived by the reporter; this is the step's label.
    pub label: String,
    pub operation: String,
    pub exchange: Option<Exchange>,
    pub findings: Vec<Finding>,
    /// Set when the step was not sent (a cleanup step whose capture never happened).
    pub skipped: Option<String>,
}

impl StepOutcome {
    pub fn failed(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    Failed,
    Ignored(String),
}

/// Everything about one case's run, for reporters.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub id: String,
    pub doc: String,
    pub file: String,
    pub steps: Vec<StepOutcome>,
    /// Number of steps in the case (some may not have run).
    pub planned_steps: usize,
    pub cleanup: Vec<StepOutcome>,
    pub status: CaseStatus,
    pub duration: Duration,
}

impl CaseOutcome {
    /// All findings, steps first, then cleanup.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.steps
            .iter()
            .chain(&self.cleanup)
            .flat_map(|s| &s.findings)
    }
}

/// Runs `case` against the session's target.
pub async fn run_case(session: &Session, case: &LoadedCase) -> CaseOutcome {
    let started = Instant::now();
    let mut vars = session.base_vars();
    let mut steps = Vec::new();
    for step in &case.spec.steps {
        let outcome = run_step(session, step, &mut vars).await;
        let failed = outcome.failed();
        steps.push(outcome);
        if failed {
            break;
        }
    }
    let mut cleanup = Vec::new();
    for step in &case.spec.cleanup {
        cleanup.push(run_cleanup_step(session, step, &mut vars).await);
    }
    let failed = steps.iter().chain(&cleanup).any(StepOutcome::failed);
    CaseOutcome {
        id: case.id.clone(),
        doc: case.spec.doc.clone(),
        file: case.file.clone(),
        planned_steps: case.spec.steps.len(),
        steps,
        cleanup,
        status: if failed {
            CaseStatus::Failed
        } else {
            CaseStatus::Passed
        },
        duration: started.elapsed(),
    }
}

async fn run_cleanup_step(session: &Session, step: &StepSpec, vars: &mut Vars) -> StepOutcome {
    let missing: Vec<String> = step
        .variable_names()
        .into_iter()
        .filter(|n| !vars.contains_key(n))
        .collect();
    if !missing.is_empty() {
        return StepOutcome {
            label: label(step),
            operation: step.operation.clone(),
            exchange: None,
            findings: Vec::new(),
            skipped: Some(format!(
                "not needed: ${{{}}} was never captured",
                missing.join("}, ${")
            )),
        };
    }
    run_step(session, step, vars).await
}

async fn run_step(session: &Session, step: &StepSpec, vars: &mut Vars) -> StepOutcome {
    let mut outcome = StepOutcome {
        label: label(step),
        operation: step.operation.clone(),
        exchange: None,
        findings: Vec::new(),
        skipped: None,
    };
    let Some(op) = session.contract.operation(&step.operation) else {
        // The loader has resolved every operation; this is a defect, reported as a finding.
        outcome.findings.push(Finding::new(
            FindingKind::Transport,
            format!("unknown operation {}", step.operation),
        ));
        return outcome;
    };
    let mut request = match render::render(step, op, vars, &session.config.base_url) {
        Ok(request) => request,
        Err(e) => {
            outcome.findings.push(Finding::new(
                FindingKind::Transport,
                format!("cannot build the request: {e}"),
            ));
            return outcome;
        }
    };
    let config = &session.config;
    if let Err(e) = render::authorize(
        &mut request,
        step.auth,
        &config.credentials,
        &config.project_id,
    ) {
        outcome
            .findings
            .push(Finding::new(FindingKind::Transport, e.to_string()));
        return outcome;
    }
    let exchange = session
        .client
        .send(request, config.timeout, config.max_response_bytes)
        .await;
    match &exchange.response {
        Err(e) => outcome
            .findings
            .push(Finding::new(FindingKind::Transport, e.to_string())),
        Ok(response) => {
            outcome
                .findings
                .extend(check::contract_checks(session.contract, op, response));
            match expand_expect(&step.expect, vars) {
                Ok(expect) => outcome
                    .findings
                    .extend(check::expectation_checks(&expect, response)),
                Err(e) => outcome.findings.push(Finding::new(
                    FindingKind::Body,
                    format!("cannot expand the expectation: {e}"),
                )),
            }
            if outcome.findings.is_empty() {
                capture(step, response.json(), vars, &mut outcome.findings);
            }
        }
    }
    outcome.exchange = Some(exchange);
    outcome
}

/// The step's expectation with `${variables}` expanded in the body and header values.
fn expand_expect(expect: &Expect, vars: &Vars) -> Result<Expect, crate::case::vars::VarError> {
    let mut expanded = expect.clone();
    if let Some(body) = &expect.body {
        expanded.body = Some(expand_json(body, vars)?);
    }
    for value in expanded.headers.values_mut() {
        *value = expand_json(value, vars)?;
    }
    Ok(expanded)
}

fn capture(
    step: &StepSpec,
    body: Option<Result<Value, String>>,
    vars: &mut Vars,
    findings: &mut Vec<Finding>,
) {
    if step.capture.is_empty() {
        return;
    }
    let body = match body {
        Some(Ok(body)) => body,
        _ => Value::Null,
    };
    for (name, pointer) in &step.capture {
        match body.pointer(pointer) {
            Some(value) => {
                vars.insert(name.clone(), value.clone());
            }
            None => findings.push(Finding::new(
                FindingKind::Capture,
                format!("capture {name}: nothing at {pointer} in the response body"),
            )),
        }
    }
}

fn label(step: &StepSpec) -> String {
    step.name.clone().unwrap_or_else(|| step.operation.clone())
}
