//! Coverage: which cases exercise each request row, query parameter and status of the two
//! documented operations (static, from the case plan; nothing is sent).
//!
//! A row counts as covered only where a case checks it: a request row (a body field, by
//! its path) is covered by a step of the operation whose body sets it **and** whose case
//! asserts on the effect: an expected body of the case echoes the field (the same keys,
//! at any depth: the 201 body, a listed tracker), or the step expects a refusal (only
//! 4xx statuses, in either profile) and the case says it is about that field (its `doc`,
//! or a derived case's name, names it). A body that merely carries the field (the derived
//! cases' carrier body sets `tracker_type`, `tracker_name` and `data_bucket` every time)
//! covers nothing. A query parameter is covered by a step that sends it and expects a
//! body or a refusal; a status by a step that expects exactly that status. Statuses a client
//! cannot provoke on purpose (5xx, CreateTracker's 404, for which the documents name
//! no cause, and the api-facts statuses: the gateway's 429, ListTrackers' 404) are listed
//! as checked against their schema whenever a target sends them.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use crate::case::model::{Expect, StatusSet, StepSpec};
use crate::case::LoadedCase;
use crate::contract::{Contract, Operation, ParamLocation};
use crate::cts::boundary::values;
use crate::cts::Service;

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    RequestField,
    QueryParameter,
    Status,
}

/// One row of the coverage table.
#[derive(Debug, Clone)]
pub struct Row {
    pub operation: String,
    pub kind: RowKind,
    /// Field path (`obs_info.bucket_name`), parameter name or status code.
    pub name: String,
    /// Where the row comes from: a document table, or api-facts.
    pub doc: String,
    /// Whether a case can be expected to exercise it.
    pub provokable: bool,
    /// The ids of the cases that exercise it.
    pub cases: Vec<String>,
}

impl Row {
    /// From one of the two documents (not api-facts).
    pub fn documented(&self) -> bool {
        !self.doc.starts_with("api-facts")
    }
}

/// Computes the coverage rows of `cases`, for the operations the `service` names
/// ([`Service::coverage_operations`]; CTS: the two the documents describe).
pub fn compute(contract: &Contract, service: &dyn Service, cases: &[LoadedCase]) -> Vec<Row> {
    let mut rows = Vec::new();
    let carrier = service.carrier_body();
    for op in service
        .coverage_operations()
        .iter()
        .filter_map(|id| contract.operation(id))
    {
        rows.extend(rows_of(contract, service, op, carrier.as_ref()));
    }
    // What each row is looked for by, made once (not for every case and step).
    let wanted: Vec<Wanted> = rows.iter().map(Wanted::of).collect();
    for case in cases {
        let written = Written::of(case);
        for (row, wanted) in rows.iter_mut().zip(&wanted) {
            let exercised = steps(case)
                .zip(&written.bodies)
                .any(|(step, body)| exercises(case, &written, step, body.as_ref(), row, wanted));
            if exercised {
                row.cases.push(case.id.clone());
            }
        }
    }
    rows
}

/// What a row is looked for by in a case.
enum Wanted {
    /// A request field: its keys (`obs_info`, `bucket_name`) and the reference tokens of
    /// its pointer in a request body (`/obs_info/bucket_name`).
    Field {
        keys: Vec<String>,
        tokens: Vec<String>,
    },
    Query,
    /// A status, as a number (`None`: a row name that is none).
    Status(Option<u16>),
}

impl Wanted {
    fn of(row: &Row) -> Wanted {
        match row.kind {
            RowKind::RequestField => {
                let keys: Vec<String> = row.name.split('.').map(str::to_owned).collect();
                let pointer = format!("/{}", keys.join("/"));
                let tokens = crate::json_pointer::tokens(&pointer)
                    .map(std::borrow::Cow::into_owned)
                    .collect();
                Wanted::Field { keys, tokens }
            }
            RowKind::QueryParameter => Wanted::Query,
            // A status row is named by the code's decimal digits (`rows_of`).
            RowKind::Status => Wanted::Status(
                row.name
                    .parse::<u16>()
                    .ok()
                    .filter(|code| code.to_string() == row.name),
            ),
        }
    }
}

/// A case's request bodies and expected bodies as written, made once per case (a plan
/// keeps them compiled, not as JSON).
struct Written {
    /// The body of each step (steps, then cleanup).
    bodies: Vec<Option<Value>>,
    /// Every expected body of the case, in both profiles, alternatives included.
    expected: Vec<Value>,
}

