//! The fields of a request schema and the values derived from their constraints.

use regex::Regex;
use serde_json::{json, Value};

use crate::contract::Contract;

/// Length of `${prefix}` once expanded (`cc-` and eight hex digits).
pub use crate::cts::PREFIX_LEN;

/// The error code for a value of the wrong JSON type (api-facts: body invalid).
const TYPE_ERROR_CODE: &str = "CTS.0003";

/// One request field, with its schema resolved.
#[derive(Debug, Clone)]
pub struct Field {
    /// Keys from the body's root, e.g. `["obs_info", "bucket_name"]`.
    pub path: Vec<String>,
    /// The field's schema with `$ref`s resolved.
    pub schema: Value,
    /// `document: table / field`.
    pub doc: String,
    pub required: bool,
    /// The CTS error code api-facts gives for breaking the field's rule.
    pub error_code: Option<String>,
    /// A key the request body's conditional rules switch on (e.g. `tracker_type`).
    pub discriminator: bool,
}

/// Which constraint a variant probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Type,
    Missing,
    Length,
    Pattern,
    Enum,
}

/// A value for a field, and whether the contract accepts it.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The last part of the case name, e.g. `len_64`.
    pub name: String,
    /// `None`: the key is left out.
    pub value: Option<Value>,
    pub valid: bool,
    /// The constraint, in words (shown in the case's doc).
    pub rule: String,
    pub probe: Probe,
}

impl Field {
    /// The strict profile's expected error code for an invalid variant.
    pub fn error_code_for(&self, variant: &Variant) -> Option<String> {
        match variant.probe {
            Probe::Type => Some(TYPE_ERROR_CODE.into()),
            Probe::Missing => None,
            _ => self.error_code.clone(),
        }
    }

    fn names_the_tracker(&self) -> bool {
        self.path == ["tracker_name"]
    }

    /// Whether the field names an OBS bucket (tracked or transfer).
    pub fn names_a_bucket(&self) -> bool {
        matches!(
            self.path.last().map(String::as_str),
            Some("bucket_name" | "data_bucket_name")
        )
    }
}

