//! The seam is real (issue 29, item 5): a runner over a second API, a toy one of three
//! operations (create, list and delete a widget; `tests/fixtures/toy/`), with its own
//! contract and its own `Service`, served by a small axum server here. Its cases run
//! through the library runner; a pass and a failure (the toy contract's `Widget` needs
//! an `id` the server leaves out for one name) are reported, and what the cases created
//! is removed and confirmed gone the toy's way (its ledger names, its delete, its list).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use cts_conform::case::model::{Expect, StatusSet, StepSpec};
use cts_conform::case::pattern::Pattern;
use cts_conform::case::string_map::StringMap;
use cts_conform::case::{self, CaseRules, CreatesRule};
use cts_conform::contract::Contract;
use cts_conform::cts::service::RunFacts;
use cts_conform::cts::{NotRemovable, Removal, Service};
use cts_conform::http::exchange::{ReceivedResponse, SentRequest};
use cts_conform::outcome::CaseStatus;
use cts_conform::run::RunConfig;
use cts_conform::runner::{self, RunSpec, Target};

const NAME: &str = "widget_name";

/// The toy API's rules beyond its contract.
#[derive(Debug)]
struct Toy;

const TOY_RULES: CaseRules = CaseRules {
    run_variables: &["project_id", "run_id", "prefix"],
    creates: CreatesRule {
        name_key: NAME,
        other_keys: &[],
        inferred_from: Some("CreateWidget"),
    },
};

fn by_name(operation: &str, project_id: &str, name: &str, expect: Expect) -> StepSpec {
    let literal = |text: &str| text.replace("${", "$${");
    let mut step: StepSpec =
        serde_json::from_value(json!({"operation": operation})).expect("a step");
    step.path = StringMap::from([("project_id".to_string(), literal(project_id))]);
    step.query = StringMap::from([(NAME.to_string(), literal(name))]);
    step.expect = expect;
    step
}

fn name_of(names: &BTreeMap<String, String>) -> Result<&str, NotRemovable> {
    names
        .get(NAME)
        .map(String::as_str)
        .ok_or_else(|| NotRemovable {
            names: names.clone(),
            why: "no widget_name".into(),
        })
}

impl Service for Toy {
    fn case_rules(&self) -> &CaseRules {
        &TOY_RULES
    }
    fn run_variables(&self, run: &RunFacts) -> Vec<(String, String)> {
        vec![
            ("project_id".into(), run.project_id.clone()),
            ("run_id".into(), run.run_id.clone()),
            ("prefix".into(), run.prefix.clone()),
        ]
    }
    fn run_prefix(&self, run_id: &str) -> String {
        format!("toy-{run_id}")
    }
    fn run_prefix_pattern(&self) -> &str {
        r"toy-[0-9a-f]{8}"
    }
    fn masked_run_prefix(&self) -> &str {
        "toy-<run>"
    }
    fn describe(&self, names: &BTreeMap<String, String>) -> String {
        format!("widget {}", names.get(NAME).map_or("?", String::as_str))
    }
    fn removal_step(
        &self,
        project_id: &str,
        names: &BTreeMap<String, String>,
    ) -> Result<StepSpec, NotRemovable> {
        let expect = Expect {
            status: Some(StatusSet::Any(vec![204, 404])),
            ..Expect::default()
        };
        Ok(by_name("DeleteWidget", project_id, name_of(names)?, expect))
    }
    fn removal(&self, status: u16) -> Removal {
        match status {
            204 => Removal::Removed,
            404 => Removal::AlreadyGone,
            _ => Removal::NotRemoved,
        }
    }
    fn absence_step(
        &self,
        project_id: &str,
        names: &BTreeMap<String, String>,
    ) -> Option<Result<StepSpec, NotRemovable>> {
        let expect = Expect {
            status: Some(StatusSet::One(200)),
            body: Some(Pattern::new(json!({"widgets": []}))),
            ..Expect::default()
        };
        Some(name_of(names).map(|name| by_name("ListWidgets", project_id, name, expect)))
    }
    fn still_listed(&self, body: &Value, names: &BTreeMap<String, String>) -> bool {
        let name = names.get(NAME).map(String::as_str);
        body["widgets"].as_array().is_none_or(|list| {
            list.iter()
                .any(|w| w.get(NAME).and_then(Value::as_str) == name)
        })
    }
    fn still_listed_message(&self, names: &BTreeMap<String, String>) -> String {
        format!("{} is still listed", self.describe(names))
    }
    fn removed_by(
        &self,
        operation: &str,
        query: &StringMap,
        status: u16,
    ) -> Option<BTreeMap<String, String>> {
        (operation == "DeleteWidget" && status == 204).then(|| {
            BTreeMap::from([(NAME.to_string(), query.get(NAME).unwrap_or("").to_string())])
        })
    }
    fn check_path(&self, encoded_project_id: &str) -> String {
        format!("/v1/{encoded_project_id}/widgets")
    }
    fn made_up_buckets(&self, _run_id: &str) -> (Vec<String>, Vec<String>) {
        (Vec::new(), Vec::new())
    }
    fn missing_pool_bucket(
        &self,
        _request: &SentRequest,
        _response: &ReceivedResponse,
        _in_pool: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        None
    }
    fn missing_bucket_code(&self) -> &str {
        ""
    }
}

