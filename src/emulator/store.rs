//! Per-project tracker state and the rules that depend on it (one management
//! tracker, unique data tracker names, the data tracker quota, not-found, the
//! unchangeable tracked bucket, and the bucket rules of [`super::account`]: buckets
//! that exist, tracked is not transfer, one tracker per bucket operation). Pure: no
//! I/O, no clock, no locking; the caller holds one lock around each call, so every
//! check-and-change is atomic.
//!
//! The state faults of [`super::fault`] (a second management tracker, obs_info,
//! is_lts_enabled or a long file_prefix_name not kept, a delete without effect or of
//! either type, other projects' trackers listed, a name filter that matches parts)
//! switch here. [`Rules::DocumentsOnly`] leaves out the bucket rules.

use std::collections::HashMap;

use super::account::{self, Buckets, Change};
use super::error::CtsError;
use super::fault::{Fault, FaultSet, CUT_FILE_PREFIX_CHARS};
use super::model::{
    DataBucket, DeleteTarget, ObsSettings, QuotaUsage, Tracker, TrackerFilter, TrackerKey,
    TrackerOptions, TrackerRequest, TrackerStatus, TrackerType,
};
use super::rules::Rules;

/// What the server decides for a new tracker: its id and creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// UUID v4.
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub create_time: i64,
}

impl Stamp {
    /// A fresh UUID v4 and the current time.
    pub fn now() -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            create_time: millis,
        }
    }
}

/// One project's trackers.
#[derive(Debug, Default, Clone)]
struct Project {
    management: Option<Tracker>,
    /// In creation order.
    data: Vec<Tracker>,
    /// Data trackers deleted so far (counted in `used` by the `quota-used-counts-deleted`
    /// fault).
    data_deleted: usize,
}

impl Project {
    fn find_mut(&mut self, key: &TrackerKey) -> Option<&mut Tracker> {
        match key.tracker_type {
            TrackerType::System => self
                .management
                .as_mut()
                .filter(|tracker| tracker.tracker_name == key.tracker_name),
            TrackerType::Data => self
                .data
                .iter_mut()
                .find(|tracker| tracker.tracker_name == key.tracker_name),
        }
    }

    /// Management tracker first, then data trackers in creation order.
    fn trackers(&self) -> impl Iterator<Item = &Tracker> {
        self.management.iter().chain(self.data.iter())
    }
}

/// The project that exists next to every other under the `other-project-visible`
/// fault, with its management tracker, as other tenants do on a real service.
pub const NEIGHBOUR_PROJECT_ID: &str = "feedfacefeedfacefeedfacefeedface";

/// All projects' trackers.
#[derive(Debug)]
pub struct Store {
    data_tracker_quota: u32,
    projects: HashMap<String, Project>,
    faults: FaultSet,
    buckets: Buckets,
    rules: Rules,
}

impl Store {
    /// An empty store allowing `data_tracker_quota` data trackers per project.
    pub fn new(data_tracker_quota: u32) -> Self {
        Self::with_faults(data_tracker_quota, FaultSet::none())
    }

    /// Like [`Store::new`], with the state faults of `faults` switched on. Under
    /// `other-project-visible` the store starts with [`NEIGHBOUR_PROJECT_ID`]'s
    /// management tracker.
    pub fn with_faults(data_tracker_quota: u32, faults: FaultSet) -> Self {
        let neighbour = faults.has(Fault::OtherProjectVisible);
        let mut store = Self {
            data_tracker_quota,
            projects: HashMap::new(),
            faults,
            buckets: Buckets::any(),
            rules: Rules::Account,
        };
        if neighbour {
            let request = TrackerRequest {
                key: TrackerKey {
                    tracker_type: TrackerType::System,
                    tracker_name: super::model::MANAGEMENT_TRACKER_NAME.to_owned(),
                },
                status: None,
                obs_info: Default::default(),
                data_bucket: None,
                options: Default::default(),
            };
            // A fresh store has no management tracker, so this cannot fail.
            let stamp = Stamp {
                id: "9e1d7c2a-5b4f-4e8a-9c3d-2f6b8a1e0d57".to_owned(),
                create_time: 1_589_886_034_121,
            };
            let _ = store.create(NEIGHBOUR_PROJECT_ID, "neighbour", request, stamp);
        }
        store
    }