/// Follows `$ref`s to the schema they name; returns it with the first `x-error-code`,
/// `x-source` and table seen on the way.
fn resolve(contract: &Contract, schema: &Value) -> (Value, Option<String>, Option<String>) {
    let mut node = schema.clone();
    let mut code = text(schema, "x-error-code");
    let mut source = text(schema, "x-source");
    while let Some(name) = crate::contract::ref_name(&node).map(str::to_string) {
        let Some(target) = contract.schema(&name) else {
            break;
        };
        code = code.or_else(|| text(target, "x-error-code"));
        source = source.or_else(|| text(target, "x-source"));
        node = target.clone();
    }
    (node, code, source)
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn table_of(schema: &Value) -> Option<String> {
    match schema.get("x-doc-table") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => items.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Every field of the component `root`, as it applies to `carrier` (conditional rules
/// whose `if` the carrier satisfies are merged in).
pub fn request_fields(contract: &Contract, root: &str, carrier: &Value) -> Vec<Field> {
    let Some(schema) = contract.schema(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(
        contract,
        schema,
        carrier,
        &[],
        table_of(schema).unwrap_or_default(),
        &mut out,
    );
    out
}

fn walk(
    contract: &Contract,
    schema: &Value,
    carrier: &Value,
    prefix: &[String],
    table: String,
    out: &mut Vec<Field>,
) {
    let base = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut properties = base.clone();
    let mut required: Vec<String> = strings(schema.get("required"));
    let mut codes = std::collections::BTreeMap::new();
    let mut discriminators = Vec::new();
    for rule in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(condition) = rule.pointer("/if/properties").and_then(Value::as_object) else {
            continue;
        };
        discriminators.extend(condition.keys().cloned());
        let applies = condition.iter().all(|(key, test)| {
            test.get("const")
                .is_some_and(|c| Some(c) == carrier.get(key))
        });
        if !applies {
            continue;
        }
        for (key, sub) in rule
            .pointer("/then/properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            properties.insert(key.clone(), sub.clone());
            if let Some(code) = text(rule, "x-error-code") {
                codes.insert(key.clone(), code);
            }
        }
        required.extend(strings(rule.pointer("/then/required")));
    }
    for (name, property) in properties {
        let (resolved, code, source) = resolve(contract, &property);
        // A row belongs to the table that lists it, even when a conditional rule narrows it.
        let source = base
            .get(&name)
            .map_or(source, |own| resolve(contract, own).2);
        let mut path = prefix.to_vec();
        path.push(name.clone());
        let doc = if source.as_deref() == Some("api-facts") {
            format!("api-facts: the SDK's create body / {}", path.join("."))
        } else {
            format!("{table} / {name}")
        };
        out.push(Field {
            path: path.clone(),
            schema: resolved.clone(),
            doc,
            required: required.contains(&name),
            error_code: codes.get(&name).cloned().or(code),
            discriminator: prefix.is_empty() && discriminators.contains(&name),
        });
        if resolved.get("properties").is_some() {
            let child_table = table_of(&resolved).unwrap_or_else(|| table.clone());
            let child_carrier = carrier.get(&name).cloned().unwrap_or(Value::Null);
            walk(contract, &resolved, &child_carrier, &path, child_table, out);
        }
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The values derived for `field`.
pub fn variants(contract: &Contract, field: &Field) -> Vec<Variant> {
    let schema = &field.schema;
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or("");
    let mut out = Vec::new();
    let mut push = |name: String, value: Option<Value>, valid: bool, rule: String, probe: Probe| {
        out.push(Variant {
            name,
            value,
            valid,
            rule,
            probe,
        });
    };
    if let Some((wrong, value)) = wrong_type(kind) {
        push(
            format!("type_{wrong}"),
            Some(value),
            false,
            format!("type {kind}"),
            Probe::Type,
        );
    }
    if field.required {
        push(
            "missing".into(),
            None,
            false,
            "required".into(),
            Probe::Missing,
        );
    }
    if kind == "string" {
        string_variants(field, &mut push);
    }
    let enumerated = if kind == "array" {
        let (items, _, _) = resolve(contract, schema.get("items").unwrap_or(&Value::Null));
        enum_values(&items).map(|values| (values, true))
    } else {
        enum_values(schema).map(|values| (values, false))
    };
    if let Some((values, in_array)) = enumerated {
        let wrap = |v: Value| if in_array { json!([v]) } else { v };
        let allowed = values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("|");
        push(
            "enum_bogus".into(),
            Some(wrap(json!("bogus"))),
            false,
            format!("enum {allowed}"),
            Probe::Enum,
        );
        if !field.discriminator {
            for value in values {
                let name = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                push(
                    format!("enum_{name}"),
                    Some(wrap(value.clone())),
                    true,
                    format!("enum {allowed}"),
                    Probe::Enum,
                );
            }
        }
    }
    out
}

fn wrong_type(kind: &str) -> Option<(&'static str, Value)> {
    match kind {
        "string" => Some(("number", json!(7))),
        "boolean" => Some(("string", json!("true"))),
        "integer" => Some(("string", json!("1"))),
        "array" | "object" => Some(("string", json!("x"))),
        _ => None,
    }
}

fn enum_values(schema: &Value) -> Option<Vec<Value>> {
    schema.get("enum").and_then(Value::as_array).cloned()
}

fn string_variants(
    field: &Field,
    push: &mut impl FnMut(String, Option<Value>, bool, String, Probe),
) {
    let schema = &field.schema;
    let pattern = schema
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(|p| Regex::new(p).ok());
    let min = schema
        .get("minLength")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let mut lengths: Vec<(usize, bool, String)> = Vec::new();
    if let Some(min) = min {
        if min > 0 {
            lengths.push((min - 1, false, format!("minLength {min}")));
        }
        lengths.push((min, true, format!("minLength {min}")));
    }
    if let Some(max) = max {
        lengths.push((max, true, format!("maxLength {max}")));
        lengths.push((max + 1, false, format!("maxLength {max}")));
    }
    for (n, valid, rule) in lengths {
        let Some(value) = string_of_length(field, n) else {
            continue;
        };
        // A "valid" length must also satisfy the pattern, or it probes nothing clean.
        let expanded = value
            .replace("${prefix}", &"p".repeat(PREFIX_LEN))
            .replace("${bucket_3}", "a0a");
        if valid && pattern.as_ref().is_some_and(|re| !re.is_match(&expanded)) {
            continue;
        }
        push(
            format!("len_{n}"),
            Some(json!(value)),
            valid,
            rule,
            Probe::Length,
        );
    }
    for (kind, example) in schema
        .get("x-invalid-examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(example) = example.as_str() {
            push(
                format!("pattern_{kind}"),
                Some(json!(example)),
                false,
                "pattern".into(),
                Probe::Pattern,
            );
        }
    }
}

/// A string of exactly `n` characters for the field; for the tracker's own name it is
/// named by the run ([`run_named`]), so a real account's trackers can never be hit and
/// `sweep` can find what a create left, whatever its answer.
fn string_of_length(field: &Field, n: usize) -> Option<String> {
    if field.names_a_bucket() {
        // Bucket names are global: one with the run's prefix is no account's; a shorter
        // one is somebody's, so the run only uses it where a target is its own (loopback).
        return match n {
            3 => Some("${bucket_3}".into()),
            n => Some(run_named(n).unwrap_or_else(|| "a".repeat(n))),
        };
    }
    if !field.names_the_tracker() {
        return Some("a".repeat(n));
    }
    match n {
        0 => Some(String::new()),
        n => run_named(n),
    }
}

/// A name of exactly `n` characters once `${prefix}` is expanded, named as everything
/// the run creates is (`${prefix}-aaa...`, [`crate::cts::made_by_run`]); `None` when `n`
/// leaves no room for the prefix and its dash.
pub fn run_named(n: usize) -> Option<String> {
    let rest = n.checked_sub(PREFIX_LEN + 1)?;
    Some(format!("${{prefix}}-{}", "a".repeat(rest)))
}
