//! The critical-path bound of a plan: the fewest round trips any run of it can take,
//! whatever the scheduler does, when every request costs one round trip (a far target,
//! where the latency dwarfs the rest). Against a target `L` away a run cannot finish in
//! less than `L` times the bound; how close it comes is what scheduling is worth.
//!
//! A case's requests go one after another ([`requests`]: its steps, cleanup, and the
//! removal and absence check of what it created and did not delete), so each case is a
//! chain. The bound is the largest of: the longest case; all requests over the threads;
//! each serial group's cases one after another; per bucket operation, the requests of the
//! cases that hold it over the buckets that have it free (a case tracking both needs a
//! bucket with both free); and the places of the leak budget (`--max-live`) the cases hold
//! times their requests, over the budget — plus the check before the run. Each is a lower
//! bound, so the largest is one too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use super::event::{Reporter, TestEvent};
use super::pool::Operations;
use crate::case::model::StepSpec;
use crate::case::LoadedCase;
use crate::cts::Service;
use crate::outcome::CaseStatus;

/// What the bound needs of one case that runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCase {
    pub id: String,
    /// Requests it sends when it passes, one after another.
    pub requests: u64,
    pub serial: Vec<String>,
    /// The operations of a data bucket it holds while it runs, if any.
    pub operations: Option<Operations>,
    /// Places of the leak budget it holds while it runs (one per tracker it creates).
    pub places: u64,
}

impl PlannedCase {
    /// `case` as the bound sees it; `precondition_met`: see [`requests`].
    pub fn of(case: &LoadedCase, precondition_met: bool, service: &dyn Service) -> PlannedCase {
        PlannedCase {
            id: case.id.clone(),
            requests: requests(case, precondition_met, service),
            serial: case.spec.serial.clone(),
            operations: super::tracked::operations(case),
            places: case
                .spec
                .steps
                .iter()
                .filter(|s| s.creates.is_some())
                .count() as u64,
        }
    }
}

/// What the run has to run them with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Cases at once (`--test-threads`).
    pub threads: usize,
    /// Data buckets with READ free, with WRITE free, and with both free.
    pub read: usize,
    pub write: usize,
    pub both: usize,
    /// Places of the leak budget (`--max-live`).
    pub live: usize,
    /// Round trips before the first case (the check before the run).
    pub before: u64,
}

/// Which constraint the bound comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limit {
    /// Nothing runs.
    Nothing,
    /// The case with the most requests.
    LongestCase(String),
    /// All requests over the threads.
    Threads,
    /// The cases of one serial group, one after another.
    SerialGroup(String),
    /// The cases holding these operations of a bucket, over the buckets with them free.
    Buckets(Operations),
    /// The places of the leak budget the cases hold, over the budget.
    LiveTrackers,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Nothing => f.write_str("no case runs"),
            Limit::LongestCase(id) => write!(f, "the longest case, {id}"),
            Limit::Threads => f.write_str("the threads"),
            Limit::SerialGroup(group) => write!(f, "serial group {group}"),
            Limit::Buckets(operations) => write!(f, "the buckets' {operations}"),
            Limit::LiveTrackers => f.write_str("the trackers alive at once, --max-live"),
        }
    }
}

/// The bound and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// Round trips, the check before the run included.
    pub round_trips: u64,
    pub limit: Limit,
    /// Requests of all the cases (without the check before the run).
    pub requests: u64,
    pub cases: usize,
    /// Of those cases, how many hold READ only, WRITE only, and both of a bucket.
    pub holding: [usize; 3],
    pub capacity: Capacity,
}

impl std::fmt::Display for Bound {
    /// `critical path: 13 round trips (the threads); 241 requests in 120 cases, 8 at
    /// once; buckets with READ, WRITE, both free: 8, 8, 8`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.capacity;
        write!(
            f,
            "critical path: {} round trips ({}); {} requests in {} cases ({} hold READ of a \
             bucket, {} WRITE, {} both), {} at once; buckets with READ, WRITE, both free: \
             {}, {}, {}",
            self.round_trips,
            self.limit,
            self.requests,
            self.cases,
            self.holding[0],
            self.holding[1],
            self.holding[2],
            c.threads,
            c.read,
            c.write,
            c.both
        )
    }
}