/// The toy server's widgets, by name, and every request it was sent (`METHOD path`).
#[derive(Default)]
struct Widgets {
    names: Vec<String>,
    requests: Vec<String>,
}

type Shared = Arc<Mutex<Widgets>>;

async fn create(State(widgets): State<Shared>, Json(body): Json<Value>) -> Response {
    let Some(name) = body.get(NAME).and_then(Value::as_str) else {
        let error = json!({"error_code": "TOY.0001", "error_msg": "widget_name is required"});
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    };
    let mut widgets = widgets.lock().unwrap();
    widgets.requests.push(format!("POST {name}"));
    widgets.names.push(name.to_string());
    // A fault of the toy server: this name's widget comes back without its id.
    let widget = match name.ends_with("-no-id") {
        true => json!({NAME: name}),
        false => json!({"id": format!("w{}", widgets.names.len()), NAME: name}),
    };
    (StatusCode::CREATED, Json(widget)).into_response()
}

async fn list(
    State(widgets): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut widgets = widgets.lock().unwrap();
    widgets.requests.push("GET".into());
    let listed: Vec<Value> = widgets
        .names
        .iter()
        .enumerate()
        .filter(|(_, name)| query.get(NAME).is_none_or(|wanted| wanted == *name))
        .map(|(i, name)| json!({"id": format!("w{}", i + 1), NAME: name}))
        .collect();
    Json(json!({"widgets": listed})).into_response()
}

async fn delete(
    State(widgets): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut widgets = widgets.lock().unwrap();
    let name = query.get(NAME).cloned().unwrap_or_default();
    widgets.requests.push(format!("DELETE {name}"));
    match widgets.names.iter().position(|n| *n == name) {
        Some(at) => {
            widgets.names.remove(at);
            StatusCode::NO_CONTENT.into_response()
        }
        None => {
            let error = json!({"error_code": "TOY.0404", "error_msg": "no such widget"});
            (StatusCode::NOT_FOUND, Json(error)).into_response()
        }
    }
}

#[test]
fn a_second_api_runs_through_the_library_runner() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/toy");
    let text =
        std::fs::read_to_string(fixtures.join("toy.openapi.json")).expect("the toy contract");
    let contract = Arc::new(Contract::from_json(&text).expect("the toy contract loads"));
    let service: Arc<dyn Service> = Arc::new(Toy);
    let sources = case::dir_sources(&fixtures.join("cases")).expect("the toy cases");
    let cases = case::load(&sources, &contract, service.case_rules()).expect("the toy cases load");
    assert_eq!(cases.len(), 3);
    // The toy's rule, not CTS's: the create records the widget its body names.
    let creates = cases[0].spec.steps[0]
        .creates
        .as_ref()
        .expect("creates inferred");
    assert_eq!(creates.get(NAME), Some("${prefix}-a"));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let widgets = Shared::default();
    let app = Router::new()
        .route(
            "/v1/{project_id}/widgets",
            get(list).post(create).delete(delete),
        )
        .with_state(Arc::clone(&widgets));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    runtime.spawn(async move { axum::serve(listener, app).await });

    let config = RunConfig::new(format!("http://{address}"), "toy-project");
    let run_id = config.run_id.clone();
    let spec = RunSpec::new(contract, service, Target::Url, config, cases);
    let prepared =
        runner::prepare(spec, runtime.handle()).expect("the toy target answers the check");
    prepared.execute();
    let finished = prepared.finish();

    let status = |name: &str| {
        let result = finished
            .results
            .iter()
            .find(|r| r.outcome.id == format!("widgets::{name}"))
            .expect("a result");
        let findings: Vec<String> = result
            .outcome
            .findings()
            .map(|f| format!("{} {}", f.summary, f.details.join(" ")))
            .collect();
        (result.outcome.status.clone(), findings)
    };
    let (listed, findings) = status("a_created_widget_is_listed");
    assert_eq!(listed, CaseStatus::Passed, "{findings:?}");
    let (unknown, findings) = status("an_unknown_widget_is_not_listed");
    assert_eq!(unknown, CaseStatus::Passed, "{findings:?}");
    // The toy contract judges the answer: its Widget requires an id.
    let (no_id, findings) = status("a_created_widget_has_an_id");
    assert_eq!(no_id, CaseStatus::Failed);
    assert!(
        findings
            .iter()
            .any(|f| f.contains("breaks Widget") && f.contains("\"id\" is a required property")),
        "the failure names the toy schema and its missing id: {findings:?}"
    );

    // What the cases created was removed the toy's way (its delete by name, its names
    // with the toy prefix), and nothing is left.
    let widgets = widgets.lock().unwrap();
    assert!(
        widgets.names.is_empty(),
        "left on the toy server: {:?}",
        widgets.names
    );
    let prefix = format!("toy-{run_id}");
    for name in ["a", "no-id"] {
        let delete = format!("DELETE {prefix}-{name}");
        assert!(
            widgets.requests.contains(&delete),
            "{delete} in {:?}",
            widgets.requests
        );
    }
    assert!(finished.summary.leftovers.trackers.is_empty());
    // The check before the run and each case's steps are the toy's requests only.
    assert!(widgets
        .requests
        .iter()
        .all(|r| r == "GET" || r.contains(&prefix)));
}