    /// The same store where only `buckets` exist (see [`Buckets`]).
    pub fn with_buckets(mut self, buckets: Buckets) -> Self {
        self.buckets = buckets;
        self
    }

    /// The same store applying `rules`: with [`Rules::DocumentsOnly`] none of the
    /// bucket rules of [`account::check`] holds.
    pub fn with_rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// Puts `trackers` (already checked, see [`super::preload`]) into `project_id`
    /// as they are: a management tracker replaces the project's, data trackers are
    /// appended. No rule is checked: a preloaded account may be in any state.
    pub fn preload(&mut self, project_id: &str, trackers: Vec<Tracker>) {
        let project = self.projects.entry(project_id.to_owned()).or_default();
        for tracker in trackers {
            match tracker.tracker_type {
                TrackerType::System => project.management = Some(tracker),
                TrackerType::Data => project.data.push(tracker),
            }
        }
    }

    /// Creates the tracker `request` describes (already validated) and returns it.
    /// Errors: CTS.0201 second management tracker, CTS.0208 data tracker name taken,
    /// CTS.0200 data tracker quota reached, CTS.0210 no tracked bucket, then the
    /// bucket rules of [`account::check`] (CTS.0211, CTS.0213, CTS.0209).
    pub fn create(
        &mut self,
        project_id: &str,
        domain_id: &str,
        request: TrackerRequest,
        stamp: Stamp,
    ) -> Result<Tracker, CtsError> {
        let quota = self.data_tracker_quota;
        let one_management = !self.faults.has(Fault::SecondManagementTracker);
        let keep_obs_info = !self.faults.has(Fault::ObsInfoNotPersisted);
        let project = self.projects.entry(project_id.to_owned()).or_default();
        let data_bucket = match request.key.tracker_type {
            TrackerType::System => {
                if one_management && project.management.is_some() {
                    return Err(CtsError::ManagementTrackerExists);
                }
                None
            }
            TrackerType::Data => {
                if project.find_mut(&request.key).is_some() {
                    return Err(CtsError::TrackerExists(request.key.tracker_name));
                }
                if project.data.len() >= usize::try_from(quota).unwrap_or(usize::MAX) {
                    return Err(CtsError::QuotaReached(quota));
                }
                let fields = request.data_bucket.unwrap_or_default();
                Some(DataBucket {
                    data_bucket_name: fields
                        .data_bucket_name
                        .ok_or(CtsError::TrackedBucketMissing)?,
                    data_event: fields.data_event.unwrap_or_default(),
                })
            }
        };
        let mut obs_info = ObsSettings::default();
        request.obs_info.apply_to(&mut obs_info);
        let mut options = TrackerOptions::default();
        request.options.apply_to(&mut options);
        let tracker = Tracker {
            id: stamp.id,
            create_time: stamp.create_time,
            tracker_type: request.key.tracker_type,
            tracker_name: request.key.tracker_name,
            domain_id: domain_id.to_owned(),
            project_id: project_id.to_owned(),
            status: TrackerStatus::Enabled,
            obs_info,
            data_bucket,
            options,
            preloaded: None,
        };
        let change = Change {
            transfer_named: true,
            tracked_named: true,
            events_changed: true,
        };
        if self.rules.account_rules() {
            account::check(
                &tracker,
                project.trackers(),
                &self.buckets,
                change,
                &self.faults,
            )?;
        }
        if tracker.obs_info.is_obs_created && !tracker.obs_info.bucket_name.is_empty() {
            self.buckets.create(&tracker.obs_info.bucket_name);
        }
        let mut stored = tracker.clone();
        if !keep_obs_info {
            stored.obs_info = ObsSettings::default();
        }
        if self.faults.has(Fault::LtsNotKept) {
            stored.options.is_lts_enabled = TrackerOptions::default().is_lts_enabled;
        }
        if self.faults.has(Fault::FilePrefixCut) {
            let prefix = &mut stored.obs_info.file_prefix_name;
            *prefix = prefix.chars().take(CUT_FILE_PREFIX_CHARS).collect();
        }
        match tracker.tracker_type {
            TrackerType::System => project.management = Some(stored),
            TrackerType::Data => project.data.push(stored),
        }
        Ok(tracker)
    }

