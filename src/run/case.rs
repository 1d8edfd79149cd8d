//! Running one case: its steps in order (stopping at the first failing step), captures,
//! then its cleanup steps and the automatic removal of whatever it created, always.
//!
//! A step marked `precondition` that is not met makes the case ignored, not failed. A
//! case that would change the target is ignored unless mutations are allowed. When the
//! run is interrupted, a case stops after its current step and still cleans up.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;

use super::event::TestEvent;
use super::ledger::{LedgerError, Resource};
use super::request;
use super::session::Session;
use crate::case::model::{Expect, StepSpec};
use crate::case::vars::{self, Vars};
use crate::case::LoadedCase;
use crate::check::{self, Finding, FindingKind};
use crate::cts::Removal;
use crate::http::exchange::{Exchange, ReceivedResponse, SentRequest};
use crate::http::throttle;
use crate::http::throttle::Retry;
use crate::outcome::{CaseOutcome, CaseStatus, StepOutcome};

/// How the reason of a case ended at an unmet precondition starts.
pub const PRECONDITION_NOT_MET: &str = "precondition not met: ";

/// Whether any step of the case changes the target (a method other than GET).
pub fn mutates(session: &Session, case: &LoadedCase) -> bool {
    case.spec
        .steps
        .iter()
        .chain(&case.spec.cleanup)
        .filter_map(|s| session.contract.operation(&s.operation))
        .any(|op| op.method != "GET")
}

/// Why `case` is ignored before it sends anything in this session, if it is: a variable
/// the run cannot give a true value, credentials the run lacks, or a change to a target
/// not on loopback. The one decision a case's start makes (and `--list --explain` shows).
pub fn ignored_before_start(session: &Session, case: &LoadedCase) -> Option<String> {
    if let Some(reason) = session.unavailable_for(case) {
        return Some(reason);
    }
    (!session.mutations_allowed() && mutates(session, case)).then(|| {
        format!(
            "changes the target, which is not on loopback ({}); pass --allow-mutations to run it",
            session.config.base_url
        )
    })
}

/// Runs `case` against the session's target; `leased` holds the variables of what the
/// case was given to hold alone (its `${data_bucket}`).
pub async fn run_case(session: &Session, case: &LoadedCase, leased: Vars) -> CaseOutcome {
    if session.stopping() {
        return CaseOutcome::without_steps(case, CaseStatus::Ignored(session.not_run_reason()));
    }
    if let Some(reason) = ignored_before_start(session, case) {
        return CaseOutcome::without_steps(case, CaseStatus::Ignored(reason));
    }
    let started = Instant::now();
    let mut vars = session.base_vars();
    vars.extend(leased);
    let mut steps = Vec::new();
    let mut ignored = None;
    let mut interrupted = false;
    for step in &case.spec.steps {
        if session.interrupted() {
            interrupted = true;
            break;
        }
        let outcome = run_step(session, &case.id, step, &mut vars).await;
        step_finished(session, &case.id, &outcome, false);
        let failed = outcome.failed();
        if let Some(reason) = step
            .precondition
            .as_ref()
            .filter(|_| precondition_unmet(&outcome))
        {
            ignored = Some(format!("{PRECONDITION_NOT_MET}{reason}"));
            steps.push(outcome);
            break;
        }
        steps.push(outcome);
        if failed {
            break;
        }
    }
    let mut cleanup = Vec::new();
    for step in &case.spec.cleanup {
        let outcome = run_cleanup_step(session, &case.id, step, &mut vars).await;
        step_finished(session, &case.id, &outcome, true);
        cleanup.push(outcome);
    }
    for resource in session.ledger().outstanding_for(&case.id) {
        let removal = remove(session, &case.id, &resource).await;
        step_finished(session, &case.id, &removal, true);
        let removed = answered(&removal).map(|status| session.service.removal(status))
            == Some(Removal::Removed);
        session.removal_ended(!removal.failed());
        cleanup.push(removal);
        if removed {
            if let Some(check) = confirm_gone(session, &case.id, &resource).await {
                step_finished(session, &case.id, &check, true);
                cleanup.push(check);
            }
        }
    }
    // Nothing of this case is left: the ledger need not remember it (the file does).
    session.ledger().settle(&case.id);
    let failed = steps
        .iter()
        .filter(|s| ignored.is_none() || !s.failed())
        .chain(&cleanup)
        .any(StepOutcome::failed);
    let status = match (failed, ignored) {
        (true, _) => CaseStatus::Failed,
        (false, Some(reason)) => CaseStatus::Ignored(reason),
        (false, None) if interrupted => {
            CaseStatus::Ignored("interrupted before its last step; cleanup ran".into())
        }
        (false, None) => CaseStatus::Passed,
    };
    CaseOutcome {
        id: case.id.clone(),
        doc: case.spec.doc.clone(),
        file: case.file.to_string(),
        planned_steps: case.spec.steps.len(),
        steps,
        cleanup,
        status,
        interrupted,
        duration: started.elapsed(),
    }
}

