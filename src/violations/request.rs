//! The request judge: operation, body (against the request schema), query parameters,
//! content type, then the signing rules ([`super::signing`]).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::doc_row::doc_row;
use super::{join_pointer, signing, Direction, Location, Violation};
use crate::auth::{Credentials, RequestParts};
use crate::contract::{Contract, Operation, ParamLocation};

/// The `request_id`, clock and credentials a judgement is made with.
#[derive(Debug, Clone, Copy)]
pub struct JudgeContext<'a> {
    /// The judge's clock (for `X-Sdk-Date`).
    pub now: OffsetDateTime,
    /// The id the request is known by, if any.
    pub request_id: Option<&'a str>,
    /// Credentials the client's signature is verified with (by AK); empty: the
    /// signature itself is not checked, only the signing rules.
    pub credentials: &'a [Credentials],
    /// Whether a request with neither `Authorization` nor `X-Auth-Token` is a violation.
    pub require_credentials: bool,
}

/// The outcome for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The `operationId` the request matched.
    pub operation: Option<String>,
    /// Every violation, stamped, in a stable order.
    pub violations: Vec<Violation>,
}

/// Why the judge could not be built: a request schema or query parameter of the contract
/// does not compile.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("request schema {schema}: {source}")]
    RequestSchema {
        schema: String,
        #[source]
        source: jsonschema::ValidationError<'static>,
    },
    #[error("{operation} query parameter {parameter}: {source}")]
    QueryParameter {
        operation: String,
        parameter: String,
        #[source]
        source: jsonschema::ValidationError<'static>,
    },
}

/// A query parameter's compiled rule.
struct QueryRule {
    validator: jsonschema::Validator,
    /// The parameter's JSON type when not a string: the text is read as that type.
    kind: Option<String>,
    doc_row: Option<String>,
}

/// The judge: the contract with a validator per request schema and per query parameter,
/// compiled once.
pub struct Judge<'c> {
    contract: &'c Contract,
    bodies: BTreeMap<String, jsonschema::Validator>,
    queries: BTreeMap<(String, String), QueryRule>,
}

impl std::fmt::Debug for Judge<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge")
            .field("bodies", &self.bodies.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A schema that refers into the contract's components, self-contained.
fn wrapper(contract: &Contract, schema: Value) -> Value {
    let components = contract
        .document()
        .pointer(crate::contract::COMPONENTS_POINTER)
        .cloned()
        .unwrap_or(Value::Null);
    let mut wrapped = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": { "schemas": components },
    });
    if let (Value::Object(out), Value::Object(schema)) = (&mut wrapped, schema) {
        out.extend(schema);
    }
    wrapped
}

