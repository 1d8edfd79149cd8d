//! The matcher syntax of `expect.body` and `expect.headers`, compiled once at load into a
//! typed tree ([`Pattern`]): regexes compiled, object keys escaped for pointers, strings
//! with `${variables}` parsed into templates that [`Pattern::expand`] resolves at run time.
//! [`crate::check::matcher`] only evaluates the tree.
//!
//! Syntax (docs/case-format.md, "Matchers"):
//! - an object is a subset: every expected key must be present and match;
//! - an array must have the same length, each element matching in order;
//! - a scalar matches an equal scalar (numbers by value);
//! - an object with one key starting with `$` is a matcher: `$type`, `$regex`, `$oneOf`,
//!   `$contains`, `$unordered`, `$every`, `$absent`, `$any`, `$range`.
//!
//! A wrongly written matcher does not stop compilation: it becomes an [`Node::Invalid`]
//! node, [`Pattern::errors`] lists each with its JSON pointer (the loader reports them with
//! file, line and column), and it never matches.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::vars::{self, Template, VarError, Vars};
use crate::json_pointer;

/// The JSON types `$type` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    /// Every type, in the order the error message lists them.
    pub const ALL: [JsonType; 7] = [
        JsonType::String,
        JsonType::Integer,
        JsonType::Number,
        JsonType::Boolean,
        JsonType::Array,
        JsonType::Object,
        JsonType::Null,
    ];

    /// The name written in a case file.
    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }

    fn parse(name: &str) -> Option<JsonType> {
        JsonType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A matcher written wrongly in a case file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error(
        "unknown matcher {0}: use one of $type, $regex, $oneOf, $contains, $unordered, $every, $absent, $any, $range"
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
    #[error("$range takes [min, max], two numbers with min <= max; not {0}")]
    BadRange(String),
    /// A malformed `${...}` (the loader reports these with the other variable errors).
    #[error(transparent)]
    Variable(#[from] VarError),
}

/// A wrongly written part of an expectation and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {error}", json_pointer::display(pointer))]
pub struct PatternError {
    /// JSON pointer relative to the expectation (`""` for its root).
    pub pointer: String,
    pub error: MatcherError,
}

/// One node of a compiled expectation. Compact (a plan holds one tree per expectation):
/// lists are boxed slices and the rare parts are boxed.
#[derive(Debug, Clone)]
pub enum Node {
    /// A number, boolean, null or string without variables, compared by value.
    Scalar(Value),
    /// A string with `${variables}`, resolved by [`Pattern::expand`]; unexpanded, it matches nothing.
    Template(Template),
    /// A subset of an object: the members, in the order of their keys.
    Object(Box<[Member]>),
    /// An array matched element by element.
    Array(Box<[Node]>),
    Matcher(Matcher),
    /// A matcher written wrongly: never matches.
    Invalid(Box<Invalid>),
}

/// One expected member of an object.
#[derive(Debug, Clone)]
pub struct Member {
    /// Shared with the members of the same key when compiled in [`sharing_keys`].
    pub key: Arc<str>,
    pub node: Node,
}

thread_local! {
    /// The keys of the members compiled on this thread inside [`sharing_keys`].
    static SHARED_KEYS: RefCell<Option<HashSet<Arc<str>>>> = const { RefCell::new(None) };
}

/// Runs `compile` with the object keys of the patterns it compiles shared: a load
/// compiles thousands of expectations with the same few keys (`tracker_name`, `status`),
/// and keeps one string of each instead of one per member. The keys are forgotten after.
pub fn sharing_keys<T>(compile: impl FnOnce() -> T) -> T {
    /// Puts back what was there before, also when `compile` panics.
    struct Restore(Option<HashSet<Arc<str>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            SHARED_KEYS.with(|keys| *keys.borrow_mut() = before);
        }
    }
    let _restore = Restore(SHARED_KEYS.with(|keys| keys.replace(Some(HashSet::new()))));
    compile()
}

/// A member key: shared inside [`sharing_keys`], else its own.
fn shared_key(key: &str) -> Arc<str> {
    SHARED_KEYS.with(|keys| match keys.borrow_mut().as_mut() {
        Some(shared) => match shared.get(key) {
            Some(existing) => Arc::clone(existing),
            None => {
                let new: Arc<str> = key.into();
                shared.insert(Arc::clone(&new));
                new
            }
        },
        None => key.into(),
    })
}

impl Member {
    /// The key escaped as a JSON pointer token (for failure paths; made when asked).
    pub fn token(&self) -> std::borrow::Cow<'_, str> {
        json_pointer::escape(&self.key)
    }
}

