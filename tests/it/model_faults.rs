//! The model of the run's state (`src/model/`) against the emulator over HTTP: one fixed
//! sequence of requests, each exchange fed to the model. The correct emulator (and the
//! documents-only one) breaks no rule; each fault of the classes the model is for breaks
//! the rule it names (issue 27).

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use cts_conform::emulator::{self, EmulatorConfig, Fault, Rules};
use cts_conform::http::client::http_client_builder;
use cts_conform::http::exchange::SentRequest;
use cts_conform::model::{Answer, Model, ModelFinding, Request, Rule};
use serde_json::{json, Value};

const RUN: &str = "0badc0de";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn now_ms() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(elapsed.as_millis()).expect("fits")
}

fn name(suffix: &str) -> String {
    format!("cc-{RUN}-{suffix}")
}

/// `(method, path and query, body)` of the sequence: two trackers whose names are a
/// prefix and its extension, read back by name and in full, a delete of the other
/// type, a delete of the right type, and a listing after each.
fn sequence() -> Vec<(&'static str, String, Option<Value>)> {
    let base = format!("/v3/{PROJECT}");
    let create = |suffix: &str, event: &str| {
        json!({"tracker_type": "data", "tracker_name": name(suffix),
               "data_bucket": {"data_bucket_name": format!("bucket-{suffix}"), "data_event": [event]},
               "obs_info": {"bucket_name": "transfer-1", "file_prefix_name": "f".repeat(64)},
               "is_lts_enabled": true})
    };
    vec![
        ("POST", format!("{base}/tracker"), Some(create("m", "READ"))),
        (
            "POST",
            format!("{base}/tracker"),
            Some(create("mx", "WRITE")),
        ),
        (
            "GET",
            format!("{base}/trackers?tracker_name={}", name("m")),
            None,
        ),
        ("GET", format!("{base}/trackers?tracker_type=data"), None),
        (
            "DELETE",
            format!(
                "{base}/trackers?tracker_name={}&tracker_type=system",
                name("m")
            ),
            None,
        ),
        ("GET", format!("{base}/trackers"), None),
        (
            "DELETE",
            format!(
                "{base}/trackers?tracker_name={}&tracker_type=data",
                name("mx")
            ),
            None,
        ),
        ("GET", format!("{base}/trackers"), None),
    ]
}

/// Runs [`sequence`] against a fresh emulator with `config`; every model finding.
fn findings(config: EmulatorConfig) -> Vec<ModelFinding> {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let running = emulator::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("the emulator starts");
        let client = http_client_builder().build().expect("a client");
        let mut model = Model::new(RUN, now_ms());
        let mut found = Vec::new();
        for (method, path, body) in sequence() {
            let url = format!("{}{path}", running.base_url());
            let bytes = body.map(|b| serde_json::to_vec(&b).expect("JSON"));
            let sent = SentRequest {
                method: method.into(),
                url: url.clone(),
                headers: Vec::new(),
                body: bytes.clone(),
            };
            let request = Request::from_sent(&sent).expect("one of the operations");
            let ticket = model.begin(request);
            let mut builder = client.request(method.parse().expect("a method"), &url);
            if let Some(bytes) = bytes {
                builder = builder
                    .header("content-type", "application/json")
                    .body(bytes);
            }
            let response = builder.send().await.expect("an answer");
            let status = response.status().as_u16();
            let text = response.bytes().await.expect("a body");
            let json = serde_json::from_slice(&text).unwrap_or(Value::Null);
            found.extend(model.observe(ticket, &Answer::new(status, json), now_ms()));
        }
        running.shutdown().await;
        found
    })
}

fn with_fault(fault: Fault) -> EmulatorConfig {
    EmulatorConfig {
        faults: [fault].into_iter().collect(),
        ..EmulatorConfig::default()
    }
}

#[test]
fn the_correct_emulators_break_no_rule_of_the_model() {
    assert_eq!(findings(EmulatorConfig::default()), []);
    let documents_only = EmulatorConfig {
        rules: Rules::DocumentsOnly,
        ..EmulatorConfig::default()
    };
    assert_eq!(findings(documents_only), []);
}

#[test]
fn each_fault_breaks_the_rule_it_names() {
    for (fault, rule, text) in [
        (
            Fault::CreateTimeSeconds,
            Rule::CreateTime,
            "not epoch milliseconds",
        ),
        (Fault::NameFilterContains, Rule::FilterExact, "listed"),
        (Fault::DeleteIgnoresType, Rule::DeleteExact, "never created"),
        (
            Fault::LtsNotKept,
            Rule::FieldAsSent,
            "lts.is_lts_enabled is false",
        ),
        (
            Fault::FilePrefixCut,
            Rule::FieldAsSent,
            "obs_info.file_prefix_name is",
        ),
        (
            Fault::ObsInfoNotPersisted,
            Rule::FieldAsSent,
            "obs_info.bucket_name is",
        ),
        (Fault::IgnoreNameFilter, Rule::FilterExact, "tracker_name="),
        (
            Fault::DeleteKeeps,
            Rule::AbsentAfterRemoval,
            "listed, but the run removed it",
        ),
    ] {
        let found = findings(with_fault(fault));
        assert!(
            found
                .iter()
                .any(|finding| finding.rule == rule && finding.message.contains(text)),
            "{fault}: no {rule} finding with {text:?}: {found:#?}"
        );
    }
}

/// The runner checks every answer against its model (issue 27, item 1): with the cases
/// written for the fault left out, `create_time` in seconds is still caught, by the model,
/// in the answers of cases that never look at it; the clean run gives no model finding.
#[test]
fn the_run_checks_every_answer_against_its_model() {
    let run = crate::cli_run::run(&[
        "--emulator-fault",
        "create-time-seconds",
        "--skip",
        "read_back",
        "--color",
        "never",
    ]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("model: create-time"), "{}", run.stdout);
    let clean = crate::cli_run::run(&["--color", "never"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(!clean.stdout.contains("model: "), "{}", clean.stdout);
}
