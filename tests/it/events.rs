//! The runner tells reporters what happens, in order (issue 16: events to reporters): a
//! case starts, each step and cleanup step finishes, the case finishes; and a session with
//! no reporter keeps no outcome.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use cts_conform::case::{self, builtin_sources};
use cts_conform::contract::Contract;
use cts_conform::emulator::{self, EmulatorConfig};
use cts_conform::http::client::HttpClient;
use cts_conform::run::event::{Collector, Reporter, TestEvent};
use cts_conform::run::ledger::Ledger;
use cts_conform::run::{RunConfig, Session};

/// Writes down each event as one line.
#[derive(Debug, Default)]
struct Log(Mutex<Vec<String>>);

impl Reporter for Log {
    fn event(&self, event: &TestEvent<'_>) {
        let line = match event {
            TestEvent::CaseStarted { case } => format!("started {}", case.id),
            TestEvent::StepFinished {
                case,
                step,
                cleanup,
            } => format!(
                "{} {case}: {}",
                if *cleanup { "cleanup" } else { "step" },
                step.label
            ),
            TestEvent::CaseFinished {
                index,
                outcome,
                verdict,
                leased,
            } => format!(
                "finished {index} {} {:?} {} leased {}",
                outcome.id,
                outcome.status,
                verdict.name(),
                leased.contains_key("data_bucket")
            ),
            TestEvent::RunFinished => "run finished".into(),
        };
        self.0.lock().unwrap().push(line);
    }
}

#[test]
fn a_case_is_told_as_it_happens() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let running = runtime
        .block_on(emulator::start(EmulatorConfig::default(), listen))
        .unwrap();
    let contract = Contract::embedded();
    let cases = case::load(&builtin_sources(), contract, &cts_conform::cts::CASE_RULES).unwrap();
    let wanted = "query_trackers::data_tracker_is_listed_with_what_was_sent";
    let case = cases.iter().find(|c| c.id == wanted).unwrap();
    let config = RunConfig::new(running.base_url(), "0123456789abcdef0123456789abcdef");
    let run_id = config.run_id.clone();
    let client = HttpClient::for_target(&config.base_url).unwrap();
    let log = Arc::new(Log::default());
    let collector = Arc::new(Collector::default());
    let session = Session::new(
        Contract::embedded_shared(),
        cts_conform::cts::Cts::shared(),
        config,
        client,
        runtime.handle().clone(),
        Ledger::in_memory(&run_id, cts_conform::cts::Cts::shared()),
    )
    .with_reporter(Arc::clone(&log) as Arc<dyn Reporter>)
    .with_reporter(Arc::clone(&collector) as Arc<dyn Reporter>);
    let finished = crate::run_one::run_one(&session, &collector, case);
    let lines = log.0.lock().unwrap().clone();
    assert_eq!(
        lines,
        [
            format!("started {wanted}"),
            format!("step {wanted}: CreateTracker"),
            format!("step {wanted}: ListTrackers"),
            format!("cleanup {wanted}: DeleteTracker"),
            format!("finished 0 {wanted} Passed passed leased true"),
            "run finished".to_string(),
        ]
    );
    assert_eq!(finished.outcome.id, wanted);
    runtime.block_on(running.shutdown());
}
