//! The reference emulator through HTTP: each operation, each rule and error code,
//! response bodies validated against the contract (`schemas/cts-v3.openapi.json`),
//! robustness against crafted bad requests, and concurrency.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cts_conform::contract::Contract;
use cts_conform::emulator::{self, EmulatorConfig, RunningEmulator};
use cts_conform::http::client::http_client_builder;
use reqwest::Method;
use serde_json::{json, Value};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const LOOPBACK: &str = "127.0.0.1:0";

// ---------------------------------------------------------------- contract helper

/// Panics with every violation when `body` does not validate against the
/// contract's `components/schemas/{schema}` (the embedded `schemas/cts-v3.openapi.json`).
fn assert_matches_schema(schema: &str, body: &Value) {
    let violations = Contract::embedded()
        .validate(schema, body)
        .unwrap_or_else(|| panic!("the contract has no schema {schema}"));
    let shown: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        shown.is_empty(),
        "body does not match {schema}: {shown:#?}\nbody: {body:#}"
    );
}

/// Panics unless `answer`'s status is one the operation documents and its body
/// matches that status's schema (a response without a schema is not checked).
fn assert_conforms(operation_id: &str, answer: &Answer) {
    let operation = Contract::embedded()
        .operation(operation_id)
        .unwrap_or_else(|| panic!("the contract has no operation {operation_id}"));
    let spec = operation
        .response(answer.status)
        .unwrap_or_else(|| panic!("{operation_id} does not document status {}", answer.status));
    if let Some(schema) = &spec.schema {
        assert_matches_schema(schema, &answer.json());
    }
}

#[test]
fn schema_helper_can_fail() {
    let bad = json!({"error_code": "XYZ", "error_msg": 1});
    let result = std::panic::catch_unwind(|| assert_matches_schema("ErrorResponseBody", &bad));
    assert!(result.is_err(), "a wrong error body must be refused");
}

// ---------------------------------------------------------------- HTTP helpers

struct Emulator {
    running: RunningEmulator,
    client: reqwest::Client,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "status {}: body is not JSON ({error}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The checks every answer must pass: a UUID `X-Request-Id`; JSON bodies are
    /// declared as JSON; never a 5xx.
    fn assert_common(&self) {
        let request_id = self.header("x-request-id").expect("X-Request-Id header");
        uuid::Uuid::parse_str(request_id).expect("X-Request-Id is a UUID");
        assert!(self.status < 500, "a 5xx: {}", self.status);
        if !self.body.is_empty() {
            let content_type = self.header("content-type").unwrap_or_default();
            assert!(
                content_type.starts_with("application/json"),
                "content type {content_type:?}"
            );
        }
    }

    /// A CTS error with this status and code, whose body matches `ErrorResponseBody`.
    fn assert_error(&self, status: u16, code: &str) {
        self.assert_common();
        let body = self.json();
        assert_eq!(
            (self.status, body["error_code"].as_str()),
            (status, Some(code)),
            "body: {body}"
        );
        assert_matches_schema("ErrorResponseBody", &body);
    }

    /// Success with this status; the body (if the schema is named) matches it.
    fn assert_success(&self, status: u16, schema: Option<&str>) -> Value {
        self.assert_common();
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        match schema {
            Some(schema) => {
                let body = self.json();
                assert_matches_schema(schema, &body);
                body
            }
            None => {
                assert!(self.body.is_empty(), "expected an empty body");
                Value::Null
            }
        }
    }
}

impl Emulator {
    async fn start() -> Self {
        Self::start_with(EmulatorConfig::default()).await
    }

    async fn start_with(config: EmulatorConfig) -> Self {
        let listen: SocketAddr = LOOPBACK.parse().expect("address");
        let running = emulator::start(config, listen).await.expect("start");
        Self {
            running,
            client: http_client_builder().build().expect("a client"),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<String>) -> Answer {
        let url = format!("{}{path}", self.running.base_url());
        let mut request = self
            .client
            .request(method, url)
            .header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("send");
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("body").to_vec(),
        }
    }

    async fn create(&self, body: &Value) -> Answer {
        self.create_raw(&body.to_string()).await
    }

    async fn create_raw(&self, body: &str) -> Answer {
        let path = format!("/v3/{PROJECT}/tracker");
        let answer = self.send(Method::POST, &path, Some(body.to_owned())).await;
        assert_conforms("CreateTracker", &answer);
        answer
    }

    async fn update(&self, body: &Value) -> Answer {
        let path = format!("/v3/{PROJECT}/tracker");
        let answer = self.send(Method::PUT, &path, Some(body.to_string())).await;
        assert_conforms("UpdateTracker", &answer);
        answer
    }

    async fn list(&self, query: &str) -> Answer {
        self.list_in(PROJECT, query).await
    }