/// A wrongly written matcher, as written.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub source: Value,
    pub error: MatcherError,
}

/// A compiled matcher.
#[derive(Debug, Clone)]
pub enum Matcher {
    Type(JsonType),
    Regex(Box<Regex>),
    /// A regex with `${variables}`, compiled when expanded.
    RegexTemplate(Template),
    OneOf(Box<[Node]>),
    Contains(Box<[Node]>),
    Unordered(Box<[Node]>),
    Every(Box<Node>),
    Absent,
    Any,
    /// A number from `min` to `max`, both included.
    Range {
        min: f64,
        max: f64,
    },
}

impl Matcher {
    /// The key that introduces the matcher, e.g. `$contains`.
    pub fn key(&self) -> &'static str {
        match self {
            Matcher::Type(_) => "$type",
            Matcher::Regex(_) | Matcher::RegexTemplate(_) => "$regex",
            Matcher::OneOf(_) => "$oneOf",
            Matcher::Contains(_) => "$contains",
            Matcher::Unordered(_) => "$unordered",
            Matcher::Every(_) => "$every",
            Matcher::Absent => "$absent",
            Matcher::Any => "$any",
            Matcher::Range { .. } => "$range",
        }
    }

    /// The matcher as written (after expansion), e.g. `{"$type": "string"}`.
    pub fn to_value(&self) -> Value {
        let list = |nodes: &[Node]| Value::Array(nodes.iter().map(Node::to_value).collect());
        let arg = match self {
            Matcher::Type(t) => Value::String(t.name().into()),
            Matcher::Regex(re) => Value::String(re.as_str().into()),
            Matcher::RegexTemplate(t) => Value::String(t.raw().into()),
            Matcher::OneOf(items) | Matcher::Contains(items) | Matcher::Unordered(items) => {
                list(items)
            }
            Matcher::Every(item) => item.to_value(),
            Matcher::Absent | Matcher::Any => Value::Bool(true),
            Matcher::Range { min, max } => serde_json::json!([min, max]),
        };
        Value::Object(Map::from_iter([(self.key().to_string(), arg)]))
    }
}

