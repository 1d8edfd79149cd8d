//! `${name}` variables: finding them in case files and expanding them at run time.
//!
//! A string that is exactly `${name}` becomes the variable's JSON value (so a captured
//! number stays a number); inside a longer string the value is spliced in as text.
//! `$${` writes a literal `${`.

use std::collections::BTreeMap;

use serde_json::Value;

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
    let parts = pieces(text)?;
    let lookup = |name: &str| {
        vars.get(name)
            .ok_or_else(|| VarError::Unknown(name.to_string()))
    };
    let non_empty: Vec<&Piece> = parts
        .iter()
        .filter(|p| !matches!(p, Piece::Text("")))
        .collect();
    if let [Piece::Var(name)] = non_empty.as_slice() {
        return lookup(name).cloned();
    }
    let mut out = String::new();
    for part in &parts {
        match part {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => match lookup(name)? {
                Value::String(s) => out.push_str(s),
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(Value::String(out))
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
                strings_in(
                    v,
                    &format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
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
