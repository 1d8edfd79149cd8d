//! Running many cases at once on few threads: the cases of a run are futures, shared by up
//! to one runner thread per core, each driving its own current-thread runtime with its own
//! HTTP client, at most `concurrency` cases at a time in all, as a bare async client would
//! send its requests. A case waits for nothing while it runs: it is
//! started only once its serial groups are free, its places of the leak budget
//! (`--max-live`, [`super::budget`]) are, and a data bucket with the operations it tracks
//! ([`super::tracked`], read once before the first case) is, so no thread ever blocks on
//! a lock or a lease. Each case's end is an event to the session's
//! reporters; `--test-threads 1` is this scheduler with one slot.
//!
//! Why futures and not a thread per case: a case spends its time waiting on the target,
//! and a thread per case costs a context switch per response (eight trial threads on two
//! cores spent more time switching than checking); futures on a runner thread answer many
//! responses per wake-up, and one runner per core keeps checking (CPU work) off one core.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use std::panic::AssertUnwindSafe;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

use super::event::TestEvent;
use super::pool::{Lease, NoLease, Operations};
use super::reorder::ReorderBuffer;
use super::session::{current_thread_runtime, Session};
use crate::case::LoadedCase;

/// Finished cases not yet printed beyond which no new case is started while others run:
/// a printer that falls behind (a slow terminal) bounds the memory of a large run.
const BACKLOG_PER_SLOT: usize = 8;

/// Tells the reporters that the run finished when the runner ends, also by a panic: a
/// printer waiting for a case never waits forever.
struct FinishOnDrop<'a>(&'a Session);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.emit(&TestEvent::RunFinished);
    }
}

/// Runs the cases `order` names (indices into `cases`, in the order to start them), at
/// most `concurrency` at once; each case's end, and then the run's, are events to the
/// session's reporters. `pace`: the terminal's buffer, whose backlog holds back new
/// cases. The cases are shared by up to one runner thread per core (the calling thread is
/// one), each a current-thread runtime with its own HTTP client: a runner waits on the
/// network, but checking answers is CPU work. Returns when every case has
/// ended.
pub fn run_cases(
    session: &Session,
    cases: &[LoadedCase],
    order: &[usize],
    concurrency: usize,
    pace: Option<&ReorderBuffer>,
) {
    let _finish = FinishOnDrop(session);
    let concurrency = concurrency.max(1);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runners = concurrency.min(cores);
    // Which operations of a data bucket each case to run tracks: read once, here.
    let mut operations = vec![None; cases.len()];
    for &index in order {
        if let Some(case) = cases.get(index) {
            operations[index] = super::tracked::operations(case);
        }
    }
    let shared = Shared {
        admission: Mutex::new(Admission::new(order, operations)),
        freed: tokio::sync::Notify::new(),
        backlog_cap: concurrency.saturating_mul(BACKLOG_PER_SLOT).max(64),
    };
    // Runner i runs its share of the cases at once: together, `concurrency`.
    let slots = |i: usize| concurrency / runners + usize::from(i < concurrency % runners);
    std::thread::scope(|scope| {
        for i in 1..runners {
            let shared = &shared;
            let started = std::thread::Builder::new()
                .name(format!("cts-conform-runner-{i}"))
                .spawn_scoped(scope, move || {
                    runner(session, cases, slots(i), shared, pace)
                });
            if started.is_err() {
                // The others run its share of the cases; fewer at once, nothing lost.
                break;
            }
        }
        runner(session, cases, slots(0), &shared, pace);
    });
}

/// What the runner threads share: who starts what next, and a wake-up when a running
/// case ends (its groups or bucket may let a waiting case start on another runner).
struct Shared<'o> {
    admission: Mutex<Admission<'o>>,
    freed: tokio::sync::Notify,
    backlog_cap: usize,
}