impl Node {
    /// Compiles an expectation; wrongly written matchers become [`Node::Invalid`].
    pub fn compile(value: &Value) -> Node {
        if let Some((key, arg)) = matcher_entry(value) {
            return match compile_matcher(key, arg) {
                Ok(matcher) => Node::Matcher(matcher),
                Err(error) => invalid(value, error),
            };
        }
        match value {
            Value::String(text) if !vars::has_dollar(text) => Node::Scalar(value.clone()),
            Value::String(text) => match Template::parse(text) {
                Ok(template) => match template.as_static() {
                    Some(text) => Node::Scalar(Value::String(text)),
                    None => Node::Template(template),
                },
                Err(e) => invalid(value, e.into()),
            },
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(key, v)| Member {
                        key: shared_key(key),
                        node: Node::compile(v),
                    })
                    .collect(),
            ),
            Value::Array(items) => Node::Array(items.iter().map(Node::compile).collect()),
            scalar => Node::Scalar(scalar.clone()),
        }
    }

    /// [`Node::compile`] of a value no longer needed: its strings and arrays are taken,
    /// not copied.
    fn compile_owned(value: Value) -> Node {
        match value {
            Value::String(text) if !vars::has_dollar(&text) => Node::Scalar(Value::String(text)),
            // As [`Node::compile`] does, without copying the string.
            Value::String(text) => match Template::parse_owned(text) {
                Ok(template) => match template.as_static() {
                    Some(text) => Node::Scalar(Value::String(text)),
                    None => Node::Template(template),
                },
                Err((text, e)) => invalid(&Value::String(text), e.into()),
            },
            Value::Object(map) if matcher_entry_of(&map).is_none() => Node::Object(
                map.into_iter()
                    .map(|(key, v)| Member {
                        key: shared_key(&key),
                        node: Node::compile_owned(v),
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Node::Array(items.into_iter().map(Node::compile_owned).collect())
            }
            other => Node::compile(&other),
        }
    }

    /// Whether [`Node::to_value`] gives back the expectation exactly as written: not so
    /// when a string without variables was written with `$${` (compiled as its text).
    fn gives_back_source(source: &Value) -> bool {
        match source {
            Value::String(text) => !(vars::has_dollar(text) && text.contains("$${")),
            Value::Array(items) => items.iter().all(Node::gives_back_source),
            Value::Object(map) => map.values().all(Node::gives_back_source),
            _ => true,
        }
    }

    /// A value taken as data (a variable's value): no matchers, no variables.
    pub fn data(value: &Value) -> Node {
        match value {
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(key, v)| Member {
                        key: key.as_str().into(),
                        node: Node::data(v),
                    })
                    .collect(),
            ),
            Value::Array(items) => Node::Array(items.iter().map(Node::data).collect()),
            scalar => Node::Scalar(scalar.clone()),
        }
    }

    /// The expectation as JSON (after expansion), for messages and diff views.
    pub fn to_value(&self) -> Value {
        match self {
            Node::Scalar(value) => value.clone(),
            Node::Template(t) => Value::String(t.raw().into()),
            Node::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.to_string(), m.node.to_value()))
                    .collect(),
            ),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Matcher(m) => m.to_value(),
            Node::Invalid(invalid) => invalid.source.clone(),
        }
    }

    /// The children of a node with their pointer tokens (matcher arguments included).
    fn children(&self) -> Vec<(String, &Node)> {
        match self {
            Node::Object(members) => members
                .iter()
                .map(|m| (m.token().into_owned(), &m.node))
                .collect(),
            Node::Array(items) => indexed("", items),
            Node::Matcher(
                m @ (Matcher::OneOf(items) | Matcher::Contains(items) | Matcher::Unordered(items)),
            ) => indexed(&format!("{}/", m.key()), items),
            Node::Matcher(Matcher::Every(item)) => vec![("$every".into(), item.as_ref())],
            _ => Vec::new(),
        }
    }

    /// Whether `hit` holds for this node or one below it (walked without allocating).
    fn any_node(&self, hit: &impl Fn(&Node) -> bool) -> bool {
        hit(self)
            || match self {
                Node::Object(members) => members.iter().any(|m| m.node.any_node(hit)),
                Node::Array(items)
                | Node::Matcher(
                    Matcher::OneOf(items) | Matcher::Contains(items) | Matcher::Unordered(items),
                ) => items.iter().any(|item| item.any_node(hit)),
                Node::Matcher(Matcher::Every(item)) => item.any_node(hit),
                Node::Scalar(_) | Node::Template(_) | Node::Matcher(_) | Node::Invalid(_) => false,
            }
    }

    /// Whether this node or one below it is a wrongly written matcher (or `${`): what
    /// [`Pattern::errors`] would list, found without building a pointer.
    fn has_invalid(&self) -> bool {
        self.any_node(&|node| matches!(node, Node::Invalid(_)))
    }

    fn needs_expansion(&self) -> bool {
        self.any_node(&|node| match node {
            Node::Template(_) | Node::Matcher(Matcher::RegexTemplate(_)) => true,
            Node::Invalid(invalid) => matches!(invalid.error, MatcherError::Variable(_)),
            _ => false,
        })
    }

    /// Calls `found` with each string that may refer to variables (a template, or any
    /// string of a matcher written wrongly) and its pointer under `pointer`.
    fn templated_strings(&self, pointer: &str, found: &mut dyn FnMut(String, &str)) {
        match self {
            Node::Template(t) => found(pointer.to_string(), t.raw()),
            Node::Matcher(Matcher::RegexTemplate(t)) => found(format!("{pointer}/$regex"), t.raw()),
            Node::Invalid(invalid) => {
                let mut strings = Vec::new();
                crate::case::vars::strings_in(&invalid.source, pointer, &mut strings);
                for (at, text) in strings {
                    found(at, &text);
                }
            }
            _ => {
                for (token, child) in self.children() {
                    child.templated_strings(&format!("{pointer}/{token}"), found);
                }
            }
        }
    }

    /// Calls `found` with the name of each variable the node refers to, borrowed from
    /// the node.
    fn variable_names<'a>(&'a self, found: &mut dyn FnMut(&'a str)) {
        match self {
            Node::Template(t) | Node::Matcher(Matcher::RegexTemplate(t)) => {
                t.names().for_each(found)
            }
            // The strings of a wrongly written matcher may name variables too; a
            // malformed reference names nothing (the loader reports it).
            Node::Invalid(invalid) => names_in_value(&invalid.source, found),
            Node::Scalar(_) => {}
            Node::Object(members) => members.iter().for_each(|m| m.node.variable_names(found)),
            Node::Array(items)
            | Node::Matcher(
                Matcher::OneOf(items) | Matcher::Contains(items) | Matcher::Unordered(items),
            ) => items.iter().for_each(|n| n.variable_names(found)),
            Node::Matcher(Matcher::Every(item)) => item.variable_names(found),
            Node::Matcher(
                Matcher::Type(_)
                | Matcher::Regex(_)
                | Matcher::Absent
                | Matcher::Any
                | Matcher::Range { .. },
            ) => {}
        }
    }

    fn errors(&self, pointer: &str, out: &mut Vec<PatternError>) {
        if let Node::Invalid(invalid) = self {
            out.push(PatternError {
                pointer: pointer.to_string(),
                error: invalid.error.clone(),
            });
        }
        for (token, child) in self.children() {
            child.errors(&format!("{pointer}/{token}"), out);
        }
    }

    fn expand(&self, vars: &Vars) -> Result<Node, VarError> {
        let all = |nodes: &[Node]| {
            nodes
                .iter()
                .map(|n| n.expand(vars))
                .collect::<Result<_, _>>()
        };
        Ok(match self {
            Node::Template(t) => match t.expand(vars)? {
                Value::String(s) => Node::Scalar(Value::String(s)),
                other => Node::data(&other),
            },
            Node::Object(members) => Node::Object(
                members
                    .iter()
                    .map(|m| {
                        Ok(Member {
                            key: m.key.clone(),
                            node: m.node.expand(vars)?,
                        })
                    })
                    .collect::<Result<_, VarError>>()?,
            ),
            Node::Array(items) => Node::Array(all(items)?),
            Node::Matcher(m) => match m {
                Matcher::RegexTemplate(t) => {
                    let text = match t.expand(vars)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    match Regex::new(&text) {
                        Ok(re) => Node::Matcher(Matcher::Regex(Box::new(re))),
                        Err(e) => invalid(
                            &Value::Object(Map::from_iter([(
                                "$regex".into(),
                                Value::String(text),
                            )])),
                            MatcherError::BadRegex(e.to_string()),
                        ),
                    }
                }
                Matcher::OneOf(items) => Node::Matcher(Matcher::OneOf(all(items)?)),
                Matcher::Contains(items) => Node::Matcher(Matcher::Contains(all(items)?)),
                Matcher::Unordered(items) => Node::Matcher(Matcher::Unordered(all(items)?)),
                Matcher::Every(item) => Node::Matcher(Matcher::Every(Box::new(item.expand(vars)?))),
                Matcher::Type(_)
                | Matcher::Regex(_)
                | Matcher::Absent
                | Matcher::Any
                | Matcher::Range { .. } => self.clone(),
            },
            Node::Invalid(invalid) => match &invalid.error {
                MatcherError::Variable(e) => return Err(e.clone()),
                _ => self.clone(),
            },
            Node::Scalar(_) => self.clone(),
        })
    }
}

