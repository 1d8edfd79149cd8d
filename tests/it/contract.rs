//! The contract in `schemas/` against the two API documents: the documents' examples
//! validate, each documented constraint rejects a value that breaks it (for the right
//! reason), and every row of every table of both documents has a home in the schemas.

use std::collections::BTreeSet;

use cts_conform::contract::{Contract, ParamLocation};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/contract/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn documented_examples_are_valid() {
    let contract = Contract::embedded();
    for case in fixture("examples.json")["valid"].as_array().unwrap() {
        let schema = str_of(case, "schema");
        let violations = contract
            .validate(schema, &case["instance"])
            .unwrap_or_else(|| panic!("no schema {schema}"));
        assert!(
            violations.is_empty(),
            "{}: expected valid against {schema}, got {violations:#?}",
            str_of(case, "name")
        );
    }
}

#[test]
fn each_invalid_value_is_rejected_for_its_own_reason() {
    let contract = Contract::embedded();
    let cases = fixture("examples.json");
    let cases = cases["invalid"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let (name, schema) = (str_of(case, "name"), str_of(case, "schema"));
        let violations = contract.validate(schema, &case["instance"]).unwrap();
        let wanted = (str_of(case, "path"), str_of(case, "keyword"));
        assert!(
            violations
                .iter()
                .any(|v| (v.instance_path.as_str(), v.keyword.as_str()) == wanted),
            "{name}: expected a {wanted:?} violation, got {violations:#?}"
        );
    }
}

