//! The automatic contract checks and the expectation checks, as pure functions on
//! hand-made responses (no socket): each check passes on a conforming response and
//! reports the specific problem (kind, summary, instance path, keyword, diff views) on
//! a broken one.

use std::time::Duration;

use cts_conform::case::model::Expect;
use cts_conform::check::{contract_checks, expectation_checks, Finding, FindingKind, JsonDiff};
use cts_conform::contract::Contract;
use cts_conform::http::exchange::is_json_media_type;
use cts_conform::http::exchange::ReceivedResponse;
use serde_json::{json, Value};

fn response(status: u16, content_type: Option<&str>, body: &[u8]) -> ReceivedResponse {
    ReceivedResponse {
        status,
        headers: content_type
            .map(|ct| vec![("Content-Type".to_string(), ct.to_string())])
            .unwrap_or_default(),
        body: body.to_vec(),
        elapsed: Duration::ZERO,
    }
}

fn json_response(status: u16, body: &Value) -> ReceivedResponse {
    response(
        status,
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

fn check(operation: &str, response: &ReceivedResponse) -> Vec<Finding> {
    let contract = Contract::embedded();
    contract_checks(contract, contract.operation(operation).unwrap(), response)
}

fn expect(value: Value) -> Expect {
    serde_json::from_value(value).unwrap()
}

/// The only finding, with the kind asserted.
fn single(findings: Vec<Finding>, kind: FindingKind) -> Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = findings.into_iter().next().unwrap();
    assert_eq!(finding.kind, kind, "{finding:#?}");
    finding
}

fn created() -> Value {
    json!({"id": "4f0c", "create_time": 1587958482923u64, "tracker_type": "data",
           "domain_id": "d1", "project_id": "p1", "tracker_name": "t1", "status": "enabled"})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

#[test]
fn a_documented_status_with_a_valid_body_passes() {
    assert_eq!(check("CreateTracker", &json_response(201, &created())), []);
    let error = json!({"error_code": "CTS.0003", "error_msg": "bad"});
    assert_eq!(check("CreateTracker", &json_response(400, &error)), []);
}

#[test]
fn an_undocumented_status_is_reported_alone() {
    let error = json!({"error_code": "CTS.0004", "error_msg": "exists"});
    let finding = single(
        check("CreateTracker", &json_response(409, &error)),
        FindingKind::UndocumentedStatus,
    );
    assert_eq!(
        finding.summary,
        "status 409 is not documented for CreateTracker (documented: 201, 400, 401, 403, 404, 429, 500, 503)"
    );
}

#[test]
fn a_gateway_answer_passes_on_its_statuses_only() {
    // C13, C14: the API gateway answers 401 and 429 with APIGW codes and a request_id.
    let denied = json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information", "request_id": "r1"});
    let throttled = json!({"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached", "request_id": "r2"});
    assert_eq!(check("CreateTracker", &json_response(401, &denied)), []);
    assert_eq!(check("ListTrackers", &json_response(429, &throttled)), []);
    // A status CTS answers itself keeps the CTS pattern (C10).
    let finding = single(
        check("CreateTracker", &json_response(400, &denied)),
        FindingKind::Contract,
    );
    assert!(
        finding.details.iter().any(|d| d.starts_with("/error_code")),
        "{finding:?}"
    );
    // C18: ListTrackers' 404 is known (api-facts), with CTS's body.
    let missing = json!({"error_code": "CTS.0214", "error_msg": "The tracker does not exist."});
    assert_eq!(check("ListTrackers", &json_response(404, &missing)), []);
}

#[test]
fn a_documented_json_body_needs_a_json_content_type() {
    let body = created().to_string();
    let plain = single(
        check(
            "CreateTracker",
            &response(201, Some("text/plain"), body.as_bytes()),
        ),
        FindingKind::ContentType,
    );
    assert_eq!(
        plain.summary,
        "status 201 documents a JSON body (CreateTrackerResponseBody) but Content-Type is \"text/plain\""
    );
    let missing = single(
        check("CreateTracker", &response(201, None, body.as_bytes())),
        FindingKind::ContentType,
    );
    assert!(
        missing.summary.ends_with("Content-Type is missing"),
        "{missing:?}"
    );
}

#[test]
fn json_content_types_with_parameters_and_plus_json_are_accepted() {
    let error = json!({"error_code": "CTS.0003", "error_msg": "bad"}).to_string();
    for ct in [
        "application/problem+json",
        "Application/JSON; charset=utf-8",
    ] {
        assert_eq!(
            check("CreateTracker", &response(400, Some(ct), error.as_bytes())),
            [],
            "{ct}"
        );
    }
    for ct in ["text/json", "application/jsonp", "application/json+xml", ""] {
        assert!(!is_json_media_type(ct), "{ct}");
    }
}

/// The one violation reported for `body` at status 201, as `path [keyword]`.
fn violation(operation: &str, status: u16, body: &Value) -> String {
    let finding = single(
        check(operation, &json_response(status, body)),
        FindingKind::Contract,
    );
    assert!(
        finding.summary.ends_with(": 1 violation"),
        "{}",
        finding.summary
    );
    let [detail] = finding.details.as_slice() else {
        panic!("{finding:#?}")
    };
    let (path, rest) = detail.split_once(": ").unwrap();
    let keyword = rest.rsplit_once(" [").unwrap().1.trim_end_matches(']');
    format!("{path} [{keyword}]")
}

#[test]
fn each_kind_of_schema_violation_is_reported_with_its_instance_path_and_keyword() {
    let as_string = with(created(), "create_time", json!("1587958482923"));
    assert_eq!(
        violation("CreateTracker", 201, &as_string),
        "/create_time [type]"
    );
    let mut no_id = created();
    no_id.as_object_mut().unwrap().remove("id");
    assert_eq!(violation("CreateTracker", 201, &no_id), "/ [required]");
    let paused = with(created(), "status", json!("paused"));
    assert_eq!(violation("CreateTracker", 201, &paused), "/status [enum]");
    let error = json!({"error_code": "ERR-1", "error_msg": "bad"});
    assert_eq!(
        violation("CreateTracker", 400, &error),
        "/error_code [pattern]"
    );
    let nested = json!({"trackers": [with(created(), "create_time", json!(1.5))]});
    assert_eq!(
        violation("ListTrackers", 200, &nested),
        "/trackers/0/create_time [type]"
    );
}

#[test]
fn several_violations_are_all_listed() {
    let body = with(with(created(), "create_time", json!("x")), "id", json!(2));
    let finding = single(
        check("CreateTracker", &json_response(201, &body)),
        FindingKind::Contract,
    );
    assert_eq!(
        finding.summary,
        "body breaks CreateTrackerResponseBody (status 201): 2 violations"
    );
    assert!(finding.details.iter().any(|d| d.starts_with("/id: ")));
    assert!(finding
        .details
        .iter()
        .any(|d| d.starts_with("/create_time: ")));
}

#[test]
fn a_missing_or_unreadable_documented_body_is_a_contract_finding() {
    let ct = Some("application/json");
    let cases: [(&[u8], &str); 3] = [
        (
            b"  \n",
            "status 201 documents a body (CreateTrackerResponseBody) but the body is empty",
        ),
        (b"{\"id\": ", "the body is not JSON"),
        (b"{\"id\": \"\xff\"}", "the body is not UTF-8"),
    ];
    for (body, says) in cases {
        let finding = single(
            check("CreateTracker", &response(201, ct, body)),
            FindingKind::Contract,
        );
        assert!(finding.summary.starts_with(says), "{finding:?}");
    }
}

#[test]
fn a_status_without_a_documented_body_needs_no_content_type() {
    assert_eq!(check("DeleteTracker", &response(204, None, b"")), []);
    assert_eq!(check("UpdateTracker", &response(200, None, b"")), []);
}

#[test]
fn an_unexpected_status_is_reported_and_skips_the_body_expectation() {
    let want = expect(json!({"status": [204, 404], "body": {"x": 1}}));
    let finding = single(
        expectation_checks(&want, &json_response(200, &json!({}))),
        FindingKind::UnexpectedStatus,
    );
    assert_eq!(finding.summary, "expected status 204 or 404, got 200");
    // 404 is expected; the expected body is then checked, and the response has none.
    let finding = single(
        expectation_checks(&want, &response(404, None, b"")),
        FindingKind::Body,
    );
    assert_eq!(finding.summary, "expected a JSON body, the body is empty");
}

fn header_findings(want: Value, headers: &[(&str, &str)]) -> Vec<String> {
    let mut received = response(200, None, b"");
    received.headers = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    expectation_checks(&expect(json!({ "headers": want })), &received)
        .into_iter()
        .map(|f| {
            assert_eq!(f.kind, FindingKind::Header);
            f.summary
        })
        .collect()
}

#[test]
fn header_expectations_match_values_and_matchers_by_case_insensitive_name() {
    let json_ct = [("content-type", "application/json;charset=UTF-8")];
    assert!(header_findings(
        json!({"Content-Type": {"$regex": "^application/json"}}),
        &json_ct
    )
    .is_empty());
    assert!(header_findings(json!({"X-Request-Id": {"$absent": true}}), &json_ct).is_empty());
    assert!(header_findings(json!({"X-Request-Id": {"$any": true}}), &[]).is_empty());
    assert_eq!(
        header_findings(json!({"Content-Type": "application/json"}), &json_ct),
        ["header Content-Type: expected \"application/json\", found \"application/json;charset=UTF-8\""]
    );
    assert_eq!(
        header_findings(json!({"Content-Type": {"$absent": true}}), &json_ct),
        ["header Content-Type: expected {\"$absent\":true}, found \"application/json;charset=UTF-8\""]
    );
    assert_eq!(
        header_findings(json!({"X-Request-Id": {"$type": "string"}}), &[]),
        ["header X-Request-Id: expected {\"$type\":\"string\"}, found none"]
    );
}

#[test]
fn a_body_subset_mismatch_lists_each_difference_and_carries_the_diff_views() {
    let want = expect(json!({"status": 201, "body": {
        "id": {"$type": "string"}, "tracker_name": "t2", "status": "enabled",
        "obs_info": {"bucket_name": "b"}
    }}));
    let actual = with(
        created(),
        "obs_info",
        json!({"bucket_name": "", "file_prefix_name": "p"}),
    );
    let finding = single(
        expectation_checks(&want, &json_response(201, &actual)),
        FindingKind::Body,
    );
    assert_eq!(finding.summary, "2 differences");
    assert_eq!(
        finding.details,
        [
            "/obs_info/bucket_name: expected \"b\", found \"\"",
            "/tracker_name: expected \"t2\", found \"t1\""
        ]
    );
    assert_eq!(
        finding.diff,
        Some(JsonDiff {
            expected: json!({"id": "4f0c", "tracker_name": "t2", "status": "enabled",
                             "obs_info": {"bucket_name": "b"}}),
            actual: json!({"id": "4f0c", "tracker_name": "t1", "status": "enabled",
                           "obs_info": {"bucket_name": ""}}),
        })
    );
    let matching = with(
        with(actual, "tracker_name", json!("t2")),
        "obs_info",
        json!({"bucket_name": "b"}),
    );
    assert_eq!(
        expectation_checks(&want, &json_response(201, &matching)),
        []
    );
}

#[test]
fn a_body_expectation_on_a_non_json_body_says_why() {
    let want = expect(json!({"body": {"x": 1}}));
    let finding = single(
        expectation_checks(&want, &response(200, Some("text/html"), b"<html>")),
        FindingKind::Body,
    );
    assert!(
        finding
            .summary
            .starts_with("expected a JSON body: the body is not JSON"),
        "{finding:?}"
    );
}