/// The names of the variables of the strings of a JSON value, in document order (of
/// [`crate::case::vars::strings_in`]); a malformed string names none.
fn names_in_value<'a>(value: &'a Value, found: &mut dyn FnMut(&'a str)) {
    match value {
        Value::String(text) => {
            if let Ok(names) = vars::names_of(text) {
                names.for_each(&mut *found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| names_in_value(v, found)),
        Value::Object(map) => map.values().for_each(|v| names_in_value(v, found)),
        _ => {}
    }
}

fn indexed<'a>(prefix: &str, nodes: &'a [Node]) -> Vec<(String, &'a Node)> {
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("{prefix}{i}"), n))
        .collect()
}

fn invalid(source: &Value, error: MatcherError) -> Node {
    Node::Invalid(Box::new(Invalid {
        source: source.clone(),
        error,
    }))
}

/// The key and argument of a one-key object whose key starts with `$`.
fn matcher_entry(value: &Value) -> Option<(&str, &Value)> {
    matcher_entry_of(value.as_object()?)
}

/// [`matcher_entry`] of an object.
fn matcher_entry_of(object: &Map<String, Value>) -> Option<(&str, &Value)> {
    if object.len() != 1 {
        return None;
    }
    let (key, arg) = object.iter().next()?;
    key.starts_with('$').then_some((key.as_str(), arg))
}

