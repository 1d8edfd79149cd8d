//! The derived cases agree with the contract: each body called valid validates against
//! `CreateTrackerRequestBody`, each called invalid does not, and names are stable.

use serde_json::Value;

use super::*;
use crate::case::vars::Vars;

fn sample_vars() -> Vars {
    Vars::from([
        ("prefix".to_string(), Value::String("cc-0123abcd".into())),
        ("run_id".to_string(), Value::String("0123abcd".into())),
        (
            "data_bucket".to_string(),
            Value::String("cc-0123abcd-src".into()),
        ),
        ("bucket_3".to_string(), Value::String("a0a".into())),
    ])
}

#[test]
fn every_variant_is_what_it_claims_to_be() {
    let contract = Contract::embedded();
    let cases = derived_cases(contract);
    assert!(cases.len() > 40, "only {} derived cases", cases.len());
    for case in cases
        .iter()
        .filter(|c| &*c.suite == "derived::create_tracker")
    {
        let step = &case.spec.steps[0];
        let rendered = step.body.as_ref().unwrap().render(&sample_vars()).unwrap();
        let body: Value = serde_json::from_slice(&rendered).unwrap();
        let created = |e: &Expect| e.status == Some(StatusSet::One(201));
        let valid = created(&step.expect) || step.expect.any_of.iter().any(created);
        let violations = contract
            .validate("CreateTrackerRequestBody", &body)
            .unwrap();
        assert_eq!(
            violations.is_empty(),
            valid,
            "{}: {body} -> {violations:?}",
            case.id
        );
        assert!(
            step.creates.is_some(),
            "{} must record what it may create",
            case.id
        );
    }
}

#[test]
fn names_are_stable_and_descriptive() {
    let ids: Vec<String> = derived_cases(Contract::embedded())
        .into_iter()
        .map(|c| c.id)
        .collect();
    for expected in [
        "derived::create_tracker::obs_info.bucket_name::len_2",
        "derived::create_tracker::obs_info.bucket_name::len_3",
        "derived::create_tracker::obs_info.bucket_name::len_63",
        "derived::create_tracker::obs_info.bucket_name::len_64",
        "derived::create_tracker::obs_info.bucket_name::pattern_upper_case",
        "derived::create_tracker::obs_info.file_prefix_name::len_65",
        "derived::create_tracker::obs_info.compress_type::enum_bogus",
        "derived::create_tracker::obs_info.compress_type::enum_json",
        "derived::create_tracker::tracker_type::enum_bogus",
        "derived::create_tracker::tracker_type::missing",
        "derived::create_tracker::tracker_name::len_33",
        "derived::create_tracker::data_bucket.data_event::enum_bogus",
        "derived::list_trackers::tracker_type::enum_bogus",
    ] {
        assert!(ids.iter().any(|id| id == expected), "missing {expected}");
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate derived names");
    assert!(
        !ids.iter()
            .any(|id| id.contains("tracker_type::enum_system")),
        "no management tracker from derivation"
    );
}

#[test]
fn invalid_values_expect_a_documented_4xx_and_strict_codes() {
    let cases = derived_cases(Contract::embedded());
    let case = cases
        .iter()
        .find(|c| c.id == "derived::create_tracker::obs_info.bucket_name::len_64")
        .unwrap();
    let step = &case.spec.steps[0];
    assert_eq!(
        step.expect.status,
        Some(StatusSet::Any(vec![400, 403, 404]))
    );
    let strict = step.expect_strict.as_ref().unwrap();
    assert_eq!(strict.status, Some(StatusSet::One(400)));
    assert_eq!(
        strict.body.as_ref().map(|b| b.source()),
        Some(serde_json::json!({"error_code": "CTS.0231"}))
    );
    assert!(
        case.spec.doc.contains("TrackerObsInfo / bucket_name"),
        "{}",
        case.spec.doc
    );
}
