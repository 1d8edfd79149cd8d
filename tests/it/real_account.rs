//! The suite run as a real account would be run (issue 13's "done when"), against the
//! emulator behaving like one (`EmulatorConfig::cloud`: gateway errors, a management tracker
//! already there, throttling, further quota types; buckets that must exist): a URL target,
//! AK/SK, a bucket pool, `--allow-mutations`. No case fails; the account holds exactly what
//! it held before, its own trackers byte for byte; a throttling gateway costs retries, not
//! red cases; a pool bucket the account's own tracker tracks is left out with a warning.

use crate::cli_run;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use cts_conform::auth::{Credentials, SecretString};
use cts_conform::emulator::preload::Preload;
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, RunningEmulator, Token};
use cts_conform::http::client::http_client_builder;
use serde_json::Value;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const AK: &str = "AKREALACCOUNT0000001";
const SK: &str = "SKrealaccountSKrealaccountSKrealacc00001";
const TOKEN: &str = "real-account-reader-token";
/// The account's own data bucket, tracked by its own tracker.
const OWN_BUCKET: &str = "users-own-logs";

/// The account as it is before the run: its management tracker and a data tracker of its
/// own (written the way ListTrackers renders them).
fn preload() -> Preload {
    let file = serde_json::json!({ PROJECT: {"trackers": [
        {"id": "5c8a9e1b-0000-4000-8000-000000000001", "create_time": 1589886034121_i64,
         "tracker_type": "system", "tracker_name": "system", "domain_id": "d0",
         "project_id": PROJECT, "status": "enabled",
         "obs_info": {"bucket_name": "users-own-traces", "file_prefix_name": "mine",
                      "is_obs_created": false, "compress_type": "gzip", "is_sort_by_service": true},
         "lts": {"is_lts_enabled": false}},
        {"id": "5c8a9e1b-0000-4000-8000-000000000002", "create_time": 1589886034122_i64,
         "tracker_type": "data", "tracker_name": "production-audit", "domain_id": "d0",
         "project_id": PROJECT, "status": "enabled",
         "data_bucket": {"data_bucket_name": OWN_BUCKET, "data_event": ["READ", "WRITE"]}}
    ]}});
    Preload::from_json(&file.to_string()).expect("the preload file is valid")
}

fn data_buckets(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("cert-data-{i}")).collect()
}

struct Target {
    runtime: tokio::runtime::Runtime,
    emulator: Option<RunningEmulator>,
}

impl Target {
    /// The cloud-like emulator with these buckets existing, throttling at `rate_limit`.
    fn start(rate_limit: Option<u32>) -> Target {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let policy = AuthPolicy::new(
            vec![Account {
                credentials: Credentials::new(AK, SK),
                project_id: PROJECT.into(),
            }],
            vec![Token {
                token: SecretString::new(TOKEN),
                project_id: PROJECT.into(),
            }],
        )
        .expect("a policy");
        let mut buckets: BTreeSet<String> = data_buckets(8).into_iter().collect();
        buckets.extend(["cert-traces", OWN_BUCKET, "users-own-traces"].map(String::from));
        let config = EmulatorConfig {
            auth: Some(policy),
            buckets: Some(buckets),
            preload: preload(),
            rate_limit,
            ..EmulatorConfig::cloud([PROJECT])
        };
        let listen: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        let emulator = runtime
            .block_on(emulator::start(config, listen))
            .expect("the emulator starts");
        Target {
            runtime,
            emulator: Some(emulator),
        }
    }

    fn url(&self) -> String {
        self.emulator.as_ref().expect("running").base_url()
    }

