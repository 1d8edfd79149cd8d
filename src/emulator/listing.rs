//! The store as the handlers hold it: behind the emulator's one lock, together with
//! the ListTrackers answers already rendered for its current state. An answer is a
//! function of the state, the project, the filter and the fault set (fixed when the
//! router is built), so it is rendered once and then served as shared bytes until the
//! store is next borrowed for a change ([`SharedStore::store_mut`] forgets them all).

use std::collections::HashMap;

use axum::body::Bytes;

use super::fault::FaultSet;
use super::model::TrackerFilter;
use super::render;
use super::store::Store;

/// Most ListTrackers answers kept at once (projects and filters together); past it
/// (or past [`MAX_KEPT_BYTES`]) the kept answers are dropped and rendering starts
/// over, so odd callers cannot grow it.
pub const MAX_KEPT_LISTS: usize = 256;

/// Most bytes of rendered answers kept at once.
pub const MAX_KEPT_BYTES: usize = 4 * 1024 * 1024;

/// The store and the ListTrackers answers rendered since it last changed.
#[derive(Debug)]
pub struct SharedStore {
    store: Store,
    /// Per project: (filter, rendered `{"trackers": [...]}`).
    lists: HashMap<String, Vec<(TrackerFilter, Bytes)>>,
    /// Answers kept, and their bytes.
    kept: usize,
    kept_bytes: usize,
    /// The bounds ([`MAX_KEPT_LISTS`], [`MAX_KEPT_BYTES`] unless a test sets others).
    max_lists: usize,
    max_bytes: usize,
    /// Which fields listed trackers carry.
    fields: render::Fields,
}

impl SharedStore {
    /// This store, its trackers listed with `fields`.
    pub fn with_fields(mut self, fields: render::Fields) -> Self {
        self.fields = fields;
        self
    }

    /// `store`, with no answer rendered yet.
    pub fn new(store: Store) -> Self {
        Self::with_bounds(store, MAX_KEPT_LISTS, MAX_KEPT_BYTES)
    }

    /// Like [`SharedStore::new`], keeping at most `max_lists` answers of at most
    /// `max_bytes` together.
    pub fn with_bounds(store: Store, max_lists: usize, max_bytes: usize) -> Self {
        Self {
            store,
            lists: HashMap::new(),
            kept: 0,
            kept_bytes: 0,
            fields: render::Fields::Examples,
            max_lists,
            max_bytes,
        }
    }

    /// The store, to read.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, to change: every kept answer is forgotten first, whatever the
    /// change turns out to be (a refused request included).
    pub fn store_mut(&mut self) -> &mut Store {
        self.forget();
        &mut self.store
    }

    /// ListTrackers' answer for `project_id` and `filter` as JSON bytes, rendered
    /// ([`render::tracker_list`]) only if not kept from an earlier request.
    pub fn tracker_list(
        &mut self,
        project_id: &str,
        filter: &TrackerFilter,
        faults: &FaultSet,
    ) -> Result<Bytes, serde_json::Error> {
        let kept = self.lists.get(project_id).and_then(|lists| {
            lists
                .iter()
                .find(|(kept_filter, _)| kept_filter == filter)
                .map(|(_, body)| body.clone())
        });
        if let Some(body) = kept {
            return Ok(body);
        }
        let trackers = self.store.list(project_id, filter);
        let body = Bytes::from(serde_json::to_vec(&render::tracker_list(
            &trackers,
            faults,
            self.fields,
        ))?);
        if self.kept >= self.max_lists || self.kept_bytes + body.len() > self.max_bytes {
            self.forget();
        }
        if self.max_lists > 0 && body.len() <= self.max_bytes {
            self.lists
                .entry(project_id.to_owned())
                .or_default()
                .push((filter.clone(), body.clone()));
            self.kept += 1;
            self.kept_bytes += body.len();
        }
        Ok(body)
    }

