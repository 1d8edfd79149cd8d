//! Body expectations: a subset match of expected JSON against actual JSON, with matchers.
//!
//! Matching rules:
//! - an object matches when every expected key is present and matches (extra keys are fine);
//! - an array matches when it has the same length and each element matches in order;
//! - a scalar matches an equal scalar (numbers by value: `1` equals `1.0`);
//! - an object with one key starting with `$` is a matcher:
//!
//! | matcher | matches |
//! |---|---|
//! | `{"$type": "string"}` | any value of that JSON type (`string`, `integer`, `number`, `boolean`, `array`, `object`, `null`) |
//! | `{"$regex": "^CTS\\.[0-9]+$"}` | a string the regex finds a match in |
//! | `{"$oneOf": [a, b]}` | a value that matches one of the alternatives |
//! | `{"$contains": [x, y]}` | an array with, for each of x, y, a distinct element that matches it (any order, others allowed) |
//! | `{"$unordered": [x, y]}` | an array of exactly as many elements, matched one to one in any order |
//! | `{"$every": x}` | an array whose every element matches x (an empty array too) |
//! | `{"$absent": true}` | (as an object member) the key is not present |
//! | `{"$any": true}` | anything, including a missing key |
//!
//! [`reconcile`] also builds two views for a diff: matched parts are shown with the actual
//! value on both sides, so a unified diff shows only the real differences.

use regex::Regex;
use serde_json::{Map, Value};

/// The JSON types `$type` accepts.
pub const TYPE_NAMES: [&str; 7] = [
    "string", "integer", "number", "boolean", "array", "object", "null",
];

/// A parsed matcher.
#[derive(Debug, Clone)]
pub enum Matcher {
    Type(String),
    Regex(Regex),
    OneOf(Vec<Value>),
    Contains(Vec<Value>),
    Unordered(Vec<Value>),
    Every(Box<Value>),
    Absent,
    Any,
}

/// A matcher written wrongly in a case file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error(
        "unknown matcher {0}: use one of $type, $regex, $oneOf, $contains, $unordered, $every, $absent, $any"
    )]
    Unknown(String),
    #[error("$type must be one of string, integer, number, boolean, array, object, null; not {0}")]
    BadType(String),
    #[error("$regex does not compile: {0}")]
    BadRegex(String),
    #[error("{0} takes an array")]
    NotAnArray(&'static str),
    #[error("{0} takes true")]
    NotTrue(&'static str),
}

/// One place where actual differs from expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// JSON pointer into the actual body (`/` for the root).
    pub path: String,
    pub reason: String,
}

/// The outcome of matching: mismatches plus the two views to diff.
#[derive(Debug, Clone)]
pub struct Reconciled {
    pub mismatches: Vec<Mismatch>,
    pub expected_view: Value,
    pub actual_view: Value,
}

impl Matcher {
    /// Parses `value` as a matcher if it is a one-key object whose key starts with `$`.
    pub fn parse(value: &Value) -> Option<Result<Matcher, MatcherError>> {
        let object = value.as_object()?;
        if object.len() != 1 {
            return None;
        }
        let (key, arg) = object.iter().next()?;
        if !key.starts_with('$') {
            return None;
        }
        let array = |name: &'static str| {
            arg.as_array()
                .cloned()
                .ok_or(MatcherError::NotAnArray(name))
        };
        let flag = |name: &'static str, m: Matcher| {
            if arg == &Value::Bool(true) {
                Ok(m)
            } else {
                Err(MatcherError::NotTrue(name))
            }
        };
        Some(match key.as_str() {
            "$type" => match arg.as_str() {
                Some(t) if TYPE_NAMES.contains(&t) => Ok(Matcher::Type(t.to_string())),
                _ => Err(MatcherError::BadType(arg.to_string())),
            },
            "$regex" => match arg.as_str().map(Regex::new) {
                Some(Ok(re)) => Ok(Matcher::Regex(re)),
                Some(Err(e)) => Err(MatcherError::BadRegex(e.to_string())),
                None => Err(MatcherError::BadRegex(format!("{arg} is not a string"))),
            },
            "$oneOf" => array("$oneOf").map(Matcher::OneOf),
            "$contains" => array("$contains").map(Matcher::Contains),
            "$unordered" => array("$unordered").map(Matcher::Unordered),
            "$every" => Ok(Matcher::Every(Box::new(arg.clone()))),
            "$absent" => flag("$absent", Matcher::Absent),
            "$any" => flag("$any", Matcher::Any),
            other => Err(MatcherError::Unknown(other.to_string())),
        })
    }

    /// Words for a failure message, e.g. `a string matching /^CTS/`.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Type(t) => format!("any {t}"),
            Matcher::Regex(re) => format!("a string matching /{}/", re.as_str()),
            Matcher::OneOf(values) => format!("one of {}", compact_list(values)),
            Matcher::Contains(values) => format!("an array containing {}", compact_list(values)),
            Matcher::Unordered(values) => format!("{} in any order", compact_list(values)),
            Matcher::Every(item) => format!("an array whose every element matches {item}"),
            Matcher::Absent => "no such key".into(),
            Matcher::Any => "anything".into(),
        }
    }
}

