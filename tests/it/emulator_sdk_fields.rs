//! `serve --cloud` answers carry every field the official SDK's response models list
//! (issue 28): CreateTracker's, ListTrackers' and ListQuotas' bodies compared with the
//! attribute lists (`openapi_types`) of huaweicloudsdkcts's models, read from the SDK
//! itself through the Python of `CTS_CONFORM_PYTHON` (CI's .venv, tests/python/
//! requirements.txt). The fields left out are listed here with their reason (the same
//! list as `src/emulator/render.rs`); any other missing field fails, and so does a
//! left-out field that is now answered.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use cts_conform::emulator::{router, EmulatorConfig, RunningServer};
use serde_json::{json, Value};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// Model fields the emulator leaves out, with why.
const LEFT_OUT: [(&str, &str); 3] = [
    (
        "kms_id",
        "only a tracker that encrypts its trace files has a key",
    ),
    (
        "detail",
        "the reason of an error status, which the emulator never enters",
    ),
    ("management_event_selector", "only when the request set one"),
];

/// The Python with the SDK: `CTS_CONFORM_PYTHON`, else the repository's .venv; `None`
/// (the test skips) when neither is there.
fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CTS_CONFORM_PYTHON") {
        return Some(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    venv.exists().then_some(venv)
}

/// Each model's attributes and their types, from the SDK.
fn sdk_models(python: &PathBuf) -> BTreeMap<String, BTreeMap<String, String>> {
    let script = r#"
import json
from huaweicloudsdkcts.v3 import model
names = ["CreateTrackerResponse", "ListTrackersResponse", "TrackerResponseBody", "ObsInfo",
         "Lts", "DataBucketQuery", "ManagementEventSelector", "ListQuotasResponse", "CtsQuota"]
print(json.dumps({n: getattr(model, n).openapi_types for n in names}))
"#;
    let output = std::process::Command::new(python)
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", python.display()));
    assert!(
        output.status.success(),
        "{} cannot read the SDK's models (install tests/python/requirements.txt): {}",
        python.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the models as JSON")
}

/// The keys of every object in `values`.
fn keys<'v>(values: impl IntoIterator<Item = &'v Value>) -> BTreeSet<String> {
    values
        .into_iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().cloned())
        .collect()
}

/// Checks that `answered` has every attribute of `model` but the left-out ones, and
/// nothing else; gives the problems.
fn compare(
    what: &str,
    model: &BTreeMap<String, String>,
    answered: &BTreeSet<String>,
) -> Vec<String> {
    let left_out: BTreeMap<&str, &str> = LEFT_OUT.into_iter().collect();
    let mut problems = Vec::new();
    for field in model.keys() {
        match (answered.contains(field), left_out.get(field.as_str())) {
            (false, None) => {
                problems.push(format!("{what}: the SDK lists `{field}`, not answered"))
            }
            (true, Some(reason)) => problems.push(format!(
                "{what}: `{field}` is answered now; take it off the left-out list ({reason})"
            )),
            _ => {}
        }
    }
    for field in answered.iter().filter(|f| !model.contains_key(*f)) {
        problems.push(format!(
            "{what}: `{field}` is answered, the SDK's model has no such field"
        ));
    }
    problems
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_answers_carry_every_field_of_the_sdk_models() {
    let Some(python) = python() else {
        eprintln!(
            "SKIPPED: set CTS_CONFORM_PYTHON to a Python with tests/python/requirements.txt \
             installed (CI's .venv) to compare the emulator's bodies with the SDK's models"
        );
        return;
    };
    let models = sdk_models(&python);
    let server = RunningServer::spawn(
        router(EmulatorConfig::cloud([PROJECT])),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the emulator starts");
    let client = cts_conform::http::client::http_client_builder()
        .build()
        .expect("a client");
    let url = |path: &str| format!("{}/v3/{PROJECT}/{path}", server.base_url());
    let body = |response: reqwest::Response| async move {
        let bytes = response.bytes().await.expect("a body");
        serde_json::from_slice::<Value>(&bytes).expect("a JSON body")
    };
    let created = body(
        client
            .post(url("tracker"))
            .header("content-type", "application/json")
            .body(
                json!({
                    "tracker_type": "data", "tracker_name": "sdk-fields",
                    "obs_info": {"bucket_name": "sdk-fields-traces", "file_prefix_name": "cts"},
                    "is_lts_enabled": true,
                    "data_bucket": {"data_bucket_name": "sdk-fields-data", "data_event": ["WRITE"]}
                })
                .to_string(),
            )
            .send()
            .await
            .expect("created"),
    )
    .await;
    let listed = body(client.get(url("trackers")).send().await.expect("listed")).await;
    let quotas = body(client.get(url("quotas")).send().await.expect("quotas")).await;
    let trackers = listed["trackers"].as_array().expect("trackers");
    assert!(trackers.len() >= 2, "{listed}");
    let resources = quotas["resources"].as_array().expect("resources");
    let mut problems = Vec::new();
    problems.extend(compare(
        "CreateTracker",
        &models["CreateTrackerResponse"],
        &keys([&created]),
    ));
    problems.extend(compare(
        "CreateTracker obs_info",
        &models["ObsInfo"],
        &keys([&created["obs_info"]]),
    ));
    problems.extend(compare(
        "CreateTracker lts",
        &models["Lts"],
        &keys([&created["lts"]]),
    ));
    problems.extend(compare(
        "CreateTracker data_bucket",
        &models["DataBucketQuery"],
        &keys([&created["data_bucket"]]),
    ));
    problems.extend(compare(
        "ListTrackers",
        &models["ListTrackersResponse"],
        &keys([&listed]),
    ));
    problems.extend(compare(
        "ListTrackers trackers",
        &models["TrackerResponseBody"],
        &keys(trackers),
    ));
    problems.extend(compare(
        "ListTrackers obs_info",
        &models["ObsInfo"],
        &keys(trackers.iter().map(|t| &t["obs_info"])),
    ));
    problems.extend(compare(
        "ListQuotas",
        &models["ListQuotasResponse"],
        &keys([&quotas]),
    ));
    problems.extend(compare(
        "ListQuotas resources",
        &models["CtsQuota"],
        &keys(resources),
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Plausible values: a granted bucket where there is one, a retention the service
    // accepts, LTS ids only with LTS on.
    assert_eq!(
        created["obs_info"]["is_authorized_bucket"], true,
        "{created}"
    );
    assert_eq!(created["obs_info"]["bucket_lifecycle"], 0);
    let management = trackers
        .iter()
        .find(|t| t["tracker_type"] == "system")
        .expect("the management tracker");
    assert_eq!(
        management["obs_info"]["is_authorized_bucket"], false,
        "{management}"
    );
    assert!(management.get("group_id").is_none(), "{management}");
    server.shutdown().await;
}