/// A precondition is unmet when the target answered with a success (2xx) that is not
/// what the case needs; any other answer (a 401, a 5xx, a contract or transport problem)
/// fails the case as usual, so a target that refuses the check cannot turn the case into
/// "ignored".
fn precondition_unmet(outcome: &StepOutcome) -> bool {
    let succeeded = outcome
        .exchange
        .as_ref()
        .and_then(|e| e.response.as_ref().ok())
        .is_some_and(|r| (200..300).contains(&r.status));
    succeeded
        && outcome.failed()
        && outcome.findings.iter().all(|f| {
            matches!(
                f.kind,
                FindingKind::UnexpectedStatus | FindingKind::Body | FindingKind::Header
            )
        })
}

async fn run_cleanup_step(
    session: &Session,
    case: &str,
    step: &StepSpec,
    vars: &mut Vars,
) -> StepOutcome {
    let missing: Vec<String> = step
        .variable_names()
        .into_iter()
        .filter(|n| !vars.contains_key(n))
        .collect();
    if !missing.is_empty() {
        let mut outcome = StepOutcome::for_step(step);
        outcome.skipped = Some(format!(
            "not needed: ${{{}}} was never captured",
            missing.join("}, ${")
        ));
        return outcome;
    }
    run_step(session, case, step, vars).await
}

/// A cleanup step that could not be made (the ledger's names are not of something
/// [`cts`] can remove): a cleanup finding saying why, nothing sent.
fn not_made(label: String, why: String) -> StepOutcome {
    StepOutcome {
        label,
        operation: String::new(),
        exchange: None,
        findings: vec![Finding::new(FindingKind::Cleanup, why)],
        skipped: None,
        retries: Vec::new(),
    }
}

/// Deletes what the case created and did not delete itself (removed or already gone
/// both mean gone; [`crate::cts::Service::removal_step`] says how), and
/// records its removal in the ledger.
pub async fn remove(session: &Session, case: &str, resource: &Resource) -> StepOutcome {
    let service = &session.service;
    let step = match service.removal_step(&resource.project_id, &resource.names) {
        Ok(step) => step,
        Err(e) => {
            let label = format!("remove {}", service.describe(&resource.names));
            return not_made(label, e.to_string());
        }
    };
    let mut outcome = run_step(session, case, &step, &mut Vars::new()).await;
    let gone = outcome
        .exchange
        .as_ref()
        .and_then(|e| e.response.as_ref().ok())
        .is_some_and(|r| service.removal(r.status) == Removal::AlreadyGone);
    if gone {
        // Already gone (a 204 was recorded by run_step): the ledger must say so too.
        if let Err(e) = session.ledger().removed(case, resource.clone()) {
            outcome
                .findings
                .push(Finding::new(FindingKind::Cleanup, e.to_string()));
        }
    }
    outcome
}

