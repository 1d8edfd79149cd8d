//! Parity of two recordings (`cts-conform parity DIR_A DIR_B`): case by case and step by
//! step, the status, the error code, the body (keys, JSON types, values that are not
//! run-specific) and the headers that matter. Ids, times, request ids, run-prefixed names
//! (`cc-<8 hex>`), each run's run id, project id and pool buckets are masked (their type
//! is still compared); a success answered by an error on the other side is one status
//! difference (its bodies are not compared field by field); the rules file's normalisers replace further values by references
//! ([`normalise`]). Arrays are compared as multisets: the same elements in another order
//! is one difference at the array's pointer; an element only one side has is reported
//! at its index on that side.
//!
//! Every difference has a [`Class`] (status, error code, documented field, undocumented
//! field, message text, header, order, step or case presence): a body field is
//! documented when the contract's schema of the answered status lists it
//! ([`documented`]). The default comparison (`--compare documented`) judges the Core
//! classes; the others are reported apart and judged with `--compare all`. Differences
//! are grouped by class and folded pointer ([`group`]), scored per operation and tier
//! ([`score`]), accepted by rules ([`rules`]), and the two runs' settings compared first
//! ([`explain`]).
//!
//! A difference's pointer is a JSON pointer into the case's recording file (see
//! `record`), e.g. `/steps/0/response/body/error_code`.

pub mod documented;
pub mod explain;
pub mod group;
pub mod normalise;
pub mod pair;
pub mod render;
pub mod rules;
pub mod score;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::cts::Service;
use crate::record::{RecordedCase, RecordedResponse, RecordedStep, Recording, RunMeta};

use documented::Documented;
use normalise::Normaliser;

/// What a difference is about; decides its tier and whether the default comparison
/// judges it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A case recorded (or run) on one side only.
    Case,
    /// A step sent on one side only.
    Step,
    /// Another status, or no usable answer on one side.
    Status,
    /// Another `error_code`.
    ErrorCode,
    /// A field the contract documents for the answered status: value, presence or type.
    Documented,
    /// A field the contract does not document for the answered status.
    Undocumented,
    /// The text of `error_msg`.
    Message,
    /// A header that matters ([`HEADERS`]).
    Header,
    /// The same array elements in another order.
    Order,
}

impl Class {
    pub const ALL: [Class; 9] = [
        Class::Case,
        Class::Step,
        Class::Status,
        Class::ErrorCode,
        Class::Documented,
        Class::Undocumented,
        Class::Message,
        Class::Header,
        Class::Order,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Case => "case",
            Class::Step => "step",
            Class::Status => "status",
            Class::ErrorCode => "error-code",
            Class::Documented => "documented",
            Class::Undocumented => "undocumented",
            Class::Message => "message",
            Class::Header => "header",
            Class::Order => "order",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Class::Case => "case on one side only",
            Class::Step => "step on one side only",
            Class::Status => "status",
            Class::ErrorCode => "error code",
            Class::Documented => "documented field",
            Class::Undocumented => "undocumented field",
            Class::Message => "message text",
            Class::Header => "header",
            Class::Order => "order",
        }
    }

    /// The least tier that counts this class ([`score::Tier`]).
    pub fn tier(self) -> score::Tier {
        match self {
            Class::Case | Class::Step | Class::Status | Class::ErrorCode | Class::Documented => {
                score::Tier::Core
            }
            Class::Undocumented | Class::Header | Class::Order => score::Tier::Complete,
            Class::Message => score::Tier::Strict,
        }
    }
}

/// Which differences the verdict judges (`--compare`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compare {
    /// Case and step presence, status, error code, documented fields.
    #[default]
    Documented,
    /// Every class.
    All,
}

impl Compare {
    pub fn judges(self, class: Class) -> bool {
        self == Compare::All || class.tier() == score::Tier::Core
    }
}

/// How a difference shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The case was recorded on one side only.
    Case,
    /// The case was ignored on one side and ran on the other.
    Ignored,
    /// The step was sent on one side only.
    Step,
    Status,
    ErrorCode,
    /// A key, an array element or a header one side has and the other has not.
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
            Kind::Case => "recorded on one side only",
            Kind::Ignored => "ignored on one side",
            Kind::Step => "sent on one side only",
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
    /// Pointer into the case's recording file (empty for the whole case).
    pub pointer: String,
    /// The step's operation (`None` for a whole case).
    pub operation: Option<String>,
    pub class: Class,
    pub kind: Kind,
    pub a: Value,
    pub b: Value,
    /// The rule's reason, when a rule accepts the difference.
    pub accepted: Option<String>,
}