/// The critical-path bound of running `cases` with `capacity`. A case that tracks
/// operations no bucket has free is left out (it is ignored without a request).
pub fn critical_path(cases: &[PlannedCase], capacity: Capacity) -> Bound {
    let runnable: Vec<&PlannedCase> = cases
        .iter()
        .filter(|c| c.requests > 0)
        .filter(|c| {
            c.operations
                .is_none_or(|ops| buckets_for(ops, capacity) > 0)
        })
        .collect();
    let requests: u64 = runnable.iter().map(|c| c.requests).sum();
    let mut best = (0, Limit::Nothing);
    let mut consider = |round_trips: u64, limit: Limit| {
        if round_trips > best.0 {
            best = (round_trips, limit);
        }
    };
    if let Some(longest) = runnable.iter().max_by_key(|c| c.requests) {
        consider(longest.requests, Limit::LongestCase(longest.id.clone()));
    }
    consider(
        requests.div_ceil(capacity.threads.max(1) as u64),
        Limit::Threads,
    );
    let mut groups = BTreeMap::<&str, u64>::new();
    for case in &runnable {
        for group in case.serial.iter().collect::<BTreeSet<_>>() {
            *groups.entry(group).or_default() += case.requests;
        }
    }
    for (group, sum) in groups {
        consider(sum, Limit::SerialGroup(group.to_string()));
    }
    for operations in [Operations::READ, Operations::WRITE, Operations::BOTH] {
        // The cases that need these operations of one bucket (both: only those that
        // track both; one: every case that tracks it).
        let sum: u64 = runnable
            .iter()
            .filter(|c| {
                c.operations.is_some_and(|ops| match operations {
                    Operations::BOTH => ops == Operations::BOTH,
                    one => ops.contains(one),
                })
            })
            .map(|c| c.requests)
            .sum();
        let buckets = buckets_for(operations, capacity) as u64;
        if sum > 0 && buckets > 0 {
            consider(sum.div_ceil(buckets), Limit::Buckets(operations));
        }
    }
    let place_requests: u64 = runnable.iter().map(|c| c.places * c.requests).sum();
    if place_requests > 0 {
        consider(
            place_requests.div_ceil(capacity.live.max(1) as u64),
            Limit::LiveTrackers,
        );
    }
    let (round_trips, limit) = best;
    let before = if runnable.is_empty() {
        0
    } else {
        capacity.before
    };
    Bound {
        round_trips: round_trips + before,
        limit,
        requests,
        cases: runnable.len(),
        holding: [Operations::READ, Operations::WRITE, Operations::BOTH].map(|ops| {
            runnable
                .iter()
                .filter(|c| c.operations == Some(ops))
                .count()
        }),
        capacity,
    }
}

/// The buckets that can give `operations`.
fn buckets_for(operations: Operations, capacity: Capacity) -> usize {
    match operations {
        Operations::READ => capacity.read,
        Operations::WRITE => capacity.write,
        Operations::NONE => usize::MAX,
        _ => capacity.both,
    }
}

/// The requests `case` sends, one after another, when it passes against a target that
/// does what it expects: its steps (with `precondition_met` false, those up to its first
/// precondition, which ends it), its cleanup steps (those that can run then: a cleanup
/// step needing a capture of a step that did not run is skipped), and for each tracker it
/// creates (a `creates` step expected to answer 2xx) and does not delete itself, the
/// run's removal and the check that it is gone. Never more than the case then sends:
/// what cannot be told from the case (which tracker a delete removes) is not counted.
pub fn requests(case: &LoadedCase, precondition_met: bool, service: &dyn Service) -> u64 {
    let steps = &case.spec.steps;
    let sent = match steps.iter().position(|s| s.precondition.is_some()) {
        Some(at) if !precondition_met => &steps[..=at],
        _ => &steps[..],
    };
    let not_captured: BTreeSet<&str> = steps[sent.len()..]
        .iter()
        .flat_map(|s| s.capture.keys())
        .collect();
    let cleanup = case.spec.cleanup.iter().filter(|s| {
        s.variable_names()
            .iter()
            .all(|v| !not_captured.contains(v.as_str()))
    });
    let all = sent.iter().chain(cleanup);
    // Each step that may remove something (as the service says of a status it expects)
    // removes at most one of them (which one is not told apart: a name may be captured).
    let deletes = all
        .clone()
        .filter(|s| {
            s.expect.status.as_ref().is_some_and(|statuses| {
                statuses
                    .codes()
                    .iter()
                    .any(|&status| service.removed_by(&s.operation, &s.query, status).is_some())
            })
        })
        .count() as u64;
    let created = sent
        .iter()
        .filter(|s| s.creates.is_some() && expects_only(s, |status| (200..300).contains(&status)))
        .count() as u64;
    let left = created.saturating_sub(deletes);
    all.count() as u64 + 2 * left
}