    /// The project's trackers that pass `filter`: management tracker first, then
    /// data trackers in creation order. An unknown project has none.
    /// (Fault `other-project-visible`: every project's trackers, the asked one first.)
    pub fn list(&self, project_id: &str, filter: &TrackerFilter) -> Vec<&Tracker> {
        let everywhere = self.faults.has(Fault::OtherProjectVisible);
        let containing = self.faults.has(Fault::NameFilterContains);
        let passes = |tracker: &Tracker| match (&filter.tracker_name, containing) {
            (Some(name), true) => {
                let by_type = TrackerFilter {
                    tracker_name: None,
                    tracker_type: filter.tracker_type,
                };
                tracker.tracker_name.contains(name.as_str()) && by_type.matches(tracker)
            }
            _ => filter.matches(tracker),
        };
        let others = self
            .projects
            .iter()
            .filter(|(id, _)| everywhere && id.as_str() != project_id)
            .map(|(_, project)| project);
        self.projects
            .get(project_id)
            .into_iter()
            .chain(others)
            .flat_map(Project::trackers)
            .filter(|tracker| passes(tracker))
            .collect()
    }

    /// Applies `request` (already validated) to the tracker it names: the changed
    /// tracker is built aside, checked, and only then stored.
    /// Errors: CTS.0214 no such tracker; CTS.0003 a different tracked bucket; the
    /// bucket rules of [`account::check`] for what the request changes.
    pub fn update(&mut self, project_id: &str, request: &TrackerRequest) -> Result<(), CtsError> {
        let project = self
            .projects
            .get_mut(project_id)
            .ok_or(CtsError::TrackerNotFound)?;
        let current = project
            .find_mut(&request.key)
            .ok_or(CtsError::TrackerNotFound)?;
        let mut changed = current.clone();
        let mut events_changed = false;
        if let (Some(fields), Some(bucket)) = (&request.data_bucket, &mut changed.data_bucket) {
            if let Some(name) = &fields.data_bucket_name {
                if *name != bucket.data_bucket_name {
                    return Err(CtsError::invalid_request(
                        "data_bucket.data_bucket_name cannot change once the tracker exists",
                    ));
                }
            }
            if let Some(events) = &fields.data_event {
                events_changed = *events != bucket.data_event;
                bucket.data_event.clone_from(events);
            }
        }
        if let Some(status) = request.status {
            changed.status = status;
        }
        request.obs_info.apply_to(&mut changed.obs_info);
        request.options.apply_to(&mut changed.options);
        let transfer_named = request
            .obs_info
            .bucket_name
            .as_ref()
            .is_some_and(|name| !name.is_empty());
        let change = Change {
            transfer_named,
            tracked_named: false,
            events_changed,
        };
        if self.rules.account_rules() {
            account::check(
                &changed,
                project.trackers(),
                &self.buckets,
                change,
                &self.faults,
            )?;
        }
        if transfer_named && changed.obs_info.is_obs_created {
            self.buckets.create(&changed.obs_info.bucket_name);
        }
        changed.preloaded = None;
        if let Some(slot) = project.find_mut(&request.key) {
            *slot = changed;
        }
        Ok(())
    }

    /// Removes what `target` names and returns how many trackers went.
    /// Errors: CTS.0214 when nothing matched (also for "all data trackers" of a
    /// project that has none).
    /// (Fault `delete-keeps`: the same answer, but on a copy; nothing is removed.)
    pub fn delete(&mut self, project_id: &str, target: &DeleteTarget) -> Result<usize, CtsError> {
        let keeps = self.faults.has(Fault::DeleteKeeps);
        let stored = self
            .projects
            .get_mut(project_id)
            .ok_or(CtsError::TrackerNotFound)?;
        let mut copy;
        let project = if keeps {
            copy = stored.clone();
            &mut copy
        } else {
            stored
        };
        let any_type = self.faults.has(Fault::DeleteIgnoresType);
        let data_before = project.data.len();
        let removed = match target {
            DeleteTarget::AllData => std::mem::take(&mut project.data).len(),
            DeleteTarget::One(key) if any_type => {
                let before = project.data.len() + usize::from(project.management.is_some());
                project
                    .data
                    .retain(|tracker| tracker.tracker_name != key.tracker_name);
                if project
                    .management
                    .as_ref()
                    .is_some_and(|tracker| tracker.tracker_name == key.tracker_name)
                {
                    project.management = None;
                }
                before - project.data.len() - usize::from(project.management.is_some())
            }
            DeleteTarget::One(key) => match key.tracker_type {
                TrackerType::System => {
                    let matches = project.find_mut(key).is_some();
                    usize::from(matches && project.management.take().is_some())
                }
                TrackerType::Data => {
                    let before = project.data.len();
                    project
                        .data
                        .retain(|tracker| tracker.tracker_name != key.tracker_name);
                    before - project.data.len()
                }
            },
        };
        project.data_deleted += data_before - project.data.len();
        if removed == 0 {
            return Err(CtsError::TrackerNotFound);
        }
        Ok(removed)
    }

