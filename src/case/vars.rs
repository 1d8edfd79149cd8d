//! `${name}` variables: finding them in case files and expanding them at run time.
//!
//! A string that is exactly `${name}` becomes the variable's JSON value (so a captured
//! number stays a number); inside a longer string the value is spliced in as text.
//! `$${` writes a literal `${`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::json_pointer;

/// Variable values by name.
pub type Vars = BTreeMap<String, Value>;

/// A malformed variable reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VarError {
    #[error("unclosed ${{ in {0:?}: write ${{name}}, or $${{ for a literal ${{")]
    Unclosed(String),
    #[error("{0:?} is not a variable name (letters, digits and _)")]
    BadName(String),
    #[error("unknown variable ${{{0}}}")]
    Unknown(String),
}

enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn pieces(text: &str) -> Result<Vec<Piece<'_>>, VarError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let after = &rest[i..];
        if after.starts_with("$${") {
            out.push(Piece::Text(&rest[..i]));
            out.push(Piece::Text("${"));
            rest = &rest[i + 3..];
        } else if let Some(inner) = after.strip_prefix("${") {
            let end = inner
                .find('}')
                .ok_or_else(|| VarError::Unclosed(text.to_string()))?;
            let name = &inner[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(VarError::BadName(name.to_string()));
            }
            out.push(Piece::Text(&rest[..i]));
            out.push(Piece::Var(name));
            rest = &inner[end + 1..];
        } else {
            out.push(Piece::Text(&rest[..i + 1]));
            rest = &rest[i + 1..];
        }
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// The names of the variables a string refers to.
pub fn names_in(text: &str) -> Result<Vec<String>, VarError> {
    Ok(pieces(text)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(name) => Some(name.to_string()),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Expands a string; a string that is exactly one variable takes the variable's value.
pub fn expand_str(text: &str, vars: &Vars) -> Result<Value, VarError> {
    if !text.contains('$') {
        return Ok(Value::String(text.to_string()));
    }
    Template::parse(text)?.expand(vars)
}

/// A string parsed once into text and `${variable}` parts, expanded as often as needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The string as written.
    raw: String,
    /// Text and variable parts (empty text parts dropped; `$${` already unescaped).
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

impl Template {
    /// Parses a string; malformed references (`${x`, `${a-b}`) are errors.
    pub fn parse(text: &str) -> Result<Template, VarError> {
        let mut parts: Vec<Part> = Vec::new();
        for piece in pieces(text)? {
            match piece {
                Piece::Text("") => {}
                Piece::Text(t) => match parts.last_mut() {
                    Some(Part::Text(last)) => last.push_str(t),
                    _ => parts.push(Part::Text(t.to_string())),
                },
                Piece::Var(name) => parts.push(Part::Var(name.to_string())),
            }
        }
        Ok(Template {
            raw: text.to_string(),
            parts,
        })
    }

    /// The string as written in the case file.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The text when the string refers to no variable (`$${` written as `${`).
    pub fn as_static(&self) -> Option<String> {
        // Adjacent text parts are merged, so more than one part means a variable.
        match self.parts.as_slice() {
            [] => Some(String::new()),
            [Part::Text(text)] => Some(text.clone()),
            _ => None,
        }
    }

    /// The value: a string that is exactly one variable takes the variable's JSON value;
    /// otherwise values are spliced in as text.
    pub fn expand(&self, vars: &Vars) -> Result<Value, VarError> {
        let lookup = |name: &str| {
            vars.get(name)
                .ok_or_else(|| VarError::Unknown(name.to_string()))
        };
        if let [Part::Var(name)] = self.parts.as_slice() {
            return lookup(name).cloned();
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(name) => match lookup(name)? {
                    Value::String(s) => out.push_str(s),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(Value::String(out))
    }
}

/// Expands a string to text (non-string values are written as JSON).
pub fn expand_text(text: &str, vars: &Vars) -> Result<String, VarError> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len() + 16);
    for piece in pieces(text)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => push_text(&mut out, lookup(vars, name)?),
        }
    }
    Ok(out)
}

