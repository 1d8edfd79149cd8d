//! Running many cases at once on one thread: the cases of a run are futures driven by one
//! current-thread runtime with one HTTP client, at most `concurrency` at a time, as a bare
//! async client would send its requests. A case waits for nothing while it runs: it is
//! started only once its serial groups are free, its places of the leak budget
//! (`--max-live`, [`super::budget`]) are, and a data bucket is (if it tracks one), so no
//! thread ever blocks on a lock or a lease. Finished outcomes go to a [`Mailbox`], from
//! which a reporter on another thread takes them in its own order.
//!
//! Why one thread: a case spends its time waiting on the target, and a thread per case
//! costs a context switch per response (eight trial threads on two cores spent more time
//! switching than checking); futures on one thread answer many responses per wake-up.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use std::panic::AssertUnwindSafe;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

use super::case::CaseOutcome;
use super::pool::{Lease, NoLease};
use super::session::{current_thread_runtime, Session};
use crate::case::LoadedCase;

/// Outcomes finished but not taken beyond which no new case is started while others run:
/// a reporter that falls behind (a slow terminal) bounds the memory of a large run.
const BACKLOG_PER_SLOT: usize = 8;

/// Finished outcomes by case index, handed from the runner's thread to a reporter's.
#[derive(Debug, Default)]
pub struct Mailbox {
    state: Mutex<MailboxState>,
    arrived: Condvar,
    taken: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct MailboxState {
    /// `None`: the case ended without an outcome (see [`Mailbox::abandon`]).
    outcomes: HashMap<usize, Option<CaseOutcome>>,
    /// No outcome will come any more (the runner ended, or stopped).
    closed: bool,
    /// The cases whose outcomes a [`Mailbox::take`] waits for (one per waiting reporter):
    /// only their arrival wakes one (the others it finds when it asks for them), so a
    /// reporter behind the runners is not woken once per outcome.
    awaited: Vec<usize>,
}

impl Mailbox {
    fn state(&self) -> MutexGuard<'_, MailboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Leaves the outcome of case `index`.
    pub fn put(&self, index: usize, outcome: CaseOutcome) {
        self.deliver(index, Some(outcome));
    }

    /// Case `index` ended without an outcome (a defect stopped it): [`Mailbox::take`]
    /// says so at once.
    pub fn abandon(&self, index: usize) {
        self.deliver(index, None);
    }

    fn deliver(&self, index: usize, outcome: Option<CaseOutcome>) {
        let mut state = self.state();
        state.outcomes.insert(index, outcome);
        let awaited = state.awaited.contains(&index);
        drop(state);
        if awaited {
            self.arrived.notify_all();
        }
    }

    /// No outcome will come any more: every waiting [`Mailbox::take`] returns.
    pub fn close(&self) {
        self.state().closed = true;
        self.arrived.notify_all();
    }

    /// The outcome of case `index`, waiting until it arrives; `None` if the case ended
    /// without one, or the mailbox is closed without it (never run): a defect the caller
    /// must deal with.
    pub fn take(&self, index: usize) -> Option<CaseOutcome> {
        let mut state = self.state();
        loop {
            if let Some(outcome) = state.outcomes.remove(&index) {
                drop(state);
                self.taken.notify_one();
                return outcome;
            }
            if state.closed {
                return None;
            }
            state.awaited.push(index);
            state = self
                .arrived
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = state.awaited.iter().position(|&i| i == index) {
                state.awaited.swap_remove(at);
            }
        }
    }

    /// How many outcomes wait to be taken.
    fn backlog(&self) -> usize {
        self.state().outcomes.len()
    }
}

/// Closes the mailbox when the runner ends, also by a panic: a reporter waiting for an
/// outcome never waits forever.
struct CloseOnDrop<'a>(&'a Mailbox);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Runs the cases `order` names (indices into `cases`, in the order to start them), at
/// most `concurrency` at once, and leaves each outcome in `mailbox`, which is closed at
/// the end. The cases are shared by up to one runner thread per core (the calling
/// thread is one), each a current-thread runtime with its own HTTP client: a runner
/// waits on the network, but checking answers is CPU work. Returns when every case has
/// ended.
pub fn run_cases(
    session: &Session,
    cases: &[LoadedCase],
    order: &[usize],
    concurrency: usize,
    mailbox: &Mailbox,
) {
    let _close = CloseOnDrop(mailbox);
    let concurrency = concurrency.max(1);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runners = concurrency.min(cores);
    let shared = Shared {
        admission: Mutex::new(Admission::new(order)),
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
                    runner(session, cases, slots(i), shared, mailbox)
                });
            if started.is_err() {
                // The others run its share of the cases; fewer at once, nothing lost.
                break;
            }
        }
        runner(session, cases, slots(0), &shared, mailbox);
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
    mailbox: &Mailbox,
) {
    session.adopt_thread_client();
    let work = drive(session, cases, slots.max(1), shared, mailbox);
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
    mailbox: &Mailbox,
) {
    let mut running = FuturesUnordered::new();
    loop {
        // Registered before looking, so that a case ending on another runner between
        // the look and the wait is not missed.
        let freed = shared.freed.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();
        // A reporter far behind: let the running cases finish before starting more.
        let paced = !running.is_empty() && mailbox.backlog() >= shared.backlog_cap;
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
                        // is abandoned, and the reporter runs it again on its own thread,
                        // where the panic is reported as the case's failure.
                        let run = AssertUnwindSafe(session.run_admitted(case, lease, held.places));
                        (index, run.catch_unwind().await.ok(), held)
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
                if let Some((index, outcome, held)) = finished {
                    if outcome.is_none() {
                        // A panic ended the case before it gave its places back.
                        session.live().release(held.places, 0);
                    }
                    shared.admission().release(held);
                    shared.freed.notify_waiters();
                    match outcome {
                        Some(outcome) => mailbox.put(index, outcome),
                        None => mailbox.abandon(index),
                    }
                }
            }
            // Something freed on another runner, or the reporter took an outcome.
            _ = &mut freed, if blocked => {}
            _ = mailbox.taken.notified(), if paced => {}
        }
    }
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
/// tracks a bucket, for which a bucket is free. A case that must wait keeps its place;
/// the cases behind it go first meanwhile.
struct Admission<'o> {
    /// Not yet looked at, in order.
    fresh: std::iter::Copied<std::slice::Iter<'o, usize>>,
    /// Looked at and blocked: by a busy serial group (checked on every release), or by
    /// the pool (all buckets held; these need a free bucket before anything else).
    blocked_by_groups: VecDeque<usize>,
    blocked_by_pool: VecDeque<usize>,
    /// The serial groups held by running cases.
    groups: BTreeSet<String>,
}

