//! The runner that runs many cases at once on a few threads (`run::schedule`), against the
//! embedded emulator: every case ends exactly once; cases of one serial group never
//! overlap; no more cases hold a data bucket at once than the pool has, and never two the
//! same bucket; no more cases run at once than asked; an interrupted run starts nothing.

use std::collections::{BTreeMap, BTreeSet};
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
const NONE: &[&str] = &[];

/// Cases: `listers` that list (two steps each) in `serial` groups, and `trackers` that
/// create a data tracker of `${data_bucket}` (removed by the run's cleanup).
fn cases(listers: &[&[&str]], trackers: usize) -> Vec<LoadedCase> {
    let list_step = r#"{"operation": "ListTrackers", "expect": {"status": 200}}"#;
    let mut written = Vec::new();
    for (i, serial) in listers.iter().enumerate() {
        let serial: Vec<String> = serial.iter().map(|g| format!("\"{g}\"")).collect();
        written.push(format!(
            r#"{{"name": "list_{i}", "doc": "lists", "serial": [{}], "steps": [{list_step}, {list_step}]}}"#,
            serial.join(", ")
        ));
    }
    for i in 0..trackers {
        written.push(format!(
            r#"{{"name": "track_{i}", "doc": "tracks a bucket", "steps": [
                {{"operation": "CreateTracker",
                  "body": {{"tracker_type": "data", "tracker_name": "${{prefix}}-t{i}",
                            "data_bucket": {{"data_bucket_name": "${{data_bucket}}"}}}},
                  "expect": {{"status": 201}}}},
                {list_step}]}}"#
        ));
    }
    let text = format!(
        r#"{{"suite": "schedule", "cases": [{}]}}"#,
        written.join(",\n")
    );
    case::load(
        &[Source {
            name: "schedule.json".into(),
            text,
        }],
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .expect("the cases load")
}

/// Watches who runs at once: in all, and per serial group.
#[derive(Debug, Default)]
struct Watch {
    state: Mutex<WatchState>,
}

#[derive(Debug, Default)]
struct WatchState {
    running: usize,
    most_running: usize,
    groups: BTreeMap<String, usize>,
    /// The serial groups of each running case.
    holder_groups: BTreeMap<String, Vec<String>>,
    overlaps: Vec<String>,
    finished: Vec<String>,
}

impl Reporter for Watch {
    fn event(&self, event: &TestEvent<'_>) {
        let mut s = self.state.lock().unwrap();
        match event {
            TestEvent::CaseStarted { case } => {
                s.running += 1;
                s.most_running = s.most_running.max(s.running);
                for group in &case.spec.serial {
                    let n = s.groups.entry(group.clone()).or_default();
                    *n += 1;
                    if *n > 1 {
                        let what = format!("group {group} by {}", case.id);
                        s.overlaps.push(what);
                    }
                }
                s.holder_groups
                    .insert(case.id.clone(), case.spec.serial.clone());
            }
            TestEvent::StepFinished { .. } | TestEvent::RunFinished => {}
            TestEvent::CaseFinished { outcome, .. } => {
                s.finished.push(outcome.id.clone());
                if let Some(groups) = s.holder_groups.remove(&outcome.id) {
                    s.running -= 1;
                    for group in groups {
                        *s.groups.entry(group).or_default() -= 1;
                    }
                }
            }
        }
    }
}

/// Counts the data buckets held at once, from the requests that create trackers (a
/// bucket is held from the case's first request to its end).
#[derive(Debug, Default)]
struct Leases {
    state: Mutex<(BTreeMap<String, String>, usize, Vec<String>)>,
}

