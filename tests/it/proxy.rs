//! `cts-conform proxy` (issue 18): in front of a small upstream that answers
//! `create_time` as a string, the client gets the upstream's answer byte for byte and
//! the violations file names `/create_time` and the schema rule; requests are
//! re-signed for the upstream's host (the upstream verifies them); the client's own
//! signing faults are reported; no secret is written or printed.

use crate::signed;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use cts_conform::auth::{self, Credentials, RequestParts, SecretString};
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, Token};
use cts_conform::proxy::{self, ProxyConfig, UpstreamAuth};
use cts_conform::violations::sink::SinkLimits;
use cts_conform::violations::ViolationSink;
use serde_json::Value;
use signed::{send, send_signed, signed_headers, AK, PROJECT, SK};
use time::OffsetDateTime;

const BINARY: &str = env!("CARGO_BIN_EXE_cts-conform");

/// What the test upstream answers to a correctly signed request: a valid 201 body but
/// for `create_time`, a string; odd spacing to see that nothing re-serialises it.
const UPSTREAM_BODY: &str = "{\"id\": \"4c1e0000-0000-4000-8000-000000000001\",  \"create_time\": \"1587958482923\", \"tracker_type\": \"system\", \"tracker_name\": \"system\", \"domain_id\": \"c7f0e5a1d2b34c6f8e9a0b1c2d3e4f5a\", \"project_id\": \"0123456789abcdef0123456789abcdef\", \"status\": \"enabled\",\n \"obs_info\": {\"bucket_name\": \"obs-bucket\", \"file_prefix_name\": \"\", \"is_obs_created\": false, \"compress_type\": \"gzip\", \"is_sort_by_service\": true}, \"is_support_validate\": false, \"lts\": {\"is_lts_enabled\": false, \"log_group_name\": \"CTS\", \"log_topic_name\": \"system-trace\"}}";

