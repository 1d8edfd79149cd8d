//! What case files of one API may refer to, handed to the loader by that API's service
//! (`crate::cts::Service::case_rules`): the variables every run defines, and how a step
//! names what it creates (the keys of `creates`, their defaults, and the operation whose
//! body names them when `creates` is left out). The loader knows no API; CTS's rules are
//! `crate::cts::CASE_RULES`.

use std::collections::BTreeMap;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::model::StepSpec;
use super::string_map::StringMap;

/// The rules case files are loaded by.
#[derive(Debug, Clone, Copy)]
pub struct CaseRules {
    /// The variables every run defines (`${project_id}`, `${prefix}`, ...).
    pub run_variables: &'static [&'static str],
    pub creates: CreatesRule,
}

/// How a step names what it creates, so the ledger can remove it: `creates` takes these
/// keys (in this order), the first one required, the others with their default.
#[derive(Debug, Clone, Copy)]
pub struct CreatesRule {
    /// The key that names the resource (required), e.g. `tracker_name`.
    pub name_key: &'static str,
    /// Further keys, each with its default when a step leaves it out.
    pub other_keys: &'static [(&'static str, &'static str)],
    /// A step of this operation without `creates` records what its body names under
    /// these keys (`None`: `creates` is never inferred).
    pub inferred_from: Option<&'static str>,
}

impl CreatesRule {
    /// Every key `creates` takes, the name first.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.name_key).chain(self.other_keys.iter().map(|(key, _)| *key))
    }

    /// An example `creates`, for help texts: `{"tracker_name": "${prefix}-a", ...}`.
    pub fn example(&self) -> String {
        let mut pairs = vec![format!("\"{}\": \"${{prefix}}-a\"", self.name_key)];
        pairs.extend(
            self.other_keys
                .iter()
                .map(|(key, default)| format!("\"{key}\": \"{default}\"")),
        );
        format!("{{{}}}", pairs.join(", "))
    }

    /// The names a ledger keeps of what a step `creates` (the defaults filled in), still
    /// with their `${variables}`.
    pub fn created_names(&self, creates: &StringMap) -> BTreeMap<String, String> {
        let mut names: BTreeMap<String, String> = creates
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        names.entry(self.name_key.to_string()).or_default();
        for (key, default) in self.other_keys {
            names
                .entry(key.to_string())
                .or_insert_with(|| default.to_string());
        }
        names
    }

    /// A step of [`CreatesRule::inferred_from`] without `creates` gets one from what its
    /// body names (a string under the name key; the others' strings or defaults).
    pub fn infer(&self, step: &mut StepSpec) {
        if self.inferred_from != Some(step.operation.as_str()) || step.creates.is_some() {
            return;
        }
        let Some(body) = step.body.as_ref().map(|body| body.written_json()) else {
            return;
        };
        // Only these members are read (not the whole body); a body that is not an
        // object names nothing.
        if body.first() != Some(&b'{') {
            return;
        }
        let wanted: Vec<&str> = self.keys().collect();
        let mut deserializer = serde_json::Deserializer::from_slice(&body);
        let Ok(found) = (Members { wanted: &wanted }).deserialize(&mut deserializer) else {
            return;
        };
        let text = |key: &str| {
            let index = wanted.iter().position(|w| *w == key)?;
            match found.iter().find(|(i, _)| *i == index) {
                Some((_, Value::String(text))) => Some(text.as_str()),
                _ => None,
            }
        };
        let Some(name) = text(self.name_key) else {
            return;
        };
        let mut entries: Vec<(&str, &str)> = vec![(self.name_key, name)];
        entries.extend(
            self.other_keys
                .iter()
                .map(|(key, default)| (*key, text(key).unwrap_or(default))),
        );
        entries.sort_unstable();
        step.creates = Some(StringMap::from_sorted(entries.into_iter()));
    }
}

/// Reads the `wanted` members of a JSON object, skipping the rest unparsed: each found
/// member's index in `wanted` and its value (keys are compared, not copied: this runs for
/// every create step of a plan).
struct Members<'w> {
    wanted: &'w [&'w str],
}

impl<'de> DeserializeSeed<'de> for Members<'_> {
    type Value = Vec<(usize, Value)>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = Vec<(usize, Value)>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = Vec::new();
        while let Some(key) = map.next_key_seed(Key {
            wanted: self.wanted,
        })? {
            match key {
                Some(index) => found.push((index, map.next_value::<Value>()?)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// A member's key: its index in `wanted`, if it is one of them.
struct Key<'w> {
    wanted: &'w [&'w str],
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<usize>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.wanted.iter().position(|wanted| *wanted == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: CreatesRule = CreatesRule {
        name_key: "widget",
        other_keys: &[("colour", "red")],
        inferred_from: Some("CreateWidget"),
    };

    fn step(operation: &str, body: Value) -> StepSpec {
        serde_json::from_value(serde_json::json!({"operation": operation, "body": body}))
            .expect("a step")
    }

    #[test]
    fn creates_is_inferred_from_the_body_of_its_operation_only() {
        let mut create = step(
            "CreateWidget",
            serde_json::json!({"widget": "${prefix}-w", "n": [1]}),
        );
        RULE.infer(&mut create);
        let creates = create.creates.expect("inferred");
        assert_eq!(creates.get("widget"), Some("${prefix}-w"));
        assert_eq!(creates.get("colour"), Some("red"));
        let mut other = step("ListWidgets", serde_json::json!({"widget": "w"}));
        RULE.infer(&mut other);
        assert!(other.creates.is_none());
        let mut unnamed = step("CreateWidget", serde_json::json!({"widget": 5}));
        RULE.infer(&mut unnamed);
        assert!(unnamed.creates.is_none());
        // Only the body's own members count, not those of a nested object.
        let mut nested = step(
            "CreateWidget",
            serde_json::json!({"other": {"widget": "x"}, "widget": "w", "colour": "blue"}),
        );
        RULE.infer(&mut nested);
        let creates = nested.creates.expect("inferred");
        assert_eq!(creates.get("widget"), Some("w"));
        assert_eq!(creates.get("colour"), Some("blue"));
        assert_eq!(
            RULE.example(),
            r#"{"widget": "${prefix}-a", "colour": "red"}"#
        );
    }
}
