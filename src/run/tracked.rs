//! Which operations of its data bucket (`${data_bucket}`) a case tracks, read once from
//! its steps before the run (not per request): the bucket pool leases a case only those
//! ([`super::pool`]), so that a case tracking READ and one tracking WRITE share a bucket
//! (api-facts: CTS.0209 is per bucket operation).
//!
//! A request body's `data_bucket` naming `${data_bucket}` tracks what its `data_event`
//! lists; without `data_event`, or with one that is not a literal list of `READ` and
//! `WRITE`, both (api-facts: absent counts as both; an update may change the operations,
//! so every step counts, cleanup included, and the case holds their union). What cannot
//! be read from the case (a raw body naming the bucket, a case that names the bucket only
//! elsewhere) holds both.

use serde_json::Value;

use super::pool::Operations;
use crate::case::model::StepSpec;
use crate::case::LoadedCase;

/// The variable of the leased bucket.
const DATA_BUCKET: &str = "${data_bucket}";

/// The operations of its data bucket `case` tracks; `None` when it refers to no data
/// bucket (it holds no lease).
pub fn operations(case: &LoadedCase) -> Option<Operations> {
    if !case.variables().contains("data_bucket") {
        return None;
    }
    let found = case
        .spec
        .steps
        .iter()
        .chain(&case.spec.cleanup)
        .fold(Operations::NONE, |found, step| {
            found.union(step_operations(step))
        });
    // It needs the bucket for a reason not read here: it holds the whole bucket.
    Some(if found.is_empty() {
        Operations::BOTH
    } else {
        found
    })
}

/// The operations of `${data_bucket}` one step's request tracks.
fn step_operations(step: &StepSpec) -> Operations {
    if step
        .raw_body
        .as_deref()
        .is_some_and(|raw| raw.contains(DATA_BUCKET))
    {
        return Operations::BOTH;
    }
    match &step.body {
        Some(body) if !body.is_static() => in_body(&body.to_value()),
        _ => Operations::NONE,
    }
}

/// The operations of `${data_bucket}` that the `data_bucket` objects of `value` (at any
/// depth) track.
fn in_body(value: &Value) -> Operations {
    match value {
        Value::Object(map) => {
            let here = match map.get("data_bucket") {
                Some(Value::Object(bucket)) => match bucket.get("data_bucket_name") {
                    Some(Value::String(name)) if name.contains(DATA_BUCKET) => {
                        Operations::of_data_event(bucket.get("data_event"))
                    }
                    Some(Value::String(_)) => Operations::NONE,
                    // A name this run cannot read: it may be the leased one.
                    Some(_) => Operations::BOTH,
                    None => Operations::NONE,
                },
                // A data_bucket written as one string may hold the whole object.
                Some(Value::String(text)) if text.contains(DATA_BUCKET) => Operations::BOTH,
                _ => Operations::NONE,
            };
            map.values().fold(here, |found, v| found.union(in_body(v)))
        }
        Value::Array(items) => items
            .iter()
            .fold(Operations::NONE, |found, v| found.union(in_body(v))),
        _ => Operations::NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{self, Source};
    use crate::contract::Contract;

    /// A case whose steps have these bodies (JSON texts), the last one as cleanup.
    fn case_with(bodies: &[&str], cleanup: &str) -> LoadedCase {
        let step = |body: &str| {
            format!(
                r#"{{"operation": "CreateTracker", "body": {body}, "expect": {{"status": 201}}}}"#
            )
        };
        let steps: Vec<String> = bodies.iter().map(|b| step(b)).collect();
        let cleanup = if cleanup.is_empty() {
            String::new()
        } else {
            format!(r#", "cleanup": [{}]"#, step(cleanup))
        };
        let text = format!(
            r#"{{"suite": "t", "cases": [{{"name": "c", "doc": "d", "steps": [{}]{cleanup}}}]}}"#,
            steps.join(", ")
        );
        case::load(
            &[Source {
                name: "t.json".into(),
                text,
            }],
            Contract::embedded(),
            &crate::cts::CASE_RULES,
        )
        .expect("the case loads")
        .remove(0)
    }

    fn tracking(events: &str) -> String {
        format!(
            r#"{{"tracker_type": "data", "tracker_name": "${{prefix}}-a",
                "data_bucket": {{"data_bucket_name": "${{data_bucket}}"{events}}}}}"#
        )
    }

    #[test]
    fn a_case_tracks_what_its_data_event_lists_and_both_without_one() {
        let read = tracking(r#", "data_event": ["READ"]"#);
        let write = tracking(r#", "data_event": ["WRITE"]"#);
        assert_eq!(operations(&case_with(&[&read], "")), Some(Operations::READ));
        assert_eq!(
            operations(&case_with(&[&write], "")),
            Some(Operations::WRITE)
        );
        assert_eq!(
            operations(&case_with(&[&tracking("")], "")),
            Some(Operations::BOTH)
        );
        // An update to WRITE of a READ tracker: the case holds both, cleanup counts too.
        assert_eq!(
            operations(&case_with(&[&read, &write], "")),
            Some(Operations::BOTH)
        );
        assert_eq!(
            operations(&case_with(&[&read], &tracking(""))),
            Some(Operations::BOTH)
        );
        // A data_event the case fills from a variable, or that is not READ/WRITE: both.
        let variable = tracking(r#", "data_event": ["${run_id}"]"#);
        assert_eq!(
            operations(&case_with(&[&variable], "")),
            Some(Operations::BOTH)
        );
        let unknown = tracking(r#", "data_event": ["DELETE"]"#);
        assert_eq!(
            operations(&case_with(&[&unknown], "")),
            Some(Operations::BOTH)
        );
    }

    #[test]
    fn only_the_leased_bucket_counts_and_a_case_without_it_holds_none() {
        let other = r#"{"tracker_type": "data", "tracker_name": "x",
            "data_bucket": {"data_bucket_name": "${absent_bucket}"}}"#;
        assert_eq!(operations(&case_with(&[other], "")), None);
        // READ of the leased bucket; the same bucket as transfer bucket tracks nothing.
        let transfer = r#"{"tracker_type": "data", "tracker_name": "x",
            "data_bucket": {"data_bucket_name": "${data_bucket}", "data_event": ["READ"]},
            "obs_info": {"bucket_name": "${data_bucket}"}}"#;
        assert_eq!(
            operations(&case_with(&[transfer], "")),
            Some(Operations::READ)
        );
        // Named only as a transfer bucket: why it needs the bucket is not read, so both.
        let only_transfer = r#"{"tracker_type": "system", "tracker_name": "system",
            "obs_info": {"bucket_name": "${data_bucket}"}}"#;
        assert_eq!(
            operations(&case_with(&[only_transfer], "")),
            Some(Operations::BOTH)
        );
    }

    #[test]
    fn a_raw_body_naming_the_bucket_holds_both() {
        let text = r#"{"suite": "t", "cases": [{"name": "c", "doc": "d", "steps": [
            {"operation": "CreateTracker",
             "raw_body": "{\"data_bucket\": {\"data_bucket_name\": \"${data_bucket}\", \"data_event\": [\"READ\"]}",
             "expect": {"status": 400}}]}]}"#;
        let case = case::load(
            &[Source {
                name: "t.json".into(),
                text: text.into(),
            }],
            Contract::embedded(),
            &crate::cts::CASE_RULES,
        )
        .expect("the case loads")
        .remove(0);
        assert_eq!(operations(&case), Some(Operations::BOTH));
    }
}
