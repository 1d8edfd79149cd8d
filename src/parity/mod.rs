//! Parity of two recordings (`cts-conform parity DIR_A DIR_B`): case by case and step by
//! step, the status, the error code, the body's shape (which keys, which JSON types) and
//! the values that are not run-specific. Ids, times, request ids, run-prefixed names
//! (`cc-<8 hex>`), each run's run id, project id and pool buckets are masked (their type
//! is still compared). Arrays are compared as multisets: the same elements in another
//! order is one difference at the array's pointer ("same elements, other order"); an
//! element only one side has is reported at its index on that side.
//!
//! A difference's pointer is a JSON pointer into the case's recording file (see
//! `record`), e.g. `/steps/0/response/body/error_code`.

pub mod baseline;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::record::{RecordedCase, RecordedStep, Recording, RunMeta};

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The case was recorded on one side only.
    Case,
    /// The step was sent on one side only.
    Step,
    Status,
    ErrorCode,
    /// A key or an array element one side has and the other has not.
    Missing,
    /// Another JSON type.
    Type,
    /// Another value.
    Value,
    /// The same elements, in another order.
    Order,
    /// No usable answer on one side, or another transport error.
    Transport,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Case => "case recorded on one side only",
            Kind::Step => "step sent on one side only",
            Kind::Status => "status",
            Kind::ErrorCode => "error code",
            Kind::Missing => "present on one side only",
            Kind::Type => "JSON type",
            Kind::Value => "value",
            Kind::Order => "same elements, other order",
            Kind::Transport => "transport",
        }
    }
}

/// One difference; `a` and `b` are the (masked) values, `null` where a side has none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub pointer: String,
    pub kind: Kind,
    pub a: Value,
    pub b: Value,
    /// The baseline's reason, when the difference is accepted.
    pub accepted: Option<String>,
}

/// One case of either recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseParity {
    pub id: String,
    pub differences: Vec<Difference>,
}

impl CaseParity {
    /// Differences the baseline does not accept.
    pub fn open(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| d.accepted.is_none())
    }
}

/// Masks the run-specific values of one recording.
#[derive(Debug, Clone)]
pub struct Masks {
    /// Literal strings and what they become, longest first.
    literals: Vec<(String, &'static str)>,
}

static RUN_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"cc-[0-9a-f]{8}").expect("the pattern is valid"));
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
        .expect("the pattern is valid")
});
static DATE_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
        .expect("the pattern is valid")
});

impl Masks {
    pub fn of(meta: &RunMeta) -> Self {
        let mut literals: Vec<(String, &'static str)> = meta
            .config
            .data_buckets
            .iter()
            .chain(&meta.config.obs_buckets)
            .map(|b| (b.clone(), "<bucket>"))
            .collect();
        literals.push((meta.target.project_id.clone(), "<project>"));
        literals.push((meta.run_id.clone(), "<run>"));
        literals.retain(|(l, _)| !l.is_empty());
        literals.sort_by_key(|(l, _)| std::cmp::Reverse(l.len()));
        Masks { literals }
    }

    fn text(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (literal, mask) in &self.literals {
            text = text.replace(literal.as_str(), mask);
        }
        let text = RUN_PREFIX.replace_all(&text, "cc-<run>");
        let text = UUID.replace_all(&text, "<uuid>");
        DATE_TIME.replace_all(&text, "<time>").into_owned()
    }

    /// `value` with the run-specific values masked (types kept).
    pub fn value(&self, value: &Value, key: Option<&str>) -> Value {
        let run_specific = key.is_some_and(|k| {
            let k = k.to_ascii_lowercase();
            k == "id" || k.ends_with("_id") || k.ends_with("time") || k.ends_with("timestamp")
        });
        match value {
            Value::String(_) if run_specific => json!("<masked>"),
            Value::Number(_) if run_specific => json!(0),
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => items.iter().map(|v| self.value(v, None)).collect(),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.value(v, Some(k))))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Compares every case of `a` and `b` (by id, in id order).
pub fn compare(a: &Recording, b: &Recording) -> Vec<CaseParity> {
    let (mask_a, mask_b) = (Masks::of(&a.meta), Masks::of(&b.meta));
    let ids: BTreeSet<&String> = a.cases.keys().chain(b.cases.keys()).collect();
    ids.into_iter()
        .map(|id| {
            let mut differences = Vec::new();
            match (a.cases.get(id), b.cases.get(id)) {
                (Some(ca), Some(cb)) => compare_case(ca, cb, (&mask_a, &mask_b), &mut differences),
                (ca, cb) => differences.push(Difference {
                    pointer: String::new(),
                    kind: Kind::Case,
                    a: json!(ca.map(|c| c.verdict.as_str())),
                    b: json!(cb.map(|c| c.verdict.as_str())),
                    accepted: None,
                }),
            }
            CaseParity {
                id: id.clone(),
                differences,
            }
        })
        .collect()
}

type Pair<'a> = (&'a Masks, &'a Masks);

fn compare_case(a: &RecordedCase, b: &RecordedCase, masks: Pair, out: &mut Vec<Difference>) {
    let steps_a: BTreeMap<String, &RecordedStep> = RecordedStep::positions(a).collect();
    let steps_b: BTreeMap<String, &RecordedStep> = RecordedStep::positions(b).collect();
    let mut positions: Vec<&String> = steps_a.keys().chain(steps_b.keys()).collect();
    positions.sort_by_key(|p| {
        let (phase, index) = p.split_once('/').unwrap_or((p, "0"));
        (phase != "steps", index.parse::<usize>().unwrap_or(0))
    });
    positions.dedup();
    for position in positions {
        let pointer = format!("/{position}");
        match (sent(steps_a.get(position)), sent(steps_b.get(position))) {
            (None, None) => {}
            (Some(sa), Some(sb)) => compare_step(&pointer, sa, sb, masks, out),
            (sa, sb) => out.push(Difference {
                pointer,
                kind: Kind::Step,
                a: json!(sa.map(|s| &s.operation)),
                b: json!(sb.map(|s| &s.operation)),
                accepted: None,
            }),
        }
    }
}

/// The step, if it sent a request.
fn sent<'a>(step: Option<&&'a RecordedStep>) -> Option<&'a RecordedStep> {
    step.copied().filter(|s| s.request.is_some())
}

