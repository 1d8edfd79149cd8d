//! The account rules that involve OBS buckets, as a real CTS account applies them
//! (api-facts, "What a real endpoint does that the documents don't say"):
//! - a bucket a tracker names must exist (`400 CTS.0211`): the tracked bucket
//!   always, the transfer bucket unless `is_obs_created` is true (then it is created);
//!   only when the emulator knows which buckets exist ([`Buckets::listed`]);
//! - the tracked bucket cannot be the transfer bucket (`400 CTS.0213`);
//! - one data tracker per bucket operation (`400 CTS.0209`): two data trackers of a
//!   project cannot both track READ (or WRITE) of one bucket; no `data_event` means
//!   both. Every existing data tracker counts, enabled or disabled.
//!
//! Pure: the store calls these with the candidate tracker (as it would be after the
//! request) and the project's other trackers, under its lock.

use std::collections::BTreeSet;

use super::error::CtsError;
use super::fault::{Fault, FaultSet};
use super::model::{DataEvent, Tracker};

/// The OBS buckets that exist: every valid name (`None`) or exactly a set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buckets(Option<BTreeSet<String>>);

impl Buckets {
    /// Every valid name exists (the emulator's behaviour without `--bucket`).
    pub fn any() -> Self {
        Self(None)
    }

    /// Only these buckets exist (more are added by `is_obs_created`).
    pub fn listed(names: BTreeSet<String>) -> Self {
        Self(Some(names))
    }

    /// Whether `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        self.0.as_ref().is_none_or(|names| names.contains(name))
    }

    /// Creates `name` (a transfer bucket made with `is_obs_created`).
    pub fn create(&mut self, name: &str) {
        if let Some(names) = &mut self.0 {
            names.insert(name.to_owned());
        }
    }
}

/// What a create or update asks of the buckets.
#[derive(Debug, Clone, Copy)]
pub struct Change {
    /// The request names a (new) transfer bucket, so it must exist or be created.
    pub transfer_named: bool,
    /// The request names the tracked bucket (create), so it must exist.
    pub tracked_named: bool,
    /// The tracked operations may have changed (create, or an update with `data_event`).
    pub events_changed: bool,
}

/// The operations a data tracker tracks: none for a management tracker, both when
/// it lists none.
pub fn operations(tracker: &Tracker) -> Vec<DataEvent> {
    match &tracker.data_bucket {
        None => Vec::new(),
        Some(bucket) if bucket.data_event.is_empty() => vec![DataEvent::Read, DataEvent::Write],
        Some(bucket) => bucket.data_event.clone(),
    }
}