impl Difference {
    /// The pointer inside the step's answer (`/trackers/0/id`, `status`, `header
    /// content-type`), or the step (`step`), or `case`.
    pub fn local(&self) -> String {
        if self.pointer.is_empty() {
            return "case".into();
        }
        let after_step = self
            .pointer
            .splitn(4, '/')
            .nth(3)
            .map(|rest| format!("/{rest}"))
            .unwrap_or_default();
        if let Some(body) = after_step.strip_prefix("/response/body") {
            if body.is_empty() {
                "/".into()
            } else {
                body.to_string()
            }
        } else if let Some(header) = after_step.strip_prefix("/response/headers/") {
            format!("header {header}")
        } else if after_step == "/response/status" {
            "status".into()
        } else if after_step.is_empty() {
            "step".into()
        } else {
            after_step.trim_start_matches('/').to_string()
        }
    }
}

/// One case of either recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseParity {
    pub id: String,
    pub differences: Vec<Difference>,
    /// Steps compared, by operation (both sides sent the step, or one side did).
    pub compared: Vec<Compared>,
}

/// One compared step: its operation and the classes of its differences (all of them,
/// accepted or not: the score measures the answers, the rules only the verdict).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared {
    pub operation: String,
    pub classes: BTreeSet<Class>,
}

impl CaseParity {
    /// Differences no rule accepts that `compare` judges.
    pub fn open(&self, compare: Compare) -> impl Iterator<Item = &Difference> {
        self.differences
            .iter()
            .filter(move |d| d.accepted.is_none() && compare.judges(d.class))
    }
}

/// Masks the run-specific values of one recording.
#[derive(Debug, Clone)]
pub struct Masks {
    /// Any run's prefix (the service's pattern) and what it becomes (`cc-<run>`).
    run_prefix: Option<(Regex, String)>,
    /// Literal strings and what they become, longest first.
    literals: Vec<(String, &'static str)>,
}
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
        .expect("the pattern is valid")
});
static DATE_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
        .expect("the pattern is valid")
});

impl Masks {
    /// The masks of a recording of `service`'s API.
    pub fn of(meta: &RunMeta, service: &dyn Service) -> Self {
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
        // A pattern the service gets wrong masks no prefix (and the comparison shows it).
        let run_prefix = Regex::new(service.run_prefix_pattern())
            .ok()
            .map(|re| (re, service.masked_run_prefix().to_string()));
        Masks {
            run_prefix,
            literals,
        }
    }

    fn text(&self, text: &str) -> String {
        if normalise::is_reference(text) {
            return text.to_string();
        }
        // The run prefix first: a pool bucket the run named after itself then reads the
        // same on both sides (`cc-<run>-src1`), whether or not run.json lists it.
        let mut text = match &self.run_prefix {
            Some((pattern, mask)) => pattern.replace_all(text, mask.as_str()).into_owned(),
            None => text.to_string(),
        };
        for (literal, mask) in &self.literals {
            text = text.replace(literal.as_str(), mask);
        }
        let text = UUID.replace_all(&text, "<uuid>");
        DATE_TIME.replace_all(&text, "<time>").into_owned()
    }

