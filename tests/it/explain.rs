//! `--list --explain` (issue 32, item 7): for the current target and flags, each case and
//! whether the run would run it, and if not why, in the run's own words, sending nothing
//! but the check before the run. The target is a `serve` emulator reached through an HTTP
//! proxy (`HTTP_PROXY`) under a name that is not loopback, so that it is what it stands
//! for: a URL target without buckets, where cases that track a bucket cannot run.

use crate::cli_run;
use crate::serve::Serve;

use std::collections::BTreeMap;

use serde_json::Value;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
/// Not loopback, and never resolved: the proxy (serve itself) answers for it.
const TARGET: &str = "http://cts.example.invalid";
const BUCKET_CASE: &str = "create_tracker::data_tracker_answers_201_with_the_documented_fields";

/// The binary with `args`, every request going to `serve` as its HTTP proxy.
fn through(serve: &Serve, args: &[&str]) -> std::process::Output {
    let workdir = tempfile::tempdir().unwrap();
    cli_run::command(args)
        .current_dir(workdir.path())
        .env("HTTP_PROXY", &serve.base_url)
        .env("http_proxy", &serve.base_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .expect("the binary runs")
}

/// The requests serve logged (`--verbose`: `METHOD /path STATUS ...`).
fn requests(serve: &Serve) -> usize {
    serve
        .log()
        .iter()
        .filter(|line| {
            let mut words = line.split_whitespace();
            matches!(
                words.next(),
                Some("GET" | "POST" | "PUT" | "DELETE" | "PATCH")
            ) && words.next().is_some_and(|path| path.starts_with('/'))
        })
        .count()
}

/// `id: decision` lines of the listing.
fn decisions(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| line.split_once(": "))
        .filter(|(id, _)| id.contains("::"))
        .map(|(id, decision)| (id.to_string(), decision.to_string()))
        .collect()
}

#[test]
fn explain_lists_bucket_cases_as_ignored_with_the_runs_reason_and_sends_one_request_at_most() {
    let serve = Serve::start(&["--verbose"]);
    let explained = through(
        &serve,
        &[
            "--target",
            TARGET,
            "--project-id",
            PROJECT,
            "--list",
            "--explain",
        ],
    );
    let stdout = String::from_utf8_lossy(&explained.stdout);
    let stderr = String::from_utf8_lossy(&explained.stderr);
    assert_eq!(explained.status.code(), Some(0), "{stdout}\n{stderr}");
    let sent = requests(&serve);
    assert!(
        sent <= 1,
        "--list --explain sent {sent} requests:\n{:?}",
        serve.log()
    );
    let listed = decisions(&stdout);
    assert_eq!(
        listed.get(BUCKET_CASE).map(String::as_str),
        Some(
            "ignored: ${data_bucket} needs an existing OBS bucket to track: pass --data-bucket \
             BUCKET (repeatable; one per parallel case is best)"
        ),
        "{stdout}"
    );
    assert!(
        listed.values().any(|d| d.starts_with("runs")),
        "a read-only case runs: {stdout}"
    );
    assert!(
        stdout.contains(&format!("{} cases: ", listed.len())),
        "the count line: {stdout}"
    );

    // A case the baseline lists as an expected failure runs, and the listing says so.
    let running = listed
        .iter()
        .find(|(_, d)| *d == "runs")
        .map(|(id, _)| id.clone())
        .expect("a case that runs");
    let baseline = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        baseline.path(),
        serde_json::json!({"expected_failures": [{"case": running, "reason": "bug 12"}]})
            .to_string(),
    )
    .unwrap();
    let with_baseline = through(
        &serve,
        &[
            "--target",
            TARGET,
            "--project-id",
            PROJECT,
            "--baseline",
            baseline.path().to_str().unwrap(),
            "--list",
            "--explain",
        ],
    );
    let listed_again = decisions(&String::from_utf8_lossy(&with_baseline.stdout));
    assert_eq!(
        listed_again[&running],
        "runs (the baseline expects it to fail: bug 12)"
    );
    let sent = requests(&serve);

    // The run with the same flags decides every case as the listing said (the one
    // decision, not a copy of it), and sends more than the check (so the count above
    // counts what reaches the target).
    let report = tempfile::NamedTempFile::new().unwrap();
    let report_path = report.path().to_str().unwrap();
    let ran = through(
        &serve,
        &[
            "--target",
            TARGET,
            "--project-id",
            PROJECT,
            "--report-json",
            report_path,
        ],
    );
    assert!(
        requests(&serve) > sent + 1,
        "the run sent its cases' requests: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(report.path()).unwrap()).unwrap();
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), listed.len());
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let status = case["status"].as_str().unwrap();
        let decision = &listed[id];
        let reason = case["reason"].as_str().unwrap_or_default();
        match decision.strip_prefix("runs") {
            Some(rest) => assert!(
                matches!(status, "passed" | "failed")
                    || (status == "ignored"
                        && reason
                            .strip_prefix("precondition not met: ")
                            .is_some_and(|what| {
                                rest == format!(" (ignored if its precondition is not met: {what})")
                            })),
                "{id}: listed as {decision:?}, the run says {status}: {reason}"
            ),
            None => assert_eq!(format!("{status}: {reason}"), *decision, "{id}"),
        }
    }
}