    /// The account's trackers, as ListTrackers answers (the exact body text).
    fn listing(&self) -> String {
        let url = format!("{}/v3/{PROJECT}/trackers", self.url());
        self.runtime.block_on(async {
            // The account's own reader; retried while the gateway throttles.
            for _ in 0..50 {
                let response = http_client_builder()
                    .build()
                    .expect("a client")
                    .get(&url)
                    .header("X-Auth-Token", TOKEN)
                    .send()
                    .await
                    .expect("an answer");
                if response.status() == 429 {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
                assert_eq!(response.status(), 200);
                return response.text().await.expect("a body");
            }
            panic!("throttled for five seconds");
        })
    }

    /// Runs the suite as a certifier would, with `n` data buckets; returns the run and its
    /// JSON report.
    fn certify(&self, n: usize, extra: &[&str]) -> (cli_run::Run, Value) {
        let report = tempfile::NamedTempFile::new().expect("a report file");
        let report_path = report.path().display().to_string();
        let url = self.url();
        let mut args = vec![
            "--target",
            &url,
            "--project-id",
            PROJECT,
            "--ak",
            AK,
            "--sk",
            SK,
            "--allow-mutations",
            "--obs-bucket",
            "cert-traces",
            "--report-json",
            &report_path,
        ];
        let buckets = data_buckets(n);
        for bucket in &buckets {
            args.extend(["--data-bucket", bucket.as_str()]);
        }
        args.extend_from_slice(extra);
        let run = cli_run::run(&args);
        let json = std::fs::read_to_string(report.path())
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        (run, json)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

/// The failed cases' names, for a readable assertion message.
fn failed(run: &cli_run::Run) -> Vec<&str> {
    run.stdout
        .lines()
        .filter(|l| l.ends_with("FAILED"))
        .collect()
}

/// Every ignored case says why.
fn ignored_without_reason(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "ignored")
        .filter(|c| c["reason"].as_str().is_none_or(|r| r.trim().is_empty()))
        .map(|c| c["id"].to_string())
        .collect()
}

fn check_certified(target: &Target, before: &str, run: &cli_run::Run, report: &Value) {
    assert_eq!(
        run.code,
        0,
        "failed: {:#?}\nstderr: {}\n{}",
        failed(run),
        run.stderr,
        run.stdout
    );
    let passed = report["totals"]["passed"].as_u64().unwrap_or(0);
    assert!(passed >= 100, "only {passed} passed: {}", run.stdout);
    assert_eq!(report["totals"]["failed"], 0);
    assert!(ignored_without_reason(report).is_empty());
    assert_eq!(
        target.listing(),
        before,
        "the account holds what it held, byte for byte"
    );
}

#[test]
fn eight_buckets_no_failure_and_nothing_left_behind() {
    let target = Target::start(None);
    let before = target.listing();
    let (run, report) = target.certify(8, &[]);
    check_certified(&target, &before, &run, &report);
    // The account's management tracker was read, never touched: its read-only case ran.
    let existing = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c["id"]
                == "management_tracker::existing_management_tracker_is_listed_by_type_and_by_name"
        })
        .expect("the case is in the report");
    assert_eq!(existing["status"], "passed", "{existing}");
}

#[test]
fn one_bucket_runs_those_cases_one_after_another() {
    let target = Target::start(None);
    let before = target.listing();
    let (run, report) = target.certify(1, &[]);
    check_certified(&target, &before, &run, &report);
}

#[test]
fn a_throttling_gateway_costs_retries_not_red_cases() {
    let target = Target::start(Some(80));
    let before = target.listing();
    let (run, report) = target.certify(8, &["--max-retries", "8"]);
    check_certified(&target, &before, &run, &report);
    let retries = report["totals"]["retries"].as_u64().unwrap_or(0);
    assert!(retries > 0, "the gateway throttled nothing: {}", run.stdout);
}

#[test]
fn a_pool_bucket_the_account_already_tracks_is_left_out() {
    let target = Target::start(None);
    let before = target.listing();
    let (run, report) = target.certify(2, &["--data-bucket", OWN_BUCKET]);
    assert!(
        run.stderr.contains("left out of the bucket pool") && run.stderr.contains(OWN_BUCKET),
        "{}",
        run.stderr
    );
    check_certified(&target, &before, &run, &report);
}