impl<'o> Shared<'o> {
    fn admission(&self) -> MutexGuard<'_, Admission<'o>> {
        self.admission
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One runner thread: its own runtime and client, `slots` cases at once.
fn runner(
    session: &Session,
    cases: &[LoadedCase],
    slots: usize,
    shared: &Shared<'_>,
    pace: Option<&ReorderBuffer>,
) {
    session.adopt_thread_client();
    let work = drive(session, cases, slots.max(1), shared, pace);
    match current_thread_runtime() {
        Some(runtime) => runtime.block_on(work),
        None => session.shared_runtime().block_on(work),
    }
}

/// What a case holds while it runs, given back when it ends (its places of the leak
/// budget by [`Session::run_admitted`]).
struct Held<'a> {
    groups: Vec<&'a str>,
    places: usize,
}

/// Why a case cannot start yet.
enum Blocked {
    /// A serial group of it is held by a running case.
    Groups,
    /// The leak budget is full (running cases hold it).
    Budget,
    /// Every data bucket is held.
    Pool,
}

/// What [`Admission::try_admit`] admits: the case, its lease and what it holds.
type Start<'s, 'c> = (usize, Result<Option<Lease<'s>>, NoLease>, Held<'c>);

async fn drive(
    session: &Session,
    cases: &[LoadedCase],
    slots: usize,
    shared: &Shared<'_>,
    pace: Option<&ReorderBuffer>,
) {
    let mut running = FuturesUnordered::new();
    loop {
        // Registered before looking, so that a case ending on another runner between
        // the look and the wait is not missed.
        let freed = shared.freed.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();
        // A printer far behind: let the running cases finish before starting more.
        let paced = !running.is_empty()
            && pace.is_some_and(|buffer| buffer.backlog() >= shared.backlog_cap);
        let mut exhausted = false;
        // A case left waits for one running elsewhere: only then may a case ending on
        // another runner let this one start something (else that wake-up is wasted).
        let mut blocked = false;
        while !paced && running.len() < slots {
            let next = shared.admission().next(session, cases);
            match next {
                Admitted::Case(index, lease, held) => {
                    let case = &cases[index];
                    running.push(async move {
                        // A defect that panics ends this case, not the runner: the case
                        // fails with a harness finding naming the panic.
                        let run =
                            AssertUnwindSafe(session.run_admitted(index, case, lease, held.places));
                        (index, run.catch_unwind().await.err(), held)
                    });
                }
                Admitted::Waiting => {
                    blocked = true;
                    break;
                }
                Admitted::Nothing => {
                    exhausted = true;
                    break;
                }
            }
        }
        if running.is_empty() {
            if exhausted {
                return;
            }
            // Every case left waits for one running on another runner.
            freed.await;
            continue;
        }
        tokio::select! {
            finished = running.next() => {
                if let Some((index, panic, held)) = finished {
                    let places = held.places;
                    shared.admission().release(held);
                    shared.freed.notify_waiters();
                    if let Some(panic) = panic {
                        // A panic ended the case before it gave its places back.
                        session.live().release(places, 0);
                        session.abandoned(index, &cases[index], &panic_message(&*panic));
                    }
                }
            }
            // Something freed on another runner, or the printer took a case.
            _ = &mut freed, if blocked => {}
            _ = async { if let Some(buffer) = pace { buffer.taken().notified().await } }, if paced => {}
        }
    }
}

/// What a panic said, for the harness finding of the case it stopped.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// What [`Admission::next`] found.
enum Admitted<'s, 'c> {
    /// This case starts now, with its lease and what it holds.
    Case(usize, Result<Option<Lease<'s>>, NoLease>, Held<'c>),
    /// Cases are left, but each waits for a running one to end.
    Waiting,
    /// No case is left to start.
    Nothing,
}

/// Which case starts next: the first in order whose serial groups are free and, if it
/// tracks a bucket, for which a bucket with its operations free is. A case that must wait
/// keeps its place; the cases behind it go first meanwhile.
struct Admission<'o> {
    /// Not yet looked at, in order.
    fresh: std::iter::Copied<std::slice::Iter<'o, usize>>,
    /// Looked at and blocked by a busy serial group (checked on every release).
    blocked_by_groups: VecDeque<usize>,
    /// Looked at and blocked by the pool (no bucket with their operations free; these
    /// need one before anything else): one queue per set of operations, so that when
    /// the first of a queue finds no bucket, none behind it need be asked.
    blocked_by_pool: Vec<PoolQueue>,
    /// How many cases were looked at: each waiting case's turn.
    looked_at: u64,
    /// Per case (by index): the operations of a data bucket it tracks, if any.
    operations: Vec<Option<Operations>>,
    /// The serial groups held by running cases.
    groups: BTreeSet<String>,
}

/// The cases waiting for a bucket with `operations` free, with their turns, in order.
struct PoolQueue {
    operations: Operations,
    cases: VecDeque<(u64, usize)>,
}

impl<'o> Admission<'o> {
    fn new(order: &'o [usize], operations: Vec<Option<Operations>>) -> Self {
        Admission {
            fresh: order.iter().copied(),
            blocked_by_groups: VecDeque::new(),
            blocked_by_pool: Vec::new(),
            looked_at: 0,
            operations,
            groups: BTreeSet::new(),
        }
    }

    fn pool_blocked(&self) -> bool {
        self.blocked_by_pool.iter().any(|q| !q.cases.is_empty())
    }

    /// Case `index` (looked at in turn `turn`) waits for a bucket.
    fn wait_for_pool(&mut self, turn: u64, index: usize) {
        let operations = self.operations[index].unwrap_or(Operations::BOTH);
        match self
            .blocked_by_pool
            .iter_mut()
            .find(|q| q.operations == operations)
        {
            Some(queue) => queue.cases.push_back((turn, index)),
            None => self.blocked_by_pool.push(PoolQueue {
                operations,
                cases: VecDeque::from([(turn, index)]),
            }),
        }
    }