    /// `value` with the run-specific values masked (types kept); a normaliser's
    /// reference (`<tracker-id:1>`) is kept as it is.
    pub fn value(&self, value: &Value, key: Option<&str>) -> Value {
        let run_specific = key.is_some_and(|k| {
            let k = k.to_ascii_lowercase();
            k == "id" || k.ends_with("_id") || k.ends_with("time") || k.ends_with("timestamp")
        });
        match value {
            Value::String(s) if normalise::is_reference(s) => value.clone(),
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

/// Headers that matter, compared by presence, and `content-type` also by media type.
pub const HEADERS: [&str; 3] = ["content-type", "x-request-id", "retry-after"];

/// What a comparison needs besides the recordings.
pub struct Comparison<'a> {
    pub documented: &'a Documented<'a>,
    /// The API the recordings are of (its run-prefix pattern is masked).
    pub service: &'a dyn Service,
    pub normalisers: &'a [Normaliser],
}

/// Compares every case of `a` and `b` (by id, in id order). A case the other side's run
/// did not select (`not_selected` names them) is left out: [`explain`] says so once.
pub fn compare(
    a: &Recording,
    b: &Recording,
    how: &Comparison,
    not_selected: &BTreeSet<String>,
) -> Vec<CaseParity> {
    let (mask_a, mask_b) = (
        Masks::of(&a.meta, how.service),
        Masks::of(&b.meta, how.service),
    );
    let ids: BTreeSet<&String> = a.cases.keys().chain(b.cases.keys()).collect();
    ids.into_iter()
        .filter(|id| !not_selected.contains(*id))
        .map(|id| {
            let mut parity = CaseParity {
                id: id.clone(),
                differences: Vec::new(),
                compared: Vec::new(),
            };
            match (a.cases.get(id), b.cases.get(id)) {
                (Some(ca), Some(cb)) => match (ignored(ca), ignored(cb)) {
                    (false, false) | (true, true) => {
                        let ca = normalise::case(ca, how.normalisers);
                        let cb = normalise::case(cb, how.normalisers);
                        compare_case(&ca, &cb, (&mask_a, &mask_b), how, &mut parity)
                    }
                    _ => parity.differences.push(Difference {
                        pointer: String::new(),
                        operation: None,
                        class: Class::Case,
                        kind: Kind::Ignored,
                        a: verdict(ca),
                        b: verdict(cb),
                        accepted: None,
                    }),
                },
                (ca, cb) => parity.differences.push(Difference {
                    pointer: String::new(),
                    operation: None,
                    class: Class::Case,
                    kind: Kind::Case,
                    a: json!(ca.map(|c| c.verdict.as_str())),
                    b: json!(cb.map(|c| c.verdict.as_str())),
                    accepted: None,
                }),
            }
            parity
        })
        .collect()
}

fn ignored(case: &RecordedCase) -> bool {
    case.verdict == "ignored"
}

/// A case's verdict with its reason (`ignored: not replayable`).
fn verdict(case: &RecordedCase) -> Value {
    match &case.reason {
        Some(reason) => json!(format!("{}: {reason}", case.verdict)),
        None => json!(case.verdict),
    }
}

type Pair<'a> = (&'a Masks, &'a Masks);

fn compare_case(
    a: &RecordedCase,
    b: &RecordedCase,
    masks: Pair,
    how: &Comparison,
    parity: &mut CaseParity,
) {
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
        let mut step_differences = Vec::new();
        let operation = match (sent(steps_a.get(position)), sent(steps_b.get(position))) {
            (None, None) => continue,
            (Some(sa), Some(sb)) => {
                compare_step(&pointer, sa, sb, masks, how, &mut step_differences);
                sa.operation.clone()
            }
            (sa, sb) => {
                step_differences.push(Difference {
                    pointer: pointer.clone(),
                    operation: None,
                    class: Class::Step,
                    kind: Kind::Step,
                    a: json!(sa.map(|s| &s.operation)),
                    b: json!(sb.map(|s| &s.operation)),
                    accepted: None,
                });
                sa.or(sb).map(|s| s.operation.clone()).unwrap_or_default()
            }
        };
        for d in &mut step_differences {
            d.operation = Some(operation.clone());
        }
        parity.compared.push(Compared {
            operation,
            classes: step_differences.iter().map(|d| d.class).collect(),
        });
        parity.differences.append(&mut step_differences);
    }
}

/// The step, if it sent a request.
fn sent<'a>(step: Option<&&'a RecordedStep>) -> Option<&'a RecordedStep> {
    step.copied().filter(|s| s.request.is_some())
}

fn difference(pointer: String, class: Class, kind: Kind, a: Value, b: Value) -> Difference {
    Difference {
        pointer,
        operation: None,
        class,
        kind,
        a,
        b,
        accepted: None,
    }
}

fn compare_step(
    pointer: &str,
    a: &RecordedStep,
    b: &RecordedStep,
    masks: Pair,
    how: &Comparison,
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
                out.push(difference(
                    pointer.to_string(),
                    Class::Status,
                    Kind::Transport,
                    ka,
                    kb,
                ));
            }
            return;
        }
    };
    let response = format!("{pointer}/response");
    if ra.status != rb.status {
        out.push(difference(
            format!("{response}/status"),
            Class::Status,
            Kind::Status,
            json!(ra.status),
            json!(rb.status),
        ));
        // A success against an error: the bodies are of other kinds, and every field of
        // them would differ; the status says it once.
        if (200..300).contains(&ra.status) != (200..300).contains(&rb.status) {
            return;
        }
    }
    compare_headers(&response, ra, rb, out);
    let body = |r: &RecordedResponse, m: &Masks| match &r.body {
        None => Value::Null,
        Some(body) => match body.json() {
            Some(value) => m.value(&value, None),
            None => json!(m.text(&String::from_utf8_lossy(&body.bytes()))),
        },
    };
    let (ba, bb) = (body(ra, masks.0), body(rb, masks.1));
    let fields = how.documented.fields(&a.operation, [ra.status, rb.status]);
    let mut body_differences = Vec::new();
    diff_values("", &ba, &bb, &mut body_differences);
    for mut d in body_differences {
        d.class = body_class(&d, &fields);
        d.pointer = format!("{response}/body{}", d.pointer);
        out.push(d);
    }
}

