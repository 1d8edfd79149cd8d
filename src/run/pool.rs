//! The bucket pool: the existing OBS buckets a run may use, and who holds which of their
//! operations.
//!
//! A real account allows one data tracker per bucket operation (api-facts: CTS.0209, READ
//! and WRITE; a tracker without `data_event` tracks both), so a case that tracks a bucket
//! (`${data_bucket}`) holds the operations it tracks ([`super::tracked`]) of one bucket of
//! the pool alone, from its first step to the end of its cleanup: a case tracking only
//! READ and one tracking only WRITE share a bucket; a case that finds no bucket with its
//! operations free waits for one. Transfer buckets (`${obs_bucket}`) may be shared and are
//! never tracked. The operations of a bucket that a tracker the run did not create already
//! tracks are left out before the run (a bucket with both taken, entirely).
//!
//! Where the pool comes from decides what a run can say about buckets: an explicit pool
//! (`--data-bucket`, or the embedded emulator's own) is the whole truth, so a name outside
//! it does not exist (`${absent_bucket}`); an invented pool (a loopback target without
//! `--data-bucket`, which is assumed to accept any valid name) cannot say that; a URL
//! target without a pool has no bucket to track at all.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// A set of a bucket's operations a data tracker tracks: READ, WRITE, both or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Operations(u8);

impl Operations {
    pub const NONE: Operations = Operations(0);
    pub const READ: Operations = Operations(1);
    pub const WRITE: Operations = Operations(2);
    /// What a tracker without `data_event` tracks (api-facts: absent counts as both).
    pub const BOTH: Operations = Operations(3);

    /// The operation a `data_event` item names (`READ`, `WRITE`), if it names one.
    pub fn parse(name: &str) -> Option<Operations> {
        match name {
            "READ" => Some(Operations::READ),
            "WRITE" => Some(Operations::WRITE),
            _ => None,
        }
    }

    /// The operations a tracker's `data_event` tracks: both when it is absent, or is not
    /// a list of `READ` and `WRITE` alone (a value this run cannot read is not assumed to
    /// leave an operation free).
    pub fn of_data_event(data_event: Option<&serde_json::Value>) -> Operations {
        let Some(items) = data_event.and_then(serde_json::Value::as_array) else {
            return Operations::BOTH;
        };
        let mut found = Operations::NONE;
        for item in items {
            match item.as_str().and_then(Operations::parse) {
                Some(operation) => found = found.union(operation),
                None => return Operations::BOTH,
            }
        }
        if found.is_empty() {
            Operations::BOTH
        } else {
            found
        }
    }

    pub fn union(self, other: Operations) -> Operations {
        Operations(self.0 | other.0)
    }

    pub fn without(self, other: Operations) -> Operations {
        Operations(self.0 & !other.0)
    }

    pub fn overlaps(self, other: Operations) -> bool {
        self.0 & other.0 != 0
    }

    pub fn contains(self, other: Operations) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many operations: 0, 1 or 2.
    pub fn count(self) -> u32 {
        self.0.count_ones()
    }
}

impl std::fmt::Display for Operations {
    /// `READ`, `WRITE`, `READ and WRITE`, `nothing`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match *self {
            Operations::READ => "READ",
            Operations::WRITE => "WRITE",
            Operations::BOTH => "READ and WRITE",
            _ => "nothing",
        })
    }
}

/// Where the run's buckets come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolOrigin {
    /// Named by the user, or made by the run for its embedded emulator: these exist, and
    /// other names do not.
    Explicit,
    /// Made up by the run for a loopback target, assumed to accept any valid name.
    Invented,
    /// No bucket at all (a URL target without `--data-bucket`/`--obs-bucket`).
    Missing,
}

/// The run's buckets and their leases.
#[derive(Debug)]
pub struct BucketPool {
    origin: PoolOrigin,
    data: Vec<String>,
    /// `taken[i]`: the operations of `data[i]` trackers the run did not create track.
    taken: Vec<Operations>,
    obs: Vec<String>,
    held: Mutex<Holders>,
    freed: Condvar,
}

/// Who holds which operations of which bucket, and how many wait for some.
#[derive(Debug)]
struct Holders {
    /// `held[i]`: the operations of `data[i]` leased now.
    held: Vec<Operations>,
    /// Callers of [`BucketPool::lease`] waiting now: a lease given back wakes one only
    /// when there is one (a wake-up is a system call even when nobody waits).
    waiting: usize,
}

impl Holders {
    fn none(buckets: usize) -> Self {
        Holders {
            held: vec![Operations::NONE; buckets],
            waiting: 0,
        }
    }
}

/// Operations of a data bucket held by one case; given back when dropped.
#[derive(Debug)]
pub struct Lease<'a> {
    pool: &'a BucketPool,
    index: usize,
    operations: Operations,
}

