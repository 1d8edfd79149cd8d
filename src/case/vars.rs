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
    Ok(match expand_str(text, vars)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Expands every string inside a JSON value (object keys are left alone).
pub fn expand_json(value: &Value, vars: &Vars) -> Result<Value, VarError> {
    Ok(match value {
        Value::String(s) => expand_str(s, vars)?,
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

/// Every string in a JSON value with its JSON pointer (for checking references).
pub fn strings_in(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((path.to_string(), s.clone())),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings_in(v, &format!("{path}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                strings_in(v, &json_pointer::child(path, k), out);
            }
        }
        _ => {}
    }
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