/// Tells the reporters a step is done.
fn step_finished(session: &Session, case: &str, step: &StepOutcome, cleanup: bool) {
    session.emit(&TestEvent::StepFinished {
        case,
        step,
        cleanup,
    });
}

/// The status a step was answered with, if it was.
fn answered(outcome: &StepOutcome) -> Option<u16> {
    outcome
        .exchange
        .as_ref()
        .and_then(|e| e.response.as_ref().ok())
        .map(|r| r.status)
}

/// Checks that what the run removed is really gone, if the service says how; if it is
/// still listed, that is a cleanup finding naming it (the target said it removed it, and
/// did not).
async fn confirm_gone(session: &Session, case: &str, resource: &Resource) -> Option<StepOutcome> {
    let service = &session.service;
    let step = match service.absence_step(&resource.project_id, &resource.names)? {
        Ok(step) => step,
        Err(e) => {
            let label = format!("{} is gone", service.describe(&resource.names));
            return Some(not_made(label, e.to_string()));
        }
    };
    let mut outcome = run_step(session, case, &step, &mut Vars::new()).await;
    // Only this tracker's absence is asked: others the list holds (a target that ignores
    // the filter) depend on what runs beside this case, not on the removal.
    let others_only = outcome
        .exchange
        .as_ref()
        .and_then(|e| e.response.as_ref().ok())
        .filter(|r| r.status == 200)
        .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .is_some_and(|body| !service.still_listed(&body, &resource.names));
    if others_only {
        outcome
            .findings
            .retain(|f| !matches!(f.kind, FindingKind::Body));
    }
    for finding in &mut outcome.findings {
        if matches!(
            finding.kind,
            FindingKind::Body | FindingKind::UnexpectedStatus
        ) {
            finding.kind = FindingKind::Cleanup;
            finding.summary = format!(
                "{} (remove it by hand, or with `cts-conform sweep` from the ledger)",
                service.still_listed_message(&resource.names)
            );
        }
    }
    Some(outcome)
}

