//! Nothing left behind, whatever stops the run (issue 26), end to end with the built
//! binary:
//!
//! - SIGKILL at 20 spread-out moments of a run against a slow target (`serve --latency`),
//!   some while a derived create is in flight: `sweep` then finds every tracker the run
//!   left, by its ledger alone, every time;
//! - a run whose deletes fail lists what it left, by name, with the sweep command, in the
//!   terminal and every report, stops starting cases after three failed removals, and
//!   does not exit 0; the next run's warning about a pool bucket says an earlier run left
//!   its tracker and how to remove it;
//! - `--max-live 1` keeps at most one tracker alive at once;
//! - a damaged ledger (a torn line, a last line without its newline) is still swept;
//! - `--ledger /dev/full` ends the run before its first request (exit 2, one line).

use crate::cli_run;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cts_conform::emulator::{self, EmulatorConfig, RunningServer};
use cts_conform::http::client::http_client_builder;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_cts-conform");
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
/// Bounds that stop a hang; never asserted on.
const LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- targets

/// `cts-conform serve --latency MS` on a free loopback port; killed on drop.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cts-conform serve");
        let stderr = child.stderr.take().expect("stderr");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let url = loop {
            match lines.recv_timeout(LIMIT) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("serve did not say where it listens");
                }
            }
        };
        Serve { child, url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the in-process target saw.
#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    /// DeleteTracker is answered 500 while this is set.
    fail_deletes: AtomicBool,
    /// Trackers created and not deleted, and the most ever alive at once.
    alive: Mutex<(usize, usize)>,
}

/// The emulator in-process, behind a layer that counts requests, can make every delete
/// fail (500, a CTS error body) and counts the trackers alive at once.
struct Target {
    url: String,
    seen: Arc<Seen>,
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
}

impl Target {
    fn start(config: EmulatorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let seen = Arc::new(Seen::default());
        let layer_seen = Arc::clone(&seen);
        let app = emulator::router(config).layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let seen = Arc::clone(&layer_seen);
                async move { observe(seen, request, next).await }
            },
        ));
        let server = runtime
            .block_on(RunningServer::spawn(
                app,
                "127.0.0.1:0".parse().expect("addr"),
            ))
            .expect("the target starts");
        Target {
            url: server.base_url(),
            seen,
            runtime,
            server: Some(server),
        }
    }

    fn most_alive(&self) -> usize {
        self.seen.alive.lock().expect("alive").1
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

async fn observe(seen: Arc<Seen>, request: Request, next: Next) -> Response {
    seen.requests.fetch_add(1, Ordering::SeqCst);
    let method = request.method().clone();
    if method == axum::http::Method::DELETE && seen.fail_deletes.load(Ordering::SeqCst) {
        let body = json!({"error_code": "CTS.0004", "error_msg": "deletes are broken"});
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(body),
        )
            .into_response();
    }
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let mut alive = seen.alive.lock().expect("alive");
    match (method.as_str(), status) {
        ("POST", 201) => {
            alive.0 += 1;
            alive.1 = alive.1.max(alive.0);
        }
        ("DELETE", 204) => alive.0 = alive.0.saturating_sub(1),
        _ => {}
    }
    response
}

// ---------------------------------------------------------------- talking to a target directly

fn http(method: reqwest::Method, url: &str, body: Option<&Value>) -> (u16, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut request = http_client_builder()
            .build()
            .expect("a client")
            .request(method, url)
            .timeout(Duration::from_secs(20));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request to the target");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    })
}