    /// The next case that can start now, if any.
    fn next<'s, 'c>(&mut self, session: &'s Session, cases: &'c [LoadedCase]) -> Admitted<'s, 'c> {
        let mut found = self.next_admissible(session, cases);
        if found.is_none() && session.stopping() {
            // The run stopped while looking (the budget is gone): the cases left end now.
            found = self.next_admissible(session, cases);
        }
        match found {
            Some((index, lease, held)) => Admitted::Case(index, lease, held),
            None if self.blocked_by_groups.is_empty() && !self.pool_blocked() => Admitted::Nothing,
            None => Admitted::Waiting,
        }
    }

    fn next_admissible<'s, 'c>(
        &mut self,
        session: &'s Session,
        cases: &'c [LoadedCase],
    ) -> Option<Start<'s, 'c>> {
        // An interrupted or stopped run starts nothing: each case left ends at once as
        // "not run".
        if session.stopping() {
            let index = self
                .blocked_by_groups
                .pop_front()
                .or_else(|| {
                    let queue = self
                        .blocked_by_pool
                        .iter_mut()
                        .find(|q| !q.cases.is_empty())?;
                    queue.cases.pop_front().map(|(_, index)| index)
                })
                .or_else(|| self.fresh.next())?;
            let held = Held {
                groups: Vec::new(),
                places: 0,
            };
            return Some((index, Err(NoLease::GaveUp), held));
        }
        // Those that waited longest first: a group, a place or a bucket may have been
        // freed (those waiting for a group or a place wait in one queue).
        for position in 0..self.blocked_by_groups.len() {
            let index = self.blocked_by_groups[position];
            if let Ok(admitted) = self.try_admit(session, cases, index) {
                self.blocked_by_groups.remove(position);
                return Some(admitted);
            }
        }
        // The queue whose first case waited longest, of those not found blocked now.
        let mut still_blocked = vec![false; self.blocked_by_pool.len()];
        loop {
            let next = self
                .blocked_by_pool
                .iter()
                .enumerate()
                .filter(|(q, _)| !still_blocked[*q])
                .filter_map(|(q, queue)| queue.cases.front().map(|&(turn, index)| (turn, q, index)))
                .min();
            let Some((_, q, index)) = next else { break };
            match self.try_admit(session, cases, index) {
                Ok(admitted) => {
                    self.blocked_by_pool[q].cases.pop_front();
                    return Some(admitted);
                }
                // Still no bucket: neither will the others behind it get one.
                Err(Blocked::Pool) => still_blocked[q] = true,
                Err(Blocked::Groups | Blocked::Budget) => {
                    // Its bucket may come, but a group or place is busy now: wait as such.
                    self.blocked_by_pool[q].cases.pop_front();
                    self.blocked_by_groups.push_back(index);
                }
            }
        }
        while let Some(index) = self.fresh.next() {
            let turn = self.looked_at;
            self.looked_at += 1;
            match self.try_admit(session, cases, index) {
                Ok(admitted) => return Some(admitted),
                Err(Blocked::Pool) => self.wait_for_pool(turn, index),
                Err(Blocked::Groups | Blocked::Budget) => self.blocked_by_groups.push_back(index),
            }
        }
        None
    }

    fn groups_free(&self, case: &LoadedCase) -> bool {
        case.spec.serial.iter().all(|g| !self.groups.contains(g))
    }

    /// Admits case `index` if its groups, its places of the leak budget and (when it
    /// tracks one) a bucket with its operations are free.
    fn try_admit<'s, 'c>(
        &mut self,
        session: &'s Session,
        cases: &'c [LoadedCase],
        index: usize,
    ) -> Result<Start<'s, 'c>, Blocked> {
        let case = &cases[index];
        if !self.groups_free(case) {
            return Err(Blocked::Groups);
        }
        let places = session.places_for(case);
        if session.reserve(places).is_err() {
            return Err(Blocked::Budget);
        }
        let lease = if let Some(operations) = self.operations[index] {
            match session.pool().try_lease(operations) {
                Ok(Some(lease)) => Ok(Some(lease)),
                Ok(None) => {
                    session.live().release(places, 0);
                    return Err(Blocked::Pool);
                }
                // No bucket at all: the case starts, to be ignored with the reason.
                Err(no_lease) => Err(no_lease),
            }
        } else {
            Ok(None)
        };
        let groups: Vec<&str> = case.spec.serial.iter().map(String::as_str).collect();
        for group in &groups {
            self.groups.insert((*group).to_owned());
        }
        Ok((index, lease, Held { groups, places }))
    }

    fn release(&mut self, held: Held<'_>) {
        for group in held.groups {
            self.groups.remove(group);
        }
    }
}
