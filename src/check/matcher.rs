//! Evaluating a compiled expectation ([`Pattern`], see [`crate::case::pattern`] for the
//! syntax) against actual JSON. Pure: nothing is parsed or compiled here.
//!
//! [`matches`] answers yes or no without allocating a view; only when it says no does
//! [`evaluate`] build the mismatches and the two diff views ([`reconcile`]): matched parts
//! are shown with the actual value on both sides, so a unified diff shows only the real
//! differences.
//!
//! `$contains` and `$unordered` are decided in polynomial time: every (item, element) pair
//! is evaluated at most once, an item no element matches fails at once, and the distinct
//! assignment is a bipartite matching found with augmenting paths (see [`assign`]).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::case::pattern::{JsonType, Matcher, Member, Node, Pattern};
use crate::json_pointer;

/// One place where actual differs from expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// JSON pointer into the actual body (`/` for the root).
    pub path: String,
    pub reason: String,
}

/// The outcome of a failed match: mismatches plus the two views to diff.
#[derive(Debug, Clone)]
pub struct Reconciled {
    pub mismatches: Vec<Mismatch>,
    pub expected_view: Value,
    pub actual_view: Value,
}

/// Whether `actual` matches the expectation.
pub fn matches(pattern: &Pattern, actual: &Value) -> bool {
    node_matches(pattern.root(), actual)
}

/// `None` when `actual` matches; otherwise every mismatch and the diff views.
pub fn evaluate(pattern: &Pattern, actual: &Value) -> Option<Reconciled> {
    (!matches(pattern, actual)).then(|| reconcile(pattern, actual))
}

/// Matches the expectation against `actual`, collecting every mismatch and the diff views.
pub fn reconcile(pattern: &Pattern, actual: &Value) -> Reconciled {
    let mut mismatches = Vec::new();
    let (expected_view, actual_view) = walk(pattern.root(), actual, "", &mut mismatches);
    Reconciled {
        mismatches,
        expected_view,
        actual_view,
    }
}

/// Whether an object member matches, given the member's value if present (`$absent` and
/// `$any` accept a missing key, and so does a `$oneOf` with one of them as an option:
/// `{"$oneOf": [{"$absent": true}, "gzip"]}` is "left out, or this value").
pub fn member_matches(node: &Node, have: Option<&Value>) -> bool {
    match have {
        Some(have) => node_matches(node, have),
        None => allows_missing(node),
    }
}

fn allows_missing(node: &Node) -> bool {
    match node {
        Node::Matcher(Matcher::Absent | Matcher::Any) => true,
        Node::Matcher(Matcher::OneOf(options)) => options.iter().any(allows_missing),
        _ => false,
    }
}

fn node_matches(node: &Node, actual: &Value) -> bool {
    match node {
        Node::Scalar(want) => scalar_eq(want, actual),
        Node::Object(members) => actual.as_object().is_some_and(|have| {
            members
                .iter()
                .all(|m| member_matches(&m.node, have.get(&*m.key)))
        }),
        Node::Array(items) => actual.as_array().is_some_and(|have| {
            have.len() == items.len() && items.iter().zip(have).all(|(w, h)| node_matches(w, h))
        }),
        Node::Matcher(matcher) => matcher_matches(matcher, actual),
        Node::Template(_) | Node::Invalid(_) => false,
    }
}

fn matcher_matches(matcher: &Matcher, actual: &Value) -> bool {
    match matcher {
        Matcher::Type(t) => type_matches(*t, actual),
        Matcher::Regex(re) => actual.as_str().is_some_and(|s| re.is_match(s)),
        Matcher::RegexTemplate(_) => false,
        Matcher::Range { min, max } => actual.as_f64().is_some_and(|n| *min <= n && n <= *max),
        Matcher::OneOf(options) => options.iter().any(|o| node_matches(o, actual)),
        Matcher::Contains(items) => actual
            .as_array()
            .is_some_and(|have| assign(items, have) == Assignment::Complete),
        Matcher::Unordered(items) => actual.as_array().is_some_and(|have| {
            have.len() == items.len() && assign(items, have) == Assignment::Complete
        }),
        Matcher::Every(item) => actual
            .as_array()
            .is_some_and(|have| have.iter().all(|h| node_matches(item, h))),
        Matcher::Absent => false,
        Matcher::Any => true,
    }
}