fn lookup<'v>(vars: &'v Vars, name: &str) -> Result<&'v Value, VarError> {
    vars.get(name)
        .ok_or_else(|| VarError::Unknown(name.to_string()))
}

/// A value spliced into text: a string as it is, anything else as JSON.
fn push_text(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => out.push_str(s),
        other => out.push_str(&other.to_string()),
    }
}

/// Expands every string inside a JSON value (object keys are left alone).
pub fn expand_json(value: &Value, vars: &Vars) -> Result<Value, VarError> {
    Ok(match value {
        Value::String(s) if s.contains('$') => expand_str(s, vars)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| expand_json(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), expand_json(v, vars)?)))
                .collect::<Result<_, VarError>>()?,
        ),
        other => other.clone(),
    })
}

/// The bytes of `serde_json::to_vec(&expand_json(value, vars)?)`, written directly: no
/// expanded copy of the value is built (this is what every request body goes through).
pub fn expand_json_bytes(value: &Value, vars: &Vars) -> Result<Vec<u8>, VarError> {
    let mut out = Vec::with_capacity(256);
    write_expanded(value, vars, &mut out)?;
    Ok(out)
}

fn write_expanded(value: &Value, vars: &Vars, out: &mut Vec<u8>) -> Result<(), VarError> {
    // Writing JSON into a Vec cannot fail: serde_json's io errors come only from the writer.
    let write = |out: &mut Vec<u8>, v: &dyn erased::Json| v.write_to(out);
    match value {
        Value::String(s) if s.contains('$') => {
            let mut pieces = pieces(s)?;
            pieces.retain(|p| !matches!(p, Piece::Text("")));
            if let [Piece::Var(name)] = pieces.as_slice() {
                write(out, lookup(vars, name)?);
            } else {
                let mut text = String::with_capacity(s.len() + 16);
                for piece in pieces {
                    match piece {
                        Piece::Text(t) => text.push_str(t),
                        Piece::Var(name) => push_text(&mut text, lookup(vars, name)?),
                    }
                }
                write(out, &text.as_str());
            }
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_expanded(item, vars, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, &key.as_str());
                out.push(b':');
                write_expanded(item, vars, out)?;
            }
            out.push(b'}');
        }
        scalar => write(out, scalar),
    }
    Ok(())
}

/// Values written as compact JSON into a byte buffer.
mod erased {
    pub trait Json {
        fn write_to(&self, out: &mut Vec<u8>);
    }
    impl<T: serde::Serialize + ?Sized> Json for T {
        fn write_to(&self, out: &mut Vec<u8>) {
            // Serializing a string or a serde_json::Value into a Vec never fails.
            let _ = serde_json::to_writer(out, self);
        }
    }
}

/// Every string in a JSON value that may refer to a variable (any string with a `$`),
/// without its pointer: what finding a step's variables needs.
pub fn texts_in<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) if s.contains('$') => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| texts_in(v, out)),
        Value::Object(map) => map.values().for_each(|v| texts_in(v, out)),
        _ => {}
    }
}

