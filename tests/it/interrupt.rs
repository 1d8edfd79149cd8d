//! SIGINT during a run, end to end: `cts-conform serve` as the target, behind a small
//! loopback proxy that holds one request (a ListTrackers for `...-slow`) for a while, so
//! the test can interrupt the run while a case is mid-way and that request is in flight.
//!
//! First SIGINT: the request in flight finishes, the case stops after that step, its
//! cleanup runs (nothing the run created is left), the run says it was interrupted and
//! exits 130. Second SIGINT: the run quits at once (130) and names the sweep command,
//! which then removes what was left. Either way a tracker the run did not create is
//! untouched, byte for byte.

use crate::cli_run;
use crate::wire;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cts_conform::http::client::http_client_builder;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

const BIN: &str = env!("CARGO_BIN_EXE_cts-conform");
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
/// Generous bounds so a broken build fails instead of hanging; never asserted on.
const LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- the target

/// `cts-conform serve` on a free loopback port; stopped (SIGINT, then kill) on drop.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start() -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cts-conform serve");
        let lines = lines_of(child.stderr.take().expect("stderr"));
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
        interrupt(self.child.id());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGINT to one process we started.
fn interrupt(pid: u32) {
    signal(pid, "INT");
}

/// Sends SIG`name` to one process we started.
fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// A thread forwarding each line of `stream` to the returned channel.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if send.send(line).is_err() {
                return;
            }
        }
    });
    receive
}

/// One request through the proxy: its request line and whether its response went back.
#[derive(Debug, Clone)]
struct Seen {
    line: String,
    answered: bool,
}

/// A loopback HTTP/1.1 proxy in front of `upstream` that holds requests whose request
/// line contains `slow` for `hold`, telling the test when one arrives.
struct Proxy {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    slow_arrived: mpsc::Receiver<()>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    fn start(upstream: &str, hold: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (notify, slow_arrived) = mpsc::channel();
        let shared = Arc::clone(&seen);
        runtime.spawn(async move {
            for _ in 0..1000 {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (upstream, seen, notify) =
                    (upstream.clone(), Arc::clone(&shared), notify.clone());
                tokio::spawn(async move {
                    let relay = relay(client, &upstream, hold, seen, notify);
                    let _ = tokio::time::timeout(LIMIT, relay).await;
                });
            }
        });
        Proxy {
            url,
            seen,
            slow_arrived,
            runtime: Some(runtime),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// Reads one message for the proxy to relay; it only relays Content-Length bodies.
async fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let (head, message) = wire::read_message(stream).await?;
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "the proxy only relays Content-Length bodies:\n{head}"
    );
    Some(message)
}

async fn relay(
    mut client: TcpStream,
    upstream: &str,
    hold: Duration,
    seen: Arc<Mutex<Vec<Seen>>>,
    notify: mpsc::Sender<()>,
) -> Option<()> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    for _ in 0..1000 {
        let request = read_message(&mut client).await?;
        let line = String::from_utf8_lossy(&request)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let index = {
            let mut seen = seen.lock().expect("seen");
            seen.push(Seen {
                line: line.clone(),
                answered: false,
            });
            seen.len() - 1
        };
        if line.contains("slow") {
            let _ = notify.send(());
            tokio::time::sleep(hold).await;
        }
        server.write_all(&request).await.ok()?;
        let response = read_message(&mut server).await?;
        client.write_all(&response).await.ok()?;
        seen.lock().expect("seen")[index].answered = true;
    }
    Some(())
}

// ---------------------------------------------------------------- talking to the emulator directly

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
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request to the emulator");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    })
}