    /// The project's usage against its quotas.
    pub fn quotas(&self, project_id: &str) -> QuotaUsage {
        let project = self.projects.get(project_id);
        let data_used = project.map_or(0, |project| {
            match self.faults.has(Fault::QuotaUsedCountsDeleted) {
                true => project.data.len() + project.data_deleted,
                false => project.data.len(),
            }
        });
        QuotaUsage {
            data_used: u32::try_from(data_used).unwrap_or(u32::MAX),
            data_quota: self.data_tracker_quota,
            system_used: project.map_or(0, |project| u32::from(project.management.is_some())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::model::{DataBucketFields, DataEvent, ObsChanges, OptionChanges};

    const PROJECT: &str = "project-a";
    const DOMAIN: &str = "domain-a";

    fn stamp(n: u32) -> Stamp {
        Stamp {
            id: format!("id-{n}"),
            create_time: 1_000 + i64::from(n),
        }
    }

    fn request(tracker_type: TrackerType, name: &str) -> TrackerRequest {
        TrackerRequest {
            key: TrackerKey {
                tracker_type,
                tracker_name: name.to_owned(),
            },
            status: None,
            obs_info: ObsChanges::default(),
            data_bucket: (tracker_type == TrackerType::Data).then(|| DataBucketFields {
                data_bucket_name: Some(format!("bucket-{name}")),
                data_event: Some(vec![DataEvent::Read]),
            }),
            options: OptionChanges::default(),
        }
    }

    fn store_with(trackers: &[(TrackerType, &str)]) -> Store {
        let mut store = Store::new(3);
        for (n, (tracker_type, name)) in (0..).zip(trackers) {
            store
                .create(PROJECT, DOMAIN, request(*tracker_type, name), stamp(n))
                .expect("setup create");
        }
        store
    }

    fn names<'a>(trackers: &[&'a Tracker]) -> Vec<&'a str> {
        trackers.iter().map(|t| t.tracker_name.as_str()).collect()
    }

    #[test]
    fn create_fills_server_fields_and_defaults() {
        let mut store = Store::new(3);
        let tracker = store
            .create(
                PROJECT,
                DOMAIN,
                request(TrackerType::System, "system"),
                stamp(7),
            )
            .expect("create");
        assert_eq!(tracker.id, "id-7");
        assert_eq!(tracker.create_time, 1_007);
        assert_eq!(tracker.domain_id, DOMAIN);
        assert_eq!(tracker.project_id, PROJECT);
        assert_eq!(tracker.status, TrackerStatus::Enabled);
        assert_eq!(tracker.obs_info, ObsSettings::default());
        assert!(tracker.obs_info.is_sort_by_service);
        assert_eq!(tracker.data_bucket, None);
    }

    #[test]
    fn one_management_tracker_per_project() {
        let mut store = store_with(&[(TrackerType::System, "system")]);
        let second = store.create(
            PROJECT,
            DOMAIN,
            request(TrackerType::System, "system"),
            stamp(1),
        );
        assert_eq!(second, Err(CtsError::ManagementTrackerExists));
        assert!(store
            .create(
                "project-b",
                DOMAIN,
                request(TrackerType::System, "system"),
                stamp(2)
            )
            .is_ok());
    }

