//! A step's JSON request body, compiled at load into [`BodyTemplate`]: the body serialised
//! once, as the request will carry it, with a hole for each string that refers to
//! `${variables}` (parsed into a [`Template`]). Rendering a request copies the text and
//! writes each hole's expanded value; no JSON tree is built or cloned per request, and a
//! plan of many cases holds a few hundred bytes per body instead of a tree of maps.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::vars::{self, expand_str, names_of, VarError, Vars};

/// A JSON request body with its variables still to fill.
#[derive(Clone)]
pub struct BodyTemplate {
    /// The strings of the holes as written, one after the other, then the body as
    /// compact JSON (as `serde_json` writes it) without them: one allocation for all.
    text: Box<str>,
    /// The strings that refer to variables (or are written with `$${`, or are malformed),
    /// in the order they appear.
    holes: Box<[Hole]>,
}

/// A hole: where its value goes in the JSON, and where its string ends in the text (it
/// starts where the previous hole's ends).
#[derive(Debug, Clone, Copy)]
struct Hole {
    at: usize,
    end: usize,
}

impl BodyTemplate {
    /// Compiles a body as written in a case file.
    pub fn new(body: &Value) -> BodyTemplate {
        let mut bytes = Vec::new();
        let mut strings = Vec::new();
        write(body, &mut bytes, &mut strings);
        // Only strings and JSON punctuation were written: UTF-8.
        let json = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let mut text =
            String::with_capacity(strings.iter().map(|(_, s)| s.len()).sum::<usize>() + json.len());
        let mut holes = Vec::with_capacity(strings.len());
        for (at, string) in &strings {
            text.push_str(string);
            holes.push(Hole {
                at: *at,
                end: text.len(),
            });
        }
        text.push_str(&json);
        BodyTemplate {
            text: text.into_boxed_str(),
            holes: holes.into_boxed_slice(),
        }
    }

    /// The body's JSON without the holes.
    fn json(&self) -> &str {
        &self.text[self.holes.last().map_or(0, |hole| hole.end)..]
    }

    /// Each hole with its string as written.
    fn holes(&self) -> impl Iterator<Item = (usize, &str)> {
        let mut start = 0;
        self.holes.iter().map(move |hole| {
            let string = &self.text[start..hole.end];
            start = hole.end;
            (hole.at, string)
        })
    }

    /// The bytes to send: exactly `serde_json::to_vec` of the body with every string's
    /// variables expanded ([`crate::case::vars::expand_json`]); the first unknown or
    /// malformed variable, in document order, is the error.
    pub fn render(&self, vars: &Vars) -> Result<Vec<u8>, VarError> {
        let json = self.json().as_bytes();
        let mut out = Vec::with_capacity(json.len() + 32 * self.holes.len());
        let mut from = 0;
        for (at, string) in self.holes() {
            out.extend_from_slice(&json[from..at]);
            let value = expand_str(string, vars)?;
            // Writing JSON to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut out, &value);
            from = at;
        }
        out.extend_from_slice(&json[from..]);
        Ok(out)
    }

    /// The body as written (variables unexpanded), made when asked.
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.written_json()).unwrap_or(Value::Null)
    }

    /// The body as written (variables unexpanded), as compact JSON text.
    pub fn written_json(&self) -> Vec<u8> {
        let json = self.json();
        let json = json.as_bytes();
        let mut text = Vec::with_capacity(self.text.len() + 8 * self.holes.len());
        let mut from = 0;
        for (at, string) in self.holes() {
            text.extend_from_slice(&json[from..at]);
            push_json_string(&mut text, string);
            from = at;
        }
        text.extend_from_slice(&json[from..]);
        text
    }

    /// Whether the body refers to no variable: rendering it gives its text as it is.
    pub fn is_static(&self) -> bool {
        self.holes.is_empty()
    }

    /// The strings that refer to variables (or may: malformed ones), as written.
    pub fn templated_strings(&self) -> impl Iterator<Item = &str> {
        self.holes().map(|(_, string)| string)
    }

    /// The names of the variables the body refers to, in document order (a malformed
    /// string names none; the loader reports it).
    pub fn variable_names(&self) -> impl Iterator<Item = &str> {
        self.templated_strings()
            .filter_map(|text| names_of(text).ok())
            .flatten()
    }
}

