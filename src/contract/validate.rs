//! Compiled validators for the contract's component schemas, and the violations they report.
//!
//! Each component is compiled once from a small wrapper schema that refers to it with a
//! local `$ref` and carries the document's components that it reaches, so every `$ref`
//! resolves inside the one file and nothing is fetched. Another validator (e.g. Python's `jsonschema`,
//! Draft 2020-12) can use exactly the same wrapper.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{json, Map, Value};

use super::{ref_name, ContractError, COMPONENTS_POINTER, SCHEMA_REF_PREFIX};

/// One way an instance breaks a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the instance (`/` for the root).
    pub instance_path: String,
    /// The JSON Schema keyword that failed (`type`, `pattern`, `required`, ...).
    pub keyword: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.instance_path, self.message, self.keyword
        )
    }
}

/// A compiled validator for one component schema.
#[derive(Debug)]
pub(super) struct CompiledSchema {
    validator: jsonschema::Validator,
}

/// The self-contained schema that validates against component `name` of `document`: it
/// carries the components `name` reaches through `$ref`s (compiling one schema then costs
/// what that schema needs, not the whole document).
pub(super) fn wrapper_schema(document: &Value, name: &str) -> Value {
    let all = document
        .pointer(COMPONENTS_POINTER)
        .and_then(Value::as_object);
    let components: Map<String, Value> = match all {
        Some(all) => reachable(all, name)
            .into_iter()
            .filter_map(|needed| Some((needed.to_owned(), all.get(needed)?.clone())))
            .collect(),
        None => Map::new(),
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("{SCHEMA_REF_PREFIX}{name}"),
        "components": { "schemas": components },
    })
}

/// Component `name` and every component its `$ref`s reach, directly or not.
fn reachable<'a>(components: &'a Map<String, Value>, name: &'a str) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name];
    while let Some(next) = todo.pop() {
        if seen.insert(next) {
            if let Some(schema) = components.get(next) {
                referred(schema, &mut todo);
            }
        }
    }
    seen
}

/// The components `schema` refers to anywhere inside it (a reference into a component,
/// `#/components/schemas/NAME/properties/...`, needs all of NAME).
fn referred<'a>(schema: &'a Value, out: &mut Vec<&'a str>) {
    match schema {
        Value::Object(members) => {
            if let Some(target) = ref_name(schema) {
                out.push(target.split('/').next().unwrap_or(target));
            }
            members.values().for_each(|member| referred(member, out));
        }
        Value::Array(items) => items.iter().for_each(|item| referred(item, out)),
        _ => {}
    }
}

impl CompiledSchema {
    pub(super) fn compile(document: &Value, name: &str) -> Result<Self, ContractError> {
        let wrapper = wrapper_schema(document, name);
        let validator = jsonschema::draft202012::options()
            .build(&wrapper)
            .map_err(|e| ContractError::Schema {
                schema: name.to_string(),
                reason: e.to_string(),
            })?;
        Ok(CompiledSchema { validator })
    }

    pub(super) fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    pub(super) fn violations(&self, instance: &Value) -> Vec<Violation> {
        // The common case, a valid body, costs one pass and no allocation.
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        self.validator
            .iter_errors(instance)
            .map(|e| {
                let path = e.instance_path().to_string();
                Violation {
                    instance_path: if path.is_empty() { "/".into() } else { path },
                    keyword: e.kind().keyword().to_string(),
                    message: e.to_string(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapper_carries_exactly_the_components_its_schema_reaches() {
        let document = json!({"components": {"schemas": {
            "A": {"type": "object", "properties": {
                "b": {"$ref": "#/components/schemas/B"},
                "deep": {"$ref": "#/components/schemas/D/properties/x"}}},
            "B": {"items": [{"$ref": "#/components/schemas/C"}]},
            "C": {"$ref": "#/components/schemas/C"},
            "D": {"properties": {"x": {"type": "string"}}},
            "Unrelated": {"type": "string"}
        }}});
        let wrapper = wrapper_schema(&document, "A");
        let carried: Vec<&String> = wrapper["components"]["schemas"]
            .as_object()
            .expect("components")
            .keys()
            .collect();
        assert_eq!(carried, ["A", "B", "C", "D"]);
        assert_eq!(wrapper["$ref"], "#/components/schemas/A");
        // And it compiles and validates through the references.
        let compiled = CompiledSchema::compile(&document, "A").expect("compiles");
        assert!(compiled.is_valid(&json!({"deep": "text"})));
        assert!(!compiled.is_valid(&json!({"deep": 1})));
    }
}
