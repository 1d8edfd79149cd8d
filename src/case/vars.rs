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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// The pieces of a string, in order, without allocating: text (a `$${` is the text `${`;
/// empty text is left out) and variable names. A malformed reference ends it with an error.
struct Pieces<'a> {
    text: &'a str,
    rest: &'a str,
    /// A piece found after the text before it, given next.
    pending: Option<Piece<'a>>,
}

fn pieces(text: &str) -> Pieces<'_> {
    Pieces {
        text,
        rest: text,
        pending: None,
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Result<Piece<'a>, VarError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(piece) = self.pending.take() {
            return Some(Ok(piece));
        }
        let rest = self.rest;
        let mut from = 0;
        // A byte search: `$` is ASCII, and most strings are short.
        while let Some(found) = rest.as_bytes()[from..].iter().position(|&b| b == b'$') {
            let i = from + found;
            let after = &rest[i..];
            let (piece, skip) = if after.starts_with("$${") {
                // The `${` of the `$${`.
                (Piece::Text(&after[1..3]), 3)
            } else if let Some(inner) = after.strip_prefix("${") {
                let Some(end) = inner.as_bytes().iter().position(|&b| b == b'}') else {
                    self.rest = "";
                    return Some(Err(VarError::Unclosed(self.text.to_string())));
                };
                let name = &inner[..end];
                // By bytes: a non-ASCII character is no letter, digit nor `_` either way.
                let bad = |b: &u8| !(b.is_ascii_alphanumeric() || *b == b'_');
                if name.is_empty() || name.as_bytes().iter().any(bad) {
                    self.rest = "";
                    return Some(Err(VarError::BadName(name.to_string())));
                }
                (Piece::Var(name), end + 3)
            } else {
                // A `$` that starts nothing: plain text.
                from = i + 1;
                continue;
            };
            self.rest = &rest[i + skip..];
            if i == 0 {
                return Some(Ok(piece));
            }
            self.pending = Some(piece);
            return Some(Ok(Piece::Text(&rest[..i])));
        }
        self.rest = "";
        (!rest.is_empty()).then_some(Ok(Piece::Text(rest)))
    }
}

/// The names of the variables a string refers to.
pub fn names_in(text: &str) -> Result<Vec<String>, VarError> {
    let mut names = Vec::new();
    for piece in pieces(text) {
        if let Piece::Var(name) = piece? {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// The names of the variables a string refers to, found without allocating.
pub fn names_of(text: &str) -> Result<impl Iterator<Item = &str>, VarError> {
    if has_dollar(text) {
        for piece in pieces(text) {
            piece?;
        }
    }
    Ok(pieces(text).filter_map(|piece| match piece {
        Ok(Piece::Var(name)) => Some(name),
        _ => None,
    }))
}

/// Appends the names of the variables a string refers to (borrowed from it) to `names`,
/// in one pass; a malformed reference is the error, and then nothing is appended.
pub fn push_names<'a>(text: &'a str, names: &mut Vec<&'a str>) -> Result<(), VarError> {
    if !has_dollar(text) {
        return Ok(());
    }
    let before = names.len();
    for piece in pieces(text) {
        match piece {
            Ok(Piece::Var(name)) => names.push(name),
            Ok(Piece::Text(_)) => {}
            Err(e) => {
                names.truncate(before);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Whether a string has a `$` (without one it refers to no variable and is its own text).
pub fn has_dollar(text: &str) -> bool {
    text.as_bytes().contains(&b'$')
}

/// Checks a string's `${...}` references without keeping anything: the error of
/// [`Template::parse`], found without allocating.
pub fn check(text: &str) -> Result<(), VarError> {
    if has_dollar(text) {
        for piece in pieces(text) {
            piece?;
        }
    }
    Ok(())
}

/// Whether a string refers to no variable and is its own text (no `$${`, nothing
/// malformed): [`Template::is_literal`] of a string that parses, found without allocating.
pub fn is_literal(text: &str) -> bool {
    if !has_dollar(text) {
        return true;
    }
    let mut pieces = pieces(text);
    match (pieces.next(), pieces.next()) {
        (None, _) => true,
        (Some(Ok(Piece::Text(t))), None) => t.len() == text.len(),
        _ => false,
    }
}

/// Expands a string; a string that is exactly one variable takes the variable's value.
pub fn expand_str(text: &str, vars: &Vars) -> Result<Value, VarError> {
    if !has_dollar(text) {
        return Ok(Value::String(text.to_string()));
    }
    Template::parse(text)?.expand(vars)
}

/// A string checked once for well-formed `${variable}` references, expanded as often as
/// needed. Compact, as a plan of many cases holds many: only the string as written is
/// kept (one allocation); its pieces are found again, without allocating, when used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The string as written (its references well formed).
    raw: Box<str>,
}

impl Template {
    /// Parses a string; malformed references (`${x`, `${a-b}`) are errors.
    pub fn parse(text: &str) -> Result<Template, VarError> {
        check(text)?;
        Ok(Template { raw: text.into() })
    }

    /// [`Template::parse`] of a string no longer needed: it is kept, not copied.
    pub fn parse_owned(text: String) -> Result<Template, (String, VarError)> {
        match check(&text) {
            Ok(()) => Ok(Template {
                raw: text.into_boxed_str(),
            }),
            Err(e) => Err((text, e)),
        }
    }

    /// The string as written in the case file.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The pieces of the string (well formed: checked by [`Template::parse`]).
    fn pieces(&self) -> impl Iterator<Item = Piece<'_>> {
        pieces(&self.raw).map_while(Result::ok)
    }

    /// The text when the string refers to no variable (`$${` written as `${`).
    pub fn as_static(&self) -> Option<String> {
        let mut text = String::new();
        for piece in self.pieces() {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Var(_) => return None,
            }
        }
        Some(text)
    }

    /// Whether the string refers to no variable and is its own text (no `$${` in it).
    pub fn is_literal(&self) -> bool {
        let mut pieces = self.pieces();
        match (pieces.next(), pieces.next()) {
            (None, _) => true,
            (Some(Piece::Text(text)), None) => text.len() == self.raw.len(),
            _ => false,
        }
    }

    /// The names of the variables the string refers to, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pieces().filter_map(|piece| match piece {
            Piece::Var(name) => Some(name),
            Piece::Text(_) => None,
        })
    }

    /// The value: a string that is exactly one variable takes the variable's JSON value;
    /// otherwise values are spliced in as text.
    pub fn expand(&self, vars: &Vars) -> Result<Value, VarError> {
        let lookup = |name: &str| {
            vars.get(name)
                .ok_or_else(|| VarError::Unknown(name.to_string()))
        };
        let mut pieces = self.pieces();
        let first = pieces.next();
        let second = pieces.next();
        if let (Some(Piece::Var(name)), None) = (first, second) {
            return lookup(name).cloned();
        }
        let mut out = String::with_capacity(self.raw.len());
        for piece in first.into_iter().chain(second).chain(pieces) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(name) => match lookup(name)? {
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
    if !text.as_bytes().contains(&b'$') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len() + 16);
    for piece in pieces(text) {
        match piece? {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => push_text(&mut out, lookup(vars, name)?),
        }
    }
    Ok(out)
}

/// The text of variable `name`, as `${name}` expands to.
pub fn variable_text(name: &str, vars: &Vars) -> Result<String, VarError> {
    let mut out = String::new();
    push_text(&mut out, lookup(vars, name)?);
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
        Value::String(s) if s.as_bytes().contains(&b'$') => expand_str(s, vars)?,
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
            Value::String(s) if s.as_bytes().contains(&b'$') => {
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