/// Whether each wanted item can have a distinct matching element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    /// Every item has its own element.
    Complete,
    /// No element matches this item (the first such item; later items were not tried).
    Unmatched(usize),
    /// Every item matches some element, but at most this many can have distinct ones.
    Short(usize),
}

/// Assigns each wanted item a distinct matching element, in polynomial time.
///
/// Each item's candidates are found by scanning the elements once, stopping after as many
/// candidates as there are items: an item with that many can always be given one the others
/// do not take, so the rest cannot change the answer. The assignment is then a maximum
/// bipartite matching (augmenting paths) over at most `k * k` edges for `k` items.
pub fn assign(want: &[Node], have: &[Value]) -> Assignment {
    let k = want.len();
    let mut candidates: Vec<Vec<usize>> = Vec::with_capacity(k);
    for (i, item) in want.iter().enumerate() {
        let found: Vec<usize> = have
            .iter()
            .enumerate()
            .filter(|(_, element)| node_matches(item, element))
            .map(|(j, _)| j)
            .take(k)
            .collect();
        if found.is_empty() {
            return Assignment::Unmatched(i);
        }
        candidates.push(found);
    }
    // owner[element] = the item holding it.
    let mut owner: HashMap<usize, usize> = HashMap::new();
    let mut assigned = 0;
    for item in 0..k {
        let mut visited = vec![false; k];
        if augment(item, &candidates, &mut owner, &mut visited) {
            assigned += 1;
        }
    }
    if assigned == k {
        Assignment::Complete
    } else {
        Assignment::Short(assigned)
    }
}

/// Finds an element for `item`, moving earlier items to other candidates if needed.
fn augment(
    item: usize,
    candidates: &[Vec<usize>],
    owner: &mut HashMap<usize, usize>,
    visited: &mut [bool],
) -> bool {
    // A free candidate first: the common case needs no reshuffling.
    if let Some(&free) = candidates[item].iter().find(|e| !owner.contains_key(e)) {
        owner.insert(free, item);
        return true;
    }
    for &element in &candidates[item] {
        let Some(holder) = owner.get(&element).copied() else {
            continue;
        };
        if !visited[holder] {
            visited[holder] = true;
            if augment(holder, candidates, owner, visited) {
                owner.insert(element, item);
                return true;
            }
        }
    }
    false
}

fn walk(node: &Node, actual: &Value, path: &str, out: &mut Vec<Mismatch>) -> (Value, Value) {
    let mut fail = |reason: String| {
        out.push(Mismatch {
            path: json_pointer::display(path).to_string(),
            reason,
        })
    };
    match (node, actual) {
        (Node::Matcher(matcher), _) => match_one(matcher, actual, path, out),
        (Node::Invalid(invalid), _) => {
            fail(format!("invalid matcher: {}", invalid.error));
            (invalid.source.clone(), actual.clone())
        }
        (Node::Object(members), Value::Object(have)) => walk_object(members, have, path, out),
        (Node::Array(want), Value::Array(have)) => {
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
                    (Some(w), None) => ev.push(w.to_value()),
                    (None, Some(h)) => av.push(h.clone()),
                    (None, None) => {}
                }
            }
            (Value::Array(ev), Value::Array(av))
        }
        (Node::Scalar(want), _) if scalar_eq(want, actual) => (actual.clone(), actual.clone()),
        _ => {
            let expected = node.to_value();
            fail(format!("expected {expected}, found {}", brief(actual)));
            (expected, actual.clone())
        }
    }
}