fn compare_step(
    pointer: &str,
    a: &RecordedStep,
    b: &RecordedStep,
    masks: Pair,
    out: &mut Vec<Difference>,
) {
    let (ra, rb) = match (&a.response, &b.response) {
        (Some(ra), Some(rb)) => (ra, rb),
        _ => {
            let kind = |s: &RecordedStep| match (&s.response, &s.error) {
                (Some(r), _) => json!(r.status),
                (None, Some(Value::Object(e))) => json!(e.keys().next()),
                (None, e) => json!(e),
            };
            let (ka, kb) = (kind(a), kind(b));
            if ka != kb {
                out.push(Difference {
                    pointer: pointer.to_string(),
                    kind: Kind::Transport,
                    a: ka,
                    b: kb,
                    accepted: None,
                });
            }
            return;
        }
    };
    let response = format!("{pointer}/response");
    if ra.status != rb.status {
        out.push(Difference {
            pointer: format!("{response}/status"),
            kind: Kind::Status,
            a: json!(ra.status),
            b: json!(rb.status),
            accepted: None,
        });
    }
    let body = |r: &crate::record::RecordedResponse, m: &Masks| match &r.body {
        None => Value::Null,
        Some(body) => match body.json() {
            Some(value) => m.value(&value, None),
            None => json!(m.text(&String::from_utf8_lossy(&body.bytes()))),
        },
    };
    let (ba, bb) = (body(ra, masks.0), body(rb, masks.1));
    diff_values(&format!("{response}/body"), &ba, &bb, out);
}

/// A pointer segment, escaped (`~` as `~0`, `/` as `~1`).
fn segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The differences between two masked values at `pointer`.
pub fn diff_values(pointer: &str, a: &Value, b: &Value, out: &mut Vec<Difference>) {
    let push = |out: &mut Vec<Difference>, kind, a: &Value, b: &Value| {
        out.push(Difference {
            pointer: pointer.to_string(),
            kind,
            a: a.clone(),
            b: b.clone(),
            accepted: None,
        })
    };
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => diff_objects(pointer, ma, mb, out),
        (Value::Array(xa), Value::Array(xb)) => diff_arrays(pointer, xa, xb, out),
        _ if type_name(a) != type_name(b) => push(out, Kind::Type, a, b),
        _ if a != b => {
            let kind = if pointer.ends_with("/body/error_code") {
                Kind::ErrorCode
            } else {
                Kind::Value
            };
            push(out, kind, a, b)
        }
        _ => {}
    }
}

