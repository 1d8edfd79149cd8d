//! `serve --violations FILE` and `serve --strict-requests` (issue 18): raw requests
//! that break one rule of the contract's request side each leave exactly that
//! violation, at the right pointer; a correct request leaves none; strict mode
//! answers 400; the summary comes at shutdown; no secret is written or printed.

use crate::signed;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, Stdio};

use serde_json::{json, Value};
use signed::{send, send_signed, signed_headers, AK, PROJECT, SK};
use time::{Duration, OffsetDateTime};

const BINARY: &str = env!("CARGO_BIN_EXE_cts-conform");

/// A `serve` with one account and a violations file, on a free port.
struct Serve {
    child: Child,
    stderr: BufReader<ChildStderr>,
    base: String,
    file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("violations.jsonl");
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--ak", AK, "--sk", SK])
            .args(["--project-id", PROJECT, "--violations"])
            .arg(&file)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut base = String::new();
        let mut line = String::new();
        while stderr.read_line(&mut line).expect("reads stderr") > 0 {
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                base = url.to_owned();
                break;
            }
            line.clear();
        }
        assert!(base.starts_with("http://"), "serve did not start: {line}");
        Serve {
            child,
            stderr,
            base,
            file,
            _dir: dir,
        }
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/v3/{PROJECT}{rest}", self.base)
    }

    fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.file)
            .expect("the violations file exists")
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }

    /// Stops it with SIGINT and returns what it printed after starting.
    fn stop(mut self) -> String {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("reads stderr");
        let _ = self.child.wait();
        rest
    }
}

/// The only record; fails when there is none or more than one.
fn only(records: &[Value]) -> &Value {
    assert_eq!(records.len(), 1, "{records:#?}");
    &records[0]
}

async fn post_body(serve: &Serve, method: &str, path: &str, body: Value) -> u16 {
    let bytes = serde_json::to_vec(&body).expect("JSON");
    send_signed(method, &serve.url(path), &bytes).await.0
}