impl Written {
    fn of(case: &LoadedCase) -> Written {
        Written {
            bodies: steps(case)
                .map(|step| step.body.as_ref().map(|body| body.to_value()))
                .collect(),
            expected: steps(case)
                .flat_map(expectations)
                .filter_map(|e| e.body.as_ref().map(|b| b.source()))
                .collect(),
        }
    }
}

fn steps(case: &LoadedCase) -> impl Iterator<Item = &StepSpec> {
    case.spec.steps.iter().chain(&case.spec.cleanup)
}

fn rows_of(
    contract: &Contract,
    service: &dyn Service,
    op: &Operation,
    carrier: Option<&Value>,
) -> Vec<Row> {
    let row = |kind, name: String, doc: String, provokable| Row {
        operation: op.id.clone(),
        kind,
        name,
        doc,
        provokable,
        cases: Vec::new(),
    };
    let mut rows = Vec::new();
    if let (Some(body), Some(carrier)) = (&op.request_body, carrier) {
        for field in values::request_fields(contract, body, carrier) {
            rows.push(row(
                RowKind::RequestField,
                field.path.join("."),
                field.doc.clone(),
                true,
            ));
        }
    }
    for param in op
        .parameters
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
    {
        rows.push(row(
            RowKind::QueryParameter,
            param.name.clone(),
            format!("{}: query", op.source),
            true,
        ));
    }
    for (status, spec) in &op.responses {
        // api-facts statuses (the gateway's 429, ListTrackers' 404) are a real endpoint's
        // answers that no document gives a cause for: schema-checked, not provoked; so are
        // the documented ones the service names (CTS: CreateTracker's 404).
        let provokable =
            *status < 500 && spec.is_documented() && service.can_provoke(&op.id, *status);
        rows.push(row(
            RowKind::Status,
            status.to_string(),
            format!("{}: status codes", spec.source),
            provokable,
        ));
    }
    rows
}

fn exercises(
    case: &LoadedCase,
    written: &Written,
    step: &StepSpec,
    body: Option<&Value>,
    row: &Row,
    wanted: &Wanted,
) -> bool {
    if step.operation != row.operation {
        return false;
    }
    match wanted {
        Wanted::Field { keys, tokens } => {
            let sets = body
                .and_then(|b| crate::json_pointer::find(b, tokens))
                .is_some();
            sets && (echoed(written, keys) || refused_for(case, step, &row.name))
        }
        Wanted::Query => {
            step.query.contains_key(&row.name)
                && expectations(step).any(|e| e.body.is_some() || refuses(e))
        }
        Wanted::Status(wanted) => {
            // An alternative (`any_of`) says a status may come, not that it must.
            let single = |s: &Option<StatusSet>| matches!((s, wanted), (Some(StatusSet::One(code)), Some(wanted)) if code == wanted);
            single(&step.expect.status)
                || step
                    .expect_strict
                    .as_ref()
                    .is_some_and(|e| single(&e.status))
        }
    }
}

/// A step's expectations in both profiles, alternatives included.
fn expectations(step: &StepSpec) -> impl Iterator<Item = &Expect> {
    fn with_alternatives<'a>(expect: &'a Expect, out: &mut Vec<&'a Expect>) {
        out.push(expect);
        for alternative in &expect.any_of {
            with_alternatives(alternative, out);
        }
    }
    let mut out = Vec::new();
    with_alternatives(&step.expect, &mut out);
    if let Some(strict) = &step.expect_strict {
        with_alternatives(strict, &mut out);
    }
    out.into_iter()
}

/// Whether an expectation wants a refusal: statuses, all of them 4xx.
fn refuses(expect: &Expect) -> bool {
    expect
        .status
        .as_ref()
        .is_some_and(|s| s.codes().iter().all(|c| (400..500).contains(c)))
}

/// Whether `step` expects a refusal and its case says it is about the field `name`.
fn refused_for(case: &LoadedCase, step: &StepSpec, name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let about = case.spec.doc.contains(last)
        || case
            .spec
            .name
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with("::"));
    about && expectations(step).any(refuses)
}