fn diff_objects(
    pointer: &str,
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    out: &mut Vec<Difference>,
) {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let here = format!("{pointer}/{}", segment(key));
        match (a.get(key), b.get(key)) {
            (Some(va), Some(vb)) => diff_values(&here, va, vb, out),
            (va, vb) => out.push(Difference {
                pointer: here,
                kind: Kind::Missing,
                a: va.cloned().unwrap_or(Value::Null),
                b: vb.cloned().unwrap_or(Value::Null),
                accepted: None,
            }),
        }
    }
}

/// A value as canonical text (object keys sorted), to compare elements as a multiset.
fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                json!(ordered)
            }
            Value::Array(items) => items.iter().map(sorted).collect(),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

fn diff_arrays(pointer: &str, a: &[Value], b: &[Value], out: &mut Vec<Difference>) {
    let (ca, cb): (Vec<String>, Vec<String>) = (
        a.iter().map(canonical).collect(),
        b.iter().map(canonical).collect(),
    );
    if ca == cb {
        return;
    }
    let (mut sa, mut sb) = (ca.clone(), cb.clone());
    sa.sort();
    sb.sort();
    if sa == sb {
        out.push(Difference {
            pointer: pointer.to_string(),
            kind: Kind::Order,
            a: json!(a),
            b: json!(b),
            accepted: None,
        });
        return;
    }
    // Pair equal elements off; what is left is compared in order, the surplus reported.
    let mut left_b: Vec<Option<&String>> = cb.iter().map(Some).collect();
    let mut only_a = Vec::new();
    for (i, text) in ca.iter().enumerate() {
        match left_b.iter().position(|t| *t == Some(text)) {
            Some(j) => left_b[j] = None,
            None => only_a.push(i),
        }
    }
    let only_b: Vec<usize> = (0..b.len()).filter(|j| left_b[*j].is_some()).collect();
    let paired = only_a.len().min(only_b.len());
    // A pair is reported at A's index.
    for (&i, &j) in only_a.iter().zip(&only_b) {
        diff_values(&format!("{pointer}/{i}"), &a[i], &b[j], out);
    }
    for &i in &only_a[paired..] {
        out.push(Difference {
            pointer: format!("{pointer}/{i}"),
            kind: Kind::Missing,
            a: a[i].clone(),
            b: Value::Null,
            accepted: None,
        });
    }
    for &j in &only_b[paired..] {
        out.push(Difference {
            pointer: format!("{pointer}/{j}"),
            kind: Kind::Missing,
            a: Value::Null,
            b: b[j].clone(),
            accepted: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diffs(a: Value, b: Value) -> Vec<(String, Kind)> {
        let mut out = Vec::new();
        diff_values("", &a, &b, &mut out);
        out.into_iter().map(|d| (d.pointer, d.kind)).collect()
    }

    #[test]
    fn same_elements_in_another_order_is_one_order_difference() {
        assert_eq!(
            diffs(
                json!({"l": [{"a": 1}, {"a": 2}]}),
                json!({"l": [{"a": 2}, {"a": 1}]})
            ),
            vec![("/l".to_string(), Kind::Order)]
        );
        assert_eq!(diffs(json!([1, 2]), json!([1, 2])), vec![]);
    }

    #[test]
    fn an_extra_element_is_reported_at_its_index() {
        assert_eq!(
            diffs(
                json!([{"t": "x"}, {"t": "y"}]),
                json!([{"t": "y"}, {"t": "x"}, {"t": "z"}])
            ),
            vec![("/2".to_string(), Kind::Missing)]
        );
    }

    #[test]
    fn keys_types_values_and_error_codes() {
        assert_eq!(
            diffs(
                json!({"body": {"error_code": "CTS.0002", "n": 1, "s": "a", "k": 1}}),
                json!({"body": {"error_code": "APIGW.0301", "n": "1", "s": "b"}})
            ),
            vec![
                ("/body/error_code".to_string(), Kind::ErrorCode),
                ("/body/k".to_string(), Kind::Missing),
                ("/body/n".to_string(), Kind::Type),
                ("/body/s".to_string(), Kind::Value),
            ]
        );
    }

    #[test]
    fn run_specific_values_are_masked() {
        let masks = Masks {
            literals: vec![
                ("my-bucket".into(), "<bucket>"),
                ("0a1b2c3d".into(), "<run>"),
            ],
        };
        let a = masks.value(
            &json!({"id": "u1", "create_time": 5, "name": "cc-0123abcd-x", "b": "my-bucket"}),
            None,
        );
        assert_eq!(
            a,
            json!({"id": "<masked>", "create_time": 0, "name": "cc-<run>-x", "b": "<bucket>"})
        );
    }
}
