//! A model of the run's own state (issue 27): per project, the trackers this run
//! created, changed and removed (type, name, and every documented field it sent or the
//! target confirmed), and the checks of every answer against it. Pure: no I/O, no
//! clock (times are passed in), no lock (the caller holds the model).
//!
//! Only the run's own trackers are judged (names [`crate::cts::made_by_run`]): a real
//! account has others. The rules ([`Rule`], each with its document row):
//! - a tracker created and not removed is listed whenever a ListTrackers filter matches
//!   it; one removed (DeleteTracker 2xx) or never created (CreateTracker 4xx) is not;
//! - every documented field the run sent ([`FIELDS`]) is shown with the value sent, in
//!   the 201 and in every listing (a field left out is accepted only when the value sent
//!   is the documented default: docs/contract.md C20);
//! - `tracker_name` and `tracker_type` filters return only matching trackers;
//! - a delete removes the named tracker of the named type and no other;
//! - `id` is stable; `create_time` is an integer of epoch milliseconds within the run's
//!   window, widened by [`CLOCK_SKEW_MS`] on both sides, and stable.
//!
//! Concurrency: the runner sends requests of many cases at once. [`Model::begin`]
//! registers a request when it is sent (a [`Ticket`]), [`Model::observe`] judges its
//! answer: a tracker that a change in flight may touch, or that changed after the
//! request was sent, is not judged by that answer (its state is not settled).
//! [`Model::exchange`] does both for a request answered before the next is sent.
//! An answer the model cannot interpret (no response, 5xx) makes what it may have
//! changed unknown until a later create or delete settles it.
//!
//! - when the run is the project's only writer ([`Model::only_writer`]: the embedded
//!   emulator), ListQuotas' `data_tracker` `used` lies between the number of data
//!   trackers the run holds present for certain and that number plus those whose state
//!   is changing (in flight, changed after the request was sent, or unknown); not judged
//!   once a data tracker was created or removed under a name the model does not follow,
//!   or while such a change is in flight (docs/contract.md C29).

pub mod finding;
pub mod request;

use std::collections::BTreeMap;

use serde_json::Value;

pub use finding::{ModelFinding, Rule};
pub use request::{Answer, Op, Request};

use crate::cts::made_by_run;

/// How far the target's clock may be from the harness's, either way, for
/// `create_time`: 15 minutes, the gateway's own allowance for `X-Sdk-Date`
/// (docs/contract.md C24); a target further off fails signing anyway.
pub const CLOCK_SKEW_MS: i64 = 15 * 60 * 1000;

/// How a sent value is compared with the shown one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Exact,
    /// Strings equal ignoring ASCII case (compress_type: documents upper, wire lower, C2).
    IgnoreCase,
    /// Arrays with the same elements in any order (data_event).
    AsSet,
}

