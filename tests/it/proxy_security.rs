//! `cts-conform proxy` is safe to put on a network (issue 25), through the binary in
//! front of a recording upstream that counts what reaches it: every request the real
//! service would refuse (unsigned, wrongly signed, stale, another project, another path,
//! another method, absolute form, `..`) gets its documented answer and the upstream
//! receives nothing; a correctly signed request goes through re-signed, with only the
//! allowed headers; the proxy's own credentials are checked at start (exit 3); a
//! non-loopback --listen needs --allow-remote (exit 2); an upstream URL with a path is
//! refused; --forward-unverified is warned about; one request's violations are bounded.

use crate::signed;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use cts_conform::auth::{self, Credentials, RequestParts};
use serde_json::Value;
use signed::{send, signed_headers, AK, PROJECT, SK};
use time::OffsetDateTime;

const BINARY: &str = env!("CARGO_BIN_EXE_cts-conform");

/// What reached the upstream: method, path and headers of each request.
type Seen = Arc<Mutex<Vec<(String, String, Vec<(String, String)>)>>>;

/// The upstream: records every request, answers 200 `{"trackers": []}` to one whose
/// AK/SK signature verifies for its own host, 401 otherwise.
async fn upstream(State(seen): State<Seen>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 16 << 20).await.unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let creds = Credentials::new(AK, SK);
    let verified = auth::verify(
        &RequestParts {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: &body,
        },
        |ak| (ak == creds.ak).then_some(&creds),
        OffsetDateTime::now_utc(),
        time::Duration::minutes(15),
    );
    seen.lock()
        .expect("lock")
        .push((parts.method.to_string(), parts.uri.to_string(), headers));
    let (status, body) = match verified {
        Ok(_) => (StatusCode::OK, r#"{"trackers": []}"#),
        Err(_) => (
            StatusCode::UNAUTHORIZED,
            r#"{"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"}"#,
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("a value"));
    response
}

async fn start_upstream() -> (SocketAddr, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .fallback(upstream)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

/// A running `proxy`; its stderr is collected by a thread.
struct Proxy {
    child: Child,
    base: String,
    printed: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// Starts `cts-conform proxy ARGS`, waiting for `listening on`; `Err` with everything
/// it printed and its exit code when it exits first.
fn start_proxy(args: &[&str]) -> Result<Proxy, (Option<i32>, String)> {
    let mut child = Command::new(BINARY)
        .arg("proxy")
        .args(args)
        .env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .env_remove("CTS_AUTH_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("proxy starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut printed = String::new();
    let mut line = String::new();
    let mut base = None;
    while stderr.read_line(&mut line).expect("reads") > 0 {
        printed.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            base = Some(url.to_owned());
            break;
        }
        line.clear();
    }
    let Some(base) = base else {
        let status = child.wait().expect("exits");
        return Err((status.code(), printed));
    };
    let printed = Arc::new(Mutex::new(printed));
    let sink = printed.clone();
    let reader = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        sink.lock().expect("lock").push_str(&rest);
    });
    Ok(Proxy {
        child,
        base,
        printed,
        reader: Some(reader),
    })
}

impl Proxy {
    fn url(&self, rest: &str) -> String {
        format!("{}{rest}", self.base)
    }

    fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    /// Stops it with SIGTERM; returns all it printed.
    fn stop(mut self) -> String {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let printed = self.printed.lock().expect("lock").clone();
        printed
    }
}

/// A raw HTTP/1.1 request line and headers, as written; the status of the answer.
fn raw_status(addr: &str, head: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    stream.write_all(head.as_bytes()).expect("writes");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

fn proxy_args(upstream: SocketAddr, file: &std::path::Path) -> Vec<String> {
    vec![
        "--upstream".into(),
        format!("http://{upstream}"),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--project-id".into(),
        PROJECT.into(),
        "--ak".into(),
        AK.into(),
        "--sk".into(),
        SK.into(),
        "--violations".into(),
        file.display().to_string(),
    ]
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_verified_request_of_the_project_reaches_the_upstream() {
    let (up, seen) = start_upstream().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let proxy = start_proxy(&as_strs(&proxy_args(up, &file))).expect("starts");
    // The credential check at start is the one request so far.
    let at_start = seen.lock().expect("lock").len();
    assert_eq!(at_start, 1);

    let now = OffsetDateTime::now_utc();
    let trackers = proxy.url(&format!("/v3/{PROJECT}/trackers"));
    let signed = |method: &str, url: &str, at: OffsetDateTime, sk: &str| {
        signed_headers(method, url, b"", &[], at, sk)
    };
    let error_code = |body: &[u8]| -> String {
        let body: Value = serde_json::from_slice(body).expect("a JSON error body");
        body["error_code"].as_str().unwrap_or_default().to_owned()
    };

    // Unauthenticated, wrongly signed, stale: the gateway's 401.
    let delete_system = proxy.url(&format!(
        "/v3/{PROJECT}/trackers?tracker_name=system&tracker_type=system"
    ));
    let stale = now - time::Duration::days(365 * 6);
    for (what, method, url, headers) in [
        ("unsigned", "GET", &trackers, Vec::new()),
        ("unsigned DELETE", "DELETE", &delete_system, Vec::new()),
        (
            "wrong SK",
            "GET",
            &trackers,
            signed("GET", &trackers, now, "wrong-sk"),
        ),
        (
            "stale",
            "GET",
            &trackers,
            signed("GET", &trackers, stale, SK),
        ),
    ] {
        let (status, _, body) = send(method, url, &headers, b"").await;
        assert_eq!(status, 401, "{what}: {}", String::from_utf8_lossy(&body));
        assert_eq!(error_code(&body), "APIGW.0301", "{what}");
    }

    // Correctly signed, but another project, path or method.
    let other_project = proxy.url("/v3/ffffffffffffffffffffffffffffffff/trackers");
    let other_path = proxy.url(&format!("/v1.0/{PROJECT}/traces"));
    let other_operation = proxy.url(&format!("/v3/{PROJECT}/admin"));
    for (what, method, url, expected) in [
        ("other project", "GET", &other_project, 403),
        ("other path", "GET", &other_path, 404),
        ("no such operation", "GET", &other_operation, 404),
        ("other method", "PATCH", &trackers, 405),
        ("OPTIONS", "OPTIONS", &trackers, 405),
    ] {
        let headers = signed(method, url, now, SK);
        let (status, _, body) = send(method, url, &headers, b"").await;
        assert_eq!(
            status,
            expected,
            "{what}: {}",
            String::from_utf8_lossy(&body)
        );
    }

    // Absolute form and `..`, written raw (a client library would normalise them).
    let addr = proxy.addr();
    let absolute = format!(
        "GET http://{up}/v3/{PROJECT}/trackers HTTP/1.1\r\nHost: {up}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw_status(&addr, &absolute), 400);
    let dots = format!(
        "GET /v3/{PROJECT}/../../admin/x HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw_status(&addr, &dots), 400);
    let encoded_dots = format!(
        "GET /v3/{PROJECT}/%2e%2e/%2E%2E/trackers HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw_status(&addr, &encoded_dots), 400);

    assert_eq!(
        seen.lock().expect("lock").len(),
        at_start,
        "a refused request reached the upstream"
    );

    // A correct request goes through, re-signed (the upstream verifies it for its own
    // host), with only the allowed headers.
    let mut headers = signed("GET", &trackers, now, SK);
    headers.push(("X-Forwarded-For".into(), "10.0.0.1".into()));
    headers.push(("X-Custom".into(), "x".into()));
    let (status, _, body) = send("GET", &trackers, &headers, b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    {
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), at_start + 1);
        let (method, path, headers) = &seen[at_start];
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("GET", &*format!("/v3/{PROJECT}/trackers"))
        );
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            !names.contains(&"x-forwarded-for") && !names.contains(&"x-custom"),
            "{names:?}"
        );
        assert!(names.contains(&"authorization"), "{names:?}");
    }
    // Each refusal was judged and written.
    let text = std::fs::read_to_string(&file).expect("the violations file");
    let rules: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON")["rule"].to_string())
        .collect();
    for rule in [
        "credentials",
        "signature",
        "sdk-date",
        "operation",
        "request-target",
    ] {
        assert!(
            rules.iter().any(|r| r.contains(rule)),
            "{rule} not in {rules:?}"
        );
    }
    let printed = proxy.stop();
    assert!(printed.contains("violations: "), "{printed}");
    assert!(!printed.contains(SK) && !text.contains(SK));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_request_with_110k_unknown_keys_writes_at_most_n_plus_one_records() {
    let (up, _seen) = start_upstream().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let mut args = proxy_args(up, &file);
    args.extend(["--violations-per-request".into(), "50".into()]);
    let proxy = start_proxy(&as_strs(&args)).expect("starts");
    let mut body = String::from(r#"{"tracker_type": "system", "tracker_name": "system""#);
    for n in 0..110_000 {
        body.push_str(&format!(r#","k{n}":0"#));
    }
    body.push('}');
    let url = proxy.url(&format!("/v3/{PROJECT}/tracker"));
    let headers = signed_headers(
        "POST",
        &url,
        body.as_bytes(),
        &[],
        OffsetDateTime::now_utc(),
        SK,
    );
    let (status, _, _) = send("POST", &url, &headers, body.as_bytes()).await;
    assert_eq!(status, 200, "forwarded (the upstream answers 200)");
    let text = std::fs::read_to_string(&file).expect("the violations file");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 51, "50 records and one that counts the rest");
    assert!(
        lines[50].contains("more-violations-omitted"),
        "{}",
        lines[50]
    );
    let printed = proxy.stop();
    let total: u64 = printed
        .lines()
        .find_map(|l| l.strip_prefix("violations: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a summary in {printed}"));
    assert!(total >= 110_000, "{printed}");
    assert!(
        lines[50].contains(&format!("and {} more", total - 50)),
        "{}",
        lines[50]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxys_own_credentials_are_checked_at_start() {
    let (up, seen) = start_upstream().await;
    let upstream = format!("http://{up}");
    let (code, printed) = start_proxy(&[
        "--upstream",
        &upstream,
        "--listen",
        "127.0.0.1:0",
        "--project-id",
        PROJECT,
        "--ak",
        AK,
        "--sk",
        "a-wrong-secret-key",
    ])
    .err()
    .expect("exits");
    assert_eq!(code, Some(3), "{printed}");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 1, "{printed}");
    assert!(
        lines[0].contains("refused the proxy's own credentials"),
        "{printed}"
    );
    assert!(lines[0].contains("401"), "{printed}");
    assert!(!printed.contains("a-wrong-secret-key"));
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_listen_address_upstream_or_project_is_refused_before_serving() {
    let (up, seen) = start_upstream().await;
    let upstream = format!("http://{up}");
    let with_path = format!("http://{up}/v3");
    for (what, args, expected) in [
        (
            "remote",
            vec![
                "--upstream",
                &upstream,
                "--listen",
                "0.0.0.0:0",
                "--project-id",
                PROJECT,
                "--ak",
                AK,
                "--sk",
                SK,
            ],
            "--allow-remote",
        ),
        (
            "path",
            vec![
                "--upstream",
                &with_path,
                "--listen",
                "127.0.0.1:0",
                "--project-id",
                PROJECT,
                "--ak",
                AK,
                "--sk",
                SK,
            ],
            "has a path",
        ),
        (
            "empty project",
            vec![
                "--upstream",
                &upstream,
                "--listen",
                "127.0.0.1:0",
                "--project-id",
                " ",
                "--ak",
                AK,
                "--sk",
                SK,
            ],
            "--project-id",
        ),
        (
            "no credentials",
            vec![
                "--upstream",
                &upstream,
                "--listen",
                "127.0.0.1:0",
                "--project-id",
                PROJECT,
            ],
            "--forward-unverified",
        ),
    ] {
        let (code, printed) = start_proxy(&args).err().expect("exits");
        assert_eq!(code, Some(2), "{what}: {printed}");
        assert!(printed.contains(expected), "{what}: {printed}");
    }
    // `serve` alike.
    let output = Command::new(BINARY)
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-remote"));
    assert!(seen.lock().expect("lock").is_empty(), "nothing was sent");

    // With --allow-remote the proxy listens, saying what is exposed.
    let proxy = start_proxy(&[
        "--upstream",
        &upstream,
        "--listen",
        "0.0.0.0:0",
        "--allow-remote",
        "--project-id",
        PROJECT,
        "--ak",
        AK,
        "--sk",
        SK,
    ])
    .expect("starts");
    let printed = proxy.stop();
    assert!(printed.contains("warning: --allow-remote"), "{printed}");
    assert!(
        printed.contains("the upstream with the proxy's credentials"),
        "{printed}"
    );
}

/// DESIGN.md's command line has no --project-id: the proxy then forwards a verified
/// request for whichever one project it addresses, still refuses an unverified one, and
/// says at start what it does not check.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_project_id_a_verified_request_of_any_project_passes_and_nothing_unverified() {
    let (up, seen) = start_upstream().await;
    let proxy = start_proxy(&[
        "--upstream",
        &format!("http://{up}"),
        "--listen",
        "127.0.0.1:0",
        "--ak",
        AK,
        "--sk",
        SK,
    ])
    .expect("starts as DESIGN.md writes it");
    assert_eq!(
        seen.lock().expect("lock").len(),
        0,
        "no check without a project"
    );
    let now = OffsetDateTime::now_utc();
    let other = "ffffffffffffffffffffffffffffffff";
    for project in [PROJECT, other] {
        let url = proxy.url(&format!("/v3/{project}/trackers"));
        let (status, _, _) = send("GET", &url, &[], b"").await;
        assert_eq!(status, 401, "unsigned, project {project}");
        // The helper names PROJECT in X-Project-Id: left out (neither signed nor sent).
        let mut headers = signed_headers("GET", &url, b"", &["x-project-id"], now, SK);
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case("x-project-id"));
        let (status, _, body) = send("GET", &url, &headers, b"").await;
        assert_eq!(status, 200, "{project}: {}", String::from_utf8_lossy(&body));
    }
    // Path and X-Project-Id naming two projects: refused, as with --project-id.
    let url = proxy.url(&format!("/v3/{other}/trackers"));
    let disagreeing = signed_headers("GET", &url, b"", &[], now, SK);
    assert_eq!(send("GET", &url, &disagreeing, b"").await.0, 403);
    assert_eq!(
        seen.lock().expect("lock").len(),
        2,
        "only the two agreeing signed ones"
    );
    let printed = proxy.stop();
    assert!(printed.contains("warning: no --project-id"), "{printed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn forward_unverified_is_warned_about_and_forwards_an_unsigned_request() {
    let (up, seen) = start_upstream().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let mut args = proxy_args(up, &file);
    args.push("--forward-unverified".into());
    let proxy = start_proxy(&as_strs(&args)).expect("starts");
    let url = proxy.url(&format!("/v3/{PROJECT}/trackers"));
    let (status, _, _) = send("GET", &url, &[], b"").await;
    assert_eq!(status, 200, "re-signed by the proxy");
    assert_eq!(seen.lock().expect("lock").len(), 2);
    // Still no other project.
    let other = proxy.url("/v3/ffffffffffffffffffffffffffffffff/trackers");
    assert_eq!(send("GET", &other, &[], b"").await.0, 403);
    assert_eq!(seen.lock().expect("lock").len(), 2);
    let printed = proxy.stop();
    assert!(
        printed.contains("warning: --forward-unverified"),
        "{printed}"
    );
    let text = std::fs::read_to_string(&file).expect("the violations file");
    assert!(
        text.contains("\"credentials\""),
        "the unsigned request is still reported: {text}"
    );
}

/// The proxy's resident memory, from /proc (Linux), in bytes.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

/// What the proxy may hold with 32 clients pinning nearly complete 8 MiB bodies: the
/// default 64 MiB body budget plus the process itself (about 25 MB) and slack. Before
/// the budget it reached 281 MB.
const RSS_BOUND: u64 = 160 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn pinned_large_bodies_keep_memory_bounded_and_an_oversized_length_is_413_at_once() {
    let (up, seen) = start_upstream().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let mut args = proxy_args(up, &file);
    args.extend(["--body-timeout".into(), "30".into()]);
    let proxy = start_proxy(&as_strs(&args)).expect("starts");
    let addr = proxy.addr();

    // A declared length of 10^12: answered at once, nothing read.
    let mut stream = TcpStream::connect(&addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    let head = format!(
        "POST /v3/{PROJECT}/tracker HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000000000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("writes");
    let mut answer = [0u8; 12];
    stream
        .read_exact(&mut answer)
        .expect("an answer without the body");
    assert_eq!(&answer, b"HTTP/1.1 413");

    // 32 clients each send all but the last byte of an 8 MiB body, then wait.
    const LENGTH: usize = 8 * 1024 * 1024;
    let pinned: Vec<_> = (0..32)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(&addr).expect("connects");
                let head = format!(
                    "POST /v3/{PROJECT}/tracker HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {LENGTH}\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes());
                // Refused ones (no budget left: 503) are closed: the write fails.
                let _ = stream.write_all(&vec![b' '; LENGTH - 1]);
                stream
            })
        })
        .collect();
    let streams: Vec<TcpStream> = pinned
        .into_iter()
        .map(|t| t.join().expect("a writer"))
        .collect();
    let pid = proxy.child.id();
    let rss = rss_bytes(pid);
    eprintln!(
        "proxy RSS with 32 pinned 8 MiB bodies: {} MB",
        rss / 1_000_000
    );
    assert!(rss < RSS_BOUND, "{rss} bytes");
    drop(streams);
    assert_eq!(seen.lock().expect("lock").len(), 1, "nothing forwarded");
    proxy.stop();
}