/// Appends `value` as compact JSON, leaving out each string that is not its own literal
/// text: those are listed in `holes` with the offset where their value goes.
fn write<'a>(value: &'a Value, text: &mut Vec<u8>, holes: &mut Vec<(usize, &'a str)>) {
    match value {
        Value::String(s) => match vars::is_literal(s) {
            true => push_json_string(text, s),
            false => holes.push((text.len(), s)),
        },
        Value::Array(items) => {
            text.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    text.push(b',');
                }
                write(item, text, holes);
            }
            text.push(b']');
        }
        Value::Object(map) => {
            text.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    text.push(b',');
                }
                push_json_string(text, key);
                text.push(b':');
                write(item, text, holes);
            }
            text.push(b'}');
        }
        // Writing JSON to a Vec cannot fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *text, scalar);
        }
    }
}

/// Appends `s` as a JSON string, as `serde_json` writes it.
fn push_json_string(text: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *text, s);
}

impl From<Value> for BodyTemplate {
    fn from(body: Value) -> BodyTemplate {
        BodyTemplate::new(&body)
    }
}

impl fmt::Debug for BodyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BodyTemplate({})", self.to_value())
    }
}

impl<'de> Deserialize<'de> for BodyTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|body| BodyTemplate::new(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::vars::expand_json;
    use serde_json::json;

    fn vars() -> Vars {
        Vars::from([
            ("prefix".to_string(), json!("cc-1")),
            ("n".to_string(), json!(5)),
            ("o".to_string(), json!({"k": [1, "\"q\""]})),
            ("quote".to_string(), json!("a\"b\\c\n")),
        ])
    }

    #[test]
    fn renders_the_bytes_serde_json_writes_for_the_expanded_body() {
        for body in [
            json!({"tracker_name": "${prefix}-a", "n": "${n}", "o": "${o}", "q": "${quote}!"}),
            json!({"lit": "$${not}", "dollar": "$5", "nested": {"a": ["${n}", 1.5, null, true]}}),
            json!([{"é": "ü\u{1}"}, "", {}, [], -3, 1e100, "${prefix}"]),
            json!("${o}"),
            json!(42),
        ] {
            let compiled = BodyTemplate::new(&body);
            let expected = serde_json::to_vec(&expand_json(&body, &vars()).unwrap()).unwrap();
            assert_eq!(
                String::from_utf8(compiled.render(&vars()).unwrap()).unwrap(),
                String::from_utf8(expected).unwrap()
            );
            assert_eq!(compiled.to_value(), body);
        }
    }

    #[test]
    fn fails_with_the_first_error_in_document_order_as_expand_json_does() {
        let body = json!({"a": "${missing}", "b": "${bad", "c": "${prefix}"});
        let compiled = BodyTemplate::new(&body);
        assert_eq!(
            compiled.render(&vars()).unwrap_err(),
            expand_json(&body, &vars()).unwrap_err()
        );
        let malformed = json!({"b": "${bad", "c": "${missing}"});
        assert_eq!(
            BodyTemplate::new(&malformed).render(&vars()).unwrap_err(),
            expand_json(&malformed, &vars()).unwrap_err()
        );
        assert_eq!(BodyTemplate::new(&malformed).to_value(), malformed);
    }

    #[test]
    fn lists_its_variables() {
        let compiled = BodyTemplate::new(&json!({"a": "${x}-${y}", "b": ["${bad"], "c": "z"}));
        assert_eq!(compiled.variable_names().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(
            compiled.templated_strings().collect::<Vec<_>>(),
            ["${x}-${y}", "${bad"]
        );
        assert!(!compiled.is_static());
        assert!(BodyTemplate::new(&json!({"c": "z"})).is_static());
    }
}