/// A documented field the model reads back.
#[derive(Debug)]
pub struct Field {
    /// Where the request body has it.
    pub sent: &'static [&'static str],
    /// Where a tracker in an answer shows it.
    pub shown: &'static [&'static str],
    /// Its document row.
    pub doc: &'static str,
    /// The documented default, which a service may report by absence (C20).
    default: Option<Default>,
    compare: Compare,
    /// The JSON type a sent value must have to be recorded (a wrongly typed value may
    /// be coerced: C21).
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Default {
    Bool(bool),
    Str(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Str,
    Strings,
}

/// The documented fields read back (management-only fields are not: a data tracker
/// may ignore them, C21).
pub const FIELDS: [Field; 9] = [
    Field {
        sent: &["obs_info", "bucket_name"],
        shown: &["obs_info", "bucket_name"],
        doc: "query-trackers: Table 6 ObsInfo / bucket_name",
        default: Some(Default::Str("")),
        compare: Compare::Exact,
        kind: Kind::Str,
    },
    Field {
        sent: &["obs_info", "file_prefix_name"],
        shown: &["obs_info", "file_prefix_name"],
        doc: "query-trackers: Table 6 ObsInfo / file_prefix_name",
        default: Some(Default::Str("")),
        compare: Compare::Exact,
        kind: Kind::Str,
    },
    Field {
        sent: &["obs_info", "compress_type"],
        shown: &["obs_info", "compress_type"],
        doc: "query-trackers: Table 6 ObsInfo / compress_type",
        default: Some(Default::Str("gzip")),
        compare: Compare::IgnoreCase,
        kind: Kind::Str,
    },
    Field {
        sent: &["obs_info", "is_sort_by_service"],
        shown: &["obs_info", "is_sort_by_service"],
        doc: "query-trackers: Table 6 ObsInfo / is_sort_by_service",
        default: Some(Default::Bool(true)),
        compare: Compare::Exact,
        kind: Kind::Bool,
    },
    Field {
        sent: &["data_bucket", "data_bucket_name"],
        shown: &["data_bucket", "data_bucket_name"],
        doc: "query-trackers: Table 7 DataBucketQuery / data_bucket_name",
        default: None,
        compare: Compare::Exact,
        kind: Kind::Str,
    },
    Field {
        sent: &["data_bucket", "data_event"],
        shown: &["data_bucket", "data_event"],
        doc: "query-trackers: Table 7 DataBucketQuery / data_event",
        default: None,
        compare: Compare::AsSet,
        kind: Kind::Strings,
    },
    Field {
        sent: &["is_lts_enabled"],
        shown: &["lts", "is_lts_enabled"],
        doc: "query-trackers: Table 5 Lts / is_lts_enabled",
        default: Some(Default::Bool(false)),
        compare: Compare::Exact,
        kind: Kind::Bool,
    },
    Field {
        sent: &["is_support_validate"],
        shown: &["is_support_validate"],
        doc: "query-trackers: Table 4 TrackerResponseBody / is_support_validate",
        default: Some(Default::Bool(false)),
        compare: Compare::Exact,
        kind: Kind::Bool,
    },
    Field {
        sent: &["status"],
        shown: &["status"],
        doc: "query-trackers: Table 4 TrackerResponseBody / status",
        default: None,
        compare: Compare::Exact,
        kind: Kind::Str,
    },
];

impl Field {
    fn takes(&self, value: &Value) -> bool {
        match self.kind {
            Kind::Bool => value.is_boolean(),
            Kind::Str => value.is_string(),
            Kind::Strings => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
        }
    }

    fn same(&self, sent: &Value, shown: &Value) -> bool {
        match (self.compare, sent, shown) {
            (Compare::IgnoreCase, Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
            (Compare::AsSet, Value::Array(a), Value::Array(b)) => {
                let mut a: Vec<&Value> = a.iter().collect();
                let mut b: Vec<&Value> = b.iter().collect();
                a.sort_by_key(|v| v.to_string());
                b.sort_by_key(|v| v.to_string());
                a == b
            }
            _ => sent == shown,
        }
    }

    fn is_default(&self, sent: &Value) -> bool {
        match self.default {
            Some(Default::Bool(value)) => sent == &Value::Bool(value),
            Some(Default::Str(value)) => sent
                .as_str()
                .is_some_and(|text| text.eq_ignore_ascii_case(value)),
            None => false,
        }
    }
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

/// `system` or `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrackerType {
    System,
    Data,
}

impl TrackerType {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "system" => Some(Self::System),
            "data" => Some(Self::Data),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Data => "data",
        }
    }

    fn other(self) -> Self {
        match self {
            Self::System => Self::Data,
            Self::Data => Self::System,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    project: String,
    tracker_type: TrackerType,
    name: String,
}

impl Key {
    fn label(&self) -> String {
        format!("{}/{}", self.tracker_type.as_str(), self.name)
    }
}

/// Whether the tracker exists, as far as the run knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Present,
    Absent,
    /// An answer the model could not interpret may have changed it.
    Unknown,
}

/// What the run knows of one of its trackers.
#[derive(Debug, Clone)]
struct Known {
    presence: Presence,
    id: Option<String>,
    create_time: Option<i64>,
    /// Index into [`FIELDS`] -> the value sent (or confirmed).
    fields: BTreeMap<usize, Value>,
    /// The model's clock when it last changed.
    changed_at: u64,
    /// A DeleteTracker of the other type named it (and answered 2xx) since.
    deleted_as_other_type: bool,
}

impl Known {
    /// Now `presence`, as of `now`. What a removed tracker was (its fields, id and
    /// create_time) is forgotten: only its absence is judged, and a run that creates and
    /// removes tens of thousands of trackers keeps no more than their names.
    fn became(&mut self, presence: Presence, now: u64) {
        self.presence = presence;
        self.changed_at = now;
        if presence == Presence::Absent {
            self.fields = BTreeMap::new();
            self.id = None;
            self.create_time = None;
        }
    }

    fn new(presence: Presence, changed_at: u64) -> Self {
        Self {
            presence,
            id: None,
            create_time: None,
            fields: BTreeMap::new(),
            changed_at,
            deleted_as_other_type: false,
        }
    }
}

/// A request registered as sent ([`Model::begin`]), to be answered ([`Model::observe`]).
#[derive(Debug, Clone)]
#[must_use = "a ticket must be observed, or the trackers it may change stay unsettled"]
pub struct Ticket {
    request: Request,
    clock: u64,
}

/// The run's own state and the rules it checks (see the module documentation).
#[derive(Debug, Clone)]
pub struct Model {
    run_id: String,
    started_ms: i64,
    clock: u64,
    trackers: BTreeMap<Key, Known>,
    /// Changes in flight per (project, name).
    pending: BTreeMap<(String, String), u32>,
    /// "Delete every data tracker" requests in flight per project.
    pending_all_data: BTreeMap<String, u32>,
    /// Whether the run is the only writer of its projects (ListQuotas' `used` is checked).
    only_writer: bool,
    /// Creates and deletes of data trackers the model does not follow (a name not the
    /// run's, or no type it knows), in flight per project.
    unfollowed_in_flight: BTreeMap<String, u32>,
    /// Projects where a data tracker was created or removed under a name the model does
    /// not follow: their count of data trackers is not known.
    uncounted: std::collections::BTreeSet<String>,
}

impl Model {
    /// An empty model for the run `run_id` (its names start with `cc-<run_id>-`),
    /// started at `started_ms` (epoch milliseconds).
    pub fn new(run_id: &str, started_ms: i64) -> Self {
        Self {
            run_id: run_id.to_owned(),
            started_ms,
            clock: 0,
            trackers: BTreeMap::new(),
            pending: BTreeMap::new(),
            pending_all_data: BTreeMap::new(),
            only_writer: false,
            unfollowed_in_flight: BTreeMap::new(),
            uncounted: std::collections::BTreeSet::new(),
        }
    }

    /// The run is the only writer of its projects (the embedded emulator): ListQuotas'
    /// `used` is checked against the model.
    pub fn only_writer(mut self) -> Self {
        self.only_writer = true;
        self
    }

    /// Registers `request` as sent.
    pub fn begin(&mut self, request: Request) -> Ticket {
        if self.unfollowed(&request) {
            *self
                .unfollowed_in_flight
                .entry(request.project_id.clone())
                .or_default() += 1;
        }
        match self.changed_name(&request) {
            Some(Changes::One(name)) => {
                *self
                    .pending
                    .entry((request.project_id.clone(), name))
                    .or_default() += 1;
            }
            Some(Changes::AllData) => {
                *self
                    .pending_all_data
                    .entry(request.project_id.clone())
                    .or_default() += 1;
            }
            None => {}
        }
        Ticket {
            request,
            clock: self.clock,
        }
    }

    /// Judges the answer to a request registered by [`Model::begin`] against what the
    /// run knows, then learns from it. `now_ms`: when the answer came (epoch ms).
    pub fn observe(&mut self, ticket: Ticket, answer: &Answer, now_ms: i64) -> Vec<ModelFinding> {
        let Ticket { request, clock } = ticket;
        self.release(&request);
        let project = request.project_id.as_str();
        let mut findings = Vec::new();
        if self.unfollowed(&request) {
            self.unfollowed_answered(project, answer);
        }
        if let Op::Delete {
            tracker_name: None,
            tracker_type,
        } = &request.op
        {
            // Every data tracker removed: none is left that the model does not follow.
            if answer.succeeded() && tracker_type.as_deref().unwrap_or("data") == "data" {
                self.uncounted.remove(project);
            }
        }
        match &request.op {
            Op::Create(body) => self.created(project, body, answer, now_ms, &mut findings),
            Op::Update(body) => self.updated(project, body, answer),
            Op::Delete {
                tracker_name,
                tracker_type,
            } => self.deleted(
                project,
                tracker_name.as_deref(),
                tracker_type.as_deref(),
                answer,
                clock,
                &mut findings,
            ),
            Op::List {
                tracker_name,
                tracker_type,
            } => self.listed(
                project,
                tracker_name.as_deref(),
                tracker_type.as_deref(),
                answer,
                clock,
                now_ms,
                &mut findings,
            ),
            Op::Quotas => self.quotas(project, answer, clock, &mut findings),
        }
        findings
    }

    /// Whether `request` may create or remove a data tracker the model does not follow:
    /// a create or delete naming no tracker of the run (by name and known type).
    fn unfollowed(&self, request: &Request) -> bool {
        match &request.op {
            Op::Create(body) => {
                let system = body.get("tracker_type").and_then(Value::as_str) == Some("system");
                !system && self.key_of(&request.project_id, body).is_none()
            }
            Op::Delete {
                tracker_name: Some(name),
                tracker_type,
            } => tracker_type.as_deref() != Some("system") && !self.mine(name),
            _ => false,
        }
    }

    /// An unfollowed change of `project` was answered: unless refused, the project's
    /// count of data trackers is unknown from now on.
    fn unfollowed_answered(&mut self, project: &str, answer: &Answer) {
        if let Some(count) = self.unfollowed_in_flight.get_mut(project) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.unfollowed_in_flight.remove(project);
            }
        }
        if !answer.refused() {
            self.uncounted.insert(project.to_owned());
        }
    }

    /// ListQuotas' `data_tracker` `used` against the data trackers the run holds
    /// present: at least those present for certain, at most those plus the ones whose
    /// state is changing. Only when the run is the only writer.
    fn quotas(&self, project: &str, answer: &Answer, clock: u64, findings: &mut Vec<ModelFinding>) {
        if !self.only_writer
            || !answer.succeeded()
            || self.uncounted.contains(project)
            || self.unfollowed_in_flight.contains_key(project)
        {
            return;
        }
        let Some(used) = answer
            .body
            .as_ref()
            .and_then(|body| body.get("resources"))
            .and_then(Value::as_array)
            .and_then(|resources| {
                resources
                    .iter()
                    .find(|r| r.get("type").and_then(Value::as_str) == Some("data_tracker"))
            })
            .and_then(|resource| resource.get("used"))
            .and_then(Value::as_u64)
        else {
            return;
        };
        let mut present: Vec<&str> = Vec::new();
        let mut changing: Vec<&str> = Vec::new();
        for (key, known) in self
            .trackers
            .iter()
            .filter(|(key, _)| key.project == project && key.tracker_type == TrackerType::Data)
        {
            if !self.settled(key, known, clock) || known.presence == Presence::Unknown {
                changing.push(&key.name);
            } else if known.presence == Presence::Present {
                present.push(&key.name);
            }
        }
        // Creates in flight of names the model holds nothing of yet.
        for (pending_project, name) in self.pending.keys() {
            let known = self.trackers.contains_key(&Key {
                project: project.to_owned(),
                tracker_type: TrackerType::Data,
                name: name.clone(),
            });
            if pending_project == project && !known {
                changing.push(name);
            }
        }
        let all_data_in_flight = self.pending_all_data.contains_key(project);
        let least = if all_data_in_flight { 0 } else { present.len() };
        let most = present.len() + changing.len();
        if (least as u64..=most as u64).contains(&used) {
            return;
        }
        let list = |names: &[&str]| match names {
            [] => "none".to_owned(),
            names => names.join(", "),
        };
        findings.push(ModelFinding::new(
            Rule::QuotaUsed,
            "data trackers",
            format!(
                "ListQuotas says {used} data tracker(s) used; the run, the project's only \
                 writer, holds {} present ({}) and {} changing ({})",
                present.len(),
                list(&present),
                changing.len(),
                list(&changing)
            ),
        ));
    }

    /// [`Model::begin`] and [`Model::observe`] at once: for a request answered before
    /// the next one is sent.
    pub fn exchange(
        &mut self,
        request: Request,
        answer: &Answer,
        now_ms: i64,
    ) -> Vec<ModelFinding> {
        let ticket = self.begin(request);
        self.observe(ticket, answer, now_ms)
    }

    /// The names the run's trackers the model holds as present in `project` (for
    /// tests, reports and `explore`), as `type/name`.
    pub fn present(&self, project: &str) -> Vec<String> {
        self.trackers
            .iter()
            .filter(|(key, known)| key.project == project && known.presence == Presence::Present)
            .map(|(key, _)| key.label())
            .collect()
    }

    fn mine(&self, name: &str) -> bool {
        made_by_run(name, &self.run_id)
    }

    fn changed_name(&self, request: &Request) -> Option<Changes> {
        let body_name = |body: &Value| {
            body.get("tracker_name")
                .and_then(Value::as_str)
                .filter(|name| self.mine(name))
                .map(|name| Changes::One(name.to_owned()))
        };
        match &request.op {
            Op::Create(body) | Op::Update(body) => body_name(body),
            Op::Delete {
                tracker_name: Some(name),
                ..
            } => self.mine(name).then(|| Changes::One(name.clone())),
            Op::Delete {
                tracker_name: None,
                tracker_type,
            } => (tracker_type.as_deref().unwrap_or("data") == "data").then_some(Changes::AllData),
            Op::List { .. } | Op::Quotas => None,
        }
    }

    fn release(&mut self, request: &Request) {
        let release = |count: &mut u32| {
            *count = count.saturating_sub(1);
            *count == 0
        };
        match self.changed_name(request) {
            Some(Changes::One(name)) => {
                let key = (request.project_id.clone(), name);
                if self.pending.get_mut(&key).is_some_and(release) {
                    self.pending.remove(&key);
                }
            }
            Some(Changes::AllData) => {
                let key = request.project_id.clone();
                if self.pending_all_data.get_mut(&key).is_some_and(release) {
                    self.pending_all_data.remove(&key);
                }
            }
            None => {}
        }
    }

    /// Whether `key`'s state is settled for an answer to a request sent at `clock`.
    fn settled(&self, key: &Key, known: &Known, clock: u64) -> bool {
        known.changed_at <= clock
            && !self
                .pending
                .contains_key(&(key.project.clone(), key.name.clone()))
            && !(key.tracker_type == TrackerType::Data
                && self.pending_all_data.contains_key(&key.project))
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn key_of(&self, project: &str, body: &Value) -> Option<Key> {
        let name = body.get("tracker_name")?.as_str()?;
        let tracker_type = TrackerType::parse(body.get("tracker_type")?.as_str()?)?;
        self.mine(name).then(|| Key {
            project: project.to_owned(),
            tracker_type,
            name: name.to_owned(),
        })
    }

    fn created(
        &mut self,
        project: &str,
        body: &Value,
        answer: &Answer,
        now_ms: i64,
        findings: &mut Vec<ModelFinding>,
    ) {
        let Some(key) = self.key_of(project, body) else {
            return;
        };
        let now = self.tick();
        if answer.succeeded() {
            let mut known = Known::new(Presence::Present, now);
            known.fields = sent_fields(body);
            // A create body's status is ignored (the service starts it enabled).
            known.fields.remove(&STATUS_FIELD);
            if let Some(shown) = &answer.body {
                self.check_tracker(&key, &mut known, shown, now_ms, "the 201", findings);
            }
            self.trackers.insert(key, known);
        } else if answer.refused() {
            let was_present = self
                .trackers
                .get(&key)
                .is_some_and(|known| known.presence == Presence::Present);
            if !was_present {
                self.trackers.insert(key, Known::new(Presence::Absent, now));
            }
        } else {
            self.trackers
                .insert(key, Known::new(Presence::Unknown, now));
        }
    }

    fn updated(&mut self, project: &str, body: &Value, answer: &Answer) {
        let Some(key) = self.key_of(project, body) else {
            return;
        };
        if answer.refused() {
            return;
        }
        let now = self.tick();
        let Some(known) = self.trackers.get_mut(&key) else {
            return;
        };
        known.changed_at = now;
        if answer.succeeded() && known.presence == Presence::Present {
            known.fields.extend(sent_fields(body));
        } else {
            known.presence = Presence::Unknown;
        }
    }

    fn deleted(
        &mut self,
        project: &str,
        name: Option<&str>,
        tracker_type: Option<&str>,
        answer: &Answer,
        clock: u64,
        findings: &mut Vec<ModelFinding>,
    ) {
        let Some(tracker_type) = TrackerType::parse(tracker_type.unwrap_or("data")) else {
            return;
        };
        if answer.refused() {
            return;
        }
        let now = self.tick();
        let presence = if answer.succeeded() {
            Presence::Absent
        } else {
            Presence::Unknown
        };
        let Some(name) = name else {
            if tracker_type == TrackerType::Data {
                for (_, known) in self.trackers.iter_mut().filter(|(key, _)| {
                    key.project == project && key.tracker_type == TrackerType::Data
                }) {
                    known.became(presence, now);
                }
            }
            return;
        };
        if !self.mine(name) {
            return;
        }
        let key = Key {
            project: project.to_owned(),
            tracker_type,
            name: name.to_owned(),
        };
        let other = Key {
            tracker_type: tracker_type.other(),
            ..key.clone()
        };
        let this_present = self
            .trackers
            .get(&key)
            .is_some_and(|known| known.presence != Presence::Absent);
        if answer.succeeded() && !this_present {
            let settled_other = self
                .trackers
                .get(&other)
                .filter(|known| known.presence == Presence::Present)
                .is_some_and(|known| self.settled(&other, known, clock));
            if settled_other {
                findings.push(ModelFinding::new(
                    Rule::DeleteExact,
                    &key.label(),
                    format!(
                        "DeleteTracker answered {} for a {} tracker named {name}, which the run \
                         never created (its tracker of that name is a {} tracker)",
                        answer.status.unwrap_or_default(),
                        tracker_type.as_str(),
                        other.tracker_type.as_str()
                    ),
                ));
                if let Some(known) = self.trackers.get_mut(&other) {
                    known.deleted_as_other_type = true;
                }
            }
        }
        let known = self
            .trackers
            .entry(key)
            .or_insert_with(|| Known::new(presence, now));
        known.became(presence, now);
    }

    #[allow(clippy::too_many_arguments)]
    fn listed(
        &mut self,
        project: &str,
        name_filter: Option<&str>,
        type_filter: Option<&str>,
        answer: &Answer,
        clock: u64,
        now_ms: i64,
        findings: &mut Vec<ModelFinding>,
    ) {
        if !answer.succeeded() {
            return;
        }
        let Some(entries) = answer
            .body
            .as_ref()
            .and_then(|body| body.get("trackers"))
            .and_then(Value::as_array)
        else {
            return;
        };
        let type_filter = match type_filter {
            None => None,
            Some(text) => match TrackerType::parse(text) {
                Some(tracker_type) => Some(tracker_type),
                None => return, // an invalid filter: nothing to judge it by
            },
        };
        // The run's trackers in the answer, by key.
        let mut shown: BTreeMap<Key, &Value> = BTreeMap::new();
        for entry in entries {
            let Some(name) = entry.get("tracker_name").and_then(Value::as_str) else {
                continue;
            };
            if !self.mine(name) {
                continue;
            }
            let entry_type = entry
                .get("tracker_type")
                .and_then(Value::as_str)
                .and_then(TrackerType::parse);
            let label = format!("{}/{name}", entry_type.map_or("?", TrackerType::as_str));
            if let Some(wanted) = name_filter.filter(|wanted| *wanted != name) {
                findings.push(ModelFinding::new(
                    Rule::FilterExact,
                    &label,
                    format!("ListTrackers with tracker_name={wanted} listed {name}"),
                ));
            }
            if let (Some(wanted), Some(have)) = (type_filter, entry_type) {
                if wanted != have {
                    findings.push(ModelFinding::new(
                        Rule::FilterExact,
                        &label,
                        format!(
                            "ListTrackers with tracker_type={} listed a {} tracker",
                            wanted.as_str(),
                            have.as_str()
                        ),
                    ));
                }
            }
            if let Some(tracker_type) = entry_type {
                shown
                    .entry(Key {
                        project: project.to_owned(),
                        tracker_type,
                        name: name.to_owned(),
                    })
                    .or_insert(entry);
            }
        }
        let wanted = |key: &Key, known: &Known| {
            key.project == project
                && name_filter.is_none_or(|name| name == key.name)
                && type_filter.is_none_or(|tracker_type| tracker_type == key.tracker_type)
                && self.settled(key, known, clock)
        };
        let keys: Vec<Key> = match name_filter {
            // A listing by name: only the keys of that name (one per type, in key order),
            // looked up rather than found among every tracker the run has known.
            Some(name) => [TrackerType::System, TrackerType::Data]
                .into_iter()
                .map(|tracker_type| Key {
                    project: project.to_owned(),
                    tracker_type,
                    name: name.to_owned(),
                })
                .filter(|key| {
                    self.trackers
                        .get(key)
                        .is_some_and(|known| wanted(key, known))
                })
                .collect(),
            None => self
                .trackers
                .iter()
                .filter(|(key, known)| wanted(key, known))
                .map(|(key, _)| key.clone())
                .collect(),
        };
        for key in keys {
            let Some(mut known) = self.trackers.remove(&key) else {
                continue;
            };
            match (known.presence, shown.get(&key)) {
                (Presence::Present, Some(entry)) => {
                    self.check_tracker(&key, &mut known, entry, now_ms, "the listing", findings);
                }
                (Presence::Present, None) if known.deleted_as_other_type => {
                    findings.push(ModelFinding::new(
                        Rule::DeleteExact,
                        &key.label(),
                        format!(
                            "not listed after a DeleteTracker of the other type ({}) named it; \
                             the run never removed it",
                            key.tracker_type.other().as_str()
                        ),
                    ));
                }
                (Presence::Present, None) => findings.push(ModelFinding::new(
                    Rule::ListedWhilePresent,
                    &key.label(),
                    "created by the run and not removed, but not listed".to_owned(),
                )),
                (Presence::Absent, Some(_)) => findings.push(ModelFinding::new(
                    Rule::AbsentAfterRemoval,
                    &key.label(),
                    "listed, but the run removed it (or its create was refused)".to_owned(),
                )),
                _ => {}
            }
            self.trackers.insert(key, known);
        }
    }

    /// Checks one tracker of an answer against what the run knows of it, and learns
    /// its id and create_time when first shown.
    fn check_tracker(
        &self,
        key: &Key,
        known: &mut Known,
        shown: &Value,
        now_ms: i64,
        answer: &str,
        findings: &mut Vec<ModelFinding>,
    ) {
        let label = key.label();
        for (index, sent) in &known.fields {
            let field = &FIELDS[*index];
            let path = || field.shown.join(".");
            let wrong = match at(shown, field.shown) {
                Some(value) if field.same(sent, value) => None,
                Some(value) => Some(format!(
                    "{} is {value} in {answer}; the run sent {sent}",
                    path()
                )),
                None if field.is_default(sent) => None,
                None => Some(format!(
                    "{} is missing in {answer}; the run sent {sent}",
                    path()
                )),
            };
            if let Some(message) = wrong {
                findings.push(ModelFinding {
                    rule: Rule::FieldAsSent,
                    doc: field.doc,
                    tracker: label.clone(),
                    message,
                });
            }
        }
        if let Some(id) = shown.get("id").and_then(Value::as_str) {
            match &known.id {
                Some(before) if before != id => findings.push(ModelFinding::new(
                    Rule::IdStable,
                    &label,
                    format!("id is {id} in {answer}; it was {before}"),
                )),
                Some(_) => {}
                None => known.id = Some(id.to_owned()),
            }
        }
        let Some(time) = shown.get("create_time") else {
            return;
        };
        let (earliest, latest) = (
            self.started_ms.saturating_sub(CLOCK_SKEW_MS),
            now_ms.saturating_add(CLOCK_SKEW_MS),
        );
        match time.as_i64() {
            Some(millis) if !(earliest..=latest).contains(&millis) => {
                findings.push(ModelFinding::new(
                    Rule::CreateTime,
                    &label,
                    format!(
                        "create_time {millis} in {answer} is not epoch milliseconds within the \
                         run ({earliest} to {latest}, with {CLOCK_SKEW_MS} ms of clock skew \
                         either side)"
                    ),
                ));
            }
            Some(millis) => match known.create_time {
                Some(before) if before != millis => findings.push(ModelFinding::new(
                    Rule::CreateTime,
                    &label,
                    format!("create_time is {millis} in {answer}; it was {before}"),
                )),
                Some(_) => {}
                None => known.create_time = Some(millis),
            },
            None => findings.push(ModelFinding::new(
                Rule::CreateTime,
                &label,
                format!("create_time {time} in {answer} is not an integer"),
            )),
        }
    }
}

/// [`FIELDS`]' index of `status`, which only an update sets.
const STATUS_FIELD: usize = 8;

/// What a request changes: one name, or every data tracker of the project.
enum Changes {
    One(String),
    AllData,
}

/// The documented fields of a create or update body, by [`FIELDS`] index.
fn sent_fields(body: &Value) -> BTreeMap<usize, Value> {
    FIELDS
        .iter()
        .enumerate()
        .filter_map(|(index, field)| {
            at(body, field.sent)
                .filter(|value| field.takes(value))
                .map(|value| (index, value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
