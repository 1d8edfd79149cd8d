//! The contract: the OpenAPI 3.1 document in `schemas/`, loaded once, with one compiled
//! JSON Schema (2020-12) validator per component schema.
//!
//! Everything the harness checks comes from here: which operations exist (by
//! `operationId`), their method, path template and parameters, which status codes each
//! documents and which schema each status's body must satisfy. The document is built
//! into the binary ([`Contract::embedded`]) so an installed binary works anywhere; it
//! can also be loaded from text ([`Contract::from_json`]) for tests and tools.

mod operation;
mod validate;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

pub use operation::{Operation, ParamLocation, Parameter, ResponseSpec};
pub use validate::Violation;

/// The contract document as built into the binary.
pub const EMBEDDED_OPENAPI: &str = include_str!("../../schemas/cts-v3.openapi.json");

/// Where the contract's component schemas live inside the document.
pub const COMPONENTS_POINTER: &str = "/components/schemas";

/// Why a contract document could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("the contract is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the contract has no {0}")]
    Missing(String),
    #[error("operation {operation}: {reason}")]
    Operation { operation: String, reason: String },
    #[error("schema {schema} does not compile: {reason}")]
    Schema { schema: String, reason: String },
}

/// The loaded contract: operations by `operationId` and a validator per component
/// schema, compiled once (at load, or for the embedded contract on first use).
#[derive(Debug)]
pub struct Contract {
    document: Value,
    operations: BTreeMap<String, Operation>,
    validators: BTreeMap<String, OnceLock<Result<validate::CompiledSchema, String>>>,
}

/// The built-in contract, loaded on first use and kept for the life of the process.
fn embedded_slot() -> &'static Arc<Contract> {
    static EMBEDDED: OnceLock<Arc<Contract>> = OnceLock::new();
    EMBEDDED.get_or_init(|| {
        // The embedded document is part of the source tree and tested by
        // `tests/it/contract.rs`; failing here is a build defect, not bad input.
        // A run uses a handful of its schemas: each compiles when first used.
        Arc::new(
            Contract::load(EMBEDDED_OPENAPI, false)
                .unwrap_or_else(|e| panic!("the built-in contract is broken: {e}")),
        )
    })
}

impl Contract {
    /// The contract built into the binary, loaded and compiled on first use.
    pub fn embedded() -> &'static Contract {
        embedded_slot()
    }

    /// [`Contract::embedded`], shared: what a run is handed (a run holds its contract as
    /// an `Arc`, whichever it is).
    pub fn embedded_shared() -> Arc<Contract> {
        Arc::clone(embedded_slot())
    }

    /// Loads a contract from the text of an OpenAPI 3.1 document, compiling every schema
    /// now (so a broken one is an error here).
    pub fn from_json(text: &str) -> Result<Contract, ContractError> {
        Contract::load(text, true)
    }

    fn load(text: &str, compile_now: bool) -> Result<Contract, ContractError> {
        let document: Value = serde_json::from_str(text)?;
        let components = document
            .pointer(COMPONENTS_POINTER)
            .and_then(Value::as_object)
            .ok_or_else(|| ContractError::Missing("components/schemas".into()))?;
        let mut validators = BTreeMap::new();
        for name in components.keys() {
            let slot = OnceLock::new();
            if compile_now {
                let compiled = validate::CompiledSchema::compile(&document, name)?;
                let _ = slot.set(Ok(compiled));
            }
            validators.insert(name.clone(), slot);
        }
        let operations = operation::collect(&document)?;
        for op in operations.values() {
            for schema in op.referenced_schemas() {
                if !validators.contains_key(schema) {
                    return Err(ContractError::Operation {
                        operation: op.id.clone(),
                        reason: format!("refers to unknown schema {schema}"),
                    });
                }
            }
        }
        Ok(Contract {
            document,
            operations,
            validators,
        })
    }

    /// The whole OpenAPI document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// An operation by its `operationId` (e.g. `CreateTracker`).
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.get(id)
    }

    /// All operations, ordered by `operationId`.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.values()
    }

    /// The names of all component schemas, sorted.
    pub fn schema_names(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    /// `schema` with its `$ref`s to components followed ([`resolve_in`]).
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        resolve_in(&self.document, schema)
    }

    /// A component schema's JSON, as written in the document.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        components_in(&self.document).and_then(|schemas| schemas.get(name))
    }

    /// The compiled validator of component `name` (compiling it on first use).
    fn validator(&self, name: &str) -> Option<&Result<validate::CompiledSchema, String>> {
        let slot = self.validators.get(name)?;
        Some(slot.get_or_init(|| {
            validate::CompiledSchema::compile(&self.document, name).map_err(|e| e.to_string())
        }))
    }

    /// Compiles the schema of every documented response now, each once. A run starts this
    /// on a thread of its own while it gets ready to send, so that its first answers find
    /// their validators ready; a validator asked for meanwhile waits for that compilation.
    pub fn compile_response_schemas(&self) {
        let names: std::collections::BTreeSet<&str> = self
            .operations
            .values()
            .flat_map(|op| op.responses.values().filter_map(|r| r.schema.as_deref()))
            .collect();
        for name in names {
            let _ = self.validator(name);
        }
    }

    /// Validates `instance` against the component schema `name`.
    ///
    /// Returns every violation (empty when valid), or `None` when there is no such schema.
    /// A schema that does not compile is reported as a violation at the root.
    pub fn validate(&self, name: &str, instance: &Value) -> Option<Vec<Violation>> {
        self.validator(name).map(|compiled| match compiled {
            Ok(v) => v.violations(instance),
            Err(reason) => vec![Violation {
                instance_path: "/".into(),
                keyword: "$schema".into(),
                message: format!("the contract's schema {name} does not compile: {reason}"),
            }],
        })
    }

    /// Whether `instance` satisfies the component schema `name` (false if unknown).
    pub fn is_valid(&self, name: &str, instance: &Value) -> bool {
        matches!(self.validator(name), Some(Ok(v)) if v.is_valid(instance))
    }
}

