//! Leases per bucket operation (issue 30, api-facts CTS.0209): through the scheduler, against
//! the emulator applying the account's rule per operation, with ONE pool bucket: a case
//! tracking READ and one tracking WRITE hold the bucket at the same time; two tracking the
//! same operation, or one tracking both and any other, never do. Who held the bucket when
//! is read from the steps each case finished (a case holds its lease from before its first
//! request to after its last), so a lease that let two overlap would show here, and the
//! emulator would refuse the second tracker (400 CTS.0209, failing its case).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use cts_conform::case::{self, LoadedCase, Source};
use cts_conform::contract::Contract;
use cts_conform::emulator::{self, EmulatorConfig};
use cts_conform::http::client::HttpClient;
use cts_conform::outcome::CaseStatus;
use cts_conform::run::event::{Reporter, TestEvent};
use cts_conform::run::ledger::Ledger;
use cts_conform::run::reorder::ReorderBuffer;
use cts_conform::run::schedule::run_cases;
use cts_conform::run::{RunConfig, Session};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// One case per kind (`READ`, `WRITE`, `BOTH`: no data_event), named `<kind>_<i>`: it
/// creates a data tracker of `${data_bucket}` tracking that, and lists twice (the run
/// removes the tracker and checks it is gone).
fn cases(kinds: &[&str]) -> Vec<LoadedCase> {
    let list = r#"{"operation": "ListTrackers", "query": {"tracker_type": "data"}, "expect": {"status": 200}}"#;
    let written: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let events = match *kind {
                "BOTH" => String::new(),
                one => format!(r#", "data_event": ["{one}"]"#),
            };
            format!(
                r#"{{"name": "{kind}_{i}", "doc": "tracks {kind}", "steps": [
                    {{"operation": "CreateTracker",
                      "body": {{"tracker_type": "data", "tracker_name": "${{prefix}}-t{i}",
                                "data_bucket": {{"data_bucket_name": "${{data_bucket}}"{events}}}}},
                      "creates": {{"tracker_name": "${{prefix}}-t{i}", "tracker_type": "data"}},
                      "expect": {{"status": 201}}}},
                    {list}, {list}]}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"suite": "operations", "cases": [{}]}}"#,
        written.join(",\n")
    );
    case::load(
        &[Source {
            name: "operations.json".into(),
            text,
        }],
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .expect("the cases load")
}

/// The turns (in the order every step of the run finished) of a case's first and last
/// finished step, by case id.
type SpanMap = BTreeMap<String, (u64, u64)>;

/// Each case's span, and the turn of the last step finished.
#[derive(Debug, Default)]
struct Spans(Mutex<(u64, SpanMap)>);

/// How a case ended: its id, status and first finding.
type Ended = (String, CaseStatus, String);

impl Reporter for Spans {
    fn event(&self, event: &TestEvent<'_>) {
        if let TestEvent::StepFinished { case, .. } = event {
            let mut state = self.0.lock().unwrap();
            let (turn, spans) = &mut *state;
            *turn += 1;
            let now = *turn;
            spans
                .entry(case.to_string())
                .and_modify(|span| span.1 = now)
                .or_insert((now, now));
        }
    }
}

/// The kind of a case, from its id (`operations::READ_3` is READ).
fn kind(id: &str) -> &str {
    id.trim_start_matches("operations::")
        .split('_')
        .next()
        .unwrap_or("")
}

/// Runs `cases` with one pool bucket, 8 at once; how each ended and every case's span.
fn run(cases: &[LoadedCase]) -> (Vec<Ended>, SpanMap) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The emulator's default rules are the account's: CTS.0209 per bucket operation.
    let running = runtime
        .block_on(emulator::start(
            EmulatorConfig::default(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("the emulator starts");
    let mut config = RunConfig::new(running.base_url(), PROJECT);
    config.data_buckets = vec!["only-bucket".into()];
    config.obs_buckets = vec!["operations-obs".into()];
    let run_id = config.run_id.clone();
    let spans = Arc::new(Spans::default());
    let buffer = Arc::new(ReorderBuffer::default());
    let session = Session::new(
        Contract::embedded_shared(),
        cts_conform::cts::Cts::shared(),
        config,
        HttpClient::for_target(&running.base_url()).unwrap(),
        runtime.handle().clone(),
        Ledger::in_memory(&run_id, cts_conform::cts::Cts::shared()),
    )
    .with_reporter(Arc::clone(&spans) as Arc<dyn Reporter>)
    .with_reporter(Arc::clone(&buffer) as Arc<dyn Reporter>);
    let order: Vec<usize> = (0..cases.len()).collect();
    run_cases(&session, cases, &order, 8, Some(&buffer));
    let outcomes = order
        .iter()
        .map(|&index| {
            let finished = buffer.take(index).expect("every case ends");
            let message = finished
                .outcome
                .findings()
                .next()
                .map(|f| f.summary.clone())
                .unwrap_or_default();
            (finished.outcome.id, finished.outcome.status, message)
        })
        .collect();
    runtime.block_on(running.shutdown());
    let spans = spans.0.lock().unwrap().1.clone();
    (outcomes, spans)
}

#[test]
fn disjoint_operations_share_one_bucket_and_overlapping_ones_never_do() {
    let cases = cases(&[
        "READ", "READ", "READ", "WRITE", "WRITE", "WRITE", "BOTH", "BOTH",
    ]);
    let (outcomes, spans) = run(&cases);
    for (id, status, message) in &outcomes {
        assert_eq!(status, &CaseStatus::Passed, "{id}: {message}");
    }
    let overlap = |a: &(u64, u64), b: &(u64, u64)| a.0 < b.1 && b.0 < a.1;
    let mut shared = Vec::new();
    let mut collided = Vec::new();
    for (a, span_a) in &spans {
        for (b, span_b) in spans.range::<String, _>((
            std::ops::Bound::Excluded(a.clone()),
            std::ops::Bound::Unbounded,
        )) {
            if !overlap(span_a, span_b) {
                continue;
            }
            match (kind(a), kind(b)) {
                ("READ", "WRITE") | ("WRITE", "READ") => shared.push(format!("{a} + {b}")),
                _ => collided.push(format!("{a} + {b}")),
            }
        }
    }
    assert!(
        collided.is_empty(),
        "held the bucket together: {collided:?}"
    );
    assert!(
        !shared.is_empty(),
        "no READ case held the bucket beside a WRITE case: {spans:?}"
    );
}
