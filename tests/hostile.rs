//! The harness against a hostile target: a plain-TCP server on 127.0.0.1 (so the test
//! controls every byte) that misbehaves in one way per `tracker_name`, driven through the
//! built binary. Each hostile case must fail with a message naming the cause, the run must
//! finish within its timeouts (the test only bounds it, generously, to catch hangs), memory
//! stays bounded by the response-size cap, nothing panics, and the well-behaved cases in
//! the same run pass.
//!
//! Also: a directory of malformed case files is refused (exit 2) before any connection.

#[path = "support/cli_run.rs"]
#[allow(dead_code)]
mod cli_run;
#[path = "support/wire.rs"]
mod wire;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// How long the test lets one run of the binary take before killing it and failing.
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// How long any hostile connection is kept open at most (servers stop by themselves).
const HOLD: Duration = Duration::from_secs(30);
/// The size of the "huge" bodies (never allocated: streamed in small chunks).
const HUGE: u64 = 100 * 1024 * 1024;

// ---------------------------------------------------------------- the hostile server

/// What the hostile server saw and did, for assertions.
#[derive(Default)]
struct Stats {
    /// Requests per behaviour.
    hits: Mutex<BTreeMap<String, u32>>,
    /// Body bytes the huge behaviours managed to write before the client hung up.
    huge_written: AtomicU64,
}

/// A server on 127.0.0.1:0 running on its own runtime until dropped.
struct Hostile {
    port: u16,
    stats: Arc<Stats>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Hostile {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stats = Arc::new(Stats::default());
        let shared = Arc::clone(&stats);
        runtime.spawn(async move {
            // Bounded: a run makes a few dozen connections; the runtime's drop ends it.
            for _ in 0..1000 {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let stats = Arc::clone(&shared);
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(HOLD, connection(stream, stats)).await;
                });
            }
        });
        Hostile {
            port,
            stats,
            runtime: Some(runtime),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn hits(&self, behaviour: &str) -> u32 {
        let hits = self.stats.hits.lock().expect("stats");
        hits.get(behaviour).copied().unwrap_or(0)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// The request target (`/v3/p/trackers?tracker_name=...`) and the behaviour it asks for:
/// the part of `tracker_name` after `hostile-`, or `good`.
fn route(head: &str) -> (String, String) {
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let behaviour = target
        .split_once("hostile-")
        .map(|(_, rest)| rest.split('&').next().unwrap_or("").to_string())
        .unwrap_or_else(|| "good".to_string());
    (target, behaviour)
}

/// A response head for a hostile answer: the connection ends after it, and says so, so
/// the client never pools it (without `Connection: close` the next request could race the
/// close on a connection the client still thinks alive).
fn head(status: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n"
    )
}

/// A response head for a well-behaved answer on a connection that stays open.
fn keep_alive_head(status: &str, extra: &str) -> String {
    format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}\r\n")
}