fn compact_list(values: &[Value]) -> String {
    Value::Array(values.to_vec()).to_string()
}

/// Checks every matcher inside an expectation; the error carries the JSON pointer.
pub fn validate_expectation(expected: &Value) -> Result<(), (String, MatcherError)> {
    fn walk(value: &Value, path: &str) -> Result<(), (String, MatcherError)> {
        if let Some(parsed) = Matcher::parse(value) {
            let matcher = parsed.map_err(|e| (path.to_string(), e))?;
            let (key, items) = match &matcher {
                Matcher::OneOf(items) => ("$oneOf", items),
                Matcher::Contains(items) => ("$contains", items),
                Matcher::Unordered(items) => ("$unordered", items),
                Matcher::Every(item) => return walk(item, &format!("{path}/$every")),
                _ => return Ok(()),
            };
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}/{key}/{i}"))?;
            }
            return Ok(());
        }
        match value {
            Value::Object(map) => map
                .iter()
                .try_for_each(|(k, v)| walk(v, &format!("{path}/{}", escape(k)))),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| walk(v, &format!("{path}/{i}"))),
            _ => Ok(()),
        }
    }
    walk(expected, "")
}

/// Whether `actual` matches `expected` (no mismatch at all).
pub fn matches(expected: &Value, actual: &Value) -> bool {
    reconcile(expected, actual).mismatches.is_empty()
}

/// Matches `expected` against `actual`, collecting every mismatch and the diff views.
pub fn reconcile(expected: &Value, actual: &Value) -> Reconciled {
    let mut mismatches = Vec::new();
    let (expected_view, actual_view) = walk(expected, actual, "", &mut mismatches);
    Reconciled {
        mismatches,
        expected_view,
        actual_view,
    }
}

fn walk(expected: &Value, actual: &Value, path: &str, out: &mut Vec<Mismatch>) -> (Value, Value) {
    let mut fail = |reason: String| {
        out.push(Mismatch {
            path: display_path(path),
            reason,
        })
    };
    if let Some(parsed) = Matcher::parse(expected) {
        return match parsed {
            Ok(matcher) => match_one(&matcher, actual, path, out),
            Err(e) => {
                fail(format!("invalid matcher: {e}"));
                (expected.clone(), actual.clone())
            }
        };
    }
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => walk_object(want, have, path, out),
        (Value::Array(want), Value::Array(have)) => {
            if want.len() != have.len() {
                fail(format!(
                    "expected an array of {} elements, found {}",
                    want.len(),
                    have.len()
                ));
            }
            let mut ev = Vec::new();
            let mut av = Vec::new();
            for i in 0..want.len().max(have.len()) {
                match (want.get(i), have.get(i)) {
                    (Some(w), Some(h)) => {
                        let (e, a) = walk(w, h, &format!("{path}/{i}"), out);
                        ev.push(e);
                        av.push(a);
                    }
                    (Some(w), None) => ev.push(w.clone()),
                    (None, Some(h)) => av.push(h.clone()),
                    (None, None) => {}
                }
            }
            (Value::Array(ev), Value::Array(av))
        }
        _ if scalar_eq(expected, actual) => (actual.clone(), actual.clone()),
        _ => {
            fail(format!("expected {expected}, found {}", brief(actual)));
            (expected.clone(), actual.clone())
        }
    }
}

