//! No invented bucket names against a URL target (issue 13): a case that needs a bucket the
//! run cannot vouch for is ignored with the reason, before any request; with a pool, each
//! case tracks a pool bucket of its own.

use std::sync::Arc;

use cts_conform::case::{self, LoadedCase, Source};
use cts_conform::contract::Contract;
use cts_conform::http::client::HttpClient;
use cts_conform::outcome::CaseStatus;
use cts_conform::run::event::{Collector, Reporter, TestEvent};
use cts_conform::run::ledger::Ledger;
use cts_conform::run::{RunConfig, Session};

use crate::run_one::run_one;

/// One case whose only step uses `variable` in its body.
fn case_using(variable: &str) -> LoadedCase {
    let text = format!(
        r#"{{"suite": "pool", "cases": [{{"name": "uses", "doc": "test",
            "steps": [{{"operation": "CreateTracker",
              "body": {{"tracker_type": "data", "tracker_name": "${{prefix}}-p",
                        "data_bucket": {{"data_bucket_name": "${{{variable}}}"}}}},
              "expect": {{"status": 201}}}}]}}]}}"#
    );
    let sources = [Source {
        name: "pool.json".into(),
        text,
    }];
    case::load(
        &sources,
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .expect("the case loads")
    .remove(0)
}

/// A session for `base_url` (never contacted by these tests: every case is ignored before
/// its first request, or the target is a closed port).
fn session(
    runtime: &tokio::runtime::Runtime,
    config: RunConfig,
    reporter: Option<Arc<dyn Reporter>>,
) -> (Session, Arc<Collector>) {
    let client = HttpClient::for_target(&config.base_url).expect("a client");
    let run_id = config.run_id.clone();
    let collector = Arc::new(Collector::default());
    let mut session = Session::new(
        Contract::embedded_shared(),
        cts_conform::cts::Cts::shared(),
        config,
        client,
        runtime.handle().clone(),
        Ledger::in_memory(&run_id, cts_conform::cts::Cts::shared()),
    )
    .with_reporter(Arc::clone(&collector) as Arc<dyn Reporter>);
    if let Some(reporter) = reporter {
        session = session.with_reporter(reporter);
    }
    (session, collector)
}

fn ignored_reason((session, collector): &(Session, Arc<Collector>), case: &LoadedCase) -> String {
    match run_one(session, collector, case).outcome.status {
        CaseStatus::Ignored(reason) => reason,
        other => panic!("expected ignored, got {other:?}"),
    }
}

#[test]
fn a_url_target_without_a_pool_ignores_cases_that_track_a_bucket() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = RunConfig::new("https://cts.example.invalid", "p");
    let session = session(&runtime, config, None);
    let reason = ignored_reason(&session, &case_using("data_bucket"));
    assert!(
        reason.contains("${data_bucket}") && reason.contains("--data-bucket"),
        "{reason}"
    );
    let reason = ignored_reason(&session, &case_using("bucket_3"));
    assert!(reason.contains("loopback"), "{reason}");
}

#[test]
fn an_absent_bucket_needs_a_pool_that_is_the_whole_truth() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A loopback target without --data-bucket: names are made up, so nothing is known
    // not to exist.
    let config = RunConfig::new("http://127.0.0.1:9", "p");
    let session = session(&runtime, config, None);
    let reason = ignored_reason(&session, &case_using("absent_bucket"));
    assert!(reason.contains("which buckets exist"), "{reason}");
}

/// Notes the bucket each finished case was leased.
#[derive(Debug, Default)]
struct Leases(std::sync::Mutex<Vec<String>>);

impl Reporter for Leases {
    fn event(&self, event: &TestEvent<'_>) {
        if let TestEvent::CaseFinished { leased, .. } = event {
            let bucket = leased
                .get("data_bucket")
                .and_then(|v| v.as_str())
                .unwrap_or("none");
            self.0.lock().unwrap().push(bucket.to_string());
        }
    }
}

#[test]
fn with_a_pool_each_case_tracks_a_pool_bucket() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A closed loopback port: the case fails on transport, after its lease was given.
    let mut config = RunConfig::new("http://127.0.0.1:9", "p");
    config.data_buckets = vec!["pool-a".into(), "pool-b".into()];
    config.obs_buckets = vec!["pool-obs".into()];
    let leases = Arc::new(Leases::default());
    let (session, collector) = session(
        &runtime,
        config,
        Some(Arc::clone(&leases) as Arc<dyn Reporter>),
    );
    let case = case_using("data_bucket");
    let first = run_one(&session, &collector, &case);
    assert_eq!(
        first.outcome.status,
        CaseStatus::Failed,
        "nothing listens there"
    );
    run_one(&session, &collector, &case);
    let leased = leases.0.lock().unwrap().clone();
    assert_eq!(leased.len(), 2);
    assert!(
        leased.iter().all(|b| b == "pool-a" || b == "pool-b"),
        "{leased:?}"
    );
}
