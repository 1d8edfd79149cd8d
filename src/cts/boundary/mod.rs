//! Derived cases: deterministic boundary and negative cases generated from the
//! contract's schema constraints, listed and run like any hand-written case.
//!
//! Each request field of CreateTracker (walked from `CreateTrackerRequestBody`, following
//! `$ref`s and the conditional rules for a data tracker) yields, as its schema allows:
//! `len_N` for the lengths just inside and just outside `minLength`/`maxLength`,
//! `pattern_KIND` for each `x-invalid-examples` value, `enum_bogus` and `enum_VALUE`,
//! `type_T` for a value of the wrong JSON type, and `missing` for a required key. The
//! body is a valid data-tracker create with that one field changed. Invalid values
//! expect a documented 4xx (with `--profile strict`: 400 and the schema's
//! `x-error-code`); valid ones expect 201 and are read back (a ListTrackers of the
//! tracker, whose answer the run's model checks: the value kept as sent). Names look like
//! `derived::create_tracker::obs_info.bucket_name::len_64`.

pub mod values;

use serde_json::{json, Map, Value};

use crate::case::body::BodyTemplate;
use crate::case::model::{CaseSpec, Expect, Profile, StatusSet, StepSpec};
use crate::case::pattern::Pattern;
use crate::case::string_map::StringMap;
use crate::case::LoadedCase;
use crate::contract::Contract;
use values::{Field, Probe, Variant};

/// api-facts: the tracked or transfer bucket does not exist.
use super::BUCKET_DOES_NOT_EXIST as BUCKET_MISSING_CODE;

/// Where derived cases say they come from.
pub const DERIVED_FILE: &str = "(derived from schemas/cts-v3.openapi.json)";

/// Every derived case, in a stable order.
pub fn derived_cases(contract: &Contract) -> Vec<LoadedCase> {
    let mut cases = Vec::new();
    let fields = values::request_fields(contract, "CreateTrackerRequestBody", &carrier_body("x"));
    let management_only = management_only_fields(contract);
    for field in &fields {
        let tolerated = field
            .path
            .first()
            .is_some_and(|key| management_only.contains(key));
        for variant in values::variants(contract, field) {
            let index = cases.len();
            cases.push(create_case(field, variant, index, tolerated));
        }
    }
    cases.extend(list_cases(contract));
    cases
}

/// A valid CreateTracker body for a data tracker named `name`: the base every derived
/// create changes in one place.
pub fn carrier_body(name: &str) -> Value {
    json!({
        "tracker_type": "data",
        "tracker_name": name,
        "data_bucket": {"data_bucket_name": "${data_bucket}"},
    })
}

