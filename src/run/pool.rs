//! The bucket pool: the existing OBS buckets a run may use, and who holds which.
//!
//! A real account allows one data tracker per bucket operation (api-facts: CTS.0209), so a
//! case that tracks a bucket (`${data_bucket}`) holds one bucket of the pool alone from its
//! first step to the end of its cleanup; a case that finds every bucket held waits for
//! one. Transfer buckets (`${obs_bucket}`) may be shared and are never tracked. A bucket
//! that a tracker the run did not create already tracks is left out before the run.
//!
//! Where the pool comes from decides what a run can say about buckets: an explicit pool
//! (`--data-bucket`, or the embedded emulator's own) is the whole truth, so a name outside
//! it does not exist (`${absent_bucket}`); an invented pool (a loopback target without
//! `--data-bucket`, which is assumed to accept any valid name) cannot say that; a URL
//! target without a pool has no bucket to track at all.

use std::collections::BTreeSet;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

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
    obs: Vec<String>,
    held: Mutex<Holders>,
    freed: Condvar,
}

/// Who holds which bucket, and how many wait for one.
#[derive(Debug)]
struct Holders {
    /// `flags[i]`: `data[i]` is leased.
    flags: Vec<bool>,
    /// Callers of [`BucketPool::lease`] waiting now: a lease given back wakes one only
    /// when there is one (a wake-up is a system call even when nobody waits).
    waiting: usize,
}

impl Holders {
    fn none(buckets: usize) -> Self {
        Holders {
            flags: vec![false; buckets],
            waiting: 0,
        }
    }
}

/// A data bucket held by one case; given back when dropped.
#[derive(Debug)]
pub struct Lease<'a> {
    pool: &'a BucketPool,
    index: usize,
}

impl Lease<'_> {
    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.pool.data[self.index]
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut held = lock(&self.pool.held);
        if let Some(slot) = held.flags.get_mut(self.index) {
            *slot = false;
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

    /// Leaves out the data buckets in `taken` (tracked by trackers the run did not
    /// create); returns the ones left out. Call before the first case.
    pub fn exclude(&mut self, taken: &BTreeSet<String>) -> Vec<String> {
        let (out, kept): (Vec<String>, Vec<String>) =
            self.data.drain(..).partition(|b| taken.contains(b));
        self.data = kept;
        *lock(&self.held) = Holders::none(self.data.len());
        out
    }

    /// Takes a free data bucket, waiting while all are held. `give_up` is asked every
    /// `poll` while waiting; when it says yes, the wait ends with [`NoLease::GaveUp`].
    pub fn lease(&self, poll: Duration, give_up: impl Fn() -> bool) -> Result<Lease<'_>, NoLease> {
        if self.data.is_empty() {
            return Err(NoLease::Empty);
        }
        let mut held = lock(&self.held);
        loop {
            if let Some(lease) = self.take_free(&mut held) {
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

    /// Takes a free data bucket without waiting: `Ok(None)` when all are held.
    pub fn try_lease(&self) -> Result<Option<Lease<'_>>, NoLease> {
        if self.data.is_empty() {
            return Err(NoLease::Empty);
        }
        Ok(self.take_free(&mut lock(&self.held)))
    }

    fn take_free(&self, held: &mut Holders) -> Option<Lease<'_>> {
        let index = held.flags.iter().position(|h| !h)?;
        held.flags[index] = true;
        Some(Lease { pool: self, index })
    }
}

fn dedup(names: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    names
        .into_iter()
        .filter(|n| !n.is_empty() && seen.insert(n.clone()))
        .collect()
}

/// A poisoned lock only means another trial panicked; the flags are still usable.
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
        let first = pool.lease(Duration::from_millis(1), || false).expect("a");
        let second = pool.lease(Duration::from_millis(1), || false).expect("b");
        assert_ne!(first.bucket(), second.bucket());
        // Both held: a third waits, and gives up when told to.
        assert_eq!(
            pool.lease(Duration::from_millis(1), || true).err(),
            Some(NoLease::GaveUp)
        );
        let name = first.bucket().to_string();
        drop(first);
        assert_eq!(
            pool.lease(Duration::from_millis(1), || true)
                .expect("freed")
                .bucket(),
            name
        );
    }

    #[test]
    fn try_lease_never_waits() {
        let pool = pool(&["a"]);
        let held = pool.try_lease().expect("not empty").expect("free");
        assert_eq!(held.bucket(), "a");
        assert!(pool.try_lease().expect("not empty").is_none(), "all held");
        drop(held);
        assert!(pool.try_lease().expect("not empty").is_some(), "given back");
        assert_eq!(
            super::BucketPool::new(PoolOrigin::Explicit, vec![], vec![])
                .try_lease()
                .err(),
            Some(NoLease::Empty)
        );
    }

    #[test]
    fn an_empty_pool_says_so_at_once() {
        let pool = pool(&[]);
        assert_eq!(
            pool.lease(Duration::from_millis(1), || false).err(),
            Some(NoLease::Empty)
        );
    }

    #[test]
    fn excluded_buckets_are_never_leased() {
        let mut pool = pool(&["a", "b", "a"]);
        assert_eq!(pool.data_buckets(), ["a", "b"]);
        let out = pool.exclude(&BTreeSet::from(["a".to_string()]));
        assert_eq!(out, ["a"]);
        let lease = pool.lease(Duration::from_millis(1), || false).expect("b");
        assert_eq!(lease.bucket(), "b");
        assert!(pool.lease(Duration::from_millis(1), || true).is_err());
    }

    #[test]
    fn a_waiting_lease_is_woken_by_the_give_back_not_its_poll() {
        // The waiter polls once a minute: only the give-back's wake-up lets it through in
        // time (a give-back that wakes nobody would leave it waiting the minute).
        let pool = Arc::new(pool(&["only"]));
        let held = pool.try_lease().expect("not empty").expect("free");
        let (sent, got) = std::sync::mpsc::channel();
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let lease = pool
                    .lease(Duration::from_secs(60), || false)
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
                        .lease(Duration::from_millis(5), || false)
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