#[test]
fn explain_without_list_is_refused_in_one_line() {
    let run = cli_run::run(&["--explain"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("--explain only goes with --list"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing ran: {}", run.stdout);
}

/// The ledger of earlier runs is read, never written: a pool bucket an earlier run's
/// tracker still holds is left out with the run's own warning (naming that ledger and the
/// sweep), the bucket cases are ignored with the run's reason (which does not ask for the
/// --data-bucket that was given), and the file is unchanged.
#[test]
fn explain_reads_the_ledger_of_earlier_runs_and_writes_none() {
    let dir = tempfile::tempdir().unwrap();
    let preload = dir.path().join("preload.json");
    let tracker = serde_json::json!({PROJECT: {"trackers": [{
        "id": "5a0e6c2e-1111-4c3f-9a6b-0f0e0d0c0b0a", "create_time": 1700000000000_u64,
        "tracker_type": "data", "tracker_name": "cc-earlier-a", "status": "enabled",
        "domain_id": "c7f0e5a1d2b34c6f8e9a0b1c2d3e4f5a", "project_id": PROJECT,
        "data_bucket": {"data_bucket_name": "cc-data-one", "data_event": ["READ"]}}]}});
    std::fs::write(&preload, tracker.to_string()).unwrap();
    let serve = Serve::start(&[
        "--verbose",
        "--bucket",
        "cc-data-one",
        "--preload",
        preload.to_str().unwrap(),
    ]);
    let ledger = dir.path().join("earlier.ledger.jsonl");
    let line = format!(
        "{{\"event\":\"created\",\"run_id\":\"earlier\",\"case\":\"c\",\"target\":\"{TARGET}\",\
         \"project_id\":\"{PROJECT}\",\"tracker_name\":\"cc-earlier-a\",\"tracker_type\":\"data\"}}\n"
    );
    std::fs::write(&ledger, &line).unwrap();
    let explained = through(
        &serve,
        &[
            "--target",
            TARGET,
            "--project-id",
            PROJECT,
            "--data-bucket",
            "cc-data-one",
            "--ledger",
            ledger.to_str().unwrap(),
            "--list",
            "--explain",
        ],
    );
    let stdout = String::from_utf8_lossy(&explained.stdout);
    let stderr = String::from_utf8_lossy(&explained.stderr);
    assert_eq!(explained.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("tracked by a tracker an earlier run left")
            && stderr.contains(&ledger.display().to_string()),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&ledger).unwrap(),
        line,
        "the ledger was written"
    );
    assert!(requests(&serve) <= 1, "{:?}", serve.log());
    let listed = decisions(&stdout);
    assert_eq!(
        listed.get(BUCKET_CASE).map(String::as_str),
        Some(
            "ignored: ${data_bucket} every --data-bucket is already tracked by a tracker this \
             run did not create (see the warning before the first case)"
        ),
        "{stdout}"
    );
}