impl<'o> Admission<'o> {
    fn new(order: &'o [usize]) -> Self {
        Admission {
            fresh: order.iter().copied(),
            blocked_by_groups: VecDeque::new(),
            blocked_by_pool: VecDeque::new(),
            groups: BTreeSet::new(),
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
            None if self.blocked_by_groups.is_empty() && self.blocked_by_pool.is_empty() => {
                Admitted::Nothing
            }
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
                .or_else(|| self.blocked_by_pool.pop_front())
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
        while let Some(&index) = self.blocked_by_pool.front() {
            match self.try_admit(session, cases, index) {
                Ok(admitted) => {
                    self.blocked_by_pool.pop_front();
                    return Some(admitted);
                }
                // Still no bucket: neither will the others behind it get one.
                Err(Blocked::Pool) => break,
                Err(Blocked::Groups | Blocked::Budget) => {
                    // Its bucket may come, but a group or place is busy now: wait as such.
                    self.blocked_by_pool.pop_front();
                    self.blocked_by_groups.push_back(index);
                }
            }
        }
        while let Some(index) = self.fresh.next() {
            match self.try_admit(session, cases, index) {
                Ok(admitted) => return Some(admitted),
                Err(Blocked::Pool) => self.blocked_by_pool.push_back(index),
                Err(Blocked::Groups | Blocked::Budget) => self.blocked_by_groups.push_back(index),
            }
        }
        None
    }

    fn groups_free(&self, case: &LoadedCase) -> bool {
        case.spec.serial.iter().all(|g| !self.groups.contains(g))
    }

    /// Admits case `index` if its groups, its places of the leak budget and (when it
    /// tracks one) a bucket are free.
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
        let lease = if Session::needs_bucket(case) {
            match session.pool().try_lease() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::case::CaseStatus;
    use std::sync::mpsc;
    use std::time::Duration;

    fn outcome(id: &str) -> CaseOutcome {
        CaseOutcome {
            id: id.into(),
            doc: String::new(),
            file: String::new(),
            steps: Vec::new(),
            planned_steps: 0,
            cleanup: Vec::new(),
            status: CaseStatus::Passed,
            interrupted: false,
            duration: Duration::ZERO,
        }
    }

    /// Takes the outcomes of `indices` in order on another thread; each id arrives on the
    /// channel (`None`: taken as abandoned or closed).
    fn taker(mailbox: &'static Mailbox, indices: Vec<usize>) -> mpsc::Receiver<Option<String>> {
        let (sent, received) = mpsc::channel();
        std::thread::spawn(move || {
            for index in indices {
                let _ = sent.send(mailbox.take(index).map(|o| o.id));
            }
        });
        received
    }

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn a_waiting_reporter_wakes_for_its_case_and_finds_the_others_that_came_first() {
        let mailbox: &'static Mailbox = Box::leak(Box::default());
        let taken = taker(mailbox, vec![0, 1, 2]);
        // Cases 2 and 1 end before case 0: the reporter waits for 0 and is not woken.
        mailbox.put(2, outcome("c2"));
        mailbox.put(1, outcome("c1"));
        assert!(taken.recv_timeout(Duration::from_millis(50)).is_err());
        mailbox.put(0, outcome("c0"));
        for id in ["c0", "c1", "c2"] {
            assert_eq!(taken.recv_timeout(WAIT), Ok(Some(id.to_string())));
        }
        assert_eq!(mailbox.backlog(), 0);
    }

    #[test]
    fn an_abandoned_or_never_run_case_wakes_the_reporter_waiting_for_it() {
        let mailbox: &'static Mailbox = Box::leak(Box::default());
        let taken = taker(mailbox, vec![0, 1]);
        std::thread::sleep(Duration::from_millis(20));
        mailbox.abandon(0);
        assert_eq!(taken.recv_timeout(WAIT), Ok(None));
        std::thread::sleep(Duration::from_millis(20));
        mailbox.close();
        assert_eq!(taken.recv_timeout(WAIT), Ok(None));
    }
}
