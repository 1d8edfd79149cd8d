//! The emulator under concurrent load (loopback, bounded: 16 clients x 50 operations):
//! every answer is the one a client that owns its names can predict, the final listing is
//! exactly what the clients believe exists, the quotas count it, and of many concurrent
//! creates of one name (or of the one management tracker) exactly one wins, every round.
//! `tests/emulator.rs` has the smaller mixed-operation and one-name checks.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use cts_conform::emulator::{self, EmulatorConfig};
use cts_conform::http::client::http_client_builder;
use serde_json::{json, Value};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const CLIENTS: usize = 16;
const OPS_PER_CLIENT: usize = 50;
const NAMES_PER_CLIENT: usize = 5;
/// Only against hangs; nothing is asserted about durations.
const LIMIT: Duration = Duration::from_secs(120);

#[derive(Clone)]
struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/v3/{PROJECT}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        assert!(status < 500, "a 5xx: {status} {bytes:?}");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        (status, body)
    }

    async fn create(&self, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, "/tracker", Some(body))
            .await
    }

    async fn names(&self, query: &str) -> Vec<String> {
        let (status, body) = self
            .call(reqwest::Method::GET, &format!("/trackers{query}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["trackers"]
            .as_array()
            .expect("trackers")
            .iter()
            .map(|t| t["tracker_name"].as_str().expect("name").to_string())
            .collect()
    }
}

/// A data tracker on a bucket of its own name (one tracker per bucket operation, CTS.0209).
fn data(name: &str) -> Value {
    json!({"tracker_type": "data", "tracker_name": name,
           "data_bucket": {"data_bucket_name": format!("load-{name}"), "data_event": ["READ"]}})
}

/// One client: 50 operations on its own five names; checks every answer against what it
/// believes exists, and returns that belief.
async fn client(api: Api, id: usize) -> BTreeSet<String> {
    let mut exists = BTreeSet::new();
    for step in 0..OPS_PER_CLIENT {
        let name = format!("c{id}-n{}", (step * 3 + id) % NAMES_PER_CLIENT);
        match (id * 7 + step * 13) % 10 {
            0..=3 => {
                let (status, body) = api.create(data(&name)).await;
                if exists.contains(&name) {
                    assert_eq!((status, &body["error_code"]), (400, &json!("CTS.0208")));
                } else {
                    assert_eq!(status, 201, "{body}");
                    assert_eq!(body["tracker_name"], json!(name));
                    exists.insert(name);
                }
            }
            4..=5 => {
                let query = format!("/trackers?tracker_name={name}&tracker_type=data");
                let (status, body) = api.call(reqwest::Method::DELETE, &query, None).await;
                if exists.remove(&name) {
                    assert_eq!(status, 204, "{body}");
                } else {
                    assert_eq!((status, &body["error_code"]), (404, &json!("CTS.0214")));
                }
            }
            _ => {
                let listed = api.names(&format!("?tracker_name={name}")).await;
                let expected: Vec<String> =
                    exists.iter().filter(|n| **n == name).cloned().collect();
                assert_eq!(listed, expected, "client {id} step {step}");
            }
        }
    }
    exists
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_keep_the_state_consistent() {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let running = emulator::start(EmulatorConfig::default(), listen)
        .await
        .expect("start");
    let api = Api {
        base: running.base_url(),
        client: http_client_builder().build().expect("a client"),
    };
    let work = async {
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|id| tokio::spawn(client(api.clone(), id)))
            .collect();
        let mut believed = BTreeSet::new();
        for task in tasks {
            believed.extend(task.await.expect("client task"));
        }
        believed
    };
    let believed = tokio::time::timeout(LIMIT, work).await.expect("bounded");
    assert!(!believed.is_empty(), "the load created nothing");

    let listed: BTreeSet<String> = api.names("").await.into_iter().collect();
    assert_eq!(
        listed, believed,
        "the listing differs from what the clients did"
    );
    let (status, quotas) = api.call(reqwest::Method::GET, "/quotas", None).await;
    assert_eq!(status, 200);
    let used = |kind: &str| {
        quotas["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .find(|r| r["type"] == json!(kind))
            .map(|r| r["used"].clone())
    };
    assert_eq!(
        used("data_tracker"),
        Some(json!(believed.len())),
        "{quotas}"
    );
    assert_eq!(used("system_tracker"), Some(json!(0)), "{quotas}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_creates_of_one_name_exactly_one_wins_every_round() {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let running = emulator::start(EmulatorConfig::default(), listen)
        .await
        .expect("start");
    let api = Api {
        base: running.base_url(),
        client: http_client_builder().build().expect("a client"),
    };
    let work = async {
        // Round 0 is the management tracker (one per project); rounds 1.. a data name each.
        for round in 0..8 {
            let body = if round == 0 {
                json!({"tracker_type": "system", "tracker_name": "system"})
            } else {
                data(&format!("contested-{round}"))
            };
            let tasks: Vec<_> = (0..CLIENTS)
                .map(|_| {
                    let (api, body) = (api.clone(), body.clone());
                    tokio::spawn(async move { api.create(body).await })
                })
                .collect();
            let mut won = 0;
            for task in tasks {
                let (status, answer) = task.await.expect("task");
                match status {
                    201 => won += 1,
                    400 => {
                        let code = answer["error_code"].as_str().unwrap_or("");
                        assert!(
                            ["CTS.0201", "CTS.0208"].contains(&code),
                            "round {round}: {answer}"
                        );
                    }
                    other => panic!("round {round}: status {other}: {answer}"),
                }
            }
            assert_eq!(won, 1, "round {round}: {won} creates succeeded");
        }
    };
    tokio::time::timeout(LIMIT, work).await.expect("bounded");
    let mut names = api.names("").await;
    names.sort();
    let mut expected: Vec<String> = (1..8).map(|r| format!("contested-{r}")).collect();
    expected.push("system".into());
    expected.sort();
    assert_eq!(names, expected);
    running.shutdown().await;
}