    #[test]
    fn data_tracker_names_are_unique_and_quota_is_enforced() {
        let mut store = store_with(&[(TrackerType::Data, "a"), (TrackerType::Data, "b")]);
        let duplicate = store.create(PROJECT, DOMAIN, request(TrackerType::Data, "a"), stamp(9));
        assert_eq!(duplicate, Err(CtsError::TrackerExists("a".into())));
        assert!(store
            .create(PROJECT, DOMAIN, request(TrackerType::Data, "c"), stamp(3))
            .is_ok());
        let over = store.create(PROJECT, DOMAIN, request(TrackerType::Data, "d"), stamp(4));
        assert_eq!(over, Err(CtsError::QuotaReached(3)));
        // The management tracker does not count against the data quota.
        assert!(store
            .create(
                PROJECT,
                DOMAIN,
                request(TrackerType::System, "system"),
                stamp(5)
            )
            .is_ok());
        let usage = store.quotas(PROJECT);
        assert_eq!(
            (usage.data_used, usage.data_quota, usage.system_used),
            (3, 3, 1)
        );
    }

    #[test]
    fn data_tracker_without_bucket_is_refused() {
        let mut store = Store::new(3);
        let mut no_bucket = request(TrackerType::Data, "a");
        no_bucket.data_bucket = None;
        let answer = store.create(PROJECT, DOMAIN, no_bucket, stamp(0));
        assert_eq!(answer, Err(CtsError::TrackedBucketMissing));
    }

    #[test]
    fn list_filters_by_name_type_and_both() {
        let store = store_with(&[
            (TrackerType::Data, "a"),
            (TrackerType::System, "system"),
            (TrackerType::Data, "b"),
        ]);
        let all = store.list(PROJECT, &TrackerFilter::default());
        assert_eq!(names(&all), ["system", "a", "b"]);
        let by_type = TrackerFilter {
            tracker_type: Some(TrackerType::Data),
            ..TrackerFilter::default()
        };
        assert_eq!(names(&store.list(PROJECT, &by_type)), ["a", "b"]);
        let by_name = TrackerFilter {
            tracker_name: Some("b".into()),
            ..TrackerFilter::default()
        };
        assert_eq!(names(&store.list(PROJECT, &by_name)), ["b"]);
        let both_mismatch = TrackerFilter {
            tracker_name: Some("b".into()),
            tracker_type: Some(TrackerType::System),
        };
        assert!(store.list(PROJECT, &both_mismatch).is_empty());
        let unknown = TrackerFilter {
            tracker_name: Some("zzz".into()),
            ..TrackerFilter::default()
        };
        assert!(store.list(PROJECT, &unknown).is_empty());
        assert!(store.list("other", &TrackerFilter::default()).is_empty());
    }

    #[test]
    fn update_applies_changes_and_keeps_the_tracked_bucket() {
        let mut store = store_with(&[(TrackerType::Data, "a")]);
        let mut change = request(TrackerType::Data, "a");
        change.status = Some(TrackerStatus::Disabled);
        change.obs_info.bucket_name = Some("my-bucket".into());
        change.data_bucket = Some(DataBucketFields {
            data_bucket_name: None,
            data_event: Some(vec![DataEvent::Write]),
        });
        store.update(PROJECT, &change).expect("update");
        let tracker = &store.list(PROJECT, &TrackerFilter::default())[0];
        assert_eq!(tracker.status, TrackerStatus::Disabled);
        assert_eq!(tracker.obs_info.bucket_name, "my-bucket");
        assert_eq!(
            tracker.data_bucket.as_ref().map(|b| b.data_event.clone()),
            Some(vec![DataEvent::Write])
        );

        change.data_bucket = Some(DataBucketFields {
            data_bucket_name: Some("another-bucket".into()),
            data_event: None,
        });
        let moved = store.update(PROJECT, &change);
        assert_eq!(moved.map_err(|e| e.code()), Err("CTS.0003"));

        let missing = store.update(PROJECT, &request(TrackerType::Data, "nope"));
        assert_eq!(missing, Err(CtsError::TrackerNotFound));
    }

