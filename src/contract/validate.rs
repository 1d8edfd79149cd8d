//! Compiled validators for the contract's component schemas, and the violations they report.
//!
//! Each component is compiled once from a small wrapper schema that refers to it with a
//! local `$ref` and carries the document's `components`, so every `$ref` resolves inside
//! the one file and nothing is fetched. Another validator (e.g. Python's `jsonschema`,
//! Draft 2020-12) can use exactly the same wrapper.

use std::fmt;

use serde_json::{json, Value};

use super::{ContractError, COMPONENTS_POINTER};

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

/// The self-contained schema that validates against component `name` of `document`.
pub(super) fn wrapper_schema(document: &Value, name: &str) -> Value {
    let components = document
        .pointer(COMPONENTS_POINTER)
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": { "schemas": components },
    })
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