/// Notes, from a run's events, the cases (plan indices) that ended at an unmet
/// precondition: a bound computed after the run counts them to their precondition only.
#[derive(Debug, Default)]
pub struct UnmetPreconditions(Mutex<BTreeSet<usize>>);

impl UnmetPreconditions {
    /// Whether case `index` ended at an unmet precondition.
    pub fn contains(&self, index: usize) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&index)
    }
}

impl Reporter for UnmetPreconditions {
    fn event(&self, event: &TestEvent<'_>) {
        if let TestEvent::CaseFinished { index, outcome, .. } = event {
            if matches!(&outcome.status, CaseStatus::Ignored(reason)
                if reason.starts_with(super::case::PRECONDITION_NOT_MET))
            {
                self.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(*index);
            }
        }
    }
}

/// Whether `step` expects a status, and only ones `ok` accepts.
fn expects_only(step: &StepSpec, ok: impl Fn(u16) -> bool) -> bool {
    step.expect
        .status
        .as_ref()
        .is_some_and(|s| s.codes().iter().all(|&code| ok(code)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cts::Cts;

    fn case(
        id: &str,
        requests: u64,
        serial: &[&str],
        operations: Option<Operations>,
    ) -> PlannedCase {
        PlannedCase {
            id: id.into(),
            requests,
            serial: serial.iter().map(|g| g.to_string()).collect(),
            operations,
            places: 0,
        }
    }

    fn capacity(threads: usize, buckets: usize) -> Capacity {
        Capacity {
            threads,
            read: buckets,
            write: buckets,
            both: buckets,
            live: 16,
            before: 1,
        }
    }

    #[test]
    fn the_leak_budget_bounds_cases_that_create() {
        // 6 cases of 4 requests holding 2 places each, 4 places: 6 * 2 * 4 / 4 = 12.
        let cases: Vec<_> = (0..6)
            .map(|i| PlannedCase {
                places: 2,
                ..case(&format!("c{i}"), 4, &[], None)
            })
            .collect();
        let small = Capacity {
            live: 4,
            ..capacity(32, 8)
        };
        let bound = critical_path(&cases, small);
        assert_eq!((bound.round_trips, bound.limit), (13, Limit::LiveTrackers));
    }

    #[test]
    fn threads_bound_many_short_cases_and_the_longest_case_few() {
        // 10 cases of 3 requests, 4 threads: 30 / 4 = 7.5, so 8 round trips, + the check.
        let cases: Vec<_> = (0..10)
            .map(|i| case(&format!("c{i}"), 3, &[], None))
            .collect();
        let bound = critical_path(&cases, capacity(4, 8));
        assert_eq!(
            (bound.round_trips, bound.limit.clone()),
            (9, Limit::Threads)
        );
        assert_eq!((bound.requests, bound.cases), (30, 10));
        // 32 threads: the longest case (3) is the bound.
        let bound = critical_path(&cases, capacity(32, 8));
        assert_eq!(bound.round_trips, 4);
        assert!(matches!(bound.limit, Limit::LongestCase(_)));
    }

    #[test]
    fn a_serial_group_runs_one_case_after_another() {
        let cases = [
            case("a", 5, &["g"], None),
            case("b", 4, &["g", "h"], None),
            case("c", 6, &["h"], None),
            case("d", 2, &[], None),
        ];
        // g: 5 + 4 = 9, h: 4 + 6 = 10, threads: 17 / 8 -> 3, longest: 6.
        let bound = critical_path(&cases, capacity(8, 8));
        assert_eq!(bound.round_trips, 11);
        assert_eq!(bound.limit, Limit::SerialGroup("h".into()));
    }

    #[test]
    fn disjoint_operations_share_a_bucket_and_both_need_a_whole_one() {
        let read = |i| case(&format!("r{i}"), 4, &[], Some(Operations::READ));
        let write = |i| case(&format!("w{i}"), 4, &[], Some(Operations::WRITE));
        // One bucket: 3 READ cases share READ (12), 3 WRITE cases WRITE (12) beside them.
        let cases: Vec<_> = (0..3).map(read).chain((0..3).map(write)).collect();
        let bound = critical_path(&cases, capacity(8, 1));
        assert_eq!(bound.round_trips, 13);
        assert!(matches!(bound.limit, Limit::Buckets(_)));
        // A case tracking both needs READ too: READ is held 12 + 4 = 16 round trips.
        let mut with_both = cases.clone();
        with_both.push(case("b", 4, &[], Some(Operations::BOTH)));
        let bound = critical_path(&with_both, capacity(8, 1));
        assert_eq!(
            (bound.round_trips, bound.limit),
            (17, Limit::Buckets(Operations::READ))
        );
        // Two buckets, READ free in both but WRITE in one: WRITE's 12 over 1.
        let partial = Capacity {
            read: 2,
            write: 1,
            both: 1,
            ..capacity(8, 2)
        };
        let bound = critical_path(&cases, partial);
        assert_eq!(
            (bound.round_trips, bound.limit),
            (13, Limit::Buckets(Operations::WRITE))
        );
    }

    #[test]
    fn cases_that_cannot_run_count_nothing() {
        let cases = [
            case("r", 9, &[], Some(Operations::READ)),
            case("n", 0, &[], None),
            case("l", 2, &[], None),
        ];
        let no_read = Capacity {
            read: 0,
            both: 0,
            ..capacity(8, 1)
        };
        let bound = critical_path(&cases, no_read);
        assert_eq!((bound.round_trips, bound.cases, bound.requests), (3, 1, 2));
        let nothing = critical_path(&[], capacity(8, 8));
        assert_eq!((nothing.round_trips, nothing.limit), (0, Limit::Nothing));
    }

    fn loaded(steps: &str, cleanup: &str) -> LoadedCase {
        let text = format!(
            r#"{{"suite": "t", "cases": [{{"name": "c", "doc": "d", "steps": [{steps}], "cleanup": [{cleanup}]}}]}}"#
        );
        crate::case::load(
            &[crate::case::Source {
                name: "t.json".into(),
                text,
            }],
            crate::contract::Contract::embedded(),
            &crate::cts::CASE_RULES,
        )
        .expect("the case loads")
        .remove(0)
    }

    const CREATE_A: &str = r#"{"operation": "CreateTracker",
        "body": {"tracker_type": "data", "tracker_name": "${prefix}-a", "data_bucket": {"data_bucket_name": "${data_bucket}"}},
        "creates": {"tracker_name": "${prefix}-a", "tracker_type": "data"}, "expect": {"status": 201}}"#;
    const REFUSED_B: &str = r#"{"operation": "CreateTracker",
        "body": {"tracker_type": "data", "tracker_name": "${prefix}-b"},
        "creates": {"tracker_name": "${prefix}-b", "tracker_type": "data"}, "expect": {"status": 400}}"#;
    const LIST: &str = r#"{"operation": "ListTrackers", "expect": {"status": 200}}"#;
    const DELETE_A: &str = r#"{"operation": "DeleteTracker",
        "query": {"tracker_name": "${prefix}-a", "tracker_type": "data"}, "expect": {"status": [204, 404]}}"#;

    #[test]
    fn a_case_sends_its_steps_its_cleanup_and_removes_what_it_left() {
        // Created and left: the run removes it and checks it is gone (2 more).
        assert_eq!(
            requests(&loaded(&format!("{CREATE_A}, {LIST}"), ""), true, &Cts),
            4
        );
        // Deleted by its own cleanup: nothing more.
        assert_eq!(
            requests(
                &loaded(&format!("{CREATE_A}, {LIST}"), DELETE_A),
                true,
                &Cts
            ),
            3
        );
        // A create expected to be refused leaves nothing.
        assert_eq!(requests(&loaded(REFUSED_B, ""), true, &Cts), 1);
    }

    #[test]
    fn an_unmet_precondition_ends_the_case_and_its_cleanup_that_needs_later_captures() {
        let precondition = r#"{"operation": "ListTrackers", "expect": {"status": 200},
            "precondition": "none yet", "capture": {"id": "/trackers/0/id"}}"#;
        let capture_later = r#"{"operation": "ListTrackers", "expect": {"status": 200},
            "capture": {"later": "/trackers/0/id"}}"#;
        let cleanup_later = r#"{"operation": "DeleteTracker",
            "query": {"tracker_name": "${later}", "tracker_type": "data"}, "expect": {"status": [204, 404]}}"#;
        let case = loaded(
            &format!("{LIST}, {precondition}, {CREATE_A}, {capture_later}"),
            &format!("{DELETE_A}, {cleanup_later}"),
        );
        // Met: four steps and two cleanup steps; the one tracker made is deleted.
        assert_eq!(requests(&case, true, &Cts), 6);
        // Unmet: two steps, and the cleanup that needs no later capture.
        assert_eq!(requests(&case, false, &Cts), 3);
        // Without its cleanup, a met case's create is removed by the run: 2 more.
        let uncleaned = loaded(&format!("{LIST}, {precondition}, {CREATE_A}"), "");
        assert_eq!(
            (
                requests(&uncleaned, true, &Cts),
                requests(&uncleaned, false, &Cts)
            ),
            (5, 2)
        );
    }
}