/// Checks `candidate` (the tracker as the request would leave it) against the
/// bucket rules and `others` (the project's other trackers). The first broken rule
/// is reported: CTS.0211 (tracked, then transfer bucket), CTS.0213, CTS.0209.
pub fn check<'a>(
    candidate: &Tracker,
    others: impl IntoIterator<Item = &'a Tracker>,
    buckets: &Buckets,
    change: Change,
    faults: &FaultSet,
) -> Result<(), CtsError> {
    let tracked = candidate
        .data_bucket
        .as_ref()
        .map(|bucket| bucket.data_bucket_name.as_str());
    let transfer = Some(candidate.obs_info.bucket_name.as_str()).filter(|name| !name.is_empty());
    if !faults.has(Fault::MissingBucketAccepted) {
        if let Some(name) = tracked.filter(|name| change.tracked_named && !buckets.exists(name)) {
            return Err(CtsError::BucketNotFound(format!(
                "data_bucket.data_bucket_name {name}"
            )));
        }
        let must_exist = change.transfer_named && !candidate.obs_info.is_obs_created;
        if let Some(name) = transfer.filter(|name| must_exist && !buckets.exists(name)) {
            return Err(CtsError::BucketNotFound(format!(
                "obs_info.bucket_name {name} (is_obs_created is false)"
            )));
        }
    }
    if let (Some(tracked), Some(transfer)) = (tracked, transfer) {
        if tracked == transfer && !faults.has(Fault::TransferEqualsTrackedAccepted) {
            return Err(CtsError::TrackedBucketIsTransferBucket(tracked.to_owned()));
        }
    }
    if let Some(tracked) = tracked.filter(|_| change.events_changed) {
        if !faults.has(Fault::ExclusivityIgnored) {
            let mine = operations(candidate);
            for other in others {
                let same_bucket = other
                    .data_bucket
                    .as_ref()
                    .is_some_and(|bucket| bucket.data_bucket_name == tracked);
                if !same_bucket || other.tracker_name == candidate.tracker_name {
                    continue;
                }
                let theirs = operations(other);
                if let Some(shared) = mine.iter().find(|event| theirs.contains(event)) {
                    return Err(CtsError::BucketOperationTracked {
                        bucket: tracked.to_owned(),
                        operation: shared.as_str(),
                        tracker: other.tracker_name.clone(),
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::model::{
        DataBucket, ObsSettings, TrackerOptions, TrackerStatus, TrackerType,
    };

    fn data(name: &str, bucket: &str, events: &[DataEvent], transfer: &str) -> Tracker {
        Tracker {
            id: format!("id-{name}"),
            create_time: 1,
            tracker_type: TrackerType::Data,
            tracker_name: name.to_owned(),
            domain_id: "d".into(),
            project_id: "p".into(),
            status: TrackerStatus::Enabled,
            obs_info: ObsSettings {
                bucket_name: transfer.to_owned(),
                ..ObsSettings::default()
            },
            data_bucket: Some(DataBucket {
                data_bucket_name: bucket.to_owned(),
                data_event: events.to_vec(),
            }),
            options: TrackerOptions::default(),
            preloaded: None,
        }
    }

    const CREATE: Change = Change {
        transfer_named: true,
        tracked_named: true,
        events_changed: true,
    };

    fn code(result: Result<(), CtsError>) -> Option<&'static str> {
        result.err().map(|error| error.code())
    }

    #[test]
    fn overlapping_operations_on_one_bucket_are_refused() {
        let none = FaultSet::none();
        let any = Buckets::any();
        let read = data("r", "b-1", &[DataEvent::Read], "");
        let write = data("w", "b-1", &[DataEvent::Write], "");
        let both = data("x", "b-1", &[], "");
        assert_eq!(code(check(&write, [&read], &any, CREATE, &none)), None);
        let second_read = data("r2", "b-1", &[DataEvent::Read], "");
        assert_eq!(
            code(check(&second_read, [&read], &any, CREATE, &none)),
            Some("CTS.0209")
        );
        // No data_event counts as both operations, on either side.
        assert_eq!(
            code(check(&both, [&write], &any, CREATE, &none)),
            Some("CTS.0209")
        );
        assert_eq!(
            code(check(&read, [&both], &any, CREATE, &none)),
            Some("CTS.0209")
        );
        // Another bucket, or the tracker itself, never collides.
        let elsewhere = data("e", "b-2", &[], "");
        assert_eq!(code(check(&elsewhere, [&both], &any, CREATE, &none)), None);
        assert_eq!(code(check(&both, [&both], &any, CREATE, &none)), None);
        let ignored: FaultSet = [Fault::ExclusivityIgnored].into_iter().collect();
        assert_eq!(code(check(&both, [&write], &any, CREATE, &ignored)), None);
    }

    #[test]
    fn tracked_bucket_cannot_be_the_transfer_bucket() {
        let same = data("s", "b-1", &[], "b-1");
        let none = FaultSet::none();
        assert_eq!(
            code(check(&same, [], &Buckets::any(), CREATE, &none)),
            Some("CTS.0213")
        );
        let fault: FaultSet = [Fault::TransferEqualsTrackedAccepted].into_iter().collect();
        assert_eq!(
            code(check(&same, [], &Buckets::any(), CREATE, &fault)),
            None
        );
    }

    #[test]
    fn listed_buckets_must_exist_unless_created() {
        let buckets = Buckets::listed(["b-1".to_owned(), "o-1".to_owned()].into());
        let none = FaultSet::none();
        let ok = data("a", "b-1", &[], "o-1");
        assert_eq!(code(check(&ok, [], &buckets, CREATE, &none)), None);
        let absent_tracked = data("a", "b-9", &[], "o-1");
        assert_eq!(
            code(check(&absent_tracked, [], &buckets, CREATE, &none)),
            Some("CTS.0211")
        );
        let mut absent_transfer = data("a", "b-1", &[], "o-9");
        assert_eq!(
            code(check(&absent_transfer, [], &buckets, CREATE, &none)),
            Some("CTS.0211")
        );
        absent_transfer.obs_info.is_obs_created = true;
        assert_eq!(
            code(check(&absent_transfer, [], &buckets, CREATE, &none)),
            None
        );
        // An update that names neither bucket does not re-check them.
        let untouched = Change {
            transfer_named: false,
            tracked_named: false,
            events_changed: false,
        };
        assert_eq!(
            code(check(&absent_tracked, [], &buckets, untouched, &none)),
            None
        );
        let fault: FaultSet = [Fault::MissingBucketAccepted].into_iter().collect();
        assert_eq!(
            code(check(&absent_tracked, [], &buckets, CREATE, &fault)),
            None
        );
        assert!(Buckets::any().exists("whatever"));
        let mut grown = buckets.clone();
        grown.create("o-9");
        assert!(grown.exists("o-9") && !buckets.exists("o-9"));
    }
}