fn compile_matcher(key: &str, arg: &Value) -> Result<Matcher, MatcherError> {
    let items = |name: &'static str| {
        arg.as_array()
            .map(|items| items.iter().map(Node::compile).collect::<Box<[_]>>())
            .ok_or(MatcherError::NotAnArray(name))
    };
    let flag = |name: &'static str, m: Matcher| {
        if arg == &Value::Bool(true) {
            Ok(m)
        } else {
            Err(MatcherError::NotTrue(name))
        }
    };
    match key {
        "$type" => arg
            .as_str()
            .and_then(JsonType::parse)
            .map(Matcher::Type)
            .ok_or_else(|| MatcherError::BadType(arg.to_string())),
        "$regex" => {
            let text = arg
                .as_str()
                .ok_or_else(|| MatcherError::BadRegex(format!("{arg} is not a string")))?;
            let template = Template::parse(text)?;
            match template.as_static() {
                Some(text) => Regex::new(&text)
                    .map(|re| Matcher::Regex(Box::new(re)))
                    .map_err(|e| MatcherError::BadRegex(e.to_string())),
                None => Ok(Matcher::RegexTemplate(template)),
            }
        }
        "$oneOf" => items("$oneOf").map(Matcher::OneOf),
        "$contains" => items("$contains").map(Matcher::Contains),
        "$unordered" => items("$unordered").map(Matcher::Unordered),
        "$every" => Ok(Matcher::Every(Box::new(Node::compile(arg)))),
        "$absent" => flag("$absent", Matcher::Absent),
        "$any" => flag("$any", Matcher::Any),
        "$range" => range(arg),
        other => Err(MatcherError::Unknown(other.to_string())),
    }
}

/// `[min, max]`: two numbers, `min <= max`.
fn range(arg: &Value) -> Result<Matcher, MatcherError> {
    let bounds = arg
        .as_array()
        .filter(|bounds| bounds.len() == 2)
        .and_then(|bounds| Some((bounds[0].as_f64()?, bounds[1].as_f64()?)))
        .filter(|(min, max)| min <= max);
    bounds
        .map(|(min, max)| Matcher::Range { min, max })
        .ok_or_else(|| MatcherError::BadRange(arg.to_string()))
}

/// A compiled expectation (a body subset or a header value). Cloning is cheap (shared); a
/// pattern without variables expands to itself.
///
/// Only the compiled tree is kept: the expectation as written is given back from it when
/// asked ([`Pattern::source`]); a string written with `$${` makes it keep its text too.
#[derive(Clone)]
pub struct Pattern {
    written: Arc<Written>,
    /// The tree with variables resolved, once expanded; else the written tree is used.
    expanded: Option<Arc<Node>>,
}