impl<'c> Judge<'c> {
    /// Compiles the request schemas and query parameters of `contract`.
    pub fn new(contract: &'c Contract) -> Result<Self, JudgeError> {
        let mut bodies = BTreeMap::new();
        let mut queries = BTreeMap::new();
        for op in contract.operations() {
            if let Some(name) = &op.request_body {
                let schema = wrapper(
                    contract,
                    json!({ "$ref": format!("#/components/schemas/{name}") }),
                );
                let validator =
                    jsonschema::draft202012::options()
                        .build(&schema)
                        .map_err(|source| JudgeError::RequestSchema {
                            schema: name.clone(),
                            source,
                        })?;
                bodies.insert(name.clone(), validator);
            }
            for param in op
                .parameters
                .iter()
                .filter(|p| p.location == ParamLocation::Query)
            {
                let validator = jsonschema::draft202012::options()
                    .build(&wrapper(contract, param.schema.clone()))
                    .map_err(|source| JudgeError::QueryParameter {
                        operation: op.id.clone(),
                        parameter: param.name.clone(),
                        source,
                    })?;
                let resolved = resolve(contract, &param.schema);
                let kind = resolved
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|t| *t != "string")
                    .map(str::to_owned);
                queries.insert(
                    (op.id.clone(), param.name.clone()),
                    QueryRule {
                        validator,
                        kind,
                        doc_row: parameter_doc_row(contract, op, &param.name),
                    },
                );
            }
        }
        Ok(Judge {
            contract,
            bodies,
            queries,
        })
    }

    /// The judge of the built-in contract ([`Contract::embedded`]), compiled on first use
    /// and shared by the emulator and the proxy.
    pub fn embedded() -> Result<&'static Judge<'static>, &'static JudgeError> {
        static JUDGE: OnceLock<Result<Judge<'static>, JudgeError>> = OnceLock::new();
        JUDGE
            .get_or_init(|| Judge::new(Contract::embedded()))
            .as_ref()
    }

    /// The contract judged against.
    pub fn contract(&self) -> &'c Contract {
        self.contract
    }

    /// Every violation in `request`.
    pub fn judge(&self, request: &RequestParts, context: &JudgeContext) -> Judgement {
        let mut found = Vec::new();
        let op = find_operation(self.contract, request.method, request.path);
        match op {
            None => found.push(
                Violation::new(
                    Location::Path,
                    "",
                    "operation",
                    format!(
                        "no operation of the contract is {} {}",
                        request.method, request.path
                    ),
                )
                .with_value(Some(Value::String(format!(
                    "{} {}",
                    request.method, request.path
                )))),
            ),
            Some(op) => {
                self.judge_query(op, request.query, &mut found);
                self.judge_body(op, request, &mut found);
            }
        }
        found.extend(signing::violations(request, context));
        let operation = op.map(|op| op.id.clone());
        Judgement {
            violations: found
                .into_iter()
                .map(|v| {
                    v.stamp(
                        context.now,
                        Direction::Request,
                        operation.as_deref(),
                        context.request_id,
                    )
                })
                .collect(),
            operation,
        }
    }

    fn judge_query(&self, op: &Operation, raw_query: &str, found: &mut Vec<Violation>) {
        let pairs = query_pairs(raw_query);
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in &pairs {
            let pointer = join_pointer("", name);
            let Some(rule) = self.queries.get(&(op.id.clone(), name.clone())) else {
                found.push(
                    Violation::new(
                        Location::Query,
                        pointer,
                        "unknown-parameter",
                        format!("{} has no query parameter {name:?}", op.id),
                    )
                    .with_value(Some(Value::String(value.clone()))),
                );
                continue;
            };
            if seen.contains(&name.as_str()) {
                found.push(
                    Violation::new(
                        Location::Query,
                        pointer.clone(),
                        "duplicate-parameter",
                        format!("query parameter {name:?} is given more than once"),
                    )
                    .with_value(Some(Value::String(value.clone())))
                    .with_doc_row(rule.doc_row.clone()),
                );
            }
            seen.push(name);
            let typed = typed_value(value, rule.kind.as_deref());
            for error in rule.validator.iter_errors(&typed) {
                found.push(
                    Violation::new(
                        Location::Query,
                        pointer.clone(),
                        error.kind().keyword(),
                        format!("query parameter {name}: {error}"),
                    )
                    .with_value(Some(Value::String(value.clone())))
                    .with_doc_row(rule.doc_row.clone()),
                );
            }
        }
        for param in op
            .parameters
            .iter()
            .filter(|p| p.location == ParamLocation::Query && p.required)
        {
            if !pairs.iter().any(|(n, _)| *n == param.name) {
                found.push(
                    Violation::new(
                        Location::Query,
                        join_pointer("", &param.name),
                        "required",
                        format!("query parameter {} is required", param.name),
                    )
                    .with_doc_row(parameter_doc_row(
                        self.contract,
                        op,
                        &param.name,
                    )),
                );
            }
        }
    }

    fn judge_body(&self, op: &Operation, request: &RequestParts, found: &mut Vec<Violation>) {
        let empty = request.body.iter().all(u8::is_ascii_whitespace);
        let Some(schema) = op.request_body.as_deref() else {
            if !empty {
                found.push(Violation::new(
                    Location::Body,
                    "",
                    "unexpected-body",
                    format!(
                        "{} takes no body, {} bytes were sent",
                        op.id,
                        request.body.len()
                    ),
                ));
            }
            return;
        };
        let table = doc_row(self.contract.document(), schema, "");
        let content_type = header(request.headers, "content-type");
        if !content_type
            .as_deref()
            .is_some_and(crate::http::exchange::is_json_media_type)
        {
            found.push(
                Violation::new(
                    Location::Header,
                    "/content-type",
                    "content-type",
                    format!(
                        "{} takes a JSON body: Content-Type must be application/json, it is {}",
                        op.id,
                        content_type
                            .as_deref()
                            .map_or("missing".to_owned(), |t| format!("{t:?}"))
                    ),
                )
                .with_value(content_type.map(Value::String))
                .with_doc_row(table.clone()),
            );
        }
        if empty {
            found.push(
                Violation::new(
                    Location::Body,
                    "",
                    "required",
                    format!("{} needs a JSON body ({schema}); none was sent", op.id),
                )
                .with_doc_row(table),
            );
            return;
        }
        let body: Value = match serde_json::from_slice(request.body) {
            Ok(body) => body,
            Err(e) => {
                found.push(
                    Violation::new(
                        Location::Body,
                        "",
                        "json",
                        format!("the body is not JSON: {e}"),
                    )
                    .with_doc_row(table),
                );
                return;
            }
        };
        let Some(validator) = self.bodies.get(schema) else {
            return;
        };
        let document = self.contract.document();
        for error in validator.iter_errors(&body) {
            let at = error.instance_path().as_str().to_owned();
            match error.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for key in unexpected {
                        let pointer = join_pointer(&at, key);
                        found.push(
                            Violation::new(
                                Location::Body,
                                pointer.clone(),
                                "additionalProperties",
                                format!("unknown key {key:?}: {schema} allows no other keys here"),
                            )
                            .with_value(body.pointer(&pointer).cloned())
                            .with_doc_row(doc_row(document, schema, &pointer)),
                        );
                    }
                }
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    let name = property
                        .as_str()
                        .map_or(property.to_string(), str::to_owned);
                    let pointer = join_pointer(&at, &name);
                    found.push(
                        Violation::new(
                            Location::Body,
                            pointer.clone(),
                            "required",
                            format!("required key {name:?} is missing"),
                        )
                        .with_doc_row(doc_row(document, schema, &pointer)),
                    );
                }
                kind => found.push(
                    Violation::new(
                        Location::Body,
                        at.clone(),
                        kind.keyword(),
                        error.to_string(),
                    )
                    .with_value(body.pointer(&at).cloned())
                    .with_doc_row(doc_row(document, schema, &at)),
                ),
            }
        }
    }
}