/// How a reference to a component schema starts.
pub const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// The component a schema refers to (`{"$ref": "#/components/schemas/NAME"}`), if it does:
/// the one place a `$ref` is read.
pub fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
}

/// The component schemas of `document` (at [`COMPONENTS_POINTER`]), found by two member
/// look-ups: `Value::pointer` would allocate to unescape each token, and this runs for
/// every `$ref` followed while case files are checked.
pub fn components_in(document: &Value) -> Option<&Value> {
    document.get("components")?.get("schemas")
}

/// Follows `$ref`s to components of `document` until a schema without one (at most 16
/// hops, so a cycle ends); a reference to a missing component stays as it is.
pub fn resolve_in<'a>(document: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(target) = ref_name(schema)
            .and_then(|name| components_in(document).and_then(|schemas| schemas.get(name)))
        else {
            break;
        };
        schema = target;
    }
    schema
}

#[cfg(test)]
mod ref_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_followed_to_the_end_and_a_cycle_stops() {
        let document = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"type": "string"},
            "Loop": {"$ref": "#/components/schemas/Loop"}
        }}});
        let a = json!({"$ref": "#/components/schemas/A"});
        assert_eq!(ref_name(&a), Some("A"));
        assert_eq!(resolve_in(&document, &a), &json!({"type": "string"}));
        let missing = json!({"$ref": "#/components/schemas/Nope"});
        assert_eq!(resolve_in(&document, &missing), &missing);
        let looping = json!({"$ref": "#/components/schemas/Loop"});
        assert_eq!(ref_name(resolve_in(&document, &looping)), Some("Loop"));
        assert_eq!(ref_name(&json!({"$ref": "other.json#/x"})), None);
    }

    #[test]
    fn the_components_are_what_their_pointer_finds() {
        for document in [
            json!({"components": {"schemas": {"A": {}}}}),
            json!({"components": {"schemas": []}}),
            json!({"components": [{"schemas": 1}]}),
            json!({"components": {}}),
            json!({"other": 1}),
            json!([1, 2]),
            json!("text"),
        ] {
            assert_eq!(
                components_in(&document),
                document.pointer(COMPONENTS_POINTER),
                "{document}"
            );
        }
    }
}
