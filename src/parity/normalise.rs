//! Value normalisers (the rules file's `normalise`, after LocalStack's snapshot
//! transformers): each string at a pointer a normaliser's glob matches becomes a
//! reference, `<NAME:N>`, numbered per case in the order the values first occur, and
//! the same value anywhere else in that case's answers becomes the same reference. So an
//! id the create step answered and the list step repeats is recognisable across steps
//! (`<tracker-id:1>` on both), and two targets that give other ids compare equal.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::record::{Body, RecordedCase, RecordedStep};

use super::rules::Glob;

static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^<[a-z0-9-]+:[0-9]+>$").expect("the pattern is valid"));

/// Whether `text` is a normaliser's reference (`<tracker-id:1>`).
pub fn is_reference(text: &str) -> bool {
    REFERENCE.is_match(text)
}

/// One normaliser, with the number of values it replaced.
#[derive(Debug)]
pub struct Normaliser {
    pub pattern: Glob,
    pub name: String,
    matched: AtomicUsize,
}

impl Normaliser {
    pub fn new(pattern: Glob, name: String) -> Self {
        Normaliser {
            pattern,
            name,
            matched: AtomicUsize::new(0),
        }
    }

    /// How many values it has replaced so far.
    pub fn matched(&self) -> usize {
        self.matched.load(Ordering::Relaxed)
    }

    /// `**/trackers/*/id -> <tracker-id:N>`.
    pub fn describe(&self) -> String {
        format!("{} -> <{}:N>", self.pattern.text(), self.name)
    }
}

/// `case` with the normalisers' values replaced by references in every answer body.
pub fn case<'c>(case: &'c RecordedCase, normalisers: &[Normaliser]) -> Cow<'c, RecordedCase> {
    if normalisers.is_empty() {
        return Cow::Borrowed(case);
    }
    let bodies: Vec<(String, Option<Value>)> = RecordedStep::positions(case)
        .map(|(position, step)| {
            let body = step
                .response
                .as_ref()
                .and_then(|r| r.body.as_ref())
                .and_then(Body::json);
            (position, body)
        })
        .collect();
    // The references, in order of first occurrence.
    let mut references: HashMap<String, String> = HashMap::new();
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    for (position, body) in &bodies {
        if let Some(body) = body {
            let prefix = format!("/{position}/response/body");
            collect(body, &prefix, normalisers, &mut references, &mut numbers);
        }
    }
    if references.is_empty() {
        return Cow::Borrowed(case);
    }
    let mut case = case.clone();
    let steps = case.steps.iter_mut().chain(case.cleanup.iter_mut());
    for (step, (_, body)) in steps.zip(bodies) {
        let (Some(response), Some(mut body)) = (step.response.as_mut(), body) else {
            continue;
        };
        replace(&mut body, &references);
        response.body = Some(Body::Text(body.to_string()));
    }
    Cow::Owned(case)
}

fn collect<'n>(
    value: &Value,
    pointer: &str,
    normalisers: &'n [Normaliser],
    references: &mut HashMap<String, String>,
    numbers: &mut HashMap<&'n str, usize>,
) {
    match value {
        Value::String(text) => {
            if let Some(n) = normalisers.iter().find(|n| n.pattern.matches(pointer)) {
                n.matched.fetch_add(1, Ordering::Relaxed);
                if !references.contains_key(text) {
                    let number = numbers.entry(&n.name).or_insert(0);
                    *number += 1;
                    references.insert(text.clone(), format!("<{}:{number}>", n.name));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect(
                    item,
                    &format!("{pointer}/{i}"),
                    normalisers,
                    references,
                    numbers,
                );
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let here = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                collect(item, &here, normalisers, references, numbers);
            }
        }
        _ => {}
    }
}

fn replace(value: &mut Value, references: &HashMap<String, String>) {
    match value {
        Value::String(text) => {
            if let Some(reference) = references.get(text.as_str()) {
                *text = reference.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace(v, references)),
        Value::Object(map) => map.values_mut().for_each(|v| replace(v, references)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(body: Value) -> Value {
        json!({"label": "s", "operation": "ListTrackers", "skipped": null, "failed": false,
               "findings": [], "retries": [],
               "request": {"method": "GET", "url": "u", "headers": [], "body": null},
               "response": {"status": 200, "headers": [], "body": {"text": body.to_string()},
                            "elapsed_ms": 1}})
    }

    #[test]
    fn the_same_value_gets_the_same_reference_across_steps() {
        let case: RecordedCase = serde_json::from_value(json!({
            "format": 1, "id": "s::a", "file": "f", "leased": {}, "verdict": "passed",
            "reason": null, "interrupted": false,
            "steps": [step(json!({"id": "t-9", "other": "t-7"})),
                      step(json!({"trackers": [{"id": "t-7"}, {"id": "t-9"}]}))],
            "cleanup": []
        }))
        .expect("case");
        let normalisers = [Normaliser::new(
            Glob::new("/steps/0/response/body/id").expect("glob"),
            "tracker-id".into(),
        )];
        let normalised = super::case(&case, &normalisers);
        let body = |i: usize| -> Value {
            normalised.steps[i]
                .response
                .as_ref()
                .and_then(|r| r.body.as_ref())
                .and_then(Body::json)
                .expect("json")
        };
        assert_eq!(body(0), json!({"id": "<tracker-id:1>", "other": "t-7"}));
        assert_eq!(
            body(1),
            json!({"trackers": [{"id": "t-7"}, {"id": "<tracker-id:1>"}]})
        );
        assert_eq!(normalisers[0].matched(), 1);
        assert!(is_reference("<tracker-id:1>") && !is_reference("<tracker id:1>"));
    }
}
