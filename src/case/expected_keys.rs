//! The keys of an expected body checked against the response schema of the expected
//! statuses, at load (as captures are): a key the schema cannot have (a misspelt
//! `"detial": {"$absent": true}` would always pass) is an error.
//!
//! The rule (docs/case-format.md, "Expected keys"): where a schema documents its
//! properties (`properties`, also in its `allOf`/`anyOf`/`oneOf` parts), an expected key
//! must be one of them, whatever `additionalProperties` says: an undocumented key is
//! nothing the contract describes, so nothing a case can assert. Where a schema documents
//! none (a free-form object, or a status without a body schema), any key is accepted and
//! nothing below it is checked. With several candidate schemas (several statuses), a key
//! is accepted if one of them documents it.

use serde_json::Value;

use super::pattern::{Matcher, Node};
use crate::contract::Contract;

/// An expected key no candidate schema documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// JSON pointer of the key, relative to the expected body.
    pub pointer: String,
    pub key: String,
    /// The keys the schemas document there, sorted.
    pub documented: Vec<String>,
}

/// The keys of `body` that none of `schemas` (the response schemas of the expected
/// statuses, as written in the contract) documents.
pub fn unknown_keys(contract: &Contract, body: &Node, schemas: &[&Value]) -> Vec<UnknownKey> {
    let mut found = Vec::new();
    let candidates: Vec<&Value> = schemas.iter().map(|s| contract.resolve(s)).collect();
    walk(contract, body, &candidates, &mut String::new(), &mut found);
    found
}

fn walk(
    contract: &Contract,
    node: &Node,
    schemas: &[&Value],
    pointer: &mut String,
    found: &mut Vec<UnknownKey>,
) {
    if schemas.is_empty() {
        return;
    }
    match node {
        Node::Object(members) => {
            let mut documented: Vec<(&str, &Value)> = Vec::new();
            for schema in schemas {
                if !documented_properties(contract, schema, &mut documented) {
                    // A free-form candidate: any key, nothing below checked.
                    return;
                }
            }
            for member in members.iter() {
                let key: &str = &member.key;
                let children: Vec<&Value> = documented
                    .iter()
                    .filter(|(name, _)| *name == key)
                    .map(|(_, schema)| contract.resolve(schema))
                    .collect();
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&member.token());
                if children.is_empty() {
                    let mut names: Vec<String> = documented
                        .iter()
                        .map(|(name, _)| name.to_string())
                        .collect();
                    names.sort();
                    names.dedup();
                    found.push(UnknownKey {
                        pointer: pointer.clone(),
                        key: key.to_string(),
                        documented: names,
                    });
                } else {
                    walk(contract, &member.node, &children, pointer, found);
                }
                pointer.truncate(length);
            }
        }
        Node::Array(items) => {
            let Some(elements) = item_schemas(contract, schemas) else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                within(pointer, &i.to_string(), |pointer| {
                    walk(contract, item, &elements, pointer, found)
                });
            }
        }
        Node::Matcher(matcher) => match matcher {
            Matcher::OneOf(alternatives) => {
                for (i, alternative) in alternatives.iter().enumerate() {
                    within(pointer, &format!("$oneOf/{i}"), |pointer| {
                        walk(contract, alternative, schemas, pointer, found)
                    });
                }
            }
            Matcher::Every(item) => {
                if let Some(elements) = item_schemas(contract, schemas) {
                    within(pointer, "$every", |pointer| {
                        walk(contract, item, &elements, pointer, found)
                    });
                }
            }
            Matcher::Contains(items) | Matcher::Unordered(items) => {
                if let Some(elements) = item_schemas(contract, schemas) {
                    for (i, item) in items.iter().enumerate() {
                        within(pointer, &format!("{}/{i}", matcher.key()), |pointer| {
                            walk(contract, item, &elements, pointer, found)
                        });
                    }
                }
            }
            Matcher::Type(_)
            | Matcher::Regex(_)
            | Matcher::RegexTemplate(_)
            | Matcher::Absent
            | Matcher::Range { .. }
            | Matcher::Any => {}
        },
        Node::Scalar(_) | Node::Template(_) | Node::Invalid(_) => {}
    }
}