/// Whether an expected body anywhere in the case holds the field's keys, nested as in the
/// request (e.g. `obs_info` then `bucket_name`), at any depth: an echo of the field.
fn echoed(written: &Written, keys: &[String]) -> bool {
    written.expected.iter().any(|body| holds_path(body, keys))
}

fn holds_path(value: &Value, keys: &[String]) -> bool {
    let here = |mut node: &Value| {
        for key in keys {
            match node.get(key.as_str()) {
                Some(next) => node = next,
                None => return false,
            }
        }
        true
    };
    here(value)
        || match value {
            Value::Object(map) => map.values().any(|v| holds_path(v, keys)),
            Value::Array(items) => items.iter().any(|v| holds_path(v, keys)),
            _ => false,
        }
}

/// The rows as covered by the cases `ran` keeps (the coverage of a run, not of its plan).
pub fn of_cases(rows: &[Row], ran: impl Fn(&str) -> bool) -> Vec<Row> {
    rows.iter()
        .map(|row| Row {
            cases: row.cases.iter().filter(|id| ran(id)).cloned().collect(),
            ..row.clone()
        })
        .collect()
}

/// The kebab-case name of a row kind, as reports write it.
pub fn kind_name(kind: RowKind) -> &'static str {
    match kind {
        RowKind::RequestField => "field",
        RowKind::QueryParameter => "query",
        RowKind::Status => "status",
    }
}

/// The row kind a report names ([`kind_name`]).
pub fn kind_named(name: &str) -> Option<RowKind> {
    [
        RowKind::RequestField,
        RowKind::QueryParameter,
        RowKind::Status,
    ]
    .into_iter()
    .find(|k| kind_name(*k) == name)
}

/// Totals: (covered, provokable) for documented request rows, query parameters and statuses.
pub fn totals(rows: &[Row]) -> BTreeMap<RowKind, (usize, usize)> {
    let mut totals = BTreeMap::new();
    for row in rows.iter().filter(|r| r.provokable && r.documented()) {
        let entry = totals.entry(row.kind).or_insert((0, 0));
        entry.1 += 1;
        if !row.cases.is_empty() {
            entry.0 += 1;
        }
    }
    totals
}

/// The summary line's parts: (label, covered, provokable) for request fields, query
/// parameters and statuses of the documents.
pub fn summary(rows: &[Row]) -> [(&'static str, usize, usize); 3] {
    let totals = totals(rows);
    let part = |kind, label| {
        let (covered, all) = totals.get(&kind).copied().unwrap_or((0, 0));
        (label, covered, all)
    };
    [
        part(RowKind::RequestField, "request fields"),
        part(RowKind::QueryParameter, "query parameters"),
        part(RowKind::Status, "statuses"),
    ]
}

/// The coverage table for a person.
pub fn render(rows: &[Row], case_count: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "coverage of the two documented operations by {case_count} cases\n"
    );
    let mut current = String::new();
    for row in rows {
        if row.operation != current {
            current = row.operation.clone();
            let _ = writeln!(out, "{current}");
        }
        let mark = match (row.cases.len(), row.provokable) {
            (0, false) => "-",
            (0, true) => "✗",
            _ => "✓",
        };
        let kind = kind_name(row.kind);
        let detail = match (row.cases.as_slice(), row.provokable) {
            ([], false) => {
                "not provokable on purpose: checked against its schema whenever a target sends it"
                    .to_string()
            }
            ([], true) => "NOT COVERED".to_string(),
            (cases, _) => {
                let shown: Vec<&str> = cases.iter().take(2).map(String::as_str).collect();
                let more = cases.len().saturating_sub(shown.len());
                let tail = if more > 0 {
                    format!(" (+{more})")
                } else {
                    String::new()
                };
                format!(
                    "{} case{}: {}{tail}",
                    cases.len(),
                    if cases.len() == 1 { "" } else { "s" },
                    shown.join(", ")
                )
            }
        };
        let _ = writeln!(out, "  {mark} {kind:<6} {:<38} {detail}", row.name);
        if !row.documented() && row.kind == RowKind::RequestField {
            let _ = writeln!(out, "           ({})", row.doc);
        }
    }
    let parts: Vec<String> = summary(rows)
        .iter()
        .map(|(label, covered, all)| format!("{label} {covered}/{all}"))
        .collect();
    let _ = writeln!(
        out,
        "\nsummary (rows of the documents, provokable): {}",
        parts.join(", ")
    );
    out
}