/// The operation whose method and path template match (`{name}` matches one
/// non-empty segment).
pub fn find_operation<'c>(
    contract: &'c Contract,
    method: &str,
    raw_path: &str,
) -> Option<&'c Operation> {
    contract
        .operations()
        .find(|op| op.method.eq_ignore_ascii_case(method) && path_matches(&op.path, raw_path))
}

/// Whether `path` (raw) matches the operation path `template` (`{name}` matches one
/// non-empty segment).
pub fn path_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let param = ts.starts_with('{') && ts.ends_with('}');
                if (param && ps.is_empty()) || (!param && ts != ps) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Decoded `(name, value)` pairs of a raw query, in order.
pub(crate) fn query_pairs(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

/// A query value as the JSON value its schema's type expects (the text itself when
/// it does not read as that type, so the validator reports the type).
fn typed_value(text: &str, kind: Option<&str>) -> Value {
    let parsed = match kind {
        Some("integer") => text.parse::<i64>().ok().map(Value::from),
        Some("number") => text.parse::<f64>().ok().map(Value::from),
        Some("boolean") => text.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// The value of a header (case-insensitive), several joined with `,`.
pub(crate) fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    crate::auth::canonical::header_value(headers, name)
}

fn resolve<'a>(contract: &'a Contract, schema: &'a Value) -> &'a Value {
    contract.resolve(schema)
}

/// A parameter's `x-doc-row` as the document writes it (the first of several).
fn parameter_doc_row(contract: &Contract, op: &Operation, name: &str) -> Option<String> {
    let item = contract.document().get("paths")?.get(&op.path)?;
    let lists = [
        item.get(op.method.to_ascii_lowercase())
            .and_then(|o| o.get("parameters")),
        item.get("parameters"),
    ];
    let param = lists
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?;
    match param.get("x-doc-row")? {
        Value::String(row) => Some(row.clone()),
        Value::Array(rows) => rows.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Vec<(String, String)> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let judge = Judge::new(Contract::embedded()).expect("compiles");
        let judgement = judge.judge(
            &RequestParts {
                method,
                path,
                query,
                headers: &headers,
                body: body.as_bytes(),
            },
            &JudgeContext {
                now: OffsetDateTime::now_utc(),
                request_id: Some("r-1"),
                credentials: &[],
                require_credentials: false,
            },
        );
        judgement
            .violations
            .into_iter()
            .map(|v| (v.rule, v.pointer))
            .collect()
    }

    const JSON: (&str, &str) = ("Content-Type", "application/json");

    #[test]
    fn query_parameters_known_names_enums_and_repeats() {
        assert_eq!(
            rules(
                "GET",
                "/v3/p/trackers",
                "tracker_type=data&tracker_name=a",
                &[],
                ""
            ),
            vec![]
        );
        assert_eq!(
            rules(
                "GET",
                "/v3/p/trackers",
                "tracker_type=DATA&trackername=a&tracker_type=data",
                &[],
                ""
            ),
            vec![
                ("enum".to_owned(), "/tracker_type".to_owned()),
                ("unknown-parameter".to_owned(), "/trackername".to_owned()),
                ("duplicate-parameter".to_owned(), "/tracker_type".to_owned()),
            ]
        );
    }

    #[test]
    fn operation_content_type_and_bodies() {
        assert_eq!(
            rules("PATCH", "/v3/p/tracker", "", &[], ""),
            vec![("operation".to_owned(), String::new())]
        );
        let body = r#"{"tracker_type": "system", "tracker_name": "system"}"#;
        assert_eq!(rules("POST", "/v3/p/tracker", "", &[JSON], body), vec![]);
        assert_eq!(
            rules(
                "POST",
                "/v3/p/tracker",
                "",
                &[("Content-Type", "text/plain")],
                body
            ),
            vec![("content-type".to_owned(), "/content-type".to_owned())]
        );
        assert_eq!(
            rules("POST", "/v3/p/tracker", "", &[JSON], "{not json"),
            vec![("json".to_owned(), String::new())]
        );
        assert_eq!(
            rules("POST", "/v3/p/tracker", "", &[JSON], ""),
            vec![("required".to_owned(), String::new())]
        );
        // The SDK's Content-Type on GET is fine; a body on GET is not.
        assert_eq!(rules("GET", "/v3/p/quotas", "", &[JSON], ""), vec![]);
        assert_eq!(
            rules("GET", "/v3/p/quotas", "", &[JSON], "{}"),
            vec![("unexpected-body".to_owned(), String::new())]
        );
    }

    #[test]
    fn nested_unknown_keys_are_escaped_pointers() {
        let body =
            r#"{"tracker_type": "system", "tracker_name": "system", "obs_info": {"a/b": 1}}"#;
        assert_eq!(
            rules("POST", "/v3/p/tracker", "", &[JSON], body),
            vec![(
                "additionalProperties".to_owned(),
                "/obs_info/a~1b".to_owned()
            )]
        );
    }

    #[test]
    fn signing_rules_need_an_authorization_header_or_expect_one() {
        let auth = (
            "Authorization",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
        );
        assert_eq!(
            rules(
                "GET",
                "/v3/p/quotas",
                "",
                &[
                    auth,
                    ("X-Sdk-Date", "20240101T000000Z"),
                    ("X-Project-Id", "p")
                ],
                ""
            ),
            vec![
                ("unsigned-header".to_owned(), "/x-project-id".to_owned()),
                ("sdk-date-skew".to_owned(), "/x-sdk-date".to_owned()),
            ]
        );
        assert_eq!(
            rules(
                "GET",
                "/v3/p/quotas",
                "",
                &[("Authorization", "Bearer x")],
                ""
            ),
            vec![("authorization".to_owned(), "/authorization".to_owned())]
        );
    }
}