/// The raw body of ListTrackers for `query`, straight from the emulator.
fn list_raw(serve: &Serve, query: &str) -> Vec<u8> {
    let url = format!("{}/v3/{PROJECT}/trackers{query}", serve.url);
    let (status, body) = http(reqwest::Method::GET, &url, None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    body
}

fn all_names(serve: &Serve) -> Vec<String> {
    let list: Value = serde_json::from_slice(&list_raw(serve, "")).expect("json");
    let mut names: Vec<String> = list["trackers"]
        .as_array()
        .expect("trackers")
        .iter()
        .map(|t| t["tracker_name"].as_str().unwrap_or("?").to_string())
        .collect();
    names.sort();
    names
}

/// A tracker the test creates itself, before the run: the harness must not touch it.
/// Returns ListTrackers' raw answer for it.
fn pre_existing(serve: &Serve) -> Vec<u8> {
    let url = format!("{}/v3/{PROJECT}/tracker", serve.url);
    let body = json!({"tracker_type": "data", "tracker_name": "keep-me",
        "data_bucket": {"data_bucket_name": "precious", "data_event": ["WRITE"]},
        "obs_info": {"bucket_name": "precious-logs", "file_prefix_name": "keep"}});
    let (status, answer) = http(reqwest::Method::POST, &url, Some(&body));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    list_raw(serve, "?tracker_name=keep-me")
}

// ---------------------------------------------------------------- the run

/// A data tracker on the case's own bucket, tracking `event` (one tracker per bucket
/// operation: a case's two trackers track READ and WRITE).
fn create(name: &str, event: &str) -> Value {
    json!({
        "operation": "CreateTracker",
        "body": {"tracker_type": "data", "tracker_name": name,
                 "data_bucket": {"data_bucket_name": "${data_bucket}", "data_event": [event]}},
        "creates": {"tracker_name": name, "tracker_type": "data"},
        "expect": {"status": 201}
    })
}

/// One case per letter, each: create two trackers, a slow ListTrackers, then a create that must
/// never happen. One cleans up by a cleanup step, the other by the ledger alone.
fn write_cases(dir: &Path, letters: &[&str]) {
    let case = |letter: &str, explicit_cleanup: bool| {
        let name = |n: &str| format!("${{prefix}}-{letter}{n}");
        let mut case = json!({
            "name": format!("case_{letter}"),
            "doc": "robustness: SIGINT in the middle of a case",
            "steps": [
                create(&name("1"), "READ"),
                create(&name("2"), "WRITE"),
                {"operation": "ListTrackers", "query": {"tracker_name": name("-slow")},
                 "expect": {"status": 200, "body": {"trackers": []}}},
                create(&name("3-never"), "READ"),
            ]
        });
        if explicit_cleanup {
            case["cleanup"] = json!([
                {"operation": "DeleteTracker",
                 "query": {"tracker_name": name("1"), "tracker_type": "data"},
                 "expect": {"status": [204, 404]}}
            ]);
        }
        case
    };
    let cases: Vec<Value> = letters.iter().map(|l| case(l, *l == "a")).collect();
    let file = json!({"suite": "interrupt", "cases": cases});
    std::fs::write(
        dir.join("interrupt.json"),
        serde_json::to_string_pretty(&file).expect("json"),
    )
    .expect("write cases");
}

/// A run of the binary whose stdout and stderr are read line by line as it goes.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Running {
    fn start(target: &str, dir: &Path, ledger: &Path) -> Self {
        let html = ledger.with_file_name("interrupted.html");
        let html = html.to_str().expect("utf-8");
        Running::start_with(target, dir, ledger, &["--report-html", html])
    }

    fn start_with(target: &str, dir: &Path, ledger: &Path, extra: &[&str]) -> Self {
        let mut args = vec![
            "--target",
            target,
            "--project-id",
            PROJECT,
            "--cases",
            dir.to_str().expect("utf-8"),
            "--ledger",
            ledger.to_str().expect("utf-8"),
            "--timeout",
            "20",
            "--test-threads",
            "2",
            "interrupt::",
        ];
        args.extend_from_slice(extra);
        let mut child = cli_run::command(&args).spawn().expect("start cts-conform");
        let stdout = lines_of(child.stdout.take().expect("stdout"));
        let stderr = lines_of(child.stderr.take().expect("stderr"));
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits (bounded) for the exit; returns the code and all output.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > LIMIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the run did not end within {LIMIT:?} after SIGINT\n{}",
                    drain(&self.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The reader threads end at EOF, shortly after the exit.
        std::thread::sleep(Duration::from_millis(200));
        (status.code(), drain(&self.stdout), drain(&self.stderr))
    }
}

fn drain(lines: &mpsc::Receiver<String>) -> String {
    let mut text = String::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_millis(500)) {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn wait_for_slow_request(proxy: &Proxy, run: &mut Running) {
    if proxy.slow_arrived.recv_timeout(LIMIT).is_err() {
        let _ = run.child.kill();
        panic!("the slow step never came\n{}", drain(&run.stderr));
    }
}

#[test]
fn first_sigint_finishes_the_step_cleans_up_and_exits_130() {
    let serve = Serve::start();
    let before = pre_existing(&serve);
    let proxy = Proxy::start(&serve.url, Duration::from_secs(2));
    let dir = tempfile::tempdir().expect("tempdir");
    write_cases(dir.path(), &["a", "b"]);
    let ledger = dir.path().join("ledger.jsonl");

    let mut run = Running::start(&proxy.url, dir.path(), &ledger);
    wait_for_slow_request(&proxy, &mut run);
    interrupt(run.child.id());
    let (code, stdout, stderr) = run.finish();

    assert!(
        !stdout.contains("panicked") && !stderr.contains("panicked"),
        "{stdout}\n{stderr}"
    );
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("interrupt: finishing requests in flight and cleaning up"),
        "{stderr}"
    );
    // Never shown as passed (issue 24): the terminal and the HTML banner say so.
    assert!(
        stdout.contains("INCOMPLETE: the run was interrupted"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(dir.path().join("interrupted.html")).expect("HTML");
    let banner = &html[html.find("<header").expect("banner")..html.find("</header>").expect("end")];
    assert!(banner.contains("INTERRUPTED: not a pass"), "{banner}");
    assert!(!banner.contains("PASSED"), "{banner}");
    assert!(
        stderr.contains(
            "interrupted: cases that had started stopped after their current step and cleaned up"
        ),
        "{stderr}"
    );
    let seen = proxy.seen();
    // The request in flight when SIGINT came was answered, not cut off.
    let slow: Vec<&Seen> = seen.iter().filter(|s| s.line.contains("slow")).collect();
    assert!(!slow.is_empty());
    assert!(
        slow.iter().all(|s| s.answered),
        "a request in flight was dropped: {seen:#?}"
    );
    // No case went on past its current step.
    assert!(
        seen.iter().all(|s| !s.line.contains("3-never")),
        "a case ran a step after the interrupt: {seen:#?}"
    );
    // The interrupted cases' trackers were created, then removed: only ours is left, intact.
    let created = seen.iter().filter(|s| s.line.starts_with("POST ")).count();
    assert!(created >= 2, "the cases created nothing: {seen:#?}");
    assert!(
        seen.iter().any(|s| s.line.starts_with("DELETE ")),
        "no cleanup request: {seen:#?}"
    );
    assert_eq!(
        all_names(&serve),
        ["keep-me"],
        "the run left trackers behind"
    );
    assert_eq!(
        String::from_utf8_lossy(&list_raw(&serve, "?tracker_name=keep-me")),
        String::from_utf8_lossy(&before),
        "the pre-existing tracker changed"
    );
    assert!(
        seen.iter().all(|s| !s.line.contains("keep-me")),
        "the run touched keep-me: {seen:#?}"
    );
    // The ledger agrees: nothing outstanding.
    let sweep = cli_run::command(&[
        "sweep",
        "--dry-run",
        "--ledger",
        ledger.to_str().expect("utf-8"),
    ])
    .output()
    .expect("sweep --dry-run");
    let sweep_out = String::from_utf8_lossy(&sweep.stdout);
    assert!(
        sweep_out.contains("0 tracker(s) outstanding"),
        "{sweep_out}"
    );
}

#[test]
fn second_sigint_quits_at_once_and_sweep_removes_the_leftovers() {
    let serve = Serve::start();
    let before = pre_existing(&serve);
    // Held long enough that the second SIGINT surely lands while it is in flight.
    let proxy = Proxy::start(&serve.url, Duration::from_secs(8));
    let dir = tempfile::tempdir().expect("tempdir");
    // One case: when the second SIGINT comes, only the held request is in flight.
    write_cases(dir.path(), &["a"]);
    let ledger = dir.path().join("ledger.jsonl");

    let mut run = Running::start(&proxy.url, dir.path(), &ledger);
    wait_for_slow_request(&proxy, &mut run);
    interrupt(run.child.id());
    // Wait until the first one has been taken in, then send the second.
    let mut early = String::new();
    let started = Instant::now();
    while !early.contains("interrupt: finishing requests in flight") {
        assert!(started.elapsed() < LIMIT, "no reaction to SIGINT: {early}");
        if let Ok(line) = run.stderr.recv_timeout(Duration::from_millis(100)) {
            early.push_str(&line);
            early.push('\n');
        }
    }
    interrupt(run.child.id());
    let (code, stdout, stderr) = run.finish();
    let stderr = early + &stderr;

    assert!(
        !stdout.contains("panicked") && !stderr.contains("panicked"),
        "{stdout}\n{stderr}"
    );
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let hint = format!(
        "quitting now; remove leftovers with: cts-conform sweep --ledger {}",
        ledger.display()
    );
    assert!(stderr.contains(&hint), "{stderr}");
    // It quit before the held request was answered, so trackers were left behind ...
    assert!(
        proxy
            .seen()
            .iter()
            .any(|s| s.line.contains("slow") && !s.answered),
        "{:#?}",
        proxy.seen()
    );
    let left = all_names(&serve);
    assert!(left.len() > 1, "nothing was left to sweep: {left:?}");

    // ... which the ledger knows, and sweep removes (through the run's target, the proxy).
    let sweep = cli_run::command(&[
        "sweep",
        "--ledger",
        ledger.to_str().expect("utf-8"),
        "--timeout",
        "20",
    ])
    .output()
    .expect("sweep");
    let sweep_out = String::from_utf8_lossy(&sweep.stdout);
    assert_eq!(sweep.status.code(), Some(0), "{sweep_out}");
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        sweep_out.contains("2 removed, 0 already gone, 0 failed"),
        "{left:?}\n{sweep_out}"
    );
    assert_eq!(all_names(&serve), ["keep-me"]);
    assert_eq!(
        String::from_utf8_lossy(&list_raw(&serve, "?tracker_name=keep-me")),
        String::from_utf8_lossy(&before),
        "the pre-existing tracker changed"
    );
}

/// SIGTERM (a cancelled CI job, `timeout`) and SIGHUP (the terminal closed) stop a run as
/// Ctrl-C does: the step in flight finishes, cases clean up, the reports are written and
/// marked interrupted; the exit code is 128 + the signal's number.
fn stops_like_ctrl_c(name: &str, code: i32) {
    let serve = Serve::start();
    let proxy = Proxy::start(&serve.url, Duration::from_secs(2));
    let dir = tempfile::tempdir().expect("tempdir");
    write_cases(dir.path(), &["a", "b"]);
    let ledger = dir.path().join("ledger.jsonl");
    let report = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let html = dir.path().join("report.html");
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    let (report_arg, junit_arg, html_arg) = (path(&report), path(&junit), path(&html));
    let extra = [
        "--report-json",
        report_arg.as_str(),
        "--junit",
        junit_arg.as_str(),
        "--report-html",
        html_arg.as_str(),
    ];
    let mut run = Running::start_with(&proxy.url, dir.path(), &ledger, &extra);
    wait_for_slow_request(&proxy, &mut run);
    signal(run.child.id(), name);
    let (exit, stdout, stderr) = run.finish();

    assert_eq!(exit, Some(code), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "SIG{name}: finishing requests in flight and cleaning up"
        )),
        "{stderr}"
    );
    let seen = proxy.seen();
    assert!(
        seen.iter().all(|s| !s.line.contains("3-never")),
        "a case ran a step after the signal: {seen:#?}"
    );
    assert!(
        seen.iter().any(|s| s.line.starts_with("DELETE ")),
        "no cleanup request: {seen:#?}"
    );
    assert_eq!(
        all_names(&serve),
        Vec::<String>::new(),
        "the run left trackers behind"
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("the JSON report"))
            .expect("json");
    assert_eq!(json["interrupted"], true);
    assert!(std::fs::read_to_string(&junit)
        .expect("the JUnit report")
        .contains("<testsuites"));
    let html = std::fs::read_to_string(&html).expect("the HTML report");
    assert!(
        html.contains("INTERRUPTED: not a pass") || html.contains("(interrupted)"),
        "{html}"
    );
}