/// A pattern as compiled from the case file.
#[derive(Debug)]
struct Written {
    root: Node,
    templated: bool,
    /// The source as JSON text, when the tree cannot give it back (a `$${` in a string).
    source_text: Option<Box<str>>,
}

impl Pattern {
    /// Compiles an expectation, keeping wrongly written matchers as [`Node::Invalid`]
    /// (see [`Pattern::errors`]). Case files are read this way.
    pub fn new(source: Value) -> Pattern {
        let source_text =
            (!Node::gives_back_source(&source)).then(|| source.to_string().into_boxed_str());
        let root = Node::compile_owned(source);
        Pattern {
            written: Arc::new(Written {
                templated: root.needs_expansion(),
                root,
                source_text,
            }),
            expanded: None,
        }
    }

    /// Compiles an expectation; the first wrongly written matcher is an error.
    pub fn compile(source: Value) -> Result<Pattern, PatternError> {
        let pattern = Pattern::new(source);
        match pattern.errors().into_iter().next() {
            Some(error) => Err(error),
            None => Ok(pattern),
        }
    }

    /// The expectation as written in the case file (before expansion), made when asked.
    pub fn source(&self) -> Value {
        self.written
            .source_text
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_else(|| self.written.root.to_value())
    }

    /// The compiled tree.
    pub fn root(&self) -> &Node {
        self.expanded.as_deref().unwrap_or(&self.written.root)
    }

    /// The expectation as JSON with variables expanded (when it was), for messages.
    pub fn to_value(&self) -> Value {
        self.root().to_value()
    }

    /// Whether no matcher (nor `${`) is wrongly written: [`Pattern::errors`] would be
    /// empty; no pointer is built.
    pub fn is_well_formed(&self) -> bool {
        !self.root().has_invalid()
    }

    /// Every wrongly written matcher (and malformed `${`), with its pointer.
    pub fn errors(&self) -> Vec<PatternError> {
        let mut out = Vec::new();
        self.root().errors("", &mut out);
        out
    }

    /// Whether the expectation refers to variables (and is not expanded yet).
    pub fn is_templated(&self) -> bool {
        self.expanded.is_none() && self.written.templated
    }

    /// Calls `found` with each string of the expectation as written that may refer to
    /// variables, with its pointer under `pointer` (strings without `${` are left out).
    pub fn templated_strings(&self, pointer: &str, found: &mut dyn FnMut(String, &str)) {
        self.written.root.templated_strings(pointer, found)
    }

    /// Calls `found` with the name of each variable the expectation as written refers to.
    pub fn variable_names(&self, found: &mut dyn FnMut(&str)) {
        self.written.root.variable_names(&mut |name| found(name))
    }

    /// [`Pattern::variable_names`], borrowed from the pattern.
    pub fn variable_names_borrowed<'a>(&'a self, found: &mut dyn FnMut(&'a str)) {
        self.written.root.variable_names(found)
    }

    /// The expectation with its `${variables}` resolved: a variable that is a whole string
    /// takes the variable's JSON value (compared as data); a `$regex` with variables is
    /// compiled now. Without variables this is a cheap clone.
    pub fn expand(&self, vars: &Vars) -> Result<Pattern, VarError> {
        if !self.is_templated() {
            return Ok(self.clone());
        }
        Ok(Pattern {
            written: Arc::clone(&self.written),
            expanded: Some(Arc::new(self.written.root.expand(vars)?)),
        })
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({})", self.to_value())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Pattern::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matchers_compile_once_into_typed_nodes() {
        let pattern = Pattern::compile(json!({
            "id": {"$regex": "^[0-9a-f]+$"},
            "a/b": {"$type": "integer"},
            "list": {"$contains": [{"n": 1}]},
        }))
        .unwrap();
        let Node::Object(members) = pattern.root() else {
            panic!("{pattern:?}")
        };
        let keys: Vec<String> = members
            .iter()
            .map(|m| format!("{} {}", m.key, m.token()))
            .collect();
        assert_eq!(keys, ["a/b a~1b", "id id", "list list"]);
        assert!(matches!(
            members[0].node,
            Node::Matcher(Matcher::Type(JsonType::Integer))
        ));
        assert!(
            matches!(&members[1].node, Node::Matcher(Matcher::Regex(re)) if re.as_str() == "^[0-9a-f]+$")
        );
        assert!(!pattern.is_templated());
        assert_eq!(pattern.to_value(), pattern.source());
    }

