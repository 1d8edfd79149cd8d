//! The leak budget: at most `--max-live N` trackers of the run alive at once, and a run
//! that stops starting cases when its deletes keep failing (as RESTler caps the objects
//! it keeps per resource type, `max_objects_per_resource_type`, and stops when a delete
//! fails), so a target that stops removing what the run creates is not filled with it.
//!
//! A case reserves, before it starts, one place per step that creates something (at most
//! N: a case that creates more than N runs when nothing else is alive); the places are
//! given back when it ended, except one per tracker it could not remove: those stay
//! alive until `sweep` removes them. A case that would exceed N waits. When the
//! trackers left alone fill the budget, or [`FAILED_DELETES_TO_STOP`] removals in a row
//! failed, the run stops: it starts no case any more (those left end as "not run"), the
//! running ones end and clean up.
//!
//! Pure bookkeeping; the scheduler ([`super::schedule`]) and [`super::session::Session`]
//! ask it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// `--max-live` unless told otherwise: room for the default eight cases at once with
/// two trackers each, far below a project's data-tracker quota (100, api-facts).
pub const DEFAULT_MAX_LIVE: usize = 16;

/// Removals failed one after the other that stop the run.
pub const FAILED_DELETES_TO_STOP: usize = 3;

/// The run's count of alive trackers, and of removals failed in a row.
#[derive(Debug)]
pub struct LiveBudget {
    max: usize,
    state: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    /// Places reserved by running cases.
    reserved: usize,
    /// Trackers the run created and could not remove.
    left: usize,
    /// Removals that failed since the last one that worked.
    failed_in_a_row: usize,
}

/// Why a case cannot have its places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoom {
    /// Others alive now hold them: the case waits for one to end.
    Wait,
    /// Trackers the run could not remove hold them, and nothing running will give any
    /// back: no case that creates will ever start.
    Never,
}

impl LiveBudget {
    /// A budget of `max` trackers alive at once (at least one).
    pub fn new(max: usize) -> Self {
        LiveBudget {
            max: max.max(1),
            state: Mutex::new(Counts::default()),
        }
    }

    /// The cap (`--max-live`).
    pub fn max(&self) -> usize {
        self.max
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The places a case that creates `creates` trackers holds (at most the cap).
    pub fn places_for(&self, creates: usize) -> usize {
        creates.min(self.max)
    }

    /// Reserves `places` (from [`LiveBudget::places_for`]) if they fit.
    pub fn try_reserve(&self, places: usize) -> Result<(), NoRoom> {
        if places == 0 {
            return Ok(());
        }
        let mut counts = self.counts();
        if counts.reserved + counts.left + places <= self.max {
            counts.reserved += places;
            return Ok(());
        }
        if counts.reserved == 0 {
            return Err(NoRoom::Never);
        }
        Err(NoRoom::Wait)
    }

    /// A case that held `places` ended, leaving `left` trackers it could not remove.
    pub fn release(&self, places: usize, left: usize) {
        let mut counts = self.counts();
        counts.reserved = counts.reserved.saturating_sub(places);
        counts.left += left;
    }

    /// A removal ended; returns whether removals have now failed
    /// [`FAILED_DELETES_TO_STOP`] times in a row.
    pub fn removal_ended(&self, removed: bool) -> bool {
        let mut counts = self.counts();
        if removed {
            counts.failed_in_a_row = 0;
            return false;
        }
        counts.failed_in_a_row += 1;
        counts.failed_in_a_row >= FAILED_DELETES_TO_STOP
    }

    /// Trackers the run could not remove, counted so far.
    pub fn left(&self) -> usize {
        self.counts().left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_waits_while_the_others_alive_fill_the_budget() {
        let budget = LiveBudget::new(3);
        assert_eq!(budget.try_reserve(2), Ok(()));
        assert_eq!(budget.try_reserve(2), Err(NoRoom::Wait));
        assert_eq!(budget.try_reserve(1), Ok(()));
        assert_eq!(budget.try_reserve(0), Ok(()), "a case that creates nothing");
        budget.release(2, 0);
        assert_eq!(budget.try_reserve(2), Ok(()));
    }

    #[test]
    fn a_case_that_creates_more_than_the_cap_runs_alone() {
        let budget = LiveBudget::new(2);
        let places = budget.places_for(5);
        assert_eq!(places, 2);
        assert_eq!(budget.try_reserve(1), Ok(()));
        assert_eq!(budget.try_reserve(places), Err(NoRoom::Wait));
        budget.release(1, 0);
        assert_eq!(budget.try_reserve(places), Ok(()));
    }

    #[test]
    fn trackers_left_behind_keep_their_places_until_none_is_left() {
        let budget = LiveBudget::new(2);
        assert_eq!(budget.try_reserve(1), Ok(()));
        budget.release(1, 1);
        assert_eq!(budget.left(), 1);
        assert_eq!(budget.try_reserve(1), Ok(()));
        budget.release(1, 1);
        // Nothing runs and nothing will give a place back.
        assert_eq!(budget.try_reserve(1), Err(NoRoom::Never));
    }

    #[test]
    fn removals_failing_in_a_row_stop_the_run_and_one_that_works_resets_the_count() {
        let budget = LiveBudget::new(16);
        assert!(!budget.removal_ended(false));
        assert!(!budget.removal_ended(false));
        assert!(!budget.removal_ended(true));
        assert!(!budget.removal_ended(false));
        assert!(!budget.removal_ended(false));
        assert!(budget.removal_ended(false));
    }
}
