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
            if status >= 400 {
                assert_eq!(
                    response.schema.as_deref(),
                    Some("ErrorResponseBody"),
                    "{label}"
                );
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
        [201, 400, 401, 403, 404, 500, 503]
    );
    assert_eq!(statuses("ListTrackers"), [200, 400, 401, 403, 500, 503]);
    assert_eq!(
        statuses("DeleteTracker"),
        [204, 400, 401, 403, 404, 500, 503]
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