/// The JSON types a property schema allows, following `$ref`, `anyOf` and `const`.
fn types_of(contract: &Contract, schema: &Value) -> BTreeSet<String> {
    if let Some(name) = ref_name(schema) {
        return types_of(contract, contract.schema(name).unwrap());
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        return BTreeSet::from([t.to_string()]);
    }
    if let Some(c) = schema.get("const") {
        let t = match c {
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            _ => "other",
        };
        return BTreeSet::from([t.to_string()]);
    }
    let branches = schema.get("anyOf").and_then(Value::as_array).unwrap();
    branches
        .iter()
        .flat_map(|b| types_of(contract, b))
        .collect()
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// Checks a property schema against a documented type such as `Long` or `Lts object`.
fn assert_documented_type(contract: &Contract, row: &str, documented: &str, schema: &Value) {
    let types = types_of(contract, schema);
    let single = |t: &str| assert_eq!(types, BTreeSet::from([t.to_string()]), "{row}");
    match documented {
        "String" => single("string"),
        "Boolean" => single("boolean"),
        "Long" => {
            single("integer");
            let resolved = ref_name(schema).map_or(schema, |n| contract.schema(n).unwrap());
            assert_eq!(resolved["format"], "int64", "{row}: Long is int64");
        }
        "Array of strings" => {
            single("array");
            assert_eq!(
                types_of(contract, &schema["items"]),
                BTreeSet::from(["string".into()]),
                "{row}"
            );
        }
        other if other.starts_with("Array of ") => {
            single("array");
            let item = other
                .trim_start_matches("Array of ")
                .trim_end_matches(" objects");
            assert_eq!(ref_name(&schema["items"]), Some(item), "{row}");
        }
        other if other.ends_with(" object") => {
            assert_eq!(
                ref_name(schema),
                Some(other.trim_end_matches(" object")),
                "{row}"
            );
        }
        other => panic!("{row}: unknown documented type {other}"),
    }
}

#[test]
fn every_document_row_has_a_home_in_the_schemas() {
    let contract = Contract::embedded();
    let rows = fixture("doc-rows.json");
    for row in rows.as_array().unwrap() {
        let field = str_of(row, "field");
        let label = format!(
            "{} / {} / {field}",
            str_of(row, "doc"),
            str_of(row, "table")
        );
        if let Some(schema) = row.get("schema").and_then(Value::as_str) {
            let property = contract
                .schema(schema)
                .and_then(|s| s.pointer(&format!("/properties/{field}")))
                .unwrap_or_else(|| panic!("{label}: no property {schema}.{field}"));
            assert_documented_type(contract, &label, str_of(row, "type"), property);
        } else if let Some(status) = row.get("status").and_then(Value::as_u64) {
            let op = contract.operation(str_of(row, "operation")).unwrap();
            let response = op
                .response(status as u16)
                .unwrap_or_else(|| panic!("{label}: status not documented"));
            assert!(response.is_documented(), "{label}: from the documents");
            if status >= 400 {
                // C13: 401 and 403 may be the API gateway's answer.
                let expected = match status {
                    401 | 403 => "GatewayErrorBody",
                    _ => "ErrorResponseBody",
                };
                assert_eq!(response.schema.as_deref(), Some(expected), "{label}");
            } else {
                assert!(
                    response.schema.is_some(),
                    "{label}: success body has a schema"
                );
            }
        } else {
            let op = contract.operation(str_of(row, "operation")).unwrap();
            let location = match str_of(row, "in") {
                "path" => ParamLocation::Path,
                _ => ParamLocation::Query,
            };
            let param = op
                .parameter(field, location)
                .unwrap_or_else(|| panic!("{label}: no parameter"));
            assert_eq!(param.required, location == ParamLocation::Path, "{label}");
            assert_documented_type(contract, &label, str_of(row, "type"), &param.schema);
        }
    }
}

#[test]
fn operations_document_exactly_their_statuses() {
    let contract = Contract::embedded();
    let statuses = |id: &str| -> Vec<u16> {
        contract
            .operation(id)
            .unwrap()
            .responses
            .keys()
            .copied()
            .collect()
    };
    assert_eq!(
        statuses("CreateTracker"),
        [201, 400, 401, 403, 404, 429, 500, 503]
    );
    assert_eq!(
        statuses("ListTrackers"),
        [200, 400, 401, 403, 404, 429, 500, 503]
    );
    assert_eq!(
        statuses("DeleteTracker"),
        [204, 400, 401, 403, 404, 429, 500, 503]
    );
    let create = contract.operation("CreateTracker").unwrap();
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/v3/{project_id}/tracker")
    );
    assert_eq!(
        create.request_body.as_deref(),
        Some("CreateTrackerRequestBody")
    );
    assert!(create.is_documented());
    let list = contract.operation("ListTrackers").unwrap();
    assert_eq!(
        (list.method.as_str(), list.path.as_str()),
        ("GET", "/v3/{project_id}/trackers")
    );
    for id in ["UpdateTracker", "DeleteTracker", "ListQuotas"] {
        assert!(
            !contract.operation(id).unwrap().is_documented(),
            "{id} is from api-facts"
        );
    }
    assert!(contract
        .operation("DeleteTracker")
        .unwrap()
        .response(204)
        .unwrap()
        .schema
        .is_none());
}

/// C13, C14: on every operation 401, 403 and 429 take the gateway's body (or CTS's own),
/// every other error status CTS's body; 429 comes from api-facts, the others from
/// wherever the operation does.
#[test]
fn every_operation_knows_the_gateway_statuses() {
    let contract = Contract::embedded();
    let ids = [
        "CreateTracker",
        "ListTrackers",
        "UpdateTracker",
        "DeleteTracker",
        "ListQuotas",
    ];
    for id in ids {
        let op = contract.operation(id).unwrap();
        let throttled = op.response(429).unwrap_or_else(|| panic!("{id}: no 429"));
        assert_eq!(throttled.source, "api-facts", "{id}");
        assert!(!throttled.is_documented(), "{id}");
        for (status, spec) in op.responses.iter().filter(|(s, _)| **s >= 400) {
            let expected = match status {
                401 | 403 | 429 => "GatewayErrorBody",
                _ => "ErrorResponseBody",
            };
            assert_eq!(spec.schema.as_deref(), Some(expected), "{id} {status}");
        }
        for status in [400, 401, 403, 500, 503] {
            assert_eq!(
                op.response(status).unwrap().source,
                op.source,
                "{id} {status}"
            );
        }
    }
    // C18: ListTrackers' 404 is a real endpoint's answer (api-facts), CTS's own body.
    let not_found = contract
        .operation("ListTrackers")
        .unwrap()
        .response(404)
        .unwrap();
    assert!(!not_found.is_documented());
    assert_eq!(not_found.schema.as_deref(), Some("ErrorResponseBody"));
}