impl Reporter for Leases {
    fn event(&self, event: &TestEvent<'_>) {
        let mut s = self.state.lock().unwrap();
        let (held, most, doubles) = &mut *s;
        match event {
            TestEvent::StepFinished { case, step, .. } => {
                let Some(exchange) = &step.exchange else {
                    return;
                };
                let Some(body) = &exchange.request.body else {
                    return;
                };
                let body: serde_json::Value = serde_json::from_slice(body).unwrap();
                if let Some(bucket) = body.pointer("/data_bucket/data_bucket_name") {
                    let bucket = bucket.as_str().unwrap().to_string();
                    if held.values().any(|b| *b == bucket) && held.get(*case) != Some(&bucket) {
                        doubles.push(format!("{bucket} by {case}"));
                    }
                    held.insert(case.to_string(), bucket);
                    *most = (*most).max(held.len());
                }
            }
            TestEvent::CaseFinished { outcome, .. } => {
                held.remove(&outcome.id);
            }
            TestEvent::CaseStarted { .. } | TestEvent::RunFinished => {}
        }
    }
}

/// Panics when the case named `case` starts, as a defect in the runner would.
#[derive(Debug)]
struct PanicsOn(&'static str);

impl Reporter for PanicsOn {
    fn event(&self, event: &TestEvent<'_>) {
        if let TestEvent::CaseStarted { case } = event {
            if case.id.ends_with(self.0) {
                panic!("a defect in case {}", case.id);
            }
        }
    }
}

struct Run {
    /// How each case ended, and the message of its first finding.
    outcomes: BTreeMap<usize, (CaseStatus, String)>,
    watch: Arc<Watch>,
    leases: Arc<Leases>,
}

fn run(cases: &[LoadedCase], concurrency: usize, buckets: &[&str], interrupt: bool) -> Run {
    run_with(cases, concurrency, buckets, interrupt, None)
}

fn run_with(
    cases: &[LoadedCase],
    concurrency: usize,
    buckets: &[&str],
    interrupt: bool,
    panics_on: Option<&'static str>,
) -> Run {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let running = runtime
        .block_on(emulator::start(
            EmulatorConfig::default(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("the emulator starts");
    let mut config = RunConfig::new(running.base_url(), PROJECT);
    config.data_buckets = buckets.iter().map(|b| b.to_string()).collect();
    config.obs_buckets = vec!["schedule-obs".into()];
    let run_id = config.run_id.clone();
    let watch = Arc::new(Watch::default());
    let leases = Arc::new(Leases::default());
    let session = Session::new(
        Contract::embedded_shared(),
        cts_conform::cts::Cts::shared(),
        config,
        HttpClient::for_target(&running.base_url()).unwrap(),
        runtime.handle().clone(),
        Ledger::in_memory(&run_id, cts_conform::cts::Cts::shared()),
    )
    .with_reporter(Arc::clone(&watch) as Arc<dyn Reporter>)
    .with_reporter(Arc::clone(&leases) as Arc<dyn Reporter>);
    // The terminal's buffer: each case's end from the event stream, by plan index.
    let buffer = Arc::new(ReorderBuffer::default());
    let session = session.with_reporter(Arc::clone(&buffer) as Arc<dyn Reporter>);
    let session = match panics_on {
        Some(case) => session.with_reporter(Arc::new(PanicsOn(case))),
        None => session,
    };
    if interrupt {
        session.interrupt();
    }
    let order: Vec<usize> = (0..cases.len()).collect();
    run_cases(&session, cases, &order, concurrency, Some(&buffer));
    let mut outcomes = BTreeMap::new();
    for index in order {
        let finished = buffer.take(index).expect("every case ends");
        let message = finished
            .outcome
            .findings()
            .next()
            .map(|f| f.summary.clone())
            .unwrap_or_default();
        outcomes.insert(index, (finished.outcome.status, message));
    }
    // The run finished, and nothing more is in the buffer: each case ended once.
    assert!(buffer.take(cases.len()).is_none());
    assert_eq!(buffer.backlog(), 0);
    runtime.block_on(running.shutdown());
    Run {
        outcomes,
        watch,
        leases,
    }
}

#[test]
fn every_case_ends_once_and_no_more_run_at_once_than_asked() {
    let cases = cases(&[NONE; 40], 0);
    for concurrency in [1, 3, 8] {
        let run = run(&cases, concurrency, &[], false);
        assert_eq!(run.outcomes.len(), 40);
        assert!(run
            .outcomes
            .values()
            .all(|(s, _)| matches!(s, CaseStatus::Passed)));
        let watch = run.watch.state.lock().unwrap();
        let mut finished = watch.finished.clone();
        finished.sort();
        finished.dedup();
        assert_eq!(finished.len(), 40, "each case finished once");
        assert!(
            watch.most_running <= concurrency,
            "{} at once with {concurrency} asked",
            watch.most_running
        );
    }
}

#[test]
fn cases_of_one_serial_group_never_overlap() {
    // Alternating groups, some cases in two groups, some in none.
    let groups: Vec<&[&str]> = (0..30)
        .map(|i| match i % 5 {
            0 => &["a"][..],
            1 => &["b"][..],
            2 => &["a", "b"][..],
            3 => &[][..],
            _ => &["c"][..],
        })
        .collect();
    let cases = cases(&groups, 0);
    let run = run(&cases, 8, &[], false);
    assert!(run
        .outcomes
        .values()
        .all(|(s, _)| matches!(s, CaseStatus::Passed)));
    let watch = run.watch.state.lock().unwrap();
    assert!(watch.overlaps.is_empty(), "overlaps: {:?}", watch.overlaps);
    // Ungrouped and other-group cases did run beside grouped ones.
    assert!(watch.most_running > 1);
}

#[test]
fn no_two_cases_hold_one_bucket_and_no_more_than_the_pool_at_once() {
    let cases = cases(&[NONE; 6], 12);
    let run = run(&cases, 8, &["sched-b1", "sched-b2"], false);
    for (index, (status, _)) in &run.outcomes {
        assert!(
            matches!(status, CaseStatus::Passed),
            "{}: {status:?}",
            cases[*index].id
        );
    }
    let (_, most, doubles) = &*run.leases.state.lock().unwrap();
    assert!(doubles.is_empty(), "a bucket held twice: {doubles:?}");
    assert!(*most <= 2, "{most} buckets held at once from a pool of 2");
    assert!(*most >= 1);
}

#[test]
fn without_a_bucket_the_cases_that_track_one_are_ignored_and_the_rest_run() {
    let cases = cases(&[NONE; 3], 3);
    let run = run(&cases, 4, &[], false);
    let ignored: BTreeSet<usize> = run
        .outcomes
        .iter()
        .filter(|(_, (s, _))| matches!(s, CaseStatus::Ignored(_)))
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(ignored, BTreeSet::from([3, 4, 5]));
}

#[test]
fn an_interrupted_run_starts_nothing() {
    let cases = cases(&[&["a"], NONE, &["a"]], 2);
    let run = run(&cases, 4, &["sched-b1"], true);
    for (status, _) in run.outcomes.values() {
        match status {
            CaseStatus::Ignored(reason) => {
                assert!(reason.contains("interrupted"), "{reason}")
            }
            other => panic!("expected not run, got {other:?}"),
        }
    }
    assert_eq!(run.watch.state.lock().unwrap().most_running, 0);
}

#[test]
fn a_case_that_panics_fails_with_the_panic_named_and_the_rest_run() {
    // list_1 panics as it starts, holding group "a": list_3 (also "a") still runs, and
    // list_1 fails with a harness finding that names the panic.
    let cases = cases(&[&["a"], &["a"], NONE, &["a"], NONE], 0);
    let run = run_with(&cases, 4, &[], false, Some("list_1"));
    for (index, (status, message)) in &run.outcomes {
        match index {
            1 => {
                assert_eq!(status, &CaseStatus::Failed);
                assert!(
                    message.contains("a defect in case schedule::list_1"),
                    "{message}"
                );
            }
            _ => assert!(matches!(status, CaseStatus::Passed), "{index}: {status:?}"),
        }
    }
}