fn walk_object(
    members: &[Member],
    have: &Map<String, Value>,
    path: &str,
    out: &mut Vec<Mismatch>,
) -> (Value, Value) {
    let mut ev = Map::new();
    let mut av = Map::new();
    for member in members {
        let child = format!("{path}/{}", member.token());
        let key = &*member.key;
        match (have.get(key), &member.node) {
            (None, node) if allows_missing(node) => {}
            (Some(h), Node::Matcher(Matcher::Absent)) => {
                out.push(Mismatch {
                    path: child,
                    reason: "expected no such key, but it is present".into(),
                });
                av.insert(key.to_string(), h.clone());
            }
            (None, node) => {
                out.push(Mismatch {
                    path: child,
                    reason: "missing".into(),
                });
                ev.insert(key.to_string(), node.to_value());
            }
            (Some(h), node) => {
                let (e, a) = walk(node, h, &child, out);
                ev.insert(key.to_string(), e);
                av.insert(key.to_string(), a);
            }
        }
    }
    (Value::Object(ev), Value::Object(av))
}

fn match_one(
    matcher: &Matcher,
    actual: &Value,
    path: &str,
    out: &mut Vec<Mismatch>,
) -> (Value, Value) {
    if matcher_matches(matcher, actual) {
        return (actual.clone(), actual.clone());
    }
    let described = describe(matcher);
    let why = why_not(matcher, actual)
        .map(|why| format!(" ({why})"))
        .unwrap_or_default();
    out.push(Mismatch {
        path: json_pointer::display(path).to_string(),
        reason: format!("expected {described}, found {}{why}", brief(actual)),
    });
    (Value::String(format!("<{described}>")), actual.clone())
}

/// Words for a failure message, e.g. `a string matching /^CTS/`.
pub fn describe(matcher: &Matcher) -> String {
    let list = |items: &[Node]| Value::Array(items.iter().map(Node::to_value).collect());
    match matcher {
        Matcher::Type(t) => format!("any {}", t.name()),
        Matcher::Regex(re) => format!("a string matching /{}/", re.as_str()),
        Matcher::RegexTemplate(t) => format!("a string matching /{}/", t.raw()),
        Matcher::Range { min, max } => format!("a number from {min} to {max}"),
        Matcher::OneOf(items) => format!("one of {}", list(items)),
        Matcher::Contains(items) => format!("an array containing {}", list(items)),
        Matcher::Unordered(items) => format!("{} in any order", list(items)),
        Matcher::Every(item) => format!("an array whose every element matches {}", item.to_value()),
        Matcher::Absent => "no such key".into(),
        Matcher::Any => "anything".into(),
    }
}

/// For array matchers on an array: which item or element let the match down.
fn why_not(matcher: &Matcher, actual: &Value) -> Option<String> {
    let have = actual.as_array()?;
    let items = match matcher {
        Matcher::Contains(items) => items,
        Matcher::Unordered(items) if have.len() != items.len() => {
            return Some(format!("{} elements for {} items", have.len(), items.len()))
        }
        Matcher::Unordered(items) => items,
        Matcher::Every(item) => {
            let i = have.iter().position(|h| !node_matches(item, h))?;
            return Some(format!("element {i} does not match"));
        }
        _ => return None,
    };
    match assign(items, have) {
        Assignment::Complete => None,
        Assignment::Unmatched(i) => Some(format!(
            "no element matches item {i}, {}",
            items[i].to_value()
        )),
        Assignment::Short(n) => Some(format!(
            "every item matches some element, but only {n} of the {} items can have distinct ones",
            items.len()
        )),
    }
}

fn type_matches(t: JsonType, value: &Value) -> bool {
    match t {
        JsonType::String => value.is_string(),
        JsonType::Integer => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        JsonType::Number => value.is_number(),
        JsonType::Boolean => value.is_boolean(),
        JsonType::Array => value.is_array(),
        JsonType::Object => value.is_object(),
        JsonType::Null => value.is_null(),
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

#[cfg(test)]
mod tests;