    #[test]
    fn the_source_is_given_back_exactly_as_written() {
        for written in [
            json!({"a": [1, 2.5, null, true], "b": {"$oneOf": ["x", {"$absent": true}]}}),
            json!({"lit": "$${not}", "mixed": "${prefix}-$${x}", "re": {"$regex": "^$${a}"}}),
            json!({"bad": {"$typo": 1}, "var": "${prefix}", "~/": {"$type": "string"}}),
            json!("$${only}"),
        ] {
            let pattern = Pattern::new(written.clone());
            assert_eq!(pattern.source(), written);
            let expanded = pattern
                .expand(&Vars::from([("prefix".to_string(), json!("cc-1"))]))
                .unwrap();
            assert_eq!(expanded.source(), written);
        }
    }

    #[test]
    fn keys_are_shared_inside_sharing_keys_only() {
        let key_of = |pattern: &Pattern| match pattern.root() {
            Node::Object(members) => Arc::clone(&members[0].key),
            other => panic!("{other:?}"),
        };
        let (a, b) = sharing_keys(|| {
            (
                Pattern::new(json!({"tracker_name": "a"})),
                Pattern::new(json!({"tracker_name": {"$type": "string"}})),
            )
        });
        assert!(Arc::ptr_eq(&key_of(&a), &key_of(&b)));
        let c = Pattern::new(json!({"tracker_name": "c"}));
        assert!(!Arc::ptr_eq(&key_of(&a), &key_of(&c)));
        assert_eq!(key_of(&a), key_of(&c));
    }

    #[test]
    fn a_compiled_tree_is_compact() {
        // A plan of 20,000 cases holds a tree per expectation: the nodes stay small.
        assert!(
            std::mem::size_of::<Node>() <= 40,
            "{}",
            std::mem::size_of::<Node>()
        );
        assert!(std::mem::size_of::<Member>() <= 56);
        assert!(std::mem::size_of::<Pattern>() <= 16);
    }

    #[test]
    fn templated_strings_and_variable_names_come_from_the_tree() {
        let pattern = Pattern::new(json!({
            "a": "${x}-1",
            "b": {"$oneOf": [{"$regex": "^${y}$"}, "plain"]},
            "c": "${bad",
            "d": {"$every": {"k": "${z}"}},
        }));
        let mut strings = Vec::new();
        pattern.templated_strings("/body", &mut |at, text| {
            strings.push((at, text.to_string()))
        });
        assert_eq!(
            strings,
            [
                ("/body/a".to_string(), "${x}-1".to_string()),
                ("/body/b/$oneOf/0/$regex".to_string(), "^${y}$".to_string()),
                ("/body/c".to_string(), "${bad".to_string()),
                ("/body/d/$every/k".to_string(), "${z}".to_string()),
            ]
        );
        let mut names = Vec::new();
        pattern.variable_names(&mut |name| names.push(name.to_string()));
        assert_eq!(names, ["x", "y", "z"]);
    }

    #[test]
    fn range_bounds_are_two_ordered_numbers() {
        for bad in [
            json!({"$range": [2, 1]}),
            json!({"$range": [1]}),
            json!({"$range": [1, 2, 3]}),
            json!({"$range": ["1", 2]}),
            json!({"$range": 5}),
        ] {
            let errors = Pattern::new(bad.clone()).errors();
            assert!(
                matches!(
                    errors.as_slice(),
                    [PatternError {
                        error: MatcherError::BadRange(_),
                        ..
                    }]
                ),
                "{bad}: {errors:?}"
            );
        }
        let good = Pattern::new(json!({"$range": [1, 1]}));
        assert!(good.errors().is_empty());
        assert_eq!(good.source(), json!({"$range": [1.0, 1.0]}));
    }