/// The upstream: verifies the AK/SK signature for its own host, then answers
/// [`UPSTREAM_BODY`] (401 when the signature does not verify).
async fn upstream(State(creds): State<Arc<Credentials>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    let verified = auth::verify(
        &request,
        |ak| (ak == creds.ak).then_some(&*creds),
        OffsetDateTime::now_utc(),
        time::Duration::minutes(15),
    );
    let mut response = match verified {
        Ok(_) => {
            let mut r = Response::new(Body::from(UPSTREAM_BODY));
            *r.status_mut() = StatusCode::CREATED;
            r
        }
        Err(e) => {
            let mut r = Response::new(Body::from(format!(
                "{{\"error_code\": \"APIGW.0301\", \"error_msg\": {:?}}}",
                e.to_string()
            )));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
    };
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert(
        "x-request-id",
        HeaderValue::from_static("upstream-request-1"),
    );
    h.insert("x-upstream-marker", HeaderValue::from_static("kept"));
    response
}

async fn start_upstream() -> SocketAddr {
    let creds = Arc::new(Credentials::new(AK, SK));
    let app = axum::Router::new().fallback(upstream).with_state(creds);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn records(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("the violations file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn passes_the_answer_back_byte_for_byte_and_reports_its_schema_violation() {
    let up = start_upstream().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let mut child = Command::new(BINARY)
        .args([
            "proxy",
            "--upstream",
            &format!("http://{up}"),
            "--listen",
            "127.0.0.1:0",
            "--project-id",
            PROJECT,
        ])
        .args(["--ak", AK, "--sk", SK, "--violations"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("proxy starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut printed = String::new();
    let mut base = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("reads") > 0 {
        printed.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            base = url.to_owned();
            break;
        }
        line.clear();
    }
    assert!(base.starts_with("http://"), "{printed}");

    // Signed by the client for the proxy's host: only a re-signed request verifies upstream.
    let url = format!("{base}/v3/{PROJECT}/tracker");
    let body = br#"{"tracker_type": "system", "tracker_name": "system"}"#;
    let headers = signed_headers("POST", &url, body, &[], OffsetDateTime::now_utc(), SK);
    let (status, answer_headers, answer) = send("POST", &url, &headers, body).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(answer, UPSTREAM_BODY.as_bytes());
    let header = |name: &str| {
        answer_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("x-upstream-marker"), Some("kept"));
    assert_eq!(header("content-type"), Some("application/json"));

    let found = records(&file);
    assert_eq!(found.len(), 1, "{found:#?}");
    let v = &found[0];
    assert_eq!(v["direction"], "response");
    assert_eq!(v["pointer"], "/create_time");
    assert_eq!(v["rule"], "type");
    assert_eq!(v["value"], "1587958482923");
    assert_eq!(v["operation"], "CreateTracker");
    assert_eq!(v["request_id"], "upstream-request-1");
    assert!(
        v["doc_row"]
            .as_str()
            .is_some_and(|r| r.contains("create-tracker")),
        "{v}"
    );

    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    stderr.read_to_string(&mut printed).expect("reads");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut stdout)
        .expect("reads");
    let _ = child.wait();
    assert!(printed.contains("violations: 1"), "{printed}");
    assert!(
        printed.contains("response") && printed.contains("CreateTracker"),
        "{printed}"
    );
    let text = std::fs::read_to_string(&file).expect("file");
    for output in [&text, &printed, &stdout] {
        assert!(!output.contains(SK), "{output}");
        assert!(!output.contains("Signature="), "{output}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_front_of_the_emulator_requests_are_re_signed_and_client_faults_reported() {
    let policy = AuthPolicy::new(
        vec![Account {
            credentials: Credentials::new(AK, SK),
            project_id: PROJECT.to_owned(),
        }],
        vec![],
    )
    .expect("a policy");
    let config = EmulatorConfig {
        auth: Some(policy),
        ..EmulatorConfig::default()
    };
    let emulator = emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("emulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let sink = ViolationSink::append(&file, [SK], SinkLimits::default()).expect("sink");
    let proxy = proxy::start(
        ProxyConfig::new(
            emulator.base_url(),
            Some(PROJECT.into()),
            UpstreamAuth::AkSk(Credentials::new(AK, SK)),
            Some(sink),
        ),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("proxy starts");
    let base = format!("{}/v3/{PROJECT}", proxy.base_url());

    let body = br#"{"tracker_type": "system", "tracker_name": "system"}"#;
    assert_eq!(
        send_signed("POST", &format!("{base}/tracker"), body)
            .await
            .0,
        201
    );
    let (status, list) =
        send_signed("GET", &format!("{base}/trackers?tracker_type=system"), b"").await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_slice(&list).expect("JSON");
    assert_eq!(list["trackers"][0]["tracker_name"], "system");
    assert_eq!(
        records(&file),
        Vec::<Value>::new(),
        "correct requests leave none"
    );

    // A client signing with a wrong SK: refused as the gateway would, its fault reported.
    let url = format!("{base}/quotas");
    let headers = signed_headers(
        "GET",
        &url,
        b"",
        &[],
        OffsetDateTime::now_utc(),
        "wrong-secret-key",
    );
    let (status, _, answer) = send("GET", &url, &headers, b"").await;
    assert_eq!(status, 401);
    let answer: Value = serde_json::from_slice(&answer).expect("JSON");
    assert_eq!(answer["error_code"], "APIGW.0301");
    let found = records(&file);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["rule"], "signature");
    assert_eq!(found[0]["direction"], "request");
    assert_eq!(found[0]["operation"], "ListQuotas");
    proxy.shutdown().await;
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_token_the_proxy_sends_its_own() {
    const TOKEN: &str = "MIIproxy-test-token-0001";
    let policy = AuthPolicy::new(
        vec![],
        vec![Token {
            token: SecretString::new(TOKEN),
            project_id: PROJECT.to_owned(),
        }],
    )
    .expect("a policy");
    let emulator = emulator::start(
        EmulatorConfig {
            auth: Some(policy),
            ..EmulatorConfig::default()
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("emulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let proxy = proxy::start(
        ProxyConfig::new(
            emulator.base_url(),
            Some(PROJECT.into()),
            UpstreamAuth::Token(SecretString::new(TOKEN)),
            Some(ViolationSink::append(&file, [TOKEN], SinkLimits::default()).expect("sink")),
        ),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("proxy starts");
    let url = format!("{}/v3/{PROJECT}/quotas", proxy.base_url());
    let client_token = vec![("X-Auth-Token".to_owned(), TOKEN.to_owned())];
    assert_eq!(send("GET", &url, &client_token, b"").await.0, 200);
    assert_eq!(records(&file), Vec::<Value>::new());
    // Another token, or none: refused, never forwarded.
    let other_token = vec![("X-Auth-Token".to_owned(), "client-own-token".to_owned())];
    assert_eq!(send("GET", &url, &other_token, b"").await.0, 401);
    assert_eq!(records(&file).len(), 1);
    // Without any credentials the client breaks a rule, and is refused.
    assert_eq!(send("GET", &url, &[], b"").await.0, 401);
    let found = records(&file);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[1]["rule"], "credentials");
    assert!(!std::fs::read_to_string(&file)
        .expect("file")
        .contains(TOKEN));
    proxy.shutdown().await;
    emulator.shutdown().await;
}