#[tokio::test(flavor = "multi_thread")]
async fn misspelt_agency_name_is_an_unknown_key_at_its_pointer() {
    let serve = Serve::start(&[]);
    let body = json!({"tracker_type": "data", "tracker_name": "tf-data",
        "aegncy_name": "cts_admin_trust", "data_bucket": {"data_bucket_name": "bucket-a"}});
    // The emulator still answers as it would (no such tracker: 404).
    assert_eq!(post_body(&serve, "PUT", "/tracker", body).await, 404);
    let records = serve.records();
    let v = only(&records);
    assert_eq!(v["pointer"], "/aegncy_name");
    assert_eq!(v["rule"], "additionalProperties");
    assert_eq!(v["location"], "body");
    assert_eq!(v["operation"], "UpdateTracker");
    assert_eq!(v["direction"], "request");
    assert_eq!(v["value"], "cts_admin_trust");
    assert!(
        v["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{v}"
    );
    assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{v}");
    serve.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn upper_case_compress_type_is_an_enum_violation_with_its_doc_row() {
    let serve = Serve::start(&[]);
    let body = json!({"tracker_type": "system", "tracker_name": "system",
        "obs_info": {"bucket_name": "obs-bucket", "compress_type": "GZIP"}});
    post_body(&serve, "POST", "/tracker", body).await;
    let records = serve.records();
    let v = only(&records);
    assert_eq!(v["pointer"], "/obs_info/compress_type");
    assert_eq!(v["rule"], "enum");
    assert_eq!(v["value"], "GZIP");
    assert_eq!(
        v["doc_row"],
        "create-tracker: TrackerObsInfo / compress_type"
    );
    assert_eq!(v["operation"], "CreateTracker");
    serve.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_tracker_type_is_a_required_key_at_its_pointer() {
    let serve = Serve::start(&[]);
    post_body(
        &serve,
        "POST",
        "/tracker",
        json!({"tracker_name": "system"}),
    )
    .await;
    let records = serve.records();
    let v = only(&records);
    assert_eq!(v["pointer"], "/tracker_type");
    assert_eq!(v["rule"], "required");
    assert_eq!(v["value"], Value::Null);
    serve.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_json_type_is_a_type_violation() {
    let serve = Serve::start(&[]);
    let body =
        json!({"tracker_type": "system", "tracker_name": "system", "is_lts_enabled": "true"});
    post_body(&serve, "POST", "/tracker", body).await;
    let records = serve.records();
    let v = only(&records);
    assert_eq!(v["pointer"], "/is_lts_enabled");
    assert_eq!(v["rule"], "type");
    assert_eq!(v["value"], "true");
    serve.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_header_sent_but_not_signed_is_reported_by_name() {
    let serve = Serve::start(&[]);
    let url = serve.url("/trackers?tracker_type=data");
    for (n, left_out) in ["content-type", "x-project-id", "host"]
        .into_iter()
        .enumerate()
    {
        let headers = signed_headers("GET", &url, b"", &[left_out], OffsetDateTime::now_utc(), SK);
        let (status, _, _) = send("GET", &url, &headers, b"").await;
        // The signature over the other headers verifies: the emulator answers as usual.
        assert_eq!(status, 200, "{left_out}");
        let records = serve.records();
        assert_eq!(records.len(), n + 1, "{records:#?}");
        let v = &records[n];
        assert_eq!(v["rule"], "unsigned-header", "{v}");
        assert_eq!(v["location"], "header");
        assert_eq!(v["pointer"], format!("/{left_out}"));
        assert_eq!(v["operation"], "ListTrackers");
    }
    serve.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_skewed_date_and_a_body_changed_after_signing_are_reported() {
    let serve = Serve::start(&[]);
    let url = serve.url("/quotas");
    let old = OffsetDateTime::now_utc() - Duration::minutes(20);
    let headers = signed_headers("GET", &url, b"", &[], old, SK);
    assert_eq!(send("GET", &url, &headers, b"").await.0, 401);
    let records = serve.records();
    let v = only(&records);
    assert_eq!(v["rule"], "sdk-date-skew");
    assert_eq!(v["pointer"], "/x-sdk-date");

    let url = serve.url("/tracker");
    let signed_body = br#"{"tracker_type": "system", "tracker_name": "system"}"#;
    let sent_body = br#"{"tracker_type": "system", "tracker_name": "system" }"#;
    let headers = signed_headers(
        "POST",
        &url,
        signed_body,
        &[],
        OffsetDateTime::now_utc(),
        SK,
    );
    assert_eq!(send("POST", &url, &headers, sent_body).await.0, 401);
    let records = serve.records();
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[1]["rule"], "signature");
    serve.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn correct_requests_leave_none_and_no_secret_is_written() {
    let serve = Serve::start(&[]);
    let create = json!({"tracker_type": "data", "tracker_name": "ok-data",
        "data_bucket": {"data_bucket_name": "bucket-a", "data_event": ["READ"]},
        "obs_info": {"bucket_name": "obs-bucket", "compress_type": "gzip"}});
    assert_eq!(post_body(&serve, "POST", "/tracker", create).await, 201);
    let url = serve.url("/trackers?tracker_name=ok-data&tracker_type=data");
    assert_eq!(send_signed("GET", &url, b"").await.0, 200);
    assert_eq!(send_signed("GET", &serve.url("/quotas"), b"").await.0, 200);
    let update = json!({"tracker_type": "data", "tracker_name": "ok-data", "status": "disabled",
        "data_bucket": {"data_bucket_name": "bucket-a", "data_event": ["WRITE"]}});
    assert_eq!(post_body(&serve, "PUT", "/tracker", update).await, 200);
    assert_eq!(send_signed("DELETE", &url, b"").await.0, 204);
    assert_eq!(serve.records(), Vec::<Value>::new());
    // One violation, then the summary and the file must not show a secret.
    post_body(
        &serve,
        "POST",
        "/tracker",
        json!({"tracker_name": "system"}),
    )
    .await;
    let text = std::fs::read_to_string(&serve.file).expect("file");
    let printed = serve.stop();
    assert!(printed.contains("violations: 1"), "{printed}");
    assert!(
        printed.contains("CreateTracker") && printed.contains("required"),
        "{printed}"
    );
    for secret in [SK, "Signature="] {
        assert!(
            !text.contains(secret) && !printed.contains(secret),
            "{secret}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_requests_answers_400_with_the_violation() {
    let serve = Serve::start(&["--strict-requests"]);
    let body = json!({"tracker_type": "system", "tracker_name": "system", "aegncy_name": "x"});
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let (status, answer) = send_signed("POST", &serve.url("/tracker"), &bytes).await;
    assert_eq!(status, 400);
    let answer: Value = serde_json::from_slice(&answer).expect("a CTS error body");
    assert_eq!(answer["error_code"], "CTS.0003");
    let message = answer["error_msg"].as_str().expect("error_msg");
    assert!(
        message.contains("/aegncy_name") && message.contains("additionalProperties"),
        "{message}"
    );
    // The request never reached the store.
    let (status, list) = send_signed("GET", &serve.url("/trackers"), b"").await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_slice(&list).expect("JSON");
    assert_eq!(list["trackers"], json!([]));
    // A correct request is answered as usual.
    let ok = br#"{"tracker_type": "system", "tracker_name": "system"}"#;
    assert_eq!(send_signed("POST", &serve.url("/tracker"), ok).await.0, 201);
    assert_eq!(serve.records().len(), 1);
    serve.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_requests_authenticates_first_then_judges() {
    let serve = Serve::start(&["--strict-requests"]);
    let url = serve.url("/tracker");
    let body = br#"{"tracker_type": "system", "tracker_name": "system", "aegncy_name": "x"}"#;
    // Unsigned, and signed with a wrong SK: 401 as without --strict-requests, not 400.
    let wrong = signed_headers(
        "POST",
        &url,
        body,
        &[],
        OffsetDateTime::now_utc(),
        "wrong-sk",
    );
    for (what, headers) in [("unsigned", Vec::new()), ("wrong SK", wrong)] {
        let (status, _, answer) = send("POST", &url, &headers, body).await;
        assert_eq!(status, 401, "{what}: {}", String::from_utf8_lossy(&answer));
        let answer: Value = serde_json::from_slice(&answer).expect("a CTS error body");
        assert_eq!(answer["error_code"], "CTS.0002", "{what}");
    }
    // Authenticated: judged, 400.
    assert_eq!(send_signed("POST", &url, body).await.0, 400);
    serve.stop();
}

#[test]
fn sigterm_prints_the_summary() {
    let serve = Serve::start(&[]);
    let pid = libc::pid_t::try_from(serve.child.id()).expect("a pid");
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let Serve {
        mut child,
        mut stderr,
        ..
    } = serve;
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("reads stderr");
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status:?}: {rest}");
    assert!(rest.contains("shutting down"), "{rest}");
    assert!(rest.contains("violations: 0"), "{rest}");
}