impl Lease<'_> {
    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.pool.data[self.index]
    }

    /// The operations of the bucket held.
    pub fn operations(&self) -> Operations {
        self.operations
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut held = lock(&self.pool.held);
        if let Some(slot) = held.held.get_mut(self.index) {
            *slot = slot.without(self.operations);
        }
        if held.waiting > 0 {
            self.pool.freed.notify_one();
        }
    }
}

/// Why a lease was not had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoLease {
    /// The pool has no data bucket at all.
    Empty,
    /// Every bucket of the pool has one of these operations tracked by a tracker the run
    /// did not create: a case that tracks them can never have one.
    Taken(Operations),
    /// The caller asked to stop waiting (the run was interrupted).
    GaveUp,
}

impl BucketPool {
    /// A pool of data (tracked) and obs (transfer) buckets; duplicates are dropped.
    pub fn new(origin: PoolOrigin, data: Vec<String>, obs: Vec<String>) -> Self {
        let data = dedup(data);
        let held = Mutex::new(Holders::none(data.len()));
        BucketPool {
            origin,
            taken: vec![Operations::NONE; data.len()],
            data,
            obs: dedup(obs),
            held,
            freed: Condvar::new(),
        }
    }

    pub fn origin(&self) -> PoolOrigin {
        self.origin
    }

    /// The data buckets, in the order given.
    pub fn data_buckets(&self) -> &[String] {
        &self.data
    }

    /// The transfer buckets, in the order given.
    pub fn obs_buckets(&self) -> &[String] {
        &self.obs
    }

    /// Whether `name` is one of the pool's buckets, data or transfer.
    pub fn contains(&self, name: &str) -> bool {
        self.data.iter().chain(&self.obs).any(|b| b == name)
    }

    /// The transfer bucket cases use (`${obs_bucket}`), if any.
    pub fn obs_bucket(&self) -> Option<&str> {
        self.obs.first().map(String::as_str)
    }

    /// Leaves out the operations of data buckets in `taken` (tracked by trackers the run
    /// did not create): a bucket with both taken entirely, which is returned. Call before
    /// the first case.
    pub fn exclude(&mut self, taken: &BTreeMap<String, Operations>) -> Vec<String> {
        let taken_of = |bucket: &String| taken.get(bucket).copied().unwrap_or_default();
        let (out, kept): (Vec<String>, Vec<String>) = self
            .data
            .drain(..)
            .partition(|b| taken_of(b).contains(Operations::BOTH));
        self.taken = kept.iter().map(taken_of).collect();
        self.data = kept;
        *lock(&self.held) = Holders::none(self.data.len());
        out
    }

    /// The operations of `bucket` left to the run (none if it is not in the pool).
    pub fn free_operations(&self, bucket: &str) -> Operations {
        self.data
            .iter()
            .position(|b| b == bucket)
            .map_or(Operations::NONE, |i| {
                Operations::BOTH.without(self.taken[i])
            })
    }

    /// Takes `operations` of a data bucket that has them free, waiting while none has.
    /// `give_up` is asked every `poll` while waiting; when it says yes, the wait ends with
    /// [`NoLease::GaveUp`].
    pub fn lease(
        &self,
        operations: Operations,
        poll: Duration,
        give_up: impl Fn() -> bool,
    ) -> Result<Lease<'_>, NoLease> {
        self.possible(operations)?;
        let mut held = lock(&self.held);
        loop {
            if let Some(lease) = self.take_free(&mut held, operations) {
                return Ok(lease);
            }
            if give_up() {
                return Err(NoLease::GaveUp);
            }
            held.waiting += 1;
            held = self
                .freed
                .wait_timeout(held, poll)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            held.waiting -= 1;
        }
    }

    /// Takes `operations` of a data bucket without waiting: `Ok(None)` when no bucket has
    /// them free now.
    pub fn try_lease(&self, operations: Operations) -> Result<Option<Lease<'_>>, NoLease> {
        self.possible(operations)?;
        Ok(self.take_free(&mut lock(&self.held), operations))
    }

    /// Whether some bucket can ever give `operations` to the run.
    fn possible(&self, operations: Operations) -> Result<(), NoLease> {
        if self.data.is_empty() {
            return Err(NoLease::Empty);
        }
        if self.taken.iter().all(|taken| taken.overlaps(operations)) {
            return Err(NoLease::Taken(operations));
        }
        Ok(())
    }

    /// A bucket with `operations` free, preferring one whose other operation is already
    /// held (or taken): buckets left whole for the cases that track both operations.
    fn take_free(&self, held: &mut Holders, operations: Operations) -> Option<Lease<'_>> {
        let busy = |i: usize| held.held[i].union(self.taken[i]);
        let index = (0..self.data.len())
            .filter(|&i| !busy(i).overlaps(operations))
            .max_by_key(|&i| (busy(i).count(), std::cmp::Reverse(i)))?;
        held.held[index] = held.held[index].union(operations);
        Some(Lease {
            pool: self,
            index,
            operations,
        })
    }
}

