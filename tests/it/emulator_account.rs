//! `cts-conform serve` as a real account (issue 14): the bucket rules (CTS.0211,
//! CTS.0209, CTS.0213), a data tracker's status change without data_bucket, the
//! gateway's 401 and 429 answers, preloaded trackers, `--cloud`, and the help text.
//! Each test starts the built binary with the flags it probes and talks HTTP to it.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use cts_conform::contract::Contract;
use cts_conform::http::client::http_client_builder;
use reqwest::Method;
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_cts-conform");
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// A `serve` process on a free port; killed when dropped.
struct Serve {
    child: Child,
    base_url: String,
    client: reqwest::Client,
}

impl Serve {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut printed = String::new();
        let base_url = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("serve stopped before listening:\n{printed}");
            };
            printed.push_str(&line);
            printed.push('\n');
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            base_url,
            client: http_client_builder().build().expect("a client"),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send_with(method, path, body, &[]).await
    }

    async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}/v3/{PROJECT}/{path}", self.base_url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the emulator answers");
        let status = response.status().as_u16();
        let server = response
            .headers()
            .get("server")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.expect("a body").to_vec();
        Answer {
            status,
            server,
            body,
        }
    }

    async fn create(&self, body: Value) -> Answer {
        self.send(Method::POST, "tracker", Some(body)).await
    }

    async fn update(&self, body: Value) -> Answer {
        self.send(Method::PUT, "tracker", Some(body)).await
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Answer {
    status: u16,
    server: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts status and, for an error, the error code.
    fn expect(&self, status: u16, code: Option<&str>) -> &Self {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        if let Some(code) = code {
            assert_eq!(self.json()["error_code"], code, "{:?}", self.json());
        }
        self
    }
}

fn data_tracker(name: &str, bucket: &str, events: Option<&[&str]>) -> Value {
    let mut data_bucket = json!({"data_bucket_name": bucket});
    if let Some(events) = events {
        data_bucket["data_event"] = json!(events);
    }
    json!({"tracker_type": "data", "tracker_name": name, "data_bucket": data_bucket})
}

const LISTED: [&str; 6] = [
    "--bucket", "bucket-a", "--bucket", "bucket-b", "--bucket", "bucket-o",
];

#[tokio::test(flavor = "multi_thread")]
async fn listed_buckets_exist_and_others_do_not() {
    let serve = Serve::start(&LISTED);
    serve
        .create(data_tracker("t0", "bucket-z", None))
        .await
        .expect(400, Some("CTS.0211"));
    let mut absent_transfer = data_tracker("t0", "bucket-a", None);
    absent_transfer["obs_info"] = json!({"bucket_name": "bucket-new", "is_obs_created": false});
    serve
        .create(absent_transfer.clone())
        .await
        .expect(400, Some("CTS.0211"));
    // is_obs_created: true creates the transfer bucket...
    absent_transfer["obs_info"]["is_obs_created"] = json!(true);
    serve.create(absent_transfer).await.expect(201, None);
    // ...which then exists for everyone.
    let mut reuse = data_tracker("t1", "bucket-b", None);
    reuse["obs_info"] = json!({"bucket_name": "bucket-new"});
    serve.create(reuse).await.expect(201, None);
    // A management tracker's transfer bucket must exist too.
    serve
        .create(json!({"tracker_type": "system", "obs_info": {"bucket_name": "bucket-y"}}))
        .await
        .expect(400, Some("CTS.0211"));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_tracker_per_bucket_operation_and_tracked_is_not_transfer() {
    let serve = Serve::start(&LISTED);
    let first = serve
        .create(data_tracker("r1", "bucket-a", Some(&["READ"])))
        .await
        .expect(201, None)
        .json();
    serve
        .create(data_tracker("r2", "bucket-a", Some(&["READ"])))
        .await
        .expect(400, Some("CTS.0209"));
    serve
        .create(data_tracker("w1", "bucket-a", Some(&["WRITE"])))
        .await
        .expect(201, None);
    // No data_event means both operations.
    serve
        .create(data_tracker("x1", "bucket-a", None))
        .await
        .expect(400, Some("CTS.0209"));
    let mut same = data_tracker("s1", "bucket-b", None);
    same["obs_info"] = json!({"bucket_name": "bucket-b"});
    serve.create(same).await.expect(400, Some("CTS.0213"));

    // UpdateTracker respects both rules.
    serve
        .update(json!({"tracker_type": "data", "tracker_name": "w1",
                       "data_bucket": {"data_event": ["READ", "WRITE"]}}))
        .await
        .expect(400, Some("CTS.0209"));
    serve
        .update(json!({"tracker_type": "data", "tracker_name": "r1",
                       "obs_info": {"bucket_name": "bucket-a"}}))
        .await
        .expect(400, Some("CTS.0213"));
    // Once r1 is gone, its operation is free again.
    serve
        .send(Method::DELETE, "trackers?tracker_name=r1", None)
        .await
        .expect(204, None);
    serve
        .create(data_tracker("r2", "bucket-a", Some(&["READ"])))
        .await
        .expect(201, None);

    // The 201 body carries the SDK's CreateTrackerResponse fields and conforms.
    for field in [
        "lts",
        "is_organization_tracker",
        "is_support_trace_files_encryption",
        "data_bucket",
    ] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }
    let violations = Contract::embedded()
        .validate("CreateTrackerResponseBody", &first)
        .expect("the schema exists");
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_trackers_status_change_carries_data_bucket() {
    let serve = Serve::start(&LISTED);
    serve
        .create(data_tracker("d1", "bucket-a", Some(&["WRITE"])))
        .await
        .expect(201, None);
    serve
        .update(json!({"tracker_type": "data", "tracker_name": "d1", "status": "disabled"}))
        .await
        .expect(400, Some("CTS.0003"));
    let listed = serve
        .send(Method::GET, "trackers?tracker_name=d1", None)
        .await
        .json();
    assert_eq!(listed["trackers"][0]["status"], "enabled", "{listed}");
    serve
        .update(
            json!({"tracker_type": "data", "tracker_name": "d1", "status": "disabled",
                       "data_bucket": {"data_bucket_name": "bucket-a", "data_event": ["WRITE"]}}),
        )
        .await
        .expect(200, None);
    // Other changes of a data tracker, and the management tracker's status, need none.
    serve
        .update(json!({"tracker_type": "data", "tracker_name": "d1",
                       "obs_info": {"file_prefix_name": "p"}}))
        .await
        .expect(200, None);
    serve
        .create(json!({"tracker_type": "system"}))
        .await
        .expect(201, None);
    serve
        .update(json!({"tracker_type": "system", "status": "disabled"}))
        .await
        .expect(200, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_errors_answer_401_as_the_gateway() {
    let auth = [
        "--ak",
        "AKGATEWAY",
        "--sk",
        "SKgatewaySKgateway01",
        "--project-id",
        PROJECT,
    ];
    let gateway = Serve::start(&[&auth[..], &["--gateway-errors"]].concat());
    let answer = gateway.send(Method::GET, "trackers", None).await;
    answer.expect(401, Some("APIGW.0301"));
    assert_eq!(answer.server.as_deref(), Some("api-gateway"));
    let body = answer.json();
    let request_id = body["request_id"].as_str().expect("a request_id");
    assert!(
        request_id.len() == 32 && request_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{request_id}"
    );
    assert!(body["error_msg"]
        .as_str()
        .is_some_and(|m| m.starts_with("Incorrect IAM authentication information")));
    assert!(!answer.body.windows(8).any(|w| w == b"SKgatewa"));

    // Without the switch, 401 stays CTS's own.
    let plain = Serve::start(&auth);
    let answer = plain.send(Method::GET, "trackers", None).await;
    answer.expect(401, Some("CTS.0002"));
    assert_ne!(answer.server.as_deref(), Some("api-gateway"));
    assert!(answer.json().get("request_id").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_past_the_rate_limit_is_throttled_by_the_gateway() {
    let serve = std::sync::Arc::new(Serve::start(&["--rate-limit", "50"]));
    let burst: Vec<_> = (0..200)
        .map(|_| {
            let serve = serve.clone();
            tokio::spawn(async move { serve.send(Method::GET, "quotas", None).await })
        })
        .collect();
    let (mut passed, mut throttled) = (0, 0);
    for request in burst {
        let answer = request.await.expect("the request task ends");
        match answer.status {
            200 => passed += 1,
            429 => {
                throttled += 1;
                assert_eq!(answer.json()["error_code"], "APIGW.0308");
                assert!(answer.json()["request_id"].is_string());
                assert_eq!(answer.server.as_deref(), Some("api-gateway"));
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(throttled > 0, "nothing was throttled ({passed} passed)");
    assert!(passed >= 50, "only {passed} passed");
    // Another credential has its own budget.
    serve
        .send_with(Method::GET, "quotas", None, &[("x-auth-token", "other")])
        .await
        .expect(200, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn preloaded_trackers_are_listed_byte_for_byte() {
    // A tracker as the emulator lists it, and one as a real account might, with
    // fields the emulator does not know, pretty-printed.
    let source = Serve::start(&[]);
    source
        .create(
            json!({"tracker_type": "system", "obs_info": {"bucket_name": "bucket-o",
                       "file_prefix_name": "x"}, "is_lts_enabled": true}),
        )
        .await
        .expect(201, None);
    let listed = source.send(Method::GET, "trackers", None).await;
    let listed_text = String::from_utf8(listed.body.clone()).expect("UTF-8");
    let management = listed_text
        .strip_prefix(r#"{"trackers":["#)
        .and_then(|rest| rest.strip_suffix("]}"))
        .expect("one tracker listed")
        .to_owned();
    let foreign = r#"{
        "id": "5a0e6c2e-1111-4c3f-9a6b-0f0e0d0c0b0a", "create_time": 1700000000000,
        "tracker_type": "data", "tracker_name": "from cloud", "status": "disabled",
        "domain_id": "d", "project_id": "0123456789abcdef0123456789abcdef",
        "data_bucket": {"data_bucket_name": "bucket-a", "data_event": ["READ"], "search_enabled": true},
        "group_id": "g-1", "stream_id": "s 2"
    }"#;
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    let text = format!(r#"{{"{PROJECT}": {{"trackers": [{management}, {foreign}]}}}}"#);
    std::fs::write(file.path(), text).expect("written");
    let path = file.path().to_str().expect("UTF-8 path");

    let serve = Serve::start(&["--preload", path]);
    let answer = serve.send(Method::GET, "trackers", None).await;
    let expected = format!(
        r#"{{"trackers":[{management},{}]}}"#,
        cts_conform::emulator::preload::compact(foreign)
    );
    assert_eq!(String::from_utf8_lossy(&answer.body), expected);
    // The account rules see preloaded trackers: READ of bucket-a is taken.
    serve
        .create(data_tracker("r1", "bucket-a", Some(&["READ"])))
        .await
        .expect(400, Some("CTS.0209"));
    // Once updated, a preloaded tracker is rendered like any other.
    serve
        .update(
            json!({"tracker_type": "data", "tracker_name": "from cloud", "status": "enabled",
                       "data_bucket": {"data_bucket_name": "bucket-a"}}),
        )
        .await
        .expect(200, None);
    let after = serve
        .send(Method::GET, "trackers?tracker_name=from%20cloud", None)
        .await
        .json();
    assert_eq!(after["trackers"][0]["status"], "enabled");
    assert!(after["trackers"][0].get("group_id").is_none(), "{after}");
}

#[test]
fn a_bad_preload_file_is_a_usage_error_naming_file_and_reason() {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(
        file.path(),
        r#"{"p": {"trackers": [{"id": "1", "tracker_type": "data", "tracker_name": "a"}]}}"#,
    )
    .expect("written");
    let path = file.path().to_str().expect("UTF-8 path");
    for (file_arg, reason) in [
        (
            path,
            "project \"p\", tracker 1: a data tracker needs data_bucket",
        ),
        ("/nonexistent/preload.json", "No such file"),
    ] {
        let output = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--preload", file_arg])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(file_arg), "{stderr}");
        assert!(stderr.contains(reason), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_is_like_a_real_account() {
    let serve = Serve::start(&["--cloud", "--token", &format!("T-cloud:{PROJECT}")]);
    let token = [("x-auth-token", "T-cloud")];
    let listed = serve
        .send_with(Method::GET, "trackers", None, &token)
        .await
        .expect(200, None)
        .json();
    assert_eq!(listed["trackers"][0]["tracker_name"], "system", "{listed}");
    let quotas = serve
        .send_with(Method::GET, "quotas", None, &token)
        .await
        .json();
    let types: BTreeSet<&str> = quotas["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    assert!(types.contains("smn_notification"), "{quotas}");
    serve
        .send(Method::GET, "trackers", None)
        .await
        .expect(401, Some("APIGW.0301"));
    // Every valid bucket name exists without --bucket.
    serve
        .send_with(
            Method::POST,
            "tracker",
            Some(data_tracker("c1", "any-bucket", None)),
            &token,
        )
        .await
        .expect(201, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_serve_lists_only_the_documented_quota_types() {
    let serve = Serve::start(&[]);
    let quotas = serve.send(Method::GET, "quotas", None).await.json();
    assert_eq!(
        quotas["resources"].as_array().map(Vec::len),
        Some(2),
        "{quotas}"
    );
}

#[test]
fn serve_help_describes_every_switch() {
    let output = Command::new(BINARY)
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    for (flag, says) in [
        ("--bucket", "CTS.0211"),
        ("--preload", "ListTrackers' shape"),
        ("--rate-limit", "APIGW.0308"),
        ("--gateway-errors", "APIGW.0301"),
        ("--cloud", "real account"),
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
        assert!(help.contains(says), "{says} missing:\n{help}");
    }
}