/// A case file of READ-only, WRITE-only and both-operations cases: each creates a data
/// tracker of `${data_bucket}` and lists the account's data trackers three times (what
/// else tracks the bucket while it does), and deletes its tracker.
fn operations_cases(dir: &std::path::Path) {
    let list = r#"{"operation": "ListTrackers", "query": {"tracker_type": "data"}, "expect": {"status": 200}}"#;
    let kinds = ["READ", "WRITE", "READ", "WRITE", "READ", "WRITE", "BOTH"];
    let cases: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let events = match *kind {
                "BOTH" => String::new(),
                one => format!(r#", "data_event": ["{one}"]"#),
            };
            format!(
                r#"{{"name": "{kind}_{i}", "doc": "api-facts: One tracker per bucket operation", "steps": [
                    {{"operation": "CreateTracker",
                      "body": {{"tracker_type": "data", "tracker_name": "${{prefix}}-op{i}",
                                "data_bucket": {{"data_bucket_name": "${{data_bucket}}"{events}}}}},
                      "creates": {{"tracker_name": "${{prefix}}-op{i}", "tracker_type": "data"}},
                      "expect": {{"status": 201}}}},
                    {list}, {list}, {list}],
                  "cleanup": [{{"operation": "DeleteTracker",
                      "query": {{"tracker_name": "${{prefix}}-op{i}", "tracker_type": "data"}},
                      "expect": {{"status": [204, 404]}}}}]}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"suite": "operations", "cases": [{}]}}"#,
        cases.join(",\n")
    );
    std::fs::write(dir.join("operations.json"), text).expect("the case file is written");
}

/// The data trackers of `bucket` a ListTrackers answer of the report lists, as
/// (name, data_event).
fn listed_on(step: &Value, bucket: &str) -> Vec<(String, Value)> {
    let text = step["response"]["body"]["text"].as_str().unwrap_or("");
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    body["trackers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["data_bucket"]["data_bucket_name"] == bucket)
        .map(|t| {
            (
                t["tracker_name"].as_str().unwrap_or("").to_string(),
                t["data_bucket"]["data_event"].clone(),
            )
        })
        .collect()
}

#[test]
fn one_bucket_runs_read_only_and_write_only_cases_together() {
    let target = Target::start(None);
    let before = target.listing();
    let dir = tempfile::tempdir().expect("a directory");
    operations_cases(dir.path());
    let cases = dir.path().display().to_string();
    let (run, report) = target.certify(
        1,
        &["--cases", &cases, "--no-derived", "--test-threads", "8"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(report["totals"]["passed"], 7, "{}", run.stdout);
    assert!(
        !report.to_string().contains("CTS.0209"),
        "the account refused a second tracker of a bucket operation: {}",
        run.stdout
    );
    // What the account itself listed while each case ran: a READ case saw a WRITE case's
    // tracker on the one bucket; the case tracking both never saw another tracker there.
    let bucket = &data_buckets(1)[0];
    let mut read_beside_write = false;
    for case in report["cases"].as_array().into_iter().flatten() {
        let id = case["id"].as_str().unwrap_or("");
        for step in case["steps"].as_array().into_iter().flatten() {
            let listed = listed_on(step, bucket);
            if id.starts_with("operations::READ") {
                read_beside_write |= listed
                    .iter()
                    .any(|(_, events)| *events == serde_json::json!(["WRITE"]));
            }
            if id.starts_with("operations::BOTH") {
                assert!(listed.len() <= 1, "{id} shared the bucket: {listed:?}");
            }
        }
    }
    assert!(
        read_beside_write,
        "no READ case ran beside a WRITE case on the one bucket: {}",
        run.stdout
    );
    assert_eq!(target.listing(), before, "the account holds what it held");
}