fn dedup(names: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    names
        .into_iter()
        .filter(|n| !n.is_empty() && seen.insert(n.clone()))
        .collect()
}

/// A poisoned lock only means another trial panicked; the leases are still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn pool(data: &[&str]) -> BucketPool {
        BucketPool::new(
            PoolOrigin::Explicit,
            data.iter().map(|s| s.to_string()).collect(),
            vec!["obs-1".into()],
        )
    }

    #[test]
    fn leases_are_exclusive_and_returned_on_drop() {
        let pool = pool(&["a", "b"]);
        let first = pool
            .lease(Operations::BOTH, Duration::from_millis(1), || false)
            .expect("a");
        let second = pool
            .lease(Operations::BOTH, Duration::from_millis(1), || false)
            .expect("b");
        assert_ne!(first.bucket(), second.bucket());
        // Both held: a third waits, and gives up when told to.
        assert_eq!(
            pool.lease(Operations::BOTH, Duration::from_millis(1), || true)
                .err(),
            Some(NoLease::GaveUp)
        );
        let name = first.bucket().to_string();
        drop(first);
        assert_eq!(
            pool.lease(Operations::BOTH, Duration::from_millis(1), || true)
                .expect("freed")
                .bucket(),
            name
        );
    }

    #[test]
    fn try_lease_never_waits() {
        let pool = pool(&["a"]);
        let held = pool
            .try_lease(Operations::BOTH)
            .expect("not empty")
            .expect("free");
        assert_eq!(held.bucket(), "a");
        assert!(
            pool.try_lease(Operations::BOTH)
                .expect("not empty")
                .is_none(),
            "all held"
        );
        drop(held);
        assert!(
            pool.try_lease(Operations::BOTH)
                .expect("not empty")
                .is_some(),
            "given back"
        );
        assert_eq!(
            super::BucketPool::new(PoolOrigin::Explicit, vec![], vec![])
                .try_lease(Operations::BOTH)
                .err(),
            Some(NoLease::Empty)
        );
    }

    #[test]
    fn an_empty_pool_says_so_at_once() {
        let pool = pool(&[]);
        assert_eq!(
            pool.lease(Operations::BOTH, Duration::from_millis(1), || false)
                .err(),
            Some(NoLease::Empty)
        );
    }

    #[test]
    fn excluded_buckets_are_never_leased() {
        let mut pool = pool(&["a", "b", "a"]);
        assert_eq!(pool.data_buckets(), ["a", "b"]);
        let out = pool.exclude(&BTreeMap::from([("a".to_string(), Operations::BOTH)]));
        assert_eq!(out, ["a"]);
        let lease = pool
            .lease(Operations::BOTH, Duration::from_millis(1), || false)
            .expect("b");
        assert_eq!(lease.bucket(), "b");
        assert!(pool
            .lease(Operations::BOTH, Duration::from_millis(1), || true)
            .is_err());
    }

    #[test]
    fn disjoint_operations_share_a_bucket_and_overlapping_ones_never_do() {
        let pool = pool(&["only"]);
        let read = pool
            .try_lease(Operations::READ)
            .expect("not empty")
            .expect("free");
        let write = pool
            .try_lease(Operations::WRITE)
            .expect("not empty")
            .expect("WRITE is free beside READ");
        assert_eq!((read.bucket(), write.bucket()), ("only", "only"));
        // READ, WRITE and both are held: none of them is free.
        for operations in [Operations::READ, Operations::WRITE, Operations::BOTH] {
            assert!(pool.try_lease(operations).expect("not empty").is_none());
        }
        drop(read);
        assert!(
            pool.try_lease(Operations::BOTH)
                .expect("not empty")
                .is_none(),
            "WRITE held"
        );
        let second_read = pool.try_lease(Operations::READ).expect("not empty");
        assert!(second_read.is_some(), "READ given back");
        drop((second_read, write));
        // A case with both holds both: neither alone is free beside it.
        let both = pool
            .try_lease(Operations::BOTH)
            .expect("not empty")
            .expect("free");
        assert!(pool
            .try_lease(Operations::READ)
            .expect("not empty")
            .is_none());
        assert!(pool
            .try_lease(Operations::WRITE)
            .expect("not empty")
            .is_none());
        drop(both);
        assert!(pool
            .try_lease(Operations::BOTH)
            .expect("not empty")
            .is_some());
    }

    #[test]
    fn one_operation_goes_where_the_other_is_held_leaving_whole_buckets_whole() {
        let pool = pool(&["a", "b"]);
        let write = pool.try_lease(Operations::WRITE).unwrap().unwrap();
        assert_eq!(write.bucket(), "a");
        // READ joins WRITE in "a": "b" stays whole for a case that tracks both.
        let read = pool.try_lease(Operations::READ).unwrap().unwrap();
        assert_eq!(read.bucket(), "a");
        let both = pool.try_lease(Operations::BOTH).unwrap().unwrap();
        assert_eq!(both.bucket(), "b");
    }

    #[test]
    fn operations_taken_by_trackers_of_others_are_never_leased() {
        let mut pool = pool(&["a", "b"]);
        let out = pool.exclude(&BTreeMap::from([
            ("a".to_string(), Operations::READ),
            ("c".to_string(), Operations::BOTH),
        ]));
        assert!(out.is_empty(), "a keeps its WRITE; c is not in the pool");
        assert_eq!(pool.free_operations("a"), Operations::WRITE);
        assert_eq!(pool.free_operations("b"), Operations::BOTH);
        // READ only in b; WRITE first where READ is taken.
        let read = pool.try_lease(Operations::READ).unwrap().unwrap();
        assert_eq!(read.bucket(), "b");
        assert!(pool.try_lease(Operations::READ).unwrap().is_none());
        let write = pool.try_lease(Operations::WRITE).unwrap().unwrap();
        assert_eq!(write.bucket(), "a");
        drop((read, write));
        // Both ops of "a" are never free: a case that tracks both gets only "b".
        let both = pool.try_lease(Operations::BOTH).unwrap().unwrap();
        assert_eq!(both.bucket(), "b");
        assert!(pool.try_lease(Operations::BOTH).unwrap().is_none());
        // READ taken everywhere: a READ case can never have a bucket, and says so.
        let mut pool = super::BucketPool::new(PoolOrigin::Explicit, vec!["a".into()], vec![]);
        pool.exclude(&BTreeMap::from([("a".to_string(), Operations::READ)]));
        assert_eq!(
            pool.try_lease(Operations::READ).err(),
            Some(NoLease::Taken(Operations::READ))
        );
        assert_eq!(
            pool.lease(Operations::BOTH, Duration::from_millis(1), || false)
                .err(),
            Some(NoLease::Taken(Operations::BOTH))
        );
        assert!(pool.try_lease(Operations::WRITE).unwrap().is_some());
    }

    #[test]
    fn a_tracker_data_event_names_its_operations_and_anything_else_is_both() {
        use serde_json::json;
        let of = |v: serde_json::Value| Operations::of_data_event(Some(&v));
        assert_eq!(of(json!(["READ"])), Operations::READ);
        assert_eq!(of(json!(["WRITE"])), Operations::WRITE);
        assert_eq!(of(json!(["WRITE", "READ"])), Operations::BOTH);
        assert_eq!(Operations::of_data_event(None), Operations::BOTH);
        assert_eq!(of(json!([])), Operations::BOTH);
        assert_eq!(of(json!(["READ", "DELETE"])), Operations::BOTH);
        assert_eq!(of(json!("READ")), Operations::BOTH);
    }

    #[test]
    fn a_waiting_lease_is_woken_by_the_give_back_not_its_poll() {
        // The waiter polls once a minute: only the give-back's wake-up lets it through in
        // time (a give-back that wakes nobody would leave it waiting the minute).
        let pool = Arc::new(pool(&["only"]));
        let held = pool
            .try_lease(Operations::BOTH)
            .expect("not empty")
            .expect("free");
        let (sent, got) = std::sync::mpsc::channel();
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let lease = pool
                    .lease(Operations::BOTH, Duration::from_secs(60), || false)
                    .expect("lease");
                let _ = sent.send(lease.bucket().to_string());
            })
        };
        while lock(&pool.held).waiting == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(held);
        assert_eq!(
            got.recv_timeout(Duration::from_secs(10)).as_deref(),
            Ok("only")
        );
        waiter.join().expect("waiter");
        assert_eq!(lock(&pool.held).waiting, 0);
    }

    #[test]
    fn one_bucket_serialises_its_holders() {
        // Eight threads share one bucket: never two holders at once, all get it.
        let pool = Arc::new(pool(&["only"]));
        let holders = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (pool, holders, done) = (pool.clone(), holders.clone(), done.clone());
                std::thread::spawn(move || {
                    let _lease = pool
                        .lease(Operations::BOTH, Duration::from_millis(5), || false)
                        .expect("lease");
                    assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    std::thread::sleep(Duration::from_millis(2));
                    holders.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no holder saw another");
        }
        assert_eq!(done.load(Ordering::SeqCst), 8);
    }
}