fn walk_object(
    want: &Map<String, Value>,
    have: &Map<String, Value>,
    path: &str,
    out: &mut Vec<Mismatch>,
) -> (Value, Value) {
    let mut ev = Map::new();
    let mut av = Map::new();
    for (key, w) in want {
        let child = format!("{path}/{}", escape(key));
        let matcher = Matcher::parse(w).and_then(Result::ok);
        match (have.get(key), matcher) {
            (None, Some(Matcher::Absent | Matcher::Any)) => {}
            // `{"$oneOf": [{"$absent": true}, "gzip"]}`: left out, or this value.
            (None, Some(Matcher::OneOf(options))) if options.iter().any(allows_missing) => {}
            (Some(h), Some(Matcher::Absent)) => {
                out.push(Mismatch {
                    path: display_path(&child),
                    reason: "expected no such key, but it is present".into(),
                });
                av.insert(key.clone(), h.clone());
            }
            (None, _) => {
                out.push(Mismatch {
                    path: display_path(&child),
                    reason: "missing".into(),
                });
                ev.insert(key.clone(), w.clone());
            }
            (Some(h), _) => {
                let (e, a) = walk(w, h, &child, out);
                ev.insert(key.clone(), e);
                av.insert(key.clone(), a);
            }
        }
    }
    (Value::Object(ev), Value::Object(av))
}

/// Whether a `$oneOf` alternative is satisfied by a missing key.
fn allows_missing(option: &Value) -> bool {
    matches!(
        Matcher::parse(option).and_then(Result::ok),
        Some(Matcher::Absent | Matcher::Any)
    )
}

fn match_one(
    matcher: &Matcher,
    actual: &Value,
    path: &str,
    out: &mut Vec<Mismatch>,
) -> (Value, Value) {
    let ok = match matcher {
        Matcher::Type(t) => type_name_matches(t, actual),
        Matcher::Regex(re) => actual.as_str().is_some_and(|s| re.is_match(s)),
        Matcher::OneOf(options) => options.iter().any(|o| matches(o, actual)),
        Matcher::Contains(items) => actual
            .as_array()
            .is_some_and(|have| assign(items, have).is_some()),
        Matcher::Unordered(items) => actual
            .as_array()
            .is_some_and(|have| have.len() == items.len() && assign(items, have).is_some()),
        Matcher::Every(item) => actual
            .as_array()
            .is_some_and(|have| have.iter().all(|h| matches(item, h))),
        Matcher::Absent => false,
        Matcher::Any => true,
    };
    if ok {
        (actual.clone(), actual.clone())
    } else {
        out.push(Mismatch {
            path: display_path(path),
            reason: format!("expected {}, found {}", matcher.describe(), brief(actual)),
        });
        (
            Value::String(format!("<{}>", matcher.describe())),
            actual.clone(),
        )
    }
}

/// Assigns each wanted item a distinct matching element (small inputs: backtracking is fine).
fn assign(want: &[Value], have: &[Value]) -> Option<Vec<usize>> {
    fn go(want: &[Value], have: &[Value], used: &mut Vec<bool>, picks: &mut Vec<usize>) -> bool {
        let Some((first, rest)) = want.split_first() else {
            return true;
        };
        for (i, h) in have.iter().enumerate() {
            if !used[i] && matches(first, h) {
                used[i] = true;
                picks.push(i);
                if go(rest, have, used, picks) {
                    return true;
                }
                picks.pop();
                used[i] = false;
            }
        }
        false
    }
    let mut used = vec![false; have.len()];
    let mut picks = Vec::new();
    go(want, have, &mut used, &mut picks).then_some(picks)
}