    fn forget(&mut self) {
        if self.kept > 0 {
            self.lists.clear();
            self.kept = 0;
            self.kept_bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::model::{
        DataBucketFields, ObsChanges, OptionChanges, TrackerKey, TrackerRequest, TrackerType,
    };
    use crate::emulator::store::Stamp;
    use serde_json::Value;

    fn data_tracker(name: &str) -> TrackerRequest {
        TrackerRequest {
            key: TrackerKey {
                tracker_type: TrackerType::Data,
                tracker_name: name.to_owned(),
            },
            status: None,
            obs_info: ObsChanges::default(),
            data_bucket: Some(DataBucketFields {
                data_bucket_name: Some(format!("{name}-bucket")),
                data_event: None,
            }),
            options: OptionChanges::default(),
        }
    }

    fn names(body: &Bytes) -> Vec<String> {
        let json: Value = serde_json::from_slice(body).expect("JSON");
        json["trackers"]
            .as_array()
            .expect("trackers")
            .iter()
            .map(|t| t["tracker_name"].as_str().expect("name").to_owned())
            .collect()
    }

    fn stamp(id: &str) -> Stamp {
        Stamp {
            id: id.to_owned(),
            create_time: 1,
        }
    }

    #[test]
    fn a_kept_answer_is_forgotten_when_the_store_changes() {
        let faults = FaultSet::none();
        let all = TrackerFilter::default();
        let mut shared = SharedStore::new(Store::new(100));
        assert!(names(&shared.tracker_list("p", &all, &faults).expect("list")).is_empty());
        shared
            .store_mut()
            .create("p", "d", data_tracker("one"), stamp("1"))
            .expect("create");
        assert_eq!(
            names(&shared.tracker_list("p", &all, &faults).expect("list")),
            ["one"]
        );
        // A refused change forgets too.
        assert!(shared
            .store_mut()
            .create("p", "d", data_tracker("one"), stamp("2"))
            .is_err());
        shared
            .store_mut()
            .create("p", "d", data_tracker("two"), stamp("3"))
            .expect("create");
        assert_eq!(
            names(&shared.tracker_list("p", &all, &faults).expect("list")),
            ["one", "two"]
        );
    }

    #[test]
    fn answers_are_kept_per_project_and_filter() {
        let faults = FaultSet::none();
        let mut shared = SharedStore::new(Store::new(100));
        for (project, name) in [("p", "one"), ("p", "two"), ("q", "three")] {
            shared
                .store_mut()
                .create(project, "d", data_tracker(name), stamp(name))
                .expect("create");
        }
        let named = |name: &str| TrackerFilter {
            tracker_name: Some(name.to_owned()),
            tracker_type: None,
        };
        for _ in 0..2 {
            let all = TrackerFilter::default();
            assert_eq!(
                names(&shared.tracker_list("p", &all, &faults).expect("list")),
                ["one", "two"]
            );
            assert_eq!(
                names(
                    &shared
                        .tracker_list("p", &named("two"), &faults)
                        .expect("list")
                ),
                ["two"]
            );
            assert_eq!(
                names(&shared.tracker_list("q", &all, &faults).expect("list")),
                ["three"]
            );
        }
    }

    #[test]
    fn the_kept_answers_stay_bounded() {
        let faults = FaultSet::none();
        let mut shared = SharedStore::new(Store::new(100));
        for i in 0..(MAX_KEPT_LISTS * 2) {
            let project = format!("project-{i}");
            shared
                .tracker_list(&project, &TrackerFilter::default(), &faults)
                .expect("list");
            assert!(shared.kept <= MAX_KEPT_LISTS);
        }
        let kept: usize = shared.lists.values().map(Vec::len).sum();
        assert_eq!(kept, shared.kept);
    }

    #[test]
    fn the_kept_bytes_stay_bounded() {
        let faults = FaultSet::none();
        let mut shared = SharedStore::with_bounds(Store::new(100), 100, 1_200);
        for (project, name) in [("p", "one"), ("q", "two"), ("r", "three")] {
            shared
                .store_mut()
                .create(project, "d", data_tracker(name), stamp(name))
                .expect("create");
        }
        let all = TrackerFilter::default();
        let one_answer = shared.tracker_list("p", &all, &faults).expect("list").len();
        assert!((400..600).contains(&one_answer), "{one_answer}");
        for _ in 0..3 {
            for project in ["p", "q", "r"] {
                let answer = shared.tracker_list(project, &all, &faults).expect("list");
                assert_eq!(names(&answer).len(), 1);
                assert!(shared.kept_bytes <= 1_200, "{}", shared.kept_bytes);
                assert!(shared.kept_bytes >= answer.len());
            }
        }
        // An answer larger than the bound is served, not kept.
        let mut small = SharedStore::with_bounds(Store::new(100), 100, 100);
        small
            .store_mut()
            .create("p", "d", data_tracker("one"), stamp("1"))
            .expect("create");
        assert_eq!(
            names(&small.tracker_list("p", &all, &faults).expect("list")),
            ["one"]
        );
        assert_eq!((small.kept, small.kept_bytes), (0, 0));
    }
}