    async fn list_in(&self, project: &str, query: &str) -> Answer {
        let path = format!("/v3/{project}/trackers{query}");
        let answer = self.send(Method::GET, &path, None).await;
        assert_conforms("ListTrackers", &answer);
        answer
    }

    async fn delete(&self, query: &str) -> Answer {
        let path = format!("/v3/{PROJECT}/trackers{query}");
        let answer = self.send(Method::DELETE, &path, None).await;
        assert_conforms("DeleteTracker", &answer);
        answer
    }

    async fn quotas(&self) -> Value {
        let path = format!("/v3/{PROJECT}/quotas");
        let answer = self.send(Method::GET, &path, None).await;
        assert_conforms("ListQuotas", &answer);
        answer.assert_success(200, Some("ListQuotasResponseBody"))
    }

    /// Names of the trackers ListTrackers answers for `query`, in order.
    async fn names(&self, query: &str) -> Vec<String> {
        let body = self
            .list(query)
            .await
            .assert_success(200, Some("ListTrackersResponseBody"));
        tracker_names(&body)
    }

    async fn stop(self) {
        self.running.shutdown().await;
    }
}

fn tracker_names(list: &Value) -> Vec<String> {
    list["trackers"]
        .as_array()
        .expect("trackers array")
        .iter()
        .map(|tracker| tracker["tracker_name"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn system_tracker() -> Value {
    json!({"tracker_type": "system", "tracker_name": "system"})
}

/// A data tracker named `name`, tracking both operations of its own bucket
/// ([`tracked_bucket`]), so that trackers of different names never collide
/// (one tracker per bucket operation, CTS.0209).
fn data_tracker(name: &str) -> Value {
    json!({
        "tracker_type": "data",
        "tracker_name": name,
        "data_bucket": {"data_bucket_name": tracked_bucket(name), "data_event": ["READ", "WRITE"]},
    })
}

/// The bucket [`data_tracker`] tracks for `name`: a valid bucket name of its own.
fn tracked_bucket(name: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut hasher);
    format!("tracked-{:016x}", hasher.finish())
}

fn now_millis() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(elapsed.as_millis()).expect("millis")
}

// ---------------------------------------------------------------- CreateTracker

#[tokio::test]
async fn create_management_tracker_fills_server_fields_and_defaults() {
    let emulator = Emulator::start().await;
    let before = now_millis();
    let body = emulator
        .create(&json!({"tracker_type": "system"}))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    let after = now_millis();
    let id = body["id"].as_str().expect("id");
    assert_eq!(
        uuid::Uuid::parse_str(id)
            .expect("id is a UUID")
            .get_version_num(),
        4
    );
    let created = body["create_time"].as_i64().expect("create_time integer");
    assert!((before..=after).contains(&created), "create_time {created}");
    assert_eq!(body["tracker_name"], "system", "the default name");
    assert_eq!(body["tracker_type"], "system");
    assert_eq!(body["domain_id"], emulator::DEFAULT_DOMAIN_ID);
    assert_eq!(body["project_id"], PROJECT);
    assert_eq!(body["status"], "enabled");
    assert_eq!(body["obs_info"]["bucket_name"], "", "no transfer");
    assert_eq!(body["obs_info"]["compress_type"], "gzip");
    assert_eq!(body["obs_info"]["is_sort_by_service"], true);
    assert!(body.get("data_bucket").is_none());
    emulator.stop().await;
}

#[tokio::test]
async fn create_echoes_the_documented_example_request() {
    let emulator = Emulator::start_with(EmulatorConfig {
        domain_id: "my-domain".into(),
        ..EmulatorConfig::default()
    })
    .await;
    let example = r#"{ "tracker_type" : "system", "tracker_name" : "system", "obs_info" : { "is_obs_created" : false, "bucket_name" : "test-bucket", "file_prefix_name" : "11" }, "is_support_validate" : true }"#;
    let body = emulator
        .create_raw(example)
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(body["domain_id"], "my-domain");
    assert_eq!(body["obs_info"]["bucket_name"], "test-bucket");
    assert_eq!(body["obs_info"]["file_prefix_name"], "11");
    assert_eq!(body["obs_info"]["is_obs_created"], false);
    assert_eq!(body["is_support_validate"], true);
    let listed = emulator.list("?tracker_name=system").await;
    let listed = listed.assert_success(200, Some("ListTrackersResponseBody"));
    assert_eq!(listed["trackers"][0]["id"], body["id"]);
    assert_eq!(listed["trackers"][0]["create_time"], body["create_time"]);
    emulator.stop().await;
}

#[tokio::test]
async fn create_data_tracker_and_unknown_fields_are_ignored() {
    let emulator = Emulator::start().await;
    let mut request = data_tracker("audit");
    request["no_such_field"] = json!({"anything": [1, 2]});
    request["obs_info"] =
        json!({"bucket_name": "dest-1", "compress_type": "JSON", "is_sort_by_service": false});
    let body = emulator
        .create(&request)
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(body["tracker_type"], "data");
    assert_eq!(body["tracker_name"], "audit");
    assert!(body.get("no_such_field").is_none());
    assert_eq!(
        body["obs_info"]["compress_type"], "json",
        "stored lower-case"
    );
    assert_eq!(body["obs_info"]["is_sort_by_service"], false);
    let listed = emulator
        .list("?tracker_type=data")
        .await
        .assert_success(200, Some("ListTrackersResponseBody"));
    let tracker = &listed["trackers"][0];
    assert_eq!(
        tracker["data_bucket"]["data_bucket_name"],
        tracked_bucket(tracker["tracker_name"].as_str().expect("a name"))
    );
    assert_eq!(
        tracker["data_bucket"]["data_event"],
        json!(["READ", "WRITE"])
    );
    emulator.stop().await;
}

#[tokio::test]
async fn state_rules_on_create() {
    let emulator = Emulator::start_with(EmulatorConfig {
        data_tracker_quota: 2,
        ..EmulatorConfig::default()
    })
    .await;
    emulator
        .create(&system_tracker())
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator
        .create(&system_tracker())
        .await
        .assert_error(400, "CTS.0201");
    emulator
        .create(&data_tracker("one"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator
        .create(&data_tracker("one"))
        .await
        .assert_error(400, "CTS.0208");
    emulator
        .create(&data_tracker("two"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator
        .create(&data_tracker("three"))
        .await
        .assert_error(400, "CTS.0200");
    // Another project has its own state.
    let other = emulator
        .send(
            Method::POST,
            "/v3/other-project/tracker",
            Some(system_tracker().to_string()),
        )
        .await;
    let other = other.assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(other["project_id"], "other-project");
    assert_eq!(emulator.names("").await, ["system", "one", "two"]);
    emulator.stop().await;
}

#[tokio::test]
async fn each_validation_rule_answers_its_code() {
    let emulator = Emulator::start().await;
    let long_name = "n".repeat(33);
    let long_prefix = "p".repeat(65);
    let long_bucket = "b".repeat(64);
    let data_with_bucket =
        |bucket: Value| json!({"tracker_type": "data", "tracker_name": "t", "data_bucket": bucket});
    let system_with_obs =
        |obs: Value| json!({"tracker_type": "system", "tracker_name": "system", "obs_info": obs});
    let cases: Vec<(&str, String)> = vec![
        ("CTS.0003", String::new()),
        ("CTS.0003", "{\"tracker_type\":".into()),
        ("CTS.0003", "[1,2]".into()),
        ("CTS.0003", json!({"tracker_type": 7}).to_string()),
        ("CTS.0003", system_with_obs(json!("x")).to_string()),
        ("CTS.0003", system_with_obs(json!({"is_obs_created": "no"})).to_string()),
        ("CTS.0003", system_with_obs(json!({"compress_type": "zip"})).to_string()),
        ("CTS.0202", json!({"tracker_name": "x"}).to_string()),
        ("CTS.0202", json!({"tracker_type": "bogus", "tracker_name": "x"}).to_string()),
        ("CTS.0203", data_tracker(&long_name).to_string()),
        ("CTS.0203", data_tracker("_x").to_string()),
        ("CTS.0203", data_tracker("-x").to_string()),
        ("CTS.0203", data_tracker("system").to_string()),
        ("CTS.0203", data_tracker("system-trace").to_string()),
        ("CTS.0203", data_tracker("").to_string()),
        ("CTS.0204", json!({"tracker_type": "system", "tracker_name": "mine"}).to_string()),
        (
            "CTS.0206",
            json!({"tracker_type": "system", "tracker_name": "system", "data_bucket": {"data_bucket_name": "abc"}})
                .to_string(),
        ),
        ("CTS.0210", json!({"tracker_type": "data", "tracker_name": "t"}).to_string()),
        ("CTS.0210", data_with_bucket(json!({"data_event": ["READ"]})).to_string()),
        (
            "CTS.0225",
            data_with_bucket(json!({"data_bucket_name": "abc", "data_event": ["DELETE"]})).to_string(),
        ),
        ("CTS.0231", data_with_bucket(json!({"data_bucket_name": "AB"})).to_string()),
        ("CTS.0231", system_with_obs(json!({"bucket_name": "Upper-Case"})).to_string()),
        ("CTS.0231", system_with_obs(json!({"bucket_name": "ab"})).to_string()),
        ("CTS.0231", system_with_obs(json!({"bucket_name": long_bucket})).to_string()),
        ("CTS.0231", system_with_obs(json!({"bucket_name": ".starts-with-dot"})).to_string()),
        ("CTS.0218", system_with_obs(json!({"file_prefix_name": "a/b"})).to_string()),
        ("CTS.0218", system_with_obs(json!({"file_prefix_name": long_prefix})).to_string()),
    ];
    for (code, body) in &cases {
        let answer = emulator.create_raw(body).await;
        assert_eq!(
            answer.json()["error_code"].as_str(),
            Some(*code),
            "body {body}"
        );
        answer.assert_error(400, code);
    }
    // Nothing was created by the refused requests.
    assert!(emulator.names("").await.is_empty());
    emulator.stop().await;
}

#[tokio::test]
async fn boundary_values_that_are_valid() {
    let emulator = Emulator::start().await;
    let name_32 = "n".repeat(32);
    let bucket_63 = format!("0{}", "b".repeat(62));
    let prefix_64 = "P_.-9".repeat(12) + "abcd";
    for name in [name_32.as_str(), "x", "Name With Spaces", "名前"] {
        emulator
            .create(&data_tracker(name))
            .await
            .assert_success(201, Some("CreateTrackerResponseBody"));
    }
    let body = emulator
        .create(&json!({
            "tracker_type": "system",
            "obs_info": {"bucket_name": bucket_63, "file_prefix_name": prefix_64, "compress_type": "GZIP"},
        }))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(body["obs_info"]["bucket_name"], bucket_63.as_str());
    assert_eq!(body["obs_info"]["compress_type"], "gzip");
    emulator.stop().await;
}

// ---------------------------------------------------------------- ListTrackers

#[tokio::test]
async fn list_filters_alone_and_together() {
    let emulator = Emulator::start().await;
    for body in [data_tracker("a"), system_tracker(), data_tracker("b")] {
        emulator
            .create(&body)
            .await
            .assert_success(201, Some("CreateTrackerResponseBody"));
    }
    assert_eq!(emulator.names("").await, ["system", "a", "b"]);
    assert_eq!(emulator.names("?tracker_type=data").await, ["a", "b"]);
    assert_eq!(emulator.names("?tracker_type=system").await, ["system"]);
    assert_eq!(emulator.names("?tracker_name=b").await, ["b"]);
    assert_eq!(
        emulator
            .names("?tracker_name=system&tracker_type=system")
            .await,
        ["system"]
    );
    assert_eq!(
        emulator.names("?tracker_name=a&tracker_type=data").await,
        ["a"]
    );
    assert!(emulator
        .names("?tracker_name=a&tracker_type=system")
        .await
        .is_empty());
    assert!(emulator.names("?tracker_name=unknown").await.is_empty());
    assert!(emulator.names("?unrelated=1").await.len() == 3);
    emulator
        .list("?tracker_type=bogus")
        .await
        .assert_error(400, "CTS.0202");
    emulator
        .list("?tracker_type=")
        .await
        .assert_error(400, "CTS.0202");
    // Another project sees none of them.
    let other = emulator.list_in("another", "").await;
    let other = other.assert_success(200, Some("ListTrackersResponseBody"));
    assert_eq!(other, json!({"trackers": []}));
    emulator.stop().await;
}

// ---------------------------------------------------------------- UpdateTracker

#[tokio::test]
async fn update_changes_status_obs_info_and_options() {
    let emulator = Emulator::start().await;
    emulator
        .create(&system_tracker())
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    let change = json!({
        "tracker_type": "system",
        "tracker_name": "system",
        "status": "disabled",
        "is_lts_enabled": true,
        "obs_info": {"bucket_name": "dest-bucket", "file_prefix_name": "pre", "bucket_lifecycle": 30},
    });
    emulator.update(&change).await.assert_success(200, None);
    let listed = emulator.list("?tracker_type=system").await;
    let tracker =
        listed.assert_success(200, Some("ListTrackersResponseBody"))["trackers"][0].clone();
    assert_eq!(tracker["status"], "disabled");
    assert_eq!(tracker["lts"]["is_lts_enabled"], true);
    assert_eq!(tracker["obs_info"]["bucket_name"], "dest-bucket");
    assert_eq!(tracker["obs_info"]["file_prefix_name"], "pre");
    assert_eq!(tracker["obs_info"]["bucket_lifecycle"], 30);
    assert_eq!(tracker["obs_info"]["compress_type"], "gzip", "untouched");

    // bucket_name "" turns transfer off, stored and answered as "".
    let off =
        json!({"tracker_type": "system", "obs_info": {"bucket_name": ""}, "status": "enabled"});
    emulator.update(&off).await.assert_success(200, None);
    let listed = emulator.list("").await;
    let tracker =
        listed.assert_success(200, Some("ListTrackersResponseBody"))["trackers"][0].clone();
    assert_eq!(tracker["obs_info"]["bucket_name"], "");
    assert_eq!(tracker["status"], "enabled");
    emulator.stop().await;
}

#[tokio::test]
async fn update_errors() {
    let emulator = Emulator::start().await;
    emulator
        .create(&data_tracker("d1"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    let cases = [
        (
            "CTS.0205",
            400,
            json!({"tracker_type": "data", "tracker_name": "d1", "status": "error"}),
        ),
        (
            "CTS.0205",
            400,
            json!({"tracker_type": "data", "tracker_name": "d1", "status": "paused"}),
        ),
        (
            "CTS.0003",
            400,
            json!({"tracker_type": "data", "tracker_name": "d1", "status": 1}),
        ),
        (
            "CTS.0214",
            404,
            json!({"tracker_type": "data", "tracker_name": "nope", "status": "enabled",
                   "data_bucket": {"data_bucket_name": tracked_bucket("nope")}}),
        ),
        (
            "CTS.0214",
            404,
            json!({"tracker_type": "system", "tracker_name": "system"}),
        ),
        (
            "CTS.0202",
            400,
            json!({"tracker_type": "other", "tracker_name": "d1"}),
        ),
        (
            "CTS.0003",
            400,
            json!({"tracker_type": "data", "tracker_name": "d1", "data_bucket": {"data_bucket_name": "moved-bucket"}}),
        ),
        (
            "CTS.0225",
            400,
            json!({"tracker_type": "data", "tracker_name": "d1", "data_bucket": {"data_event": ["write"]}}),
        ),
        (
            "CTS.0231",
            400,
            json!({"tracker_type": "data", "tracker_name": "d1", "obs_info": {"bucket_name": "x"}}),
        ),
        (
            "CTS.0218",
            400,
            json!({"tracker_type": "data", "tracker_name": "d1", "obs_info": {"file_prefix_name": "a b"}}),
        ),
    ];
    for (code, status, body) in &cases {
        let answer = emulator.update(body).await;
        assert_eq!(answer.status, *status, "body {body}");
        answer.assert_error(*status, code);
    }
    // The same bucket name and a new event list are fine.
    let same = json!({"tracker_type": "data", "tracker_name": "d1",
                      "data_bucket": {"data_bucket_name": tracked_bucket("d1"), "data_event": ["WRITE"]}});
    emulator.update(&same).await.assert_success(200, None);
    let listed = emulator.list("?tracker_name=d1").await;
    let tracker =
        listed.assert_success(200, Some("ListTrackersResponseBody"))["trackers"][0].clone();
    assert_eq!(tracker["data_bucket"]["data_event"], json!(["WRITE"]));
    assert_eq!(
        tracker["status"], "enabled",
        "refused updates changed nothing"
    );
    emulator.stop().await;
}

// ---------------------------------------------------------------- DeleteTracker

#[tokio::test]
async fn delete_semantics() {
    let emulator = Emulator::start().await;
    for body in [
        system_tracker(),
        data_tracker("a"),
        data_tracker("b"),
        data_tracker("c"),
    ] {
        emulator
            .create(&body)
            .await
            .assert_success(201, Some("CreateTrackerResponseBody"));
    }
    // By name; tracker_type defaults to data.
    emulator
        .delete("?tracker_name=a")
        .await
        .assert_success(204, None);
    emulator
        .delete("?tracker_name=a")
        .await
        .assert_error(404, "CTS.0214");
    // The management tracker is not found as a data tracker.
    emulator
        .delete("?tracker_name=system")
        .await
        .assert_error(404, "CTS.0214");
    emulator
        .delete("?tracker_name=b&tracker_type=system")
        .await
        .assert_error(404, "CTS.0214");
    emulator
        .delete("?tracker_type=bogus")
        .await
        .assert_error(400, "CTS.0202");
    emulator
        .delete("?tracker_name=b&tracker_type=data")
        .await
        .assert_success(204, None);
    assert_eq!(emulator.names("").await, ["system", "c"]);
    // Without a name: every data tracker, the management tracker stays.
    emulator
        .create(&data_tracker("d"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator.delete("").await.assert_success(204, None);
    assert_eq!(emulator.names("").await, ["system"]);
    emulator.delete("").await.assert_error(404, "CTS.0214");
    emulator
        .delete("?tracker_type=system&tracker_name=system")
        .await
        .assert_success(204, None);
    assert!(emulator.names("").await.is_empty());
    emulator
        .delete("?tracker_type=system&tracker_name=system")
        .await
        .assert_error(404, "CTS.0214");
    // A deleted management tracker can be created again.
    emulator
        .create(&system_tracker())
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator.stop().await;
}

// ---------------------------------------------------------------- ListQuotas

#[tokio::test]
async fn quotas_reflect_real_usage() {
    let emulator = Emulator::start().await;
    let usage = |data: u32, system: u32| {
        json!({"resources": [
            {"type": "data_tracker", "used": data, "quota": 100},
            {"type": "system_tracker", "used": system, "quota": 1},
        ]})
    };
    assert_eq!(emulator.quotas().await, usage(0, 0));
    emulator
        .create(&system_tracker())
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator
        .create(&data_tracker("a"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator
        .create(&data_tracker("b"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(emulator.quotas().await, usage(2, 1));
    emulator
        .delete("?tracker_name=a")
        .await
        .assert_success(204, None);
    assert_eq!(emulator.quotas().await, usage(1, 1));
    emulator
        .delete("?tracker_type=system&tracker_name=system")
        .await
        .assert_success(204, None);
    assert_eq!(emulator.quotas().await, usage(1, 0));
    emulator.stop().await;
}

// ---------------------------------------------------------------- protocol details

#[tokio::test]
async fn unknown_paths_and_methods_get_cts_errors() {
    let emulator = Emulator::start().await;
    for path in [
        "/",
        "/v3",
        "/v3/p/unknown",
        "/v2/p/trackers",
        "/v3/p/trackers/extra",
        "/v3//trackers",
    ] {
        let answer = emulator.send(Method::GET, path, None).await;
        assert_eq!(answer.status, 404, "path {path}");
        answer.assert_error(404, "CTS.0003");
    }
    let wrong_methods = [
        (Method::GET, "tracker"),
        (Method::DELETE, "tracker"),
        (Method::PATCH, "tracker"),
        (Method::POST, "trackers"),
        (Method::PUT, "trackers"),
        (Method::POST, "quotas"),
        (Method::DELETE, "quotas"),
    ];
    for (method, resource) in wrong_methods {
        let path = format!("/v3/{PROJECT}/{resource}");
        let answer = emulator
            .send(method.clone(), &path, Some("{}".into()))
            .await;
        assert_eq!(answer.status, 405, "{method} {path}");
        answer.assert_error(405, "CTS.0003");
    }
    emulator.stop().await;
}

#[tokio::test]
async fn every_response_has_its_own_request_id() {
    let emulator = Emulator::start().await;
    let answers = [
        emulator.create(&system_tracker()).await,
        emulator.create(&system_tracker()).await,
        emulator.list("").await,
        emulator.delete("?tracker_name=none").await,
        emulator.send(Method::GET, "/nowhere", None).await,
        emulator
            .delete("?tracker_type=system&tracker_name=system")
            .await,
    ];
    let mut ids = HashSet::new();
    for answer in &answers {
        answer.assert_common();
        ids.insert(answer.header("x-request-id").unwrap_or_default().to_owned());
    }
    assert_eq!(ids.len(), answers.len(), "request ids repeat: {ids:?}");
    emulator.stop().await;
}

#[tokio::test]
async fn a_gateway_answer_names_the_request_id_of_its_header() {
    let emulator = Emulator::start_with(EmulatorConfig {
        rate_limit: Some(1),
        ..EmulatorConfig::default()
    })
    .await;
    let path = format!("/v3/{PROJECT}/quotas");
    let mut throttled = None;
    for _ in 0..5 {
        let answer = emulator.send(Method::GET, &path, None).await;
        if answer.status == 429 {
            throttled = Some(answer);
            break;
        }
    }
    let throttled = throttled.expect("a request past the limit of 1 per second is throttled");
    let header = throttled.header("x-request-id").expect("X-Request-Id");
    assert_eq!(
        throttled.json()["request_id"].as_str(),
        Some(header.replace('-', "").as_str())
    );
    emulator.stop().await;
}

#[tokio::test]
async fn lists_follow_every_change_and_every_filter() {
    let emulator = Emulator::start().await;
    let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    assert_eq!(emulator.names("").await, names(&[]));
    emulator
        .create(&data_tracker("first"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(emulator.names("").await, names(&["first"]));
    assert_eq!(emulator.names("?tracker_name=second").await, names(&[]));
    emulator
        .create(&data_tracker("second"))
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator
        .create(&system_tracker())
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(
        emulator.names("").await,
        names(&["system", "first", "second"])
    );
    assert_eq!(
        emulator.names("?tracker_name=second").await,
        names(&["second"])
    );
    assert_eq!(
        emulator.names("?tracker_type=data").await,
        names(&["first", "second"])
    );
    // An update shows in the next list.
    let status = |list: &Value, name: &str| {
        list["trackers"]
            .as_array()
            .and_then(|trackers| trackers.iter().find(|t| t["tracker_name"] == name))
            .map(|t| t["status"].clone())
    };
    let before = emulator
        .list("")
        .await
        .assert_success(200, Some("ListTrackersResponseBody"));
    assert_eq!(status(&before, "first"), Some(json!("enabled")));
    let mut disabled = data_tracker("first");
    disabled["status"] = json!("disabled");
    emulator.update(&disabled).await.assert_success(200, None);
    let after = emulator
        .list("")
        .await
        .assert_success(200, Some("ListTrackersResponseBody"));
    assert_eq!(status(&after, "first"), Some(json!("disabled")));
    // A delete, too; another project saw none of it.
    emulator
        .delete("?tracker_name=first")
        .await
        .assert_success(204, None);
    assert_eq!(emulator.names("").await, names(&["system", "second"]));
    assert_eq!(
        emulator.names("?tracker_name=second").await,
        names(&["second"])
    );
    let elsewhere = emulator
        .list_in("another-project", "")
        .await
        .assert_success(200, Some("ListTrackersResponseBody"));
    assert_eq!(tracker_names(&elsewhere), names(&[]));
    emulator.stop().await;
}

#[tokio::test]
async fn body_cap_is_enforced() {
    let emulator = Emulator::start_with(EmulatorConfig {
        max_body_bytes: 256,
        ..EmulatorConfig::default()
    })
    .await;
    let mut padded = system_tracker();
    padded["padding"] = json!("x".repeat(300));
    emulator.create(&padded).await.assert_error(400, "CTS.0003");
    padded["padding"] = json!("x".repeat(100));
    emulator
        .create(&padded)
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator.stop().await;
}

#[tokio::test]
async fn a_cap_above_axums_default_limit_is_honoured() {
    // axum's own extractor limit (2 MiB) must not undercut a larger configured cap.
    let emulator = Emulator::start_with(EmulatorConfig {
        max_body_bytes: 4 * 1024 * 1024,
        ..EmulatorConfig::default()
    })
    .await;
    let mut padded = system_tracker();
    padded["padding"] = json!("x".repeat(3 * 1024 * 1024));
    emulator
        .create(&padded)
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    emulator.stop().await;
}

#[tokio::test]
async fn no_crafted_request_gets_a_5xx() {
    let emulator = Emulator::start().await;
    emulator
        .create(&system_tracker())
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    let huge = format!(
        "{{\"tracker_type\":\"system\",\"x\":\"{}\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let tracker = format!("/v3/{PROJECT}/tracker");
    // Deletes with odd queries may legitimately remove trackers: aim them elsewhere.
    let trackers = "/v3/scratch-project/trackers";
    let bodies = [
        "",
        "null",
        "{",
        "}",
        "\u{0}",
        "{\"tracker_type\":null}",
        "{\"tracker_type\":\"data\",\"tracker_name\":7}",
        "{\"tracker_type\":\"data\",\"tracker_name\":\"a\",\"data_bucket\":[]}",
        "{\"tracker_type\":\"data\",\"tracker_name\":\"a\",\"data_bucket\":{\"data_event\":\"READ\"}}",
        "{\"tracker_type\":\"system\",\"obs_info\":{\"bucket_lifecycle\":1e400}}",
        "{\"tracker_type\":\"system\",\"obs_info\":{\"bucket_lifecycle\":-1}}",
        "{\"tracker_type\":\"system\",\"management_event_selector\":[]}",
        "{\"tracker_type\":\"system\",\"status\":{}}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "\"\\ud800\"",
        huge.as_str(),
    ];
    for body in bodies {
        for method in [Method::POST, Method::PUT] {
            let answer = emulator
                .send(method.clone(), &tracker, Some(body.to_owned()))
                .await;
            let shown: String = body.chars().take(60).collect();
            assert!(
                (400..500).contains(&answer.status),
                "{method} {shown:?} -> {}",
                answer.status
            );
            answer.assert_error(
                answer.status,
                answer.json()["error_code"].as_str().unwrap_or("?"),
            );
        }
    }
    let queries = [
        "?tracker_type=%ZZ",
        "?tracker_type=%FF",
        "?tracker_name=%FF%FE",
        "?tracker_type=system&tracker_type=data",
        "?&&&=&=",
        "?tracker_name",
        "?tracker_type=DATA",
    ];
    for query in queries {
        for method in [Method::GET, Method::DELETE] {
            let path = format!("{trackers}{query}");
            let answer = emulator.send(method.clone(), &path, None).await;
            assert!(answer.status < 500, "{method} {query} -> {}", answer.status);
            answer.assert_common();
        }
    }
    for path in [
        "/v3/%FF/trackers",
        "/v3/%2F/trackers",
        "/v3/a%00b/quotas",
        "/v3/x/tracker%2F",
    ] {
        let answer = emulator.send(Method::GET, path, None).await;
        assert!(answer.status < 500, "{path} -> {}", answer.status);
        answer.assert_common();
    }
    let odd_method = Method::from_bytes(b"BREW").expect("method");
    let answer = emulator.send(odd_method, &tracker, None).await;
    answer.assert_error(405, "CTS.0003");
    // The emulator still works and its state is intact.
    assert_eq!(emulator.names("").await, ["system"]);
    emulator.stop().await;
}

// ---------------------------------------------------------------- concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_succeed_once() {
    let emulator = std::sync::Arc::new(Emulator::start().await);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let emulator = emulator.clone();
        tasks.push(tokio::spawn(async move {
            emulator.create(&data_tracker("contested")).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let answer = task.await.expect("task");
        if answer.status == 201 {
            answer.assert_success(201, Some("CreateTrackerResponseBody"));
            created += 1;
        } else {
            answer.assert_error(400, "CTS.0208");
        }
    }
    assert_eq!(created, 1);
    assert_eq!(emulator.names("").await, ["contested"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_lists_and_deletes_stay_consistent() {
    let emulator = std::sync::Arc::new(Emulator::start().await);
    let mut tasks = Vec::new();
    for round in 0..60 {
        let emulator = emulator.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("t{}", round % 6);
            match round % 4 {
                0 | 1 => {
                    let answer = emulator.create(&data_tracker(&name)).await;
                    if answer.status == 201 {
                        answer.assert_success(201, Some("CreateTrackerResponseBody"));
                    } else {
                        answer.assert_error(400, "CTS.0208");
                    }
                }
                2 => {
                    let answer = emulator.delete(&format!("?tracker_name={name}")).await;
                    if answer.status == 204 {
                        answer.assert_success(204, None);
                    } else {
                        answer.assert_error(404, "CTS.0214");
                    }
                }
                _ => {
                    let names = emulator.names("").await;
                    let unique: HashSet<&String> = names.iter().collect();
                    assert_eq!(unique.len(), names.len(), "duplicate names: {names:?}");
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let names = emulator.names("?tracker_type=data").await;
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "duplicate names: {names:?}");
    let quotas = emulator.quotas().await;
    assert_eq!(quotas["resources"][0]["used"], json!(names.len()));
    assert_eq!(quotas["resources"][1]["used"], 0);
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test]
async fn shutdown_stops_the_server() {
    let emulator = Emulator::start().await;
    let base = emulator.running.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_ne!(emulator.running.addr().port(), 0);
    emulator.stop().await;
    let after = http_client_builder()
        .build()
        .expect("a client")
        .get(format!("{base}/v3/{PROJECT}/quotas"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(after.is_err(), "still answering after shutdown");
}

#[tokio::test]
async fn serve_runs_until_its_shutdown_future_resolves() {
    let port = std::net::TcpListener::bind(LOOPBACK)
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator::serve(
        EmulatorConfig {
            verbose: true,
            ..EmulatorConfig::default()
        },
        listen,
        async move {
            let _ = stopped.await;
        },
    ));
    let client = http_client_builder().build().expect("a client");
    let url = format!("http://{listen}/v3/{PROJECT}/quotas");
    let mut answered = None;
    for _ in 0..50 {
        if let Ok(response) = client.get(&url).send().await {
            answered = Some(response.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(answered, Some(200));
    stop.send(()).expect("server waiting");
    let result = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returned after shutdown")
        .expect("task");
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn router_alone_has_fresh_state() {
    // Two routers do not share state: a tracker created through one emulator is
    // absent from another.
    let first = Emulator::start().await;
    let second = Emulator::start().await;
    first
        .create(&system_tracker())
        .await
        .assert_success(201, Some("CreateTrackerResponseBody"));
    assert_eq!(first.names("").await, ["system"]);
    assert!(second.names("").await.is_empty());
    let _router: axum::Router = emulator::router(EmulatorConfig::default());
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn chunked_body_over_the_cap_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let emulator = Emulator::start_with(EmulatorConfig {
        max_body_bytes: 1024,
        ..EmulatorConfig::default()
    })
    .await;
    let stream = tokio::net::TcpStream::connect(emulator.running.addr())
        .await
        .expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    // No Content-Length: the body arrives in chunks, 64 KiB in all, far over the cap.
    let writing = tokio::spawn(async move {
        let head = format!(
            "POST /v3/{PROJECT}/tracker HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        writer.write_all(head.as_bytes()).await?;
        let chunk = format!("400\r\n{}\r\n", "a".repeat(1024));
        for _ in 0..64 {
            writer.write_all(chunk.as_bytes()).await?;
        }
        writer.write_all(b"0\r\n\r\n").await
    });
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buffer[..n]),
            }
            if response.windows(4).any(|w| w == b"\r\n\r\n")
                && response.windows(8).any(|w| w == b"CTS.0003")
            {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer in time");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 400"), "answer: {text}");
    assert!(text.contains("CTS.0003"), "answer: {text}");
    assert!(
        text.to_ascii_lowercase().contains("x-request-id:"),
        "answer: {text}"
    );
    // The writer may or may not have been cut off; either is fine.
    let _ = writing.await;
    emulator.stop().await;
}