async fn run_step(session: &Session, case: &str, step: &StepSpec, vars: &mut Vars) -> StepOutcome {
    let mut outcome = StepOutcome::for_step(step);
    let fail = |outcome: &mut StepOutcome, kind, message: String| {
        outcome.findings.push(Finding::new(kind, message))
    };
    let Some(op) = session.contract.operation(&step.operation) else {
        // The loader has resolved every operation; this would be a defect.
        fail(
            &mut outcome,
            FindingKind::Harness,
            format!("unknown operation {}", step.operation),
        );
        return outcome;
    };
    let config = &session.config;
    let mut request = match request::build(step, op, vars, &config.base_url) {
        Ok(request) => request,
        Err(e) => {
            fail(
                &mut outcome,
                FindingKind::Harness,
                format!("cannot build the request: {e}"),
            );
            return outcome;
        }
    };
    if let Err(e) = request::authorize(
        &mut request,
        step.auth,
        &config.credentials,
        &config.project_id,
    ) {
        fail(&mut outcome, FindingKind::Config, e.to_string());
        return outcome;
    }
    // Before sending a create: if its answer never arrives, the ledger still knows.
    let created = created_by(session, step, vars).and_then(|created| match created {
        Some(created) => {
            session.ledger().intent(case, created.clone())?;
            Ok(Some(created))
        }
        None => Ok(None),
    });
    let created = match created {
        Ok(created) => created,
        Err(e) => {
            fail(&mut outcome, FindingKind::Cleanup, format!("not sent: {e}"));
            return outcome;
        }
    };
    // The run's model of its own trackers sees the request go and its answer come.
    let ticket = session.model_begin(&request);
    let exchange = send_with_retries(session, case, request, &mut outcome.retries).await;
    match &exchange.response {
        Err(e) => {
            if let Some(ticket) = ticket {
                session.model_unanswered(ticket);
            }
            fail(&mut outcome, FindingKind::Transport, e.to_string())
        }
        Ok(response) if throttle::is_throttled(response) => {
            if let Some(ticket) = ticket {
                // Refused for now: it changed nothing.
                session.model_observe(ticket, response.status, Value::Null);
            }
            if let Err(e) = record(session, case, step, vars, created, response) {
                fail(&mut outcome, FindingKind::Cleanup, e.to_string());
            }
            let code = throttle::error_code(response)
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            let tries = outcome.retries.len();
            fail(
                &mut outcome,
                FindingKind::Throttled,
                format!(
                    "{}{code} after {} retries (raise --max-retries or --timeout, or lower --rate)",
                    response.status, tries
                ),
            );
        }
        Ok(response) => {
            // The ledger first: whatever was created is recorded before anything is judged.
            if let Err(e) = record(session, case, step, vars, created, response) {
                fail(&mut outcome, FindingKind::Cleanup, e.to_string());
            }
            if let Some(bucket) =
                session
                    .service
                    .missing_pool_bucket(&exchange.request, response, &|b| {
                        session.pool().contains(b)
                    })
            {
                session.stop_for_configuration(session.missing_bucket_message(&bucket));
            }
            let body = response.json();
            outcome.findings.extend(check::contract_checks_parsed(
                &session.contract,
                op,
                response,
                &body,
            ));
            for expect in step.expectations(config.profile) {
                match expand_expect(expect, vars) {
                    Ok(expect) => outcome
                        .findings
                        .extend(expectation_findings(&expect, response, &body)),
                    Err(e) => fail(
                        &mut outcome,
                        FindingKind::Body,
                        format!("cannot expand the expectation: {e}"),
                    ),
                }
            }
            // Captured even when the step failed: cleanup may need the value to remove
            // what the step created (a capture missing then is no extra finding).
            let mut capture_findings = Vec::new();
            capture(step, &body, vars, &mut capture_findings);
            if outcome.findings.is_empty() {
                outcome.findings.extend(capture_findings);
            }
            // The model's findings come last; it is given the body itself (not a copy),
            // now that nothing else reads it.
            if let Some(ticket) = ticket {
                let json = match body {
                    Some(Ok(value)) => value,
                    _ => Value::Null,
                };
                outcome
                    .findings
                    .extend(session.model_observe(ticket, response.status, json));
            }
        }
    }
    outcome.exchange = Some(exchange);
    outcome
}

/// Sends `request` within the run's rate cap; a throttled answer (429, or 503 with
/// `Retry-After`) is sent again after a wait, up to the retry limit and within the
/// step's deadline (`--timeout` from the first try). Each wait is noted in `retries`.
async fn send_with_retries(
    session: &Session,
    case: &str,
    request: SentRequest,
    retries: &mut Vec<Retry>,
) -> Exchange {
    let config = &session.config;
    let deadline = tokio::time::Instant::now() + config.timeout;
    loop {
        session.rate().wait().await;
        let exchange = session.send(case, retries.len(), request.clone()).await;
        let retry = match &exchange.response {
            Ok(response) if throttle::is_throttled(response) => throttle::next_wait(
                session.retry_policy(),
                retries.len() as u32,
                response,
                deadline,
            ),
            _ => None,
        };
        match retry {
            Some(retry) if !session.interrupted() => {
                session.wait_before_retry(retry.waited).await;
                retries.push(retry);
            }
            _ => return exchange,
        }
    }
}