/// Every string in a JSON value that refers to a variable (or is malformed as one: any
/// string with a `$`), with its JSON pointer under `path`. Strings without `$` can refer
/// to nothing and are left out, so their pointers are never built.
pub fn strings_in(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    fn walk<'a>(
        value: &'a Value,
        path: &str,
        tokens: &mut Vec<std::borrow::Cow<'a, str>>,
        out: &mut Vec<(String, String)>,
    ) {
        match value {
            Value::String(s) if s.contains('$') => {
                let mut pointer = path.to_string();
                for token in tokens.iter() {
                    pointer = json_pointer::child(&pointer, token);
                }
                out.push((pointer, s.clone()));
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    tokens.push(i.to_string().into());
                    walk(v, path, tokens, out);
                    tokens.pop();
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    tokens.push(k.as_str().into());
                    walk(v, path, tokens, out);
                    tokens.pop();
                }
            }
            _ => {}
        }
    }
    walk(value, path, &mut Vec::new(), out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        Vars::from([("run_id".into(), json!("7f3a")), ("n".into(), json!(5))])
    }

    #[test]
    fn expands_inside_strings_and_whole_values() {
        assert_eq!(
            expand_str("cc-${run_id}-a", &vars()).unwrap(),
            json!("cc-7f3a-a")
        );
        assert_eq!(expand_str("${n}", &vars()).unwrap(), json!(5));
        assert_eq!(expand_str("n=${n}", &vars()).unwrap(), json!("n=5"));
        assert_eq!(
            expand_str("$${run_id} $5", &vars()).unwrap(),
            json!("${run_id} $5")
        );
        assert_eq!(
            expand_json(&json!({"a": ["${run_id}", 1]}), &vars()).unwrap(),
            json!({"a": ["7f3a", 1]})
        );
    }

    #[test]
    fn body_bytes_are_the_expanded_value_serialized() {
        let vars = Vars::from([
            ("run_id".into(), json!("7f3a")),
            ("n".into(), json!(5)),
            ("quote".into(), json!("a\"b\\c\n")),
            ("obj".into(), json!({"z": 1, "a": [true, null]})),
        ]);
        for body in [
            json!({"b": "cc-${run_id}", "a": ["${n}", "${obj}", 1.5, null, false], "e": {}}),
            json!({"q": "x${quote}y", "whole": "${quote}", "lit": "$${run_id} $5", "ü\"": "é"}),
            json!(["${n}", [], [[]], {"k": "${obj}"}]),
            json!("${run_id}"),
            json!(-0.25),
        ] {
            assert_eq!(
                expand_json_bytes(&body, &vars).unwrap(),
                serde_json::to_vec(&expand_json(&body, &vars).unwrap()).unwrap(),
                "{body}"
            );
        }
        assert_eq!(
            expand_json_bytes(&json!({"a": "${missing}"}), &vars).unwrap_err(),
            VarError::Unknown("missing".into())
        );
    }

    #[test]
    fn strings_in_lists_only_strings_that_can_refer_to_variables() {
        let mut out = Vec::new();
        strings_in(
            &json!({"a/b": ["plain", "x${v}"], "c~": {"d": "$"}, "n": 1}),
            "/body",
            &mut out,
        );
        assert_eq!(
            out,
            [
                ("/body/a~1b/1".to_string(), "x${v}".to_string()),
                ("/body/c~0/d".to_string(), "$".to_string()),
            ]
        );
    }

    #[test]
    fn a_template_parsed_once_expands_like_expand_str() {
        let template = Template::parse("cc-${run_id}-$${x}").unwrap();
        assert_eq!(template.as_static(), None);
        assert_eq!(template.raw(), "cc-${run_id}-$${x}");
        assert_eq!(template.expand(&vars()).unwrap(), json!("cc-7f3a-${x}"));
        assert_eq!(
            Template::parse("${n}").unwrap().expand(&vars()).unwrap(),
            json!(5)
        );
        let literal = Template::parse("a$${b} $5").unwrap();
        assert_eq!(literal.as_static().as_deref(), Some("a${b} $5"));
        assert_eq!(
            Template::parse("").unwrap().as_static().as_deref(),
            Some("")
        );
    }

    #[test]
    fn reports_bad_references() {
        assert_eq!(names_in("a${x}b${y_2}").unwrap(), ["x", "y_2"]);
        assert_eq!(
            names_in("${x").unwrap_err(),
            VarError::Unclosed("${x".into())
        );
        assert_eq!(
            names_in("${a-b}").unwrap_err(),
            VarError::BadName("a-b".into())
        );
        assert_eq!(
            expand_str("${nope}", &vars()).unwrap_err(),
            VarError::Unknown("nope".into())
        );
    }
}
