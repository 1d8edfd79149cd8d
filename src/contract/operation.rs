//! Operations of the contract: method, path template, parameters, request body and the
//! documented status codes with the schema of each status's body.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ContractError;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
}

/// A path or query parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub location: ParamLocation,
    pub required: bool,
    /// The parameter's schema (a `$ref` is left as written).
    pub schema: Value,
}

/// A documented status code of an operation.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    pub status: u16,
    pub description: String,
    /// The component schema the body must satisfy; `None` when no body is documented.
    pub schema: Option<String>,
    /// Where the status comes from: the response's own `x-source` (e.g. `api-facts` for
    /// the gateway's 429), else the operation's.
    pub source: String,
}

impl ResponseSpec {
    /// Whether one of the two API documents names this status (not api-facts).
    pub fn is_documented(&self) -> bool {
        self.source != "api-facts"
    }
}

/// One operation (e.g. `CreateTracker`).
#[derive(Debug, Clone)]
pub struct Operation {
    /// The `operationId`.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template, e.g. `/v3/{project_id}/tracker`.
    pub path: String,
    pub summary: String,
    /// `create-tracker`, `query-trackers` (the two documents) or `api-facts`.
    pub source: String,
    pub parameters: Vec<Parameter>,
    /// The component schema of the request body, if the operation takes one.
    pub request_body: Option<String>,
    /// Documented statuses, ascending.
    pub responses: BTreeMap<u16, ResponseSpec>,
}

impl Operation {
    /// Whether the operation comes from one of the two API documents (not api-facts).
    pub fn is_documented(&self) -> bool {
        self.source != "api-facts"
    }

    /// The spec of a documented status, if the operation documents it.
    pub fn response(&self, status: u16) -> Option<&ResponseSpec> {
        self.responses.get(&status)
    }

    /// A parameter by name and location.
    pub fn parameter(&self, name: &str, location: ParamLocation) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.name == name && p.location == location)
    }

    /// Names of the component schemas this operation refers to.
    pub fn referenced_schemas(&self) -> impl Iterator<Item = &str> {
        self.request_body
            .iter()
            .chain(self.responses.values().filter_map(|r| r.schema.as_ref()))
            .map(String::as_str)
    }
}

/// Reads every operation of the document's `paths`.
pub(super) fn collect(document: &Value) -> Result<BTreeMap<String, Operation>, ContractError> {
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| ContractError::Missing("paths".into()))?;
    let mut operations = BTreeMap::new();
    for (path, item) in paths {
        let shared = parameters(item, path)?;
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let operation = read_operation(path, method, op, &shared)?;
            if let Some(previous) = operations.insert(operation.id.clone(), operation) {
                return Err(ContractError::Operation {
                    operation: previous.id,
                    reason: "operationId is used twice".into(),
                });
            }
        }
    }
    Ok(operations)
}

fn read_operation(
    path: &str,
    method: &str,
    op: &Value,
    shared: &[Parameter],
) -> Result<Operation, ContractError> {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| ContractError::Missing(format!("operationId for {method} {path}")))?
        .to_string();
    let fail = |reason: String| ContractError::Operation {
        operation: id.clone(),
        reason,
    };
    let mut params = shared.to_vec();
    params.extend(parameters(op, &id)?);
    let request_body = match op.pointer("/requestBody/content/application~1json/schema") {
        Some(schema) => Some(schema_name(schema).map_err(&fail)?),
        None => None,
    };
    let responses_json = op
        .get("responses")
        .and_then(Value::as_object)
        .ok_or_else(|| fail("has no responses".into()))?;
    let op_source = text(op, "x-source");
    let mut responses = BTreeMap::new();
    for (code, response) in responses_json {
        let status: u16 = code
            .parse()
            .map_err(|_| fail(format!("status {code:?} is not a number")))?;
        let schema = match response.pointer("/content/application~1json/schema") {
            Some(schema) => Some(schema_name(schema).map_err(&fail)?),
            None => None,
        };
        let description = text(response, "description");
        let source = match text(response, "x-source") {
            own if own.is_empty() => op_source.clone(),
            own => own,
        };
        responses.insert(
            status,
            ResponseSpec {
                status,
                description,
                schema,
                source,
            },
        );
    }
    Ok(Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: text(op, "summary"),
        source: op_source,
        parameters: params,
        request_body,
        responses,
        id,
    })
}

fn parameters(item: &Value, owner: &str) -> Result<Vec<Parameter>, ContractError> {
    let Some(list) = item.get("parameters").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|p| {
            let fail = |reason: &str| ContractError::Operation {
                operation: owner.to_string(),
                reason: reason.to_string(),
            };
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => ParamLocation::Path,
                Some("query") => ParamLocation::Query,
                _ => return Err(fail("a parameter is neither in path nor in query")),
            };
            Ok(Parameter {
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| fail("a parameter has no name"))?
                    .to_string(),
                location,
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                schema: p
                    .get("schema")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new())),
            })
        })
        .collect()
}

fn schema_name(schema: &Value) -> Result<String, String> {
    super::ref_name(schema)
        .map(str::to_string)
        .ok_or_else(|| format!("body schema {schema} is not a $ref to a component"))
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