    #[test]
    fn refused_updates_change_nothing_and_created_buckets_exist() {
        let listed = Buckets::listed(["bucket-a".to_owned(), "bucket-b".to_owned()].into());
        let mut store = Store::new(3).with_buckets(listed);
        let mut create = |name: &str, bucket: &str, events: Vec<DataEvent>| {
            let mut body = request(TrackerType::Data, name);
            body.data_bucket = Some(DataBucketFields {
                data_bucket_name: Some(bucket.into()),
                data_event: Some(events),
            });
            store.create(PROJECT, DOMAIN, body, stamp(0))
        };
        assert!(create("r", "bucket-a", vec![DataEvent::Read]).is_ok());
        assert!(create("w", "bucket-a", vec![DataEvent::Write]).is_ok());
        assert_eq!(
            create("x", "bucket-z", vec![]).map_err(|e| e.code()),
            Err("CTS.0211")
        );
        // w taking READ too is refused, and w keeps WRITE only, with its status.
        let mut grab = request(TrackerType::Data, "w");
        grab.status = Some(TrackerStatus::Disabled);
        grab.data_bucket = Some(DataBucketFields {
            data_bucket_name: None,
            data_event: Some(vec![DataEvent::Read, DataEvent::Write]),
        });
        assert_eq!(
            store.update(PROJECT, &grab).map_err(|e| e.code()),
            Err("CTS.0209")
        );
        let w = store.list(
            PROJECT,
            &TrackerFilter {
                tracker_name: Some("w".into()),
                ..TrackerFilter::default()
            },
        )[0]
        .clone();
        assert_eq!(w.status, TrackerStatus::Enabled);
        assert_eq!(
            w.data_bucket.map(|bucket| bucket.data_event),
            Some(vec![DataEvent::Write])
        );
        // A transfer bucket made with is_obs_created exists from then on.
        let mut transfer = request(TrackerType::Data, "r");
        transfer.data_bucket = None;
        transfer.obs_info.bucket_name = Some("made-here".into());
        assert_eq!(
            store.update(PROJECT, &transfer).map_err(|e| e.code()),
            Err("CTS.0211")
        );
        transfer.obs_info.is_obs_created = Some(true);
        assert!(store.update(PROJECT, &transfer).is_ok());
        let mut reuse = request(TrackerType::System, "system");
        reuse.obs_info.bucket_name = Some("made-here".into());
        assert!(store.create(PROJECT, DOMAIN, reuse, stamp(1)).is_ok());
    }

    #[test]
    fn update_with_empty_bucket_name_turns_transfer_off() {
        let mut store = store_with(&[(TrackerType::System, "system")]);
        let mut on = request(TrackerType::System, "system");
        on.obs_info.bucket_name = Some("bucket-1".into());
        store.update(PROJECT, &on).expect("on");
        let mut off = request(TrackerType::System, "system");
        off.obs_info.bucket_name = Some(String::new());
        store.update(PROJECT, &off).expect("off");
        assert_eq!(
            store.list(PROJECT, &TrackerFilter::default())[0]
                .obs_info
                .bucket_name,
            ""
        );
    }

    #[test]
    fn delete_by_name_all_data_and_management() {
        let mut store = store_with(&[
            (TrackerType::System, "system"),
            (TrackerType::Data, "a"),
            (TrackerType::Data, "b"),
        ]);
        let key = |tracker_type, name: &str| {
            DeleteTarget::One(TrackerKey {
                tracker_type,
                tracker_name: name.into(),
            })
        };
        assert_eq!(store.delete(PROJECT, &key(TrackerType::Data, "a")), Ok(1));
        assert_eq!(
            store.delete(PROJECT, &key(TrackerType::Data, "a")),
            Err(CtsError::TrackerNotFound)
        );
        // A data tracker is not found under the system type, and vice versa.
        assert_eq!(
            store.delete(PROJECT, &key(TrackerType::System, "b")),
            Err(CtsError::TrackerNotFound)
        );
        assert_eq!(store.delete(PROJECT, &DeleteTarget::AllData), Ok(1));
        assert_eq!(
            store.delete(PROJECT, &DeleteTarget::AllData),
            Err(CtsError::TrackerNotFound)
        );
        assert_eq!(store.quotas(PROJECT).system_used, 1);
        assert_eq!(
            store.delete(PROJECT, &key(TrackerType::System, "system")),
            Ok(1)
        );
        assert_eq!(store.quotas(PROJECT).system_used, 0);
        assert_eq!(
            store.delete("unknown", &DeleteTarget::AllData),
            Err(CtsError::TrackerNotFound)
        );
    }
}