/// Serves requests on one connection: well-behaved ones keep it alive, every hostile
/// behaviour ends it.
async fn connection(mut stream: TcpStream, stats: Arc<Stats>) -> std::io::Result<()> {
    for _ in 0..100 {
        let Some((request, _)) = wire::read_message(&mut stream).await else {
            return Ok(());
        };
        let (target, behaviour) = route(&request);
        *stats
            .hits
            .lock()
            .expect("stats")
            .entry(behaviour.clone())
            .or_default() += 1;
        match behaviour.as_str() {
            "good" => {
                let body = r#"{"trackers":[]}"#;
                let extra = format!("Content-Length: {}\r\n", body.len());
                stream
                    .write_all(keep_alive_head("200 OK", &extra).as_bytes())
                    .await?;
                stream.write_all(body.as_bytes()).await?;
                continue;
            }
            "silent" => tokio::time::sleep(HOLD).await,
            "stall-body" => {
                let extra = "Content-Length: 100\r\n";
                stream.write_all(head("200 OK", extra).as_bytes()).await?;
                stream.write_all(br#"{"trackers":"#).await?;
                tokio::time::sleep(HOLD).await;
            }
            "reset" => {
                // RST instead of FIN when dropped.
                stream.set_zero_linger()?;
            }
            "short-body" => {
                let extra = "Content-Length: 1000\r\n";
                stream.write_all(head("200 OK", extra).as_bytes()).await?;
                stream.write_all(br#"{"trackers":[{"id":"#).await?;
                stream.shutdown().await?;
            }
            "not-json" => {
                let body = "<html><body>503 Service Unavailable</body></html>";
                let extra = format!("Content-Length: {}\r\n", body.len());
                stream.write_all(head("200 OK", &extra).as_bytes()).await?;
                stream.write_all(body.as_bytes()).await?;
            }
            "bad-utf8" => {
                let body: &[u8] = b"{\"trackers\":[{\"tracker_name\":\"\xff\xfe\xc3\"}]}";
                let extra = format!("Content-Length: {}\r\n", body.len());
                stream.write_all(head("200 OK", &extra).as_bytes()).await?;
                stream.write_all(body).await?;
            }
            "huge-length" | "huge-chunked" => {
                let chunked = behaviour == "huge-chunked";
                let extra = if chunked {
                    "Transfer-Encoding: chunked\r\n".to_string()
                } else {
                    format!("Content-Length: {HUGE}\r\n")
                };
                stream.write_all(head("200 OK", &extra).as_bytes()).await?;
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0u64;
                while sent < HUGE {
                    if chunked {
                        stream
                            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                            .await?;
                    }
                    stream.write_all(&chunk).await?;
                    if chunked {
                        stream.write_all(b"\r\n").await?;
                    }
                    sent += chunk.len() as u64;
                    stats
                        .huge_written
                        .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
                if chunked {
                    stream.write_all(b"0\r\n\r\n").await?;
                }
            }
            "redirect" => {
                let extra = format!("Location: {target}\r\nContent-Length: 0\r\n");
                stream
                    .write_all(head("302 Found", &extra).as_bytes())
                    .await?;
            }
            "empty-200" => {
                stream
                    .write_all(head("200 OK", "Content-Length: 0\r\n").as_bytes())
                    .await?;
            }
            "trickle" => {
                let body = format!("{:<150}", r#"{"trackers":[]}"#);
                let extra = format!("Content-Length: {}\r\n", body.len());
                stream.write_all(head("200 OK", &extra).as_bytes()).await?;
                for byte in body.as_bytes() {
                    stream.write_all(&[*byte]).await?;
                    stream.flush().await?;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            "not-http" => {
                stream
                    .write_all(b"SSH-2.0-OpenSSH_9.6\r\nthis is not HTTP\r\n\r\n")
                    .await?;
            }
            _ => {}
        }
        return Ok(());
    }
    Ok(())
}

// ---------------------------------------------------------------- running the binary

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The failure report libtest prints for `case` under `---- hostile::case ----`.
    fn failure(&self, case: &str) -> &str {
        let marker = format!("---- hostile::{case} ----\n");
        let Some(start) = self.stdout.find(&marker) else {
            panic!("no failure section for {case}\n{}", self.stdout);
        };
        let rest = &self.stdout[start + marker.len()..];
        let end = ["\n---- ", "\n\nfailures:"]
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// The result libtest printed for `hostile::case` (`ok`, `FAILED`, ...); names are padded.
    fn result(&self, case: &str) -> Option<&str> {
        self.stdout.lines().find_map(|line| {
            let rest = line.strip_prefix(&format!("test hostile::{case} "))?;
            Some(rest.trim_start().strip_prefix("... ")?.trim())
        })
    }

    fn assert_no_panic(&self) {
        assert!(
            !self.stdout.contains("panicked") && !self.stderr.contains("panicked"),
            "something panicked:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// Runs the binary, killing it (and failing) if it takes longer than [`RUN_LIMIT`].
fn run(args: &[&str]) -> Run {
    let mut child = cli_run::command(args).spawn().expect("start cts-conform");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    assert!(
        status.is_some(),
        "cts-conform did not finish within {RUN_LIMIT:?} (killed)\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    run
}

/// The largest resident set (KiB) of any child process this test binary has waited for.
fn children_peak_rss_kib() -> i64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    usage.ru_maxrss
}

/// One case a behaviour: a ListTrackers for `${prefix}-hostile-<behaviour>` expecting
/// the empty list a well-behaved target gives.
fn case(name: &str, behaviour: &str) -> serde_json::Value {
    let tracker = if behaviour == "good" {
        "${prefix}-fine".to_string()
    } else {
        format!("${{prefix}}-hostile-{behaviour}")
    };
    serde_json::json!({
        "name": name,
        "doc": format!("robustness: a target that answers '{behaviour}'"),
        "steps": [{
            "operation": "ListTrackers",
            "query": {"tracker_name": tracker},
            "expect": {"status": 200, "body": {"trackers": []}}
        }]
    })
}

fn write_cases(dir: &Path, cases: Vec<serde_json::Value>) {
    let file = serde_json::json!({"suite": "hostile", "cases": cases});
    std::fs::write(
        dir.join("hostile.json"),
        serde_json::to_string_pretty(&file).expect("json"),
    )
    .expect("write case file");
}

/// Each hostile behaviour and what the failure must say about it.
const BEHAVIOURS: &[(&str, &[&str])] = &[
    ("silent", &["transport: no response within 1s"]),
    (
        "stall-body",
        &[
            "-> 200, body incomplete",
            "transport: the response body did not arrive within 1s: status 200 came",
        ],
    ),
    ("reset", &["transport: the connection failed", "reset"]),
    (
        "short-body",
        &[
            "transport: the connection failed: status 200 came, then reading the body failed",
            "end of file before message length reached",
        ],
    ),
    (
        "not-json",
        &["contract: the body is not JSON", "503 Service Unavailable"],
    ),
    ("bad-utf8", &["contract: the body is not UTF-8"]),
    (
        "huge-length",
        &[
            "-> body over the size cap",
            "transport: the response body is larger than the cap of 4194304 bytes",
        ],
    ),
    (
        "huge-chunked",
        &["transport: the response body is larger than the cap of 4194304 bytes"],
    ),
    (
        "redirect",
        &[
            "status 302 is not documented for ListTrackers",
            "a redirect to \"/v3/p/trackers?tracker_name=cc-",
            "which the harness does not follow",
        ],
    ),
    (
        "empty-200",
        &["status 200 documents a body (ListTrackersResponseBody) but the body is empty"],
    ),
    (
        "trickle",
        &[
            "-> 200, body incomplete",
            "transport: the response body did not arrive within 1s: status 200 came",
        ],
    ),
    (
        "not-http",
        &["transport: the connection failed", "invalid HTTP"],
    ),
];

#[test]
fn hostile_targets_fail_their_cases_clearly_and_leave_the_others_alone() {
    let server = Hostile::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cases = vec![case("good_first", "good")];
    cases.extend(
        BEHAVIOURS
            .iter()
            .map(|(b, _)| case(&b.replace('-', "_"), b)),
    );
    cases.push(case("good_last", "good"));
    write_cases(dir.path(), cases);
    let ledger = dir.path().join("ledger.jsonl");
    let url = server.url();
    let run = run(&[
        "--target",
        &url,
        "--project-id",
        "p",
        "--cases",
        dir.path().to_str().expect("utf-8 path"),
        "--ledger",
        ledger.to_str().expect("utf-8 path"),
        "--timeout",
        "1",
        "--test-threads",
        "4",
        "hostile::",
    ]);
    run.assert_no_panic();
    assert_eq!(
        run.code,
        Some(101),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    for good in ["good_first", "good_last"] {
        assert_eq!(
            run.result(good),
            Some("ok"),
            "{good} should pass:\n{}",
            run.stdout
        );
    }
    for (behaviour, phrases) in BEHAVIOURS {
        let name = behaviour.replace('-', "_");
        assert_eq!(
            run.result(&name),
            Some("FAILED"),
            "{name} should fail:\n{}",
            run.stdout
        );
        assert!(
            server.hits(behaviour) >= 1,
            "{behaviour} was never asked:\n{}",
            run.failure(&name)
        );
        let failure = run.failure(&name);
        for phrase in *phrases {
            assert!(
                failure.contains(phrase),
                "the failure of {name} does not say {phrase:?}:\n{failure}"
            );
        }
        assert!(
            failure.contains("reproduce: curl"),
            "no reproduction for {name}:\n{failure}"
        );
    }
    assert!(
        run.stdout.contains("2 passed; 12 failed"),
        "summary:\n{}",
        run.stdout
    );
    // The size cap held: the 100 MB bodies were not read to the end, nor buffered.
    let written = server.stats.huge_written.load(Ordering::SeqCst);
    assert!(
        written < 2 * HUGE,
        "the huge bodies were read whole: {written} bytes"
    );
    let peak = children_peak_rss_kib();
    eprintln!("peak RSS of cts-conform: {peak} KiB; huge body bytes written: {written}");
    assert!(
        peak < 96 * 1024,
        "cts-conform's peak RSS was {peak} KiB: a huge body was buffered"
    );
}

#[test]
fn a_smaller_cap_is_named_in_the_message() {
    let server = Hostile::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_cases(
        dir.path(),
        vec![
            case("huge_chunked", "huge-chunked"),
            case("good_first", "good"),
        ],
    );
    let ledger = dir.path().join("ledger.jsonl");
    let url = server.url();
    let run = run(&[
        "--target",
        &url,
        "--project-id",
        "p",
        "--cases",
        dir.path().to_str().expect("utf-8 path"),
        "--ledger",
        ledger.to_str().expect("utf-8 path"),
        "--timeout",
        "5",
        "--max-response-bytes",
        "65536",
        "hostile::",
    ]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(101), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.result("good_first"), Some("ok"), "{}", run.stdout);
    let failure = run.failure("huge_chunked");
    assert!(
        failure.contains("larger than the cap of 65536 bytes"),
        "{failure}"
    );
}

#[test]
fn malformed_case_files_exit_2_before_any_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let files: &[(&str, &str)] = &[
        ("a_not_json.json", "{ this is not json"),
        ("b_empty.json", ""),
        (
            "c_unknown_operation.json",
            r#"{"suite": "bad", "cases": [{"name": "x", "doc": "d",
                "steps": [{"operation": "LaunchRocket"}]}]}"#,
        ),
        (
            "d_unknown_key.json",
            r#"{"suite": "bad2", "cases": [{"name": "x", "doc": "d", "colour": "red",
                "steps": [{"operation": "ListTrackers"}]}]}"#,
        ),
        (
            "e_unknown_variable.json",
            r#"{"suite": "bad3", "cases": [{"name": "x", "doc": "d",
                "steps": [{"operation": "ListTrackers", "query": {"tracker_name": "${nope}"}}]}]}"#,
        ),
        ("f_wrong_shape.json", r#"[1, 2, 3]"#),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let ledger = dir.path().join("ledger.jsonl");
    let url = format!("http://127.0.0.1:{port}");
    let run = run(&[
        "--target",
        &url,
        "--project-id",
        "p",
        "--cases",
        dir.path().to_str().expect("utf-8 path"),
        "--ledger",
        ledger.to_str().expect("utf-8 path"),
        "--timeout",
        "1",
    ]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    for (name, _) in files {
        assert!(
            run.stderr.contains(name),
            "{name} is not named in:\n{}",
            run.stderr
        );
    }
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(e) => panic!("accept: {e}"),
        Ok((_, peer)) => panic!("cts-conform connected ({peer}) although its cases are malformed"),
    }
    assert!(
        !ledger.exists(),
        "a ledger was started for a run that never ran"
    );
}