/// Every tracker of the project: name -> tracked bucket.
fn trackers(url: &str) -> BTreeMap<String, String> {
    let (status, body) = http(
        reqwest::Method::GET,
        &format!("{url}/v3/{PROJECT}/trackers"),
        None,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let list: Value = serde_json::from_slice(&body).expect("json");
    list["trackers"]
        .as_array()
        .expect("trackers")
        .iter()
        .map(|t| {
            let name = t["tracker_name"].as_str().unwrap_or("?").to_string();
            let bucket = t
                .pointer("/data_bucket/data_bucket_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (name, bucket)
        })
        .collect()
}

fn ours(url: &str) -> Vec<String> {
    trackers(url)
        .into_keys()
        .filter(|n| n.starts_with("cc-"))
        .collect()
}

fn create_tracker(url: &str, name: &str, bucket: &str) {
    let body = json!({"tracker_type": "data", "tracker_name": name,
        "data_bucket": {"data_bucket_name": bucket, "data_event": ["WRITE"]}});
    let (status, answer) = http(
        reqwest::Method::POST,
        &format!("{url}/v3/{PROJECT}/tracker"),
        Some(&body),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
}

// ---------------------------------------------------------------- runs

fn sweep(ledger: &Path) -> cli_run::Run {
    cli_run::run(&["sweep", "--ledger", ledger.to_str().expect("utf-8")])
}

/// `cases/leak.json` in `dir`: `count` cases, case `i` creating one tracker on the bucket
/// `leak-b{i}` and listing it.
fn write_cases(dir: &Path, count: usize) {
    let cases: Vec<Value> = (0..count)
        .map(|i| {
            let name = format!("${{prefix}}-leak{i}");
            json!({
                "name": format!("leak_{i}"),
                "doc": "robustness: what a run leaves",
                "steps": [
                    {"operation": "CreateTracker",
                     "body": {"tracker_type": "data", "tracker_name": name,
                              "data_bucket": {"data_bucket_name": format!("leak-b{i}"),
                                              "data_event": ["WRITE"]}},
                     "creates": {"tracker_name": name, "tracker_type": "data"},
                     "expect": {"status": 201}},
                    {"operation": "ListTrackers", "query": {"tracker_name": name},
                     "expect": {"status": 200}}
                ]
            })
        })
        .collect();
    let file = json!({"suite": "leak", "cases": cases});
    std::fs::write(dir.join("leak.json"), file.to_string()).expect("write cases");
}

// ---------------------------------------------------------------- the tests

/// The ledger's lines for each tracker name, in order.
fn ledger_events(ledger: &Path) -> BTreeMap<String, Vec<String>> {
    let mut events: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let text = std::fs::read_to_string(ledger).unwrap_or_default();
    for line in text.lines() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(name) = entry["tracker_name"].as_str() {
            events
                .entry(name.to_string())
                .or_default()
                .push(entry["event"].as_str().unwrap_or("?").to_string());
        }
    }
    events
}

#[test]
fn sigkill_at_any_moment_leaves_nothing_sweep_cannot_find() {
    // Every answer late, after the request took effect: a create is made well before the
    // ledger can hear of it. Even trials run every derived create, eight at once, against
    // a target 100 ms late; odd ones only the longest valid tracker name (the one that
    // once lacked the dash), against one 300 ms late, so that several kills land while
    // that create is in flight.
    let fast = Serve::start(&["--latency", "100"]);
    let slow = Serve::start(&["--latency", "300"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut in_flight = 0;
    let mut swept = 0;
    const TRIALS: u64 = 20;
    for trial in 0..TRIALS {
        let ledger = dir.path().join(format!("ledger-{trial}.jsonl"));
        let (serve, filter, at) = if trial % 2 == 0 {
            (&fast, ["derived::create_tracker::", ""], 150 + trial * 75)
        } else {
            let exact = ["--exact", "derived::create_tracker::tracker_name::len_32"];
            (&slow, exact, trial * 70)
        };
        let mut args = vec![
            "--target",
            &serve.url,
            "--project-id",
            PROJECT,
            "--ledger",
            ledger.to_str().expect("utf-8"),
            "--test-threads",
            "8",
        ];
        args.extend(filter.into_iter().filter(|a| !a.is_empty()));
        let mut run = cli_run::command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cts-conform");
        // Spread over the run's start, its check, its creates, removals and checks.
        std::thread::sleep(Duration::from_millis(at));
        run.kill().expect("SIGKILL");
        let _ = run.wait();
        let left = ours(&serve.url);
        let events = ledger_events(&ledger);
        // Trackers made whose create answer never reached the run: only an intent.
        in_flight += left
            .iter()
            .filter(|name| events.get(*name).map(Vec::as_slice) == Some(&["intent".to_string()]))
            .count();
        for name in &left {
            assert!(
                events.contains_key(name),
                "trial {trial}: {name} is not in the ledger: {events:?}"
            );
        }
        if !ledger.exists() {
            // Killed before its first request: nothing was sent, so nothing is left.
            assert_eq!(left, Vec::<String>::new(), "trial {trial}: no ledger");
            continue;
        }
        let swept_now = sweep(&ledger);
        assert_eq!(
            swept_now.code, 0,
            "trial {trial}: {}\n{}",
            swept_now.stdout, swept_now.stderr
        );
        // Left alone only: names sent to be refused (`_cc-...`, `system`), which cannot
        // carry the run's prefix; never one of the run's own names.
        for line in swept_now.stdout.lines() {
            if let Some(rest) = line.strip_prefix("not touched: a create of data tracker ") {
                assert!(!rest.starts_with("cc-"), "trial {trial}: {line}");
            }
        }
        swept += usize::from(!left.is_empty());
        assert_eq!(
            ours(&serve.url),
            Vec::<String>::new(),
            "trial {trial}: sweep left trackers (left by the kill: {left:?})\n{}",
            swept_now.stdout
        );
    }
    // The kills hit the run while it had trackers alive, some of them mid-create.
    assert!(swept >= 5, "only {swept} of {TRIALS} kills left anything");
    assert!(
        in_flight >= 1,
        "no kill landed while a create was in flight"
    );
    eprintln!("{TRIALS} kills: {swept} left trackers, {in_flight} tracker(s) mid-create");
}

#[test]
fn a_run_whose_deletes_fail_lists_what_it_left_stops_and_does_not_pass() {
    let buckets = [
        "leak-b0", "leak-b1", "leak-b2", "leak-b3", "leak-b4", "leak-obs",
    ];
    let target = Target::start(EmulatorConfig {
        buckets: Some(buckets.iter().map(|b| b.to_string()).collect()),
        ..EmulatorConfig::default()
    });
    target.seen.fail_deletes.store(true, Ordering::SeqCst);
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).expect("a case directory");
    write_cases(&cases, 5);
    let ledger = dir.path().join("ledger.jsonl");
    let (json_report, junit, html) = (
        dir.path().join("r.json"),
        dir.path().join("r.xml"),
        dir.path().join("r.html"),
    );
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    let run_args = |extra: &[String]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--target",
            &target.url,
            "--project-id",
            PROJECT,
            "--cases",
            &path(&cases),
            "--no-derived",
            "--ledger",
            &path(&ledger),
            "--data-bucket",
            "leak-b0",
            "--data-bucket",
            "leak-b1",
            "--data-bucket",
            "leak-b2",
            "--obs-bucket",
            "leak-obs",
            "--max-retries",
            "0",
            "--test-threads",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend_from_slice(extra);
        args
    };
    let first = run_args(&[
        "--report-json".into(),
        path(&json_report),
        "--junit".into(),
        path(&junit),
        "--report-html".into(),
        path(&html),
    ]);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let run = cli_run::run(&first);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let left = ours(&target.url);
    assert_eq!(
        left.len(),
        3,
        "three cases ran before the run stopped: {left:?}"
    );
    let sweep_command = format!("cts-conform sweep --ledger {}", ledger.display());
    // Three removals failed in a row: no further case started.
    assert!(
        run.stderr.contains("stopping: 3 removals in a row failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("not run: the run stopped (3 removals in a row failed"),
        "{}",
        run.stdout
    );
    // The terminal names each tracker left and the command.
    assert!(
        run.stderr
            .contains("3 tracker(s) this run created could not be removed"),
        "{}",
        run.stderr
    );
    for name in &left {
        assert!(
            run.stderr.contains(&format!("data tracker {name}")),
            "{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains(&sweep_command), "{}", run.stderr);
    // So does every report.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_report).expect("json report"))
            .expect("json");
    assert_eq!(report["ok"], false);
    let listed: Vec<String> = report["leftovers"]["trackers"]
        .as_array()
        .expect("leftovers")
        .iter()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .collect();
    let expected: Vec<String> = left.iter().map(|n| format!("data tracker {n}")).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert_eq!(report["leftovers"]["sweep"], sweep_command.as_str());
    for file in [&junit, &html] {
        let text = std::fs::read_to_string(file).expect("report");
        for name in &left {
            assert!(
                text.contains(name.as_str()),
                "{}: {name} missing",
                file.display()
            );
        }
        assert!(text.contains(&sweep_command), "{}", file.display());
    }
    let junit_text = std::fs::read_to_string(&junit).expect("junit");
    assert!(junit_text.contains("<testcase name=\"nothing left behind\""));

    // The next run: its pool buckets are tracked by what the first left; it says so.
    target.seen.fail_deletes.store(false, Ordering::SeqCst);
    let second = run_args(&[]);
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    let next = cli_run::run(&second);
    assert!(
        next.stderr
            .contains("tracked by a tracker an earlier run left (its ledger"),
        "{}",
        next.stderr
    );
    assert!(
        next.stderr
            .contains(&format!("remove it with: {sweep_command}")),
        "{}",
        next.stderr
    );
    for name in &left {
        assert!(next.stderr.contains(name.as_str()), "{}", next.stderr);
    }
    // And the command does remove them.
    let swept = sweep(&ledger);
    assert_eq!(swept.code, 0, "{}\n{}", swept.stdout, swept.stderr);
    assert_eq!(ours(&target.url), Vec::<String>::new());
}

#[test]
fn max_live_caps_the_trackers_alive_at_once() {
    let target = Target::start(EmulatorConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    write_cases(dir.path(), 8);
    let run = |max_live: &str| {
        cli_run::run(&[
            "--target",
            &target.url,
            "--project-id",
            PROJECT,
            "--cases",
            dir.path().to_str().expect("utf-8"),
            "--no-derived",
            "--ledger",
            dir.path().join("ledger.jsonl").to_str().expect("utf-8"),
            "--test-threads",
            "8",
            "--max-live",
            max_live,
        ])
    };
    let capped = run("1");
    assert_eq!(capped.code, 0, "{}\n{}", capped.stdout, capped.stderr);
    assert_eq!(target.most_alive(), 1);
    // The same run with room for all: several alive at once (what the cap prevented).
    let uncapped = run("8");
    assert_eq!(uncapped.code, 0, "{}\n{}", uncapped.stdout, uncapped.stderr);
    assert!(target.most_alive() > 1, "the cases never overlapped");
    assert!(capped.stdout.contains("8 passed"), "{}", capped.stdout);
    assert_eq!(ours(&target.url), Vec::<String>::new());
}

#[test]
fn a_torn_line_and_a_missing_newline_do_not_stop_the_sweep() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.jsonl");
    let mut lines = Vec::new();
    for i in 0..25 {
        let name = format!("cc-0123abcd-torn{i}");
        create_tracker(&serve.url, &name, &format!("torn-bucket-{i}"));
        lines.push(
            json!({"event": "created", "run_id": "0123abcd", "case": format!("c{i}"),
                   "target": serve.url, "project_id": PROJECT,
                   "tracker_name": name, "tracker_type": "data"})
            .to_string(),
        );
    }
    // Line 13 torn half-way (a crash mid-write on a full disk); the last line has no
    // newline.
    let torn = lines[12][..lines[12].len() / 2].to_string();
    lines.insert(12, torn);
    std::fs::write(&ledger, lines.join("\n")).expect("write the ledger");
    let swept = sweep(&ledger);
    assert_eq!(swept.code, 0, "{}\n{}", swept.stdout, swept.stderr);
    assert!(
        swept.stderr.contains(&format!(
            "warning: {}:13: not a ledger line",
            ledger.display()
        )),
        "{}",
        swept.stderr
    );
    assert!(swept.stdout.contains("25 removed"), "{}", swept.stdout);
    assert_eq!(ours(&serve.url), Vec::<String>::new());
    // The sweep's own lines went on new lines: the ledger now says nothing is left.
    let again = cli_run::run(&[
        "sweep",
        "--dry-run",
        "--ledger",
        ledger.to_str().expect("utf-8"),
    ]);
    assert!(
        again.stdout.contains("0 tracker(s) outstanding"),
        "{}\n{}",
        again.stdout,
        again.stderr
    );
    let skipped = again.stderr.matches("not a ledger line").count();
    assert_eq!(
        skipped, 1,
        "only the torn line is skipped: {}",
        again.stderr
    );
}

#[test]
fn a_ledger_that_cannot_be_written_stops_the_run_before_its_first_request() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let target = Target::start(EmulatorConfig::default());
    let run = cli_run::run(&[
        "--target",
        &target.url,
        "--project-id",
        PROJECT,
        "--ledger",
        "/dev/full",
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .starts_with("error: cannot write the ledger /dev/full"),
        "{}",
        run.stderr
    );
    assert_eq!(
        target.seen.requests.load(Ordering::SeqCst),
        0,
        "a request was sent"
    );
}