/// The class of a body difference at body pointer `d.pointer`.
fn body_class(d: &Difference, fields: &BTreeSet<String>) -> Class {
    match d.kind {
        Kind::Order => return Class::Order,
        Kind::ErrorCode => return Class::ErrorCode,
        Kind::Value if d.pointer.ends_with("/error_msg") => return Class::Message,
        _ => {}
    }
    if fields.contains(&group::fold(&d.pointer)) || (d.pointer.is_empty() && !fields.is_empty()) {
        Class::Documented
    } else {
        Class::Undocumented
    }
}

fn header<'r>(response: &'r RecordedResponse, name: &str) -> Option<&'r str> {
    response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn compare_headers(
    response: &str,
    a: &RecordedResponse,
    b: &RecordedResponse,
    out: &mut Vec<Difference>,
) {
    for name in HEADERS {
        let (ha, hb) = (header(a, name), header(b, name));
        let pointer = format!("{response}/headers/{name}");
        match (ha, hb) {
            (None, None) => {}
            (Some(va), Some(vb)) if name == "content-type" => {
                let media = |v: &str| {
                    v.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                };
                if media(va) != media(vb) {
                    out.push(difference(
                        pointer,
                        Class::Header,
                        Kind::Value,
                        json!(media(va)),
                        json!(media(vb)),
                    ));
                }
            }
            (Some(_), Some(_)) => {}
            (va, vb) => out.push(difference(
                pointer,
                Class::Header,
                Kind::Missing,
                json!(va.map(|_| "present")),
                json!(vb.map(|_| "present")),
            )),
        }
    }
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

/// The differences between two masked values at `pointer` (classed as documented
/// fields; the step classes them by the contract).
pub fn diff_values(pointer: &str, a: &Value, b: &Value, out: &mut Vec<Difference>) {
    let push = |out: &mut Vec<Difference>, kind, a: &Value, b: &Value| {
        out.push(difference(
            pointer.to_string(),
            Class::Documented,
            kind,
            a.clone(),
            b.clone(),
        ))
    };
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => diff_objects(pointer, ma, mb, out),
        (Value::Array(xa), Value::Array(xb)) => diff_arrays(pointer, xa, xb, out),
        _ if type_name(a) != type_name(b) => push(out, Kind::Type, a, b),
        _ if a != b => {
            let kind = if pointer == "/error_code" || pointer.ends_with("/body/error_code") {
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
            (va, vb) => out.push(difference(
                here,
                Class::Documented,
                Kind::Missing,
                va.cloned().unwrap_or(Value::Null),
                vb.cloned().unwrap_or(Value::Null),
            )),
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
        out.push(difference(
            pointer.to_string(),
            Class::Order,
            Kind::Order,
            json!(a),
            json!(b),
        ));
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
        out.push(difference(
            format!("{pointer}/{i}"),
            Class::Documented,
            Kind::Missing,
            a[i].clone(),
            Value::Null,
        ));
    }
    for &j in &only_b[paired..] {
        out.push(difference(
            format!("{pointer}/{j}"),
            Class::Documented,
            Kind::Missing,
            Value::Null,
            b[j].clone(),
        ));
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
                json!({"error_code": "CTS.0002", "n": 1, "s": "a", "k": 1}),
                json!({"error_code": "APIGW.0301", "n": "1", "s": "b"})
            ),
            vec![
                ("/error_code".to_string(), Kind::ErrorCode),
                ("/k".to_string(), Kind::Missing),
                ("/n".to_string(), Kind::Type),
                ("/s".to_string(), Kind::Value),
            ]
        );
    }

    #[test]
    fn run_specific_values_are_masked_and_references_kept() {
        let masks = Masks {
            run_prefix: Some((
                Regex::new(crate::cts::Cts.run_prefix_pattern()).expect("valid"),
                "cc-<run>".into(),
            )),
            literals: vec![
                ("my-bucket".into(), "<bucket>"),
                ("0a1b2c3d".into(), "<run>"),
            ],
        };
        let a = masks.value(
            &json!({"id": "u1", "create_time": 5, "name": "cc-0123abcd-x", "b": "my-bucket",
                    "tracker_id": "<tracker-id:2>"}),
            None,
        );
        assert_eq!(
            a,
            json!({"id": "<masked>", "create_time": 0, "name": "cc-<run>-x", "b": "<bucket>",
                   "tracker_id": "<tracker-id:2>"})
        );
    }

    #[test]
    fn local_pointers() {
        let d = |pointer: &str| {
            difference(
                pointer.into(),
                Class::Status,
                Kind::Value,
                json!(1),
                json!(2),
            )
        };
        assert_eq!(
            d("/steps/2/response/body/trackers/0/id").local(),
            "/trackers/0/id"
        );
        assert_eq!(d("/steps/2/response/status").local(), "status");
        assert_eq!(
            d("/cleanup/0/response/headers/content-type").local(),
            "header content-type"
        );
        assert_eq!(d("/steps/2").local(), "step");
        assert_eq!(d("").local(), "case");
    }
}