/// Why the ledger could not be kept for a step (a cleanup finding).
#[derive(Debug, thiserror::Error)]
enum BookkeepingError {
    /// A name of what the step creates or removes has an unknown `${variable}`.
    #[error(transparent)]
    Names(#[from] vars::VarError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// What a step says it creates, with its variables expanded.
fn created_by(
    session: &Session,
    step: &StepSpec,
    vars: &Vars,
) -> Result<Option<Resource>, BookkeepingError> {
    let Some(creates) = &step.creates else {
        return Ok(None);
    };
    resource(session, vars, session.service.created_names(creates)).map(Some)
}

/// The resource of this run's target and project with `names` (`${variables}` expanded).
fn resource(
    session: &Session,
    vars: &Vars,
    names: BTreeMap<String, String>,
) -> Result<Resource, BookkeepingError> {
    let names = names
        .into_iter()
        .map(|(key, value)| Ok((key, vars::expand_text(&value, vars)?)))
        .collect::<Result<_, vars::VarError>>()?;
    Ok(Resource {
        target: session.config.base_url.clone(),
        project_id: session.config.project_id.clone(),
        names,
    })
}

/// Ledger bookkeeping for one answered step: the create the step announced (`created`)
/// was made (2xx) or refused; a step that removes something (the service's
/// [`crate::cts::Service::removed_by`]) records
/// its removal.
fn record(
    session: &Session,
    case: &str,
    step: &StepSpec,
    vars: &Vars,
    created: Option<Resource>,
    response: &ReceivedResponse,
) -> Result<(), BookkeepingError> {
    let ledger = session.ledger();
    if let Some(created) = created {
        if (200..300).contains(&response.status) {
            ledger.created(case, created)?;
        } else {
            ledger.abandoned(case, created)?;
        }
    }
    if let Some(names) = session
        .service
        .removed_by(&step.operation, &step.query, response.status)
    {
        let gone = resource(session, vars, names)?;
        if ledger.outstanding_for(case).contains(&gone) {
            ledger.removed(case, gone)?;
        }
    }
    Ok(())
}

/// An expectation with `${variables}` expanded in the body and header values (and in
/// its alternatives).
fn expand_expect(expect: &Expect, vars: &Vars) -> Result<Expect, vars::VarError> {
    expect.expand(vars)
}

/// The findings of one expectation: its own status, body and headers, and, when it has
/// alternatives, none if one of them matches; else those of the alternative whose status
/// the response has (the likeliest intent), or one saying no status fits.
fn expectation_findings(
    expect: &Expect,
    response: &ReceivedResponse,
    body: &check::ParsedBody,
) -> Vec<Finding> {
    let mut findings = check::expectation_checks_parsed(expect, response, body);
    if expect.any_of.is_empty() {
        return findings;
    }
    let mut tried = Vec::new();
    for alternative in &expect.any_of {
        let missed = expectation_findings(alternative, response, body);
        if missed.is_empty() {
            return findings;
        }
        tried.push((alternative, missed));
    }
    let count = tried.len();
    let closest = tried.iter().position(|(alternative, _)| {
        alternative
            .status
            .as_ref()
            .is_some_and(|s| s.contains(response.status))
    });
    match closest {
        Some(i) => {
            let (_, missed) = tried.swap_remove(i);
            findings.extend(missed.into_iter().map(|mut finding| {
                finding.summary = format!("(alternative {} of {count}) {}", i + 1, finding.summary);
                finding
            }));
        }
        None => {
            let statuses: Vec<String> = tried
                .iter()
                .filter_map(|(alternative, _)| alternative.status.as_ref())
                .map(ToString::to_string)
                .collect();
            findings.push(Finding::new(
                FindingKind::UnexpectedStatus,
                format!(
                    "status {} fits none of the {count} alternatives (expected {})",
                    response.status,
                    statuses.join("; or ")
                ),
            ));
        }
    }
    findings
}

fn capture(
    step: &StepSpec,
    body: &check::ParsedBody,
    vars: &mut Vars,
    findings: &mut Vec<Finding>,
) {
    if step.capture.is_empty() {
        return;
    }
    let body = match body {
        Some(Ok(body)) => body,
        _ => &Value::Null,
    };
    for (name, pointer) in &step.capture {
        match body.pointer(pointer) {
            Some(value) => {
                vars.insert(name.to_string(), value.clone());
            }
            None => findings.push(Finding::new(
                FindingKind::Capture,
                format!("capture {name}: nothing at {pointer} in the response body"),
            )),
        }
    }
}