#[test]
fn sigterm_stops_like_ctrl_c_writes_the_reports_and_exits_143() {
    stops_like_ctrl_c("TERM", 143);
}

#[test]
fn sighup_stops_like_ctrl_c_and_exits_129() {
    stops_like_ctrl_c("HUP", 129);
}

#[test]
fn a_second_sigterm_quits_at_once_with_the_sweep_command() {
    let serve = Serve::start();
    let proxy = Proxy::start(&serve.url, Duration::from_secs(8));
    let dir = tempfile::tempdir().expect("tempdir");
    write_cases(dir.path(), &["a"]);
    let ledger = dir.path().join("ledger.jsonl");
    let mut run = Running::start(&proxy.url, dir.path(), &ledger);
    wait_for_slow_request(&proxy, &mut run);
    signal(run.child.id(), "TERM");
    let mut early = String::new();
    let started = Instant::now();
    while !early.contains("SIGTERM: finishing requests in flight") {
        assert!(started.elapsed() < LIMIT, "no reaction to SIGTERM: {early}");
        if let Ok(line) = run.stderr.recv_timeout(Duration::from_millis(100)) {
            early.push_str(&line);
            early.push('\n');
        }
    }
    signal(run.child.id(), "TERM");
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(143), "{early}{stderr}");
    assert!(
        stderr.contains(&format!(
            "quitting now; remove leftovers with: cts-conform sweep --ledger {}",
            ledger.display()
        )),
        "{stderr}"
    );
    // It quit with the held request unanswered: the sweep has something to remove.
    assert!(all_names(&serve).len() > 1);
}