/// The `responses` cases of examples.json: each status resolves to the expected schema
/// and source, and the body validates (or breaks it at the expected place) through it.
#[test]
fn bodies_are_checked_against_their_status_schema() {
    let contract = Contract::embedded();
    let cases = fixture("examples.json");
    let cases = cases["responses"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let name = str_of(case, "name");
        let status = case["status"].as_u64().unwrap() as u16;
        let op = contract.operation(str_of(case, "operation")).unwrap();
        let spec = op
            .response(status)
            .unwrap_or_else(|| panic!("{name}: status {status} not in the contract"));
        assert_eq!(spec.source, str_of(case, "source"), "{name}");
        let schema = spec.schema.as_deref().unwrap();
        assert_eq!(schema, str_of(case, "schema"), "{name}");
        let violations = contract.validate(schema, &case["instance"]).unwrap();
        if case["valid"].as_bool().unwrap() {
            assert!(violations.is_empty(), "{name}: {violations:#?}");
        } else {
            let wanted = (str_of(case, "path"), str_of(case, "keyword"));
            assert!(
                violations
                    .iter()
                    .any(|v| (v.instance_path.as_str(), v.keyword.as_str()) == wanted),
                "{name}: expected a {wanted:?} violation, got {violations:#?}"
            );
        }
    }
}

/// C15, C16: the known values stay as examples, not as an enum; C17: the 201 body names
/// the SDK's other fields (from api-facts).
#[test]
fn open_values_are_examples_not_enums() {
    let contract = Contract::embedded();
    let quota_type = contract
        .schema("QuotaResource")
        .and_then(|s| s.pointer("/properties/type"))
        .unwrap();
    assert!(quota_type.get("enum").is_none());
    assert_eq!(
        quota_type["examples"],
        serde_json::json!(["data_tracker", "system_tracker"])
    );
    let create = contract.schema("TrackerObsInfo").unwrap();
    let update = contract.schema("UpdateTrackerRequestBody").unwrap();
    for lifecycle in [
        create.pointer("/properties/bucket_lifecycle"),
        update.pointer("/properties/obs_info/properties/bucket_lifecycle"),
    ] {
        let lifecycle = lifecycle.expect("bucket_lifecycle in the request");
        assert_eq!(lifecycle["type"], "integer");
        assert!(lifecycle.get("enum").is_none());
        assert_eq!(lifecycle["x-source"], "api-facts");
        assert_eq!(
            lifecycle["examples"],
            serde_json::json!([0, 30, 60, 90, 180, 1095])
        );
    }
    let created = contract.schema("CreateTrackerResponseBody").unwrap();
    for field in [
        "kms_id",
        "is_organization_tracker",
        "lts",
        "agency_name",
        "is_support_trace_files_encryption",
        "data_bucket",
    ] {
        let property = created
            .pointer(&format!("/properties/{field}"))
            .unwrap_or_else(|| panic!("201 body has no {field}"));
        assert_eq!(property["x-source"], "api-facts", "{field}");
        assert!(
            !created["required"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == field),
            "{field} is optional"
        );
    }
}

#[test]
fn a_broken_contract_is_refused_with_a_reason() {
    let err = Contract::from_json("{").unwrap_err().to_string();
    assert!(err.contains("not valid JSON"), "{err}");
    let err = Contract::from_json(r#"{"paths": {}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("components/schemas"), "{err}");
    let dangling = r##"{"components": {"schemas": {}}, "paths": {"/x": {"get": {"operationId": "X",
        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gone"}}}}}}}}}"##;
    let err = Contract::from_json(dangling).unwrap_err().to_string();
    assert!(err.contains("unknown schema Gone"), "{err}");
}

#[test]
fn every_schema_of_the_embedded_contract_compiles() {
    // The embedded contract compiles each schema on first use; this compiles them all.
    let contract = Contract::from_json(cts_conform::contract::EMBEDDED_OPENAPI).expect("compiles");
    assert!(contract.schema_names().count() >= 20);
}