/// The create body's keys that are "valid only when tracker_type is system" (the
/// contract's `x-management-only`): a service may ignore them in a data tracker's body.
fn management_only_fields(contract: &Contract) -> Vec<String> {
    contract
        .schema("CreateTrackerRequestBody")
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .filter(|(_, p)| p.get("x-management-only") == Some(&Value::Bool(true)))
                .map(|(key, _)| key.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// One derived create. `tolerated`: the field is management-only, so a data tracker's
/// body may carry any value of it (a service may ignore it): its refusal is strict-only.
fn create_case(field: &Field, variant: Variant, index: usize, tolerated: bool) -> LoadedCase {
    let own_name = format!("${{prefix}}-d{index}");
    let mut body = carrier_body(&own_name);
    set_path(&mut body, &field.path, variant.value.clone());
    if !variant.valid && field.path == ["obs_info", "bucket_name"] {
        // "Create it": a badly formed transfer bucket can then only be refused for its
        // form, never because no such bucket exists (api-facts: CTS.0211), so a target
        // that lets a bad name through is caught on any account.
        set_path(
            &mut body,
            &["obs_info".to_string(), "is_obs_created".to_string()],
            Some(Value::Bool(true)),
        );
    }
    // The tracker this request would create, so a target that wrongly accepts it is cleaned up.
    let created_name = body
        .get("tracker_name")
        .and_then(Value::as_str)
        .unwrap_or(&own_name)
        .to_string();
    let mut step = step("CreateTracker", Some(body));
    step.creates = Some(StringMap::from([
        ("tracker_name".to_string(), created_name.clone()),
        ("tracker_type".to_string(), "data".to_string()),
    ]));
    if variant.valid && field.names_a_bucket() && variant.probe == Probe::Length {
        // A well-formed name the run made up: created, or refused only because no such
        // bucket exists on this account (api-facts: buckets must exist, CTS.0211).
        step.expect.any_of = Box::new([
            Expect {
                status: Some(StatusSet::One(201)),
                ..Expect::default()
            },
            Expect {
                status: Some(StatusSet::One(400)),
                body: Some(Pattern::new(json!({"error_code": BUCKET_MISSING_CODE}))),
                ..Expect::default()
            },
        ]);
    } else if variant.valid {
        step.expect.status = Some(StatusSet::One(201));
    } else {
        rejected(
            &mut step,
            vec![400, 403, 404],
            field.error_code_for(&variant),
        );
        if tolerated || variant.probe == Probe::Type {
            // A service may ignore a management-only field of a data tracker, and may
            // coerce a wrongly typed value (api-facts): only strict expects a refusal.
            step.expect.status = None;
        }
    }
    let mut steps = vec![step];
    if variant.valid && !tolerated {
        steps.push(read_back(&created_name));
    }
    loaded(
        "derived::create_tracker",
        format!("{}::{}", field.path.join("."), variant.name),
        format!("{} (derived: {})", field.doc, variant.rule),
        steps,
    )
}

/// The listing of the tracker a derived create made with an accepted value: the run's
/// model checks that the value was kept as sent (at its boundary too, e.g. a 64-character
/// file_prefix_name not cut), issue 27. After a refusal it checks the tracker is absent.
fn read_back(tracker_name: &str) -> StepSpec {
    let mut step = step("ListTrackers", None);
    step.name = Some("read back".into());
    step.query
        .insert("tracker_name".into(), tracker_name.into());
    step.query.insert("tracker_type".into(), "data".into());
    step.expect.status = Some(StatusSet::One(200));
    step
}

fn list_cases(contract: &Contract) -> Vec<LoadedCase> {
    let Some(op) = contract.operation("ListTrackers") else {
        return Vec::new();
    };
    let mut cases = Vec::new();
    for param in op.parameters.iter().filter(|p| p.name == "tracker_type") {
        let code = contract
            .schema("TrackerType")
            .and_then(|s| s.get("x-error-code"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut step = step("ListTrackers", None);
        step.query.insert(param.name.clone(), "bogus".into());
        rejected(&mut step, vec![400, 403], code);
        cases.push(loaded(
            "derived::list_trackers",
            format!("{}::enum_bogus", param.name),
            "query-trackers: Table 2 Query parameters / tracker_type (derived: enum system|data)"
                .into(),
            vec![step],
        ));
    }
    cases
}

fn step(operation: &str, body: Option<Value>) -> StepSpec {
    StepSpec {
        name: None,
        operation: operation.into(),
        path: StringMap::new(),
        query: StringMap::new(),
        headers: StringMap::new(),
        body: body.map(BodyTemplate::from),
        raw_body: None,
        auth: Default::default(),
        expect: Expect::default(),
        expect_strict: None,
        precondition: None,
        capture: StringMap::new(),
        creates: None,
    }
}

/// Documented: any of the operation's documented 4xx but 401 (the documents do not say
/// which); strict: 400 and, where known, the exact CTS error code.
fn rejected(step: &mut StepSpec, documented: Vec<u16>, code: Option<String>) {
    step.expect.status = Some(StatusSet::Any(documented));
    step.expect_strict = Some(Box::new(Expect {
        status: Some(StatusSet::One(400)),
        body: code.map(|c| Pattern::new(json!({"error_code": c}))),
        headers: Box::new([]),
        any_of: Box::new([]),
    }));
}

fn loaded(suite: &str, name: String, doc: String, steps: Vec<StepSpec>) -> LoadedCase {
    LoadedCase::new(
        format!("{suite}::{name}"),
        suite.into(),
        DERIVED_FILE.into(),
        CaseSpec {
            name,
            doc,
            profile: Profile::Documented,
            serial: Vec::new(),
            ignore: None,
            steps,
            cleanup: Vec::new(),
        },
    )
}

/// Sets (or, for `Variant::ABSENT`, removes) the value at `path`, creating objects on the way.
fn set_path(body: &mut Value, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = body;
    for key in parents {
        if !node.get(key).is_some_and(Value::is_object) {
            node[key] = Value::Object(Map::new());
        }
        node = &mut node[key];
    }
    if let Some(object) = node.as_object_mut() {
        match value {
            Some(value) => {
                object.insert(last.clone(), value);
            }
            None => {
                object.remove(last);
            }
        }
    }
}

#[cfg(test)]
mod tests;