fn type_name_matches(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "/".into()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reasons(expected: Value, actual: Value) -> Vec<String> {
        reconcile(&expected, &actual)
            .mismatches
            .into_iter()
            .map(|m| format!("{} {}", m.path, m.reason))
            .collect()
    }

    #[test]
    fn subset_of_objects_ignores_extra_keys() {
        assert!(matches(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert_eq!(
            reasons(json!({"a": 1, "c": 3}), json!({"a": 2})),
            ["/a expected 1, found 2", "/c missing"]
        );
    }

    #[test]
    fn arrays_match_in_order_and_length() {
        assert!(matches(
            &json!([1, {"x": 1}]),
            &json!([1, {"x": 1, "y": 2}])
        ));
        assert_eq!(
            reasons(json!([1, 2]), json!([2, 1, 3])),
            [
                "/ expected an array of 2 elements, found 3",
                "/0 expected 1, found 2",
                "/1 expected 2, found 1"
            ]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(matches(&json!(1), &json!(1.0)));
        assert!(!matches(&json!(1), &json!("1")));
    }

    #[test]
    fn type_matcher() {
        assert!(matches(
            &json!({"$type": "integer"}),
            &json!(1587958482923u64)
        ));
        assert!(!matches(&json!({"$type": "integer"}), &json!("1")));
        assert!(matches(&json!({"$type": "null"}), &json!(null)));
        assert_eq!(
            reasons(json!({"id": {"$type": "string"}}), json!({"id": 7})),
            ["/id expected any string, found 7"]
        );
    }

    #[test]
    fn regex_matcher() {
        assert!(matches(
            &json!({"$regex": "^CTS\\.[0-9]{4}$"}),
            &json!("CTS.0003")
        ));
        assert!(!matches(&json!({"$regex": "^CTS\\."}), &json!("ERR.1")));
        assert!(!matches(&json!({"$regex": "x"}), &json!(1)));
    }

    #[test]
    fn one_of_matcher() {
        let m = json!({"$oneOf": ["gzip", "json"]});
        assert!(matches(&m, &json!("json")));
        assert!(!matches(&m, &json!("zip")));
    }

    #[test]
    fn contains_and_unordered_matchers() {
        let have = json!([{"n": "a", "t": 1}, {"n": "b"}, {"n": "c"}]);
        assert!(matches(
            &json!({"$contains": [{"n": "c"}, {"n": "a"}]}),
            &have
        ));
        assert!(!matches(&json!({"$contains": [{"n": "d"}]}), &have));
        // Two wanted items cannot both take the same element.
        assert!(!matches(
            &json!({"$contains": [{"n": "a"}, {"n": "a"}]}),
            &have
        ));
        assert!(matches(
            &json!({"$unordered": ["WRITE", "READ"]}),
            &json!(["READ", "WRITE"])
        ));
        assert!(!matches(
            &json!({"$unordered": ["READ"]}),
            &json!(["READ", "WRITE"])
        ));
    }

    #[test]
    fn every_matcher() {
        let m = json!({"$every": {"tracker_type": "data"}});
        assert!(matches(
            &m,
            &json!([{"tracker_type": "data", "n": 1}, {"tracker_type": "data"}])
        ));
        assert!(matches(&m, &json!([])));
        assert!(!matches(
            &m,
            &json!([{"tracker_type": "data"}, {"tracker_type": "system"}])
        ));
        assert!(!matches(&m, &json!({"tracker_type": "data"})));
        let err = validate_expectation(&json!({"$every": {"$typo": 1}})).unwrap_err();
        assert_eq!(err.0, "/$every");
    }

    #[test]
    fn one_of_with_absent_allows_a_missing_key() {
        let want = json!({"compress_type": {"$oneOf": [{"$absent": true}, "gzip"]}});
        assert!(reasons(want.clone(), json!({})).is_empty());
        assert!(reasons(want.clone(), json!({"compress_type": "gzip"})).is_empty());
        assert_eq!(reasons(want, json!({"compress_type": "json"})).len(), 1);
        let strict = json!({"compress_type": {"$oneOf": ["gzip", "json"]}});
        assert_eq!(reasons(strict, json!({})).len(), 1);
    }

    #[test]
    fn absent_and_any_matchers() {
        assert!(matches(
            &json!({"detail": {"$absent": true}}),
            &json!({"status": "enabled"})
        ));
        assert_eq!(
            reasons(json!({"detail": {"$absent": true}}), json!({"detail": "x"})),
            ["/detail expected no such key, but it is present"]
        );
        assert!(matches(&json!({"x": {"$any": true}}), &json!({})));
    }

    #[test]
    fn views_show_only_real_differences() {
        let r = reconcile(
            &json!({"id": {"$type": "string"}, "name": "a", "obs": {"b": "x"}}),
            &json!({"id": "1", "name": "b", "obs": {"b": "x", "extra": 1}, "more": true}),
        );
        assert_eq!(
            r.expected_view,
            json!({"id": "1", "name": "a", "obs": {"b": "x"}})
        );
        assert_eq!(
            r.actual_view,
            json!({"id": "1", "name": "b", "obs": {"b": "x"}})
        );
    }

    #[test]
    fn bad_matchers_are_reported_with_their_place() {
        let err = validate_expectation(&json!({"a": [{"$regex": "("}]})).unwrap_err();
        assert_eq!(err.0, "/a/0");
        assert!(matches!(err.1, MatcherError::BadRegex(_)));
        let err = validate_expectation(&json!({"$oneOf": [{"$typo": 1}]})).unwrap_err();
        assert_eq!(
            err,
            ("/$oneOf/0".into(), MatcherError::Unknown("$typo".into()))
        );
        assert_eq!(
            validate_expectation(&json!({"$type": "text"}))
                .unwrap_err()
                .1,
            MatcherError::BadType("\"text\"".into())
        );
        assert!(validate_expectation(&json!({"ok": {"$absent": true}})).is_ok());
    }
}