/// explore stops as a run does: the first SIGINT lets the run in progress finish its
/// step and clean up, no further sequence starts, it says so and exits 130; nothing it
/// created is left, and a tracker it did not create is untouched, byte for byte.
#[test]
fn sigint_stops_explore_after_the_current_step_and_leaves_nothing() {
    let serve = Serve::start();
    let before = pre_existing(&serve);
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.jsonl");
    let args = [
        "explore",
        "--seed",
        "5",
        "--sequences",
        "1000000",
        "--target",
        &serve.url,
        "--project-id",
        PROJECT,
        "--data-bucket",
        "explore-a",
        "--data-bucket",
        "explore-b",
        "--obs-bucket",
        "explore-logs",
        "--ledger",
        ledger.to_str().expect("utf-8"),
        "--out",
        dir.path().to_str().expect("utf-8"),
    ];
    let mut child = cli_run::command(&args).spawn().expect("start explore");
    let mut run = Running {
        stdout: lines_of(child.stdout.take().expect("stdout")),
        stderr: lines_of(child.stderr.take().expect("stderr")),
        child,
    };
    // The opening lines come once the signal listeners are in place; then let sequences
    // run (creating trackers) before the signal.
    if run.stdout.recv_timeout(LIMIT).is_err() {
        let _ = run.child.kill();
        panic!("explore never started\n{}", drain(&run.stderr));
    }
    std::thread::sleep(Duration::from_millis(700));
    interrupt(run.child.id());
    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("interrupt: finishing"), "{stderr}");
    assert!(stdout.contains("stopped by SIGINT after "), "{stdout}");
    assert_eq!(
        all_names(&serve),
        ["keep-me"],
        "explore left trackers behind"
    );
    assert_eq!(list_raw(&serve, "?tracker_name=keep-me"), before);
}
