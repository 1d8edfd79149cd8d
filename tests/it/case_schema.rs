//! `schemas/case-file.schema.json` and the Rust case-file model cannot drift apart:
//! every case file the loader accepts (the built-in `cases/*.json` and
//! `tests/fixtures/good-cases/`) validates against the schema, and every malformed
//! fixture the loader rejects for a shape reason (unknown key, wrong type, missing key,
//! empty list, bad name) is rejected by the schema too, while fixtures that only the
//! contract-aware loader can judge are accepted by it.

use crate::bad_cases;

use std::path::{Path, PathBuf};

use bad_cases::SchemaVerdict;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas/case-file.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::options().build(&schema).unwrap()
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// The schema's complaints about a text, one line each (empty when valid).
fn complaints(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let instance: Value = serde_json::from_str(text).unwrap();
    validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_schema_is_valid_draft_2020_12_and_documents_every_key() {
    let text = std::fs::read_to_string(root().join("schemas/case-file.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert!(jsonschema::meta::is_valid(&schema));
    // Every property of every object schema carries a description for editors.
    let mut undocumented = Vec::new();
    let mut stack = vec![("".to_string(), &schema)];
    while let Some((at, node)) = stack.pop() {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (key, property) in properties {
                if property.get("description").is_none() {
                    undocumented.push(format!("{at}/{key}"));
                }
            }
        }
        for (key, child) in node.as_object().into_iter().flatten() {
            if child.is_object() {
                stack.push((format!("{at}/{key}"), child));
            }
        }
    }
    assert!(undocumented.is_empty(), "no description: {undocumented:?}");
}

#[test]
fn every_case_file_the_loader_accepts_validates() {
    let validator = validator();
    let files: Vec<PathBuf> = [
        root().join("cases"),
        root().join("tests/fixtures/good-cases"),
    ]
    .iter()
    .flat_map(|dir| json_files(dir))
    .collect();
    assert!(files.len() >= 2);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let errors = complaints(&validator, &text);
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn the_schema_judges_each_bad_fixture_as_its_expect_file_says() {
    let validator = validator();
    let mut wrong = Vec::new();
    for case in bad_cases::all() {
        for source in &case.sources {
            let parsed = serde_json::from_str::<Value>(&source.text);
            let verdict = match parsed {
                Err(_) => SchemaVerdict::NotJson,
                Ok(_) if complaints(&validator, &source.text).is_empty() => SchemaVerdict::Accept,
                Ok(_) => SchemaVerdict::Reject,
            };
            if verdict != case.schema {
                wrong.push(format!(
                    "{} ({}): schema says {verdict:?}, expected {:?}: {:?}",
                    case.name,
                    source.name,
                    case.schema,
                    parsed.map(|_| complaints(&validator, &source.text))
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn shape_errors_are_the_ones_the_schema_rejects() {
    // The fixtures whose loader error comes from parsing the model (serde), not from
    // resolving references, must all be marked `schema: reject`.
    let parse_messages = [
        "unknown field",
        "invalid type",
        "missing field",
        "unknown variant",
    ];
    for case in bad_cases::all() {
        let is_shape = case
            .says
            .iter()
            .any(|s| parse_messages.iter().any(|m| s.starts_with(m)));
        if is_shape {
            assert_eq!(case.schema, SchemaVerdict::Reject, "{}", case.name);
        }
    }
}

/// A minimal valid case file with `extra` spliced into the object at `level`.
fn with_extra(level: &str, extra: &str) -> String {
    let (file, case, step, expect) = match level {
        "file" => (extra, "", "", ""),
        "case" => ("", extra, "", ""),
        "step" => ("", "", extra, ""),
        _ => ("", "", "", extra),
    };
    format!(
        r#"{{{file} "suite": "s", "cases": [{{{case} "name": "c", "doc": "d",
           "steps": [{{{step} "operation": "ListTrackers", "expect": {{{expect} "status": 200}}}}]}}]}}"#
    )
}

/// The names serde lists after "expected one of" when `extra` is refused at `level`.
fn model_names(level: &str, extra: &str) -> Vec<String> {
    let source = cts_conform::case::Source {
        name: "probe.json".into(),
        text: with_extra(level, extra),
    };
    let errors = cts_conform::case::load(
        &[source],
        cts_conform::contract::Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .expect_err("the probe has an unknown key or variant");
    let message = &errors.0[0].message;
    // serde writes "expected one of `a`, `b`, `c`" or "expected `a` or `b`".
    let (_, list) = message
        .split_once("expected ")
        .unwrap_or_else(|| panic!("{message}"));
    let list = list.trim_start_matches("one of ").replace(" or ", ", ");
    let mut names: Vec<String> = list
        .split(", ")
        .map(|n| n.trim_matches('`').to_string())
        .collect();
    names.sort();
    names
}

fn schema_names(pointer: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("schemas/case-file.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let node = schema
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer}"));
    let mut names: Vec<String> = match node {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => panic!("{pointer} is neither properties nor an enum"),
    };
    names.sort();
    names
}

#[test]
fn the_schema_has_exactly_the_model_keys_and_enum_values() {
    let pairs = [
        ("file", r#""zz": 1,"#, "/properties"),
        ("case", r#""zz": 1,"#, "/$defs/case/properties"),
        ("step", r#""zz": 1,"#, "/$defs/step/properties"),
        ("expect", r#""zz": 1,"#, "/$defs/expect/properties"),
        (
            "case",
            r#""profile": "zz","#,
            "/$defs/case/properties/profile/enum",
        ),
        (
            "step",
            r#""auth": "zz","#,
            "/$defs/step/properties/auth/enum",
        ),
    ];
    for (level, extra, pointer) in pairs {
        assert_eq!(
            model_names(level, extra),
            schema_names(pointer),
            "{pointer}"
        );
    }
}
