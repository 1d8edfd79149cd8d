//! Running one case in a test, the way every case runs: through the scheduler
//! (`run::schedule::run_cases`), its end collected from the event stream.

use cts_conform::case::LoadedCase;
use cts_conform::outcome::FinishedCase;
use cts_conform::run::event::Collector;
use cts_conform::run::schedule::run_cases;
use cts_conform::run::Session;

/// Runs `case` alone and gives how it ended; `collector` must be one of the session's
/// reporters (it is emptied).
pub fn run_one(session: &Session, collector: &Collector, case: &LoadedCase) -> FinishedCase {
    collector.take();
    run_cases(session, std::slice::from_ref(case), &[0], 1, None);
    let mut finished = collector.take();
    assert_eq!(finished.len(), 1, "the case ended once");
    finished.remove(0)
}
