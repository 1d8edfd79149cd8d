//! Redaction changes only secrets, through the binary: the emulator's gateway 401 body
//! (`... or send X-Auth-Token","request_id":"..."`) is recorded, reported and replayed
//! byte for byte as received, and a case expecting its `request_id` passes on replay as it
//! does live.

use crate::cli_run;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig};
use serde_json::Value;

const AK: &str = "GATEWAYROUNDTRIPAK01";
const SK: &str = "gatewayRoundTripSecretKeyValue0123456789";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// One case that expects the gateway's `request_id` (passes), one that fails on purpose
/// (so that its body is reported with the failure).
const CASES: &str = r#"{
  "suite": "gateway",
  "cases": [
    {
      "name": "unsigned_query_has_a_request_id",
      "doc": "the gateway's 401 names its request",
      "steps": [{"operation": "ListTrackers", "auth": "none",
                 "expect": {"status": 401, "body": {"error_code": "APIGW.0301",
                                                    "request_id": {"$regex": "^[0-9a-f]{32}$"}}}}]
    },
    {
      "name": "unsigned_query_fails_on_purpose",
      "doc": "a failure, so that the body is in the report's failure",
      "steps": [{"operation": "ListTrackers", "auth": "none",
                 "expect": {"status": 401, "body": {"error_code": "NOT.THIS"}}}]
    }
  ]
}"#;

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The body of an unsigned ListTrackers, as the emulator sends it (raw HTTP/1.1).
fn unsigned_body(url: &str) -> String {
    let authority = url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(authority).unwrap();
    write!(
        stream,
        "GET /v3/{PROJECT}/trackers HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    body.to_string()
}

/// The step's response body text and the `x-request-id` it came with, from a recorded
/// case file or a JSON report's case.
fn body_and_request_id(step: &Value) -> (String, String) {
    let response = &step["response"];
    let text = response["body"]["text"].as_str().unwrap().to_string();
    let id = response["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| {
            pair[0]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("x-request-id")
        })
        .map(|pair| pair[1].as_str().unwrap().replace('-', ""))
        .unwrap();
    (text, id)
}

/// Whether libtest's output says `case ... ok`.
fn passed(stdout: &str, case: &str) -> bool {
    stdout.lines().any(|line| {
        line.strip_prefix("test ")
            .and_then(|rest| rest.strip_prefix(case))
            .is_some_and(|rest| rest.trim_start().starts_with("... ok"))
    })
}

fn report_case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report}"))
}

#[test]
fn the_gateway_401_is_recorded_reported_and_replayed_as_received() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let policy = AuthPolicy::new(
        vec![Account {
            credentials: cts_conform::auth::Credentials::new(AK, SK),
            project_id: PROJECT.into(),
        }],
        Vec::new(),
    )
    .unwrap();
    let config = EmulatorConfig {
        auth: Some(policy),
        gateway_errors: true,
        ..EmulatorConfig::default()
    };
    let running = runtime
        .block_on(emulator::start(config, "127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let url = running.base_url();
    let received = unsigned_body(&url);
    assert!(
        received.contains(r#"or send X-Auth-Token","request_id":""#),
        "the body this test is about: {received}"
    );

    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(cases.join("gateway.json"), CASES).unwrap();
    let rec = dir.path().join("rec");
    let live_report = dir.path().join("live.json");
    let args = [
        "--color",
        "never",
        "--target",
        &url,
        "--project-id",
        PROJECT,
        "--ak",
        AK,
        "--sk",
        SK,
        "--cases",
        cases.to_str().unwrap(),
        "--no-derived",
        "--record",
        rec.to_str().unwrap(),
        "--report-json",
        live_report.to_str().unwrap(),
    ];
    let live = cli_run::run(&args);
    runtime.block_on(running.shutdown());
    assert_eq!(live.code, 101, "{}\n{}", live.stdout, live.stderr);
    let passing = "gateway::unsigned_query_has_a_request_id";
    let failing = "gateway::unsigned_query_fails_on_purpose";
    assert!(passed(&live.stdout, passing), "{}", live.stdout);

    // The body as received, with this request's id (the emulator's x-request-id header).
    let expected = |id: &str| {
        let sent_id = serde_json::from_str::<Value>(&received).unwrap()["request_id"]
            .as_str()
            .unwrap()
            .to_string();
        received.replace(&sent_id, id)
    };
    for case in [passing, failing] {
        let file = rec
            .join("cases")
            .join(format!("{}.json", case.replace("::", "__")));
        let (text, id) = body_and_request_id(&read_json(&file)["steps"][0]);
        assert_eq!(text, expected(&id), "recorded: {}", file.display());
    }
    let live_json = read_json(&live_report);
    let (text, id) = body_and_request_id(&report_case(&live_json, failing)["steps"][0]);
    assert_eq!(text, expected(&id), "reported in the JSON report");
    assert!(
        live.stdout.contains(&format!(r#""request_id":"{id}""#))
            || live.stdout.contains(&format!(r#""request_id": "{id}""#)),
        "the failure printed shows the request_id: {}",
        live.stdout
    );

    // Replayed: the same verdicts, the same bytes.
    let replay_report = dir.path().join("replay.json");
    let replay = cli_run::run(&[
        "replay",
        rec.to_str().unwrap(),
        "--color",
        "never",
        "--cases",
        cases.to_str().unwrap(),
        "--no-derived",
        "--report-json",
        replay_report.to_str().unwrap(),
    ]);
    assert_eq!(replay.code, 101, "{}\n{}", replay.stdout, replay.stderr);
    assert!(
        passed(&replay.stdout, passing),
        "a case expecting request_id passes on replay as it does live: {}",
        replay.stdout
    );
    let replay_json = read_json(&replay_report);
    let (text, id) = body_and_request_id(&report_case(&replay_json, failing)["steps"][0]);
    assert_eq!(text, expected(&id), "replayed");
    assert!(!text.contains("***"), "{text}");
}