/// Runs `inner` with `tokens` (already escaped) appended to `pointer`.
fn within(pointer: &mut String, tokens: &str, inner: impl FnOnce(&mut String)) {
    let length = pointer.len();
    pointer.push('/');
    pointer.push_str(tokens);
    inner(pointer);
    pointer.truncate(length);
}

/// Adds the properties `schema` documents (its own and its `allOf`/`anyOf`/`oneOf`
/// parts'); `false` if it documents none (free-form).
fn documented_properties<'a>(
    contract: &'a Contract,
    schema: &'a Value,
    into: &mut Vec<(&'a str, &'a Value)>,
) -> bool {
    let schema = contract.resolve(schema);
    let mut any = false;
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        into.extend(properties.iter().map(|(k, v)| (k.as_str(), v)));
        any = true;
    }
    for composition in ["allOf", "anyOf", "oneOf"] {
        for part in schema
            .get(composition)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            any |= documented_properties(contract, part, into);
        }
    }
    any
}

/// The element schemas of array `schemas` (their `items`); `None` if one has none.
fn item_schemas<'a>(contract: &'a Contract, schemas: &[&'a Value]) -> Option<Vec<&'a Value>> {
    schemas
        .iter()
        .map(|s| s.get("items").map(|items| contract.resolve(items)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unknown(schema: Value, body: Value) -> Vec<String> {
        let contract = Contract::embedded();
        unknown_keys(contract, &Node::compile(&body), &[&schema])
            .into_iter()
            .map(|u| u.pointer)
            .collect()
    }

    #[test]
    fn documented_properties_bound_the_keys_whatever_additional_properties_says() {
        let schema = json!({"type": "object", "additionalProperties": true,
                            "properties": {"a": {"type": "object", "properties": {"b": {}}}}});
        assert_eq!(
            unknown(schema.clone(), json!({"a": {"b": 1}})),
            Vec::<String>::new()
        );
        assert_eq!(unknown(schema.clone(), json!({"x": 1})), ["/x"]);
        assert_eq!(
            unknown(schema, json!({"a": {"$oneOf": [{"c": 1}, {"b": 2}]}})),
            ["/a/$oneOf/0/c"]
        );
    }

    #[test]
    fn a_free_form_schema_takes_any_key() {
        let free = json!({"type": "object", "additionalProperties": {"type": "string"}});
        assert!(unknown(free, json!({"anything": "x"})).is_empty());
        let inside = json!({"properties": {"a": {"type": "object"}}});
        assert!(unknown(inside, json!({"a": {"anything": 1}})).is_empty());
    }

    #[test]
    fn arrays_and_list_matchers_follow_the_items() {
        let schema = json!({"properties": {"l": {"type": "array",
                            "items": {"properties": {"k": {}}}}}});
        let body = json!({"l": {"$contains": [{"k": 1}, {"q": 1}]}});
        assert_eq!(unknown(schema.clone(), body), ["/l/$contains/1/q"]);
        assert_eq!(
            unknown(schema.clone(), json!({"l": [{"q": 1}]})),
            ["/l/0/q"]
        );
        assert_eq!(
            unknown(schema, json!({"l": {"$every": {"q": 1}}})),
            ["/l/$every/q"]
        );
        // Keys are escaped as pointer tokens.
        let schema = json!({"properties": {}});
        assert_eq!(unknown(schema, json!({"a/b": 1})), ["/a~1b"]);
    }

    #[test]
    fn the_contract_refs_are_followed() {
        let contract = Contract::embedded();
        let schema = contract
            .schema("ListTrackersResponseBody")
            .expect("in the contract");
        let body =
            Node::compile(&json!({"trackers": {"$every": {"project_id": "p", "detial": 1}}}));
        let found = unknown_keys(contract, &body, &[schema]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pointer, "/trackers/$every/detial");
        assert!(found[0].documented.iter().any(|k| k == "detail"));
    }
}