    #[test]
    fn wrongly_written_matchers_are_listed_with_their_place() {
        let pattern = Pattern::new(json!({
            "a": [{"$regex": "("}],
            "b": {"$oneOf": [{"$typo": 1}]},
            "c": {"$every": {"$type": "text"}},
            "d": {"$contains": "x"},
            "e": {"$absent": false},
            "ok": {"$absent": true},
        }));
        let errors: Vec<String> = pattern.errors().iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors[0].starts_with("/a/0: $regex does not compile"));
        assert_eq!(
            errors[1..],
            [
                "/b/$oneOf/0: unknown matcher $typo: use one of $type, $regex, $oneOf, $contains, $unordered, $every, $absent, $any, $range",
                "/c/$every: $type must be one of string, integer, number, boolean, array, object, null; not \"text\"",
                "/d: $contains takes an array",
                "/e: $absent takes true",
            ]
        );
        let err = Pattern::compile(json!({"$type": "text"})).unwrap_err();
        assert_eq!(err.pointer, "");
        assert_eq!(err.error, MatcherError::BadType("\"text\"".into()));
        // Several keys: a literal object, even when a key starts with `$`.
        assert!(Pattern::compile(json!({"$x": 1, "y": 2})).is_ok());
    }

    #[test]
    fn variables_are_resolved_by_expand_and_static_parts_are_not_reparsed() {
        let vars = Vars::from([
            ("prefix".to_string(), json!("cc-1")),
            ("created".to_string(), json!({"n": 5})),
        ]);
        let pattern = Pattern::compile(json!({
            "name": "${prefix}-a",
            "when": "${created}",
            "code": {"$regex": "^${prefix}$"},
            "lit": "$${not}",
        }))
        .unwrap();
        assert!(pattern.is_templated());
        let expanded = pattern.expand(&vars).unwrap();
        assert!(!expanded.is_templated());
        assert_eq!(
            expanded.to_value(),
            json!({"name": "cc-1-a", "when": {"n": 5}, "code": {"$regex": "^cc-1$"}, "lit": "${not}"})
        );
        assert_eq!(expanded.source(), pattern.source());
        // Members in key order: `code` is the first to need a variable.
        assert_eq!(
            pattern.expand(&Vars::new()).unwrap_err(),
            VarError::Unknown("prefix".into())
        );
        // A regex that only compiles once expanded is checked then.
        let late = Pattern::compile(json!({"$regex": "${prefix}"})).unwrap();
        let bad = late
            .expand(&Vars::from([("prefix".to_string(), json!("("))]))
            .unwrap();
        assert_eq!(bad.errors().len(), 1);
    }

    #[test]
    fn a_malformed_variable_is_an_error_of_the_pattern_and_of_expand() {
        let pattern = Pattern::new(json!({"x": "${oops"}));
        let errors = pattern.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/x");
        assert!(matches!(errors[0].error, MatcherError::Variable(_)));
        assert!(matches!(
            pattern.expand(&Vars::new()),
            Err(VarError::Unclosed(_))
        ));
    }

    #[test]
    fn well_formed_is_no_errors_without_pointers() {
        for (i, source) in [
            json!({"a": [1, {"b": "${x}"}], "c": {"$type": "string"}}),
            json!({"a": {"$contains": [{"b": {"$regex": "^x"}}]}, "e": {"$every": {"$any": true}}}),
            json!({"x": "${oops"}),
            json!({"a": [{"b": {"$regex": "("}}]}),
            json!({"a": {"$contains": [{"$nope": 1}]}}),
            json!({"a": {"$every": {"$type": "nothing"}}}),
            json!({"a": {"$one_of": [1, {"$unordered": "not an array"}]}}),
        ]
        .iter()
        .enumerate()
        {
            let pattern = Pattern::new(source.clone());
            // The first two are written right, the others each wrongly somewhere.
            assert_eq!(pattern.is_well_formed(), i < 2, "{source}");
            assert_eq!(
                pattern.is_well_formed(),
                pattern.errors().is_empty(),
                "{source}"
            );
        }
    }
}
