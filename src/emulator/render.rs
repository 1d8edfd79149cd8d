//! Stored state to response JSON. Every tracker in every answer (CreateTracker's
//! 201 and each entry of ListTrackers' 200) is rendered by [`tracker`], so a fault
//! mode that changes how trackers look on the wire switches in here, in one place.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::fault::FaultSet;
use super::model::{QuotaUsage, Tracker, TrackerType, SYSTEM_TRACKER_QUOTA};

/// LTS log group name the documents' example shows.
const LTS_LOG_GROUP: &str = "CTS";
/// LTS topic of the management tracker in the documents' example.
const MANAGEMENT_LTS_TOPIC: &str = "system-trace";

/// One tracker as CreateTracker and ListTrackers answer it
/// (`CreateTrackerResponseBody` / `TrackerResponseBody`), borrowed from the store and
/// serialised straight to the wire.
#[derive(Debug, Serialize)]
pub struct TrackerView<'a> {
    id: &'a str,
    create_time: i64,
    tracker_type: &'static str,
    tracker_name: &'a str,
    domain_id: &'a str,
    project_id: &'a str,
    status: &'static str,
    obs_info: ObsInfoView<'a>,
    is_support_validate: bool,
    is_support_trace_files_encryption: bool,
    is_organization_tracker: bool,
    lts: LtsView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_bucket: Option<DataBucketView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agency_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    management_event_selector: Option<SelectorView<'a>>,
}

#[derive(Debug, Serialize)]
struct ObsInfoView<'a> {
    bucket_name: &'a str,
    file_prefix_name: &'a str,
    is_obs_created: bool,
    compress_type: &'static str,
    is_sort_by_service: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket_lifecycle: Option<i64>,
}

#[derive(Debug, Serialize)]
struct LtsView<'a> {
    is_lts_enabled: bool,
    log_group_name: &'static str,
    log_topic_name: &'a str,
}

#[derive(Debug, Serialize)]
struct DataBucketView<'a> {
    data_bucket_name: &'a str,
    data_event: Vec<&'static str>,
    search_enabled: bool,
}

#[derive(Debug, Serialize)]
struct SelectorView<'a> {
    exclude_service: &'a [String],
}

impl<'a> TrackerView<'a> {
    fn of(tracker: &'a Tracker) -> Self {
        let obs = &tracker.obs_info;
        let options = &tracker.options;
        TrackerView {
            id: &tracker.id,
            create_time: tracker.create_time,
            tracker_type: tracker.tracker_type.as_str(),
            tracker_name: &tracker.tracker_name,
            domain_id: &tracker.domain_id,
            project_id: &tracker.project_id,
            status: tracker.status.as_str(),
            obs_info: ObsInfoView {
                bucket_name: &obs.bucket_name,
                file_prefix_name: &obs.file_prefix_name,
                is_obs_created: obs.is_obs_created,
                compress_type: obs.compress_type.as_str(),
                is_sort_by_service: obs.is_sort_by_service,
                bucket_lifecycle: obs.bucket_lifecycle,
            },
            is_support_validate: options.is_support_validate,
            is_support_trace_files_encryption: options.is_support_trace_files_encryption,
            is_organization_tracker: options.is_organization_tracker,
            lts: LtsView {
                is_lts_enabled: options.is_lts_enabled,
                log_group_name: LTS_LOG_GROUP,
                log_topic_name: match tracker.tracker_type {
                    TrackerType::System => MANAGEMENT_LTS_TOPIC,
                    TrackerType::Data => &tracker.tracker_name,
                },
            },
            data_bucket: tracker.data_bucket.as_ref().map(|bucket| DataBucketView {
                data_bucket_name: &bucket.data_bucket_name,
                data_event: bucket.data_event.iter().map(|e| e.as_str()).collect(),
                search_enabled: false,
            }),
            kms_id: options.kms_id.as_deref(),
            agency_name: options.agency_name.as_deref(),
            management_event_selector: options
                .exclude_service
                .as_deref()
                .map(|exclude_service| SelectorView { exclude_service }),
        }
    }
}

/// A tracker ready to serialise: as stored, or changed by the tracker faults of the
/// emulator's fault set (which work on JSON, so only then is the tracker built as a value).
#[derive(Debug, Serialize)]
#[serde(untagged)]
// The plain view is the common case; boxing it would cost an allocation per tracker
// to save padding in the rare (fault mode) distorted one.
#[allow(clippy::large_enum_variant)]
pub enum RenderedTracker<'a> {
    Plain(TrackerView<'a>),
    /// A preloaded tracker, exactly as its file gave it.
    Preloaded(&'a RawValue),
    Distorted(Value),
}

/// One tracker as CreateTracker and ListTrackers answer it, changed by the tracker
/// faults of `faults` (none in normal operation).
pub fn tracker<'a>(tracker: &'a Tracker, faults: &FaultSet) -> RenderedTracker<'a> {
    // The preloaded text is valid JSON (it was read from the file), so this succeeds.
    let preloaded = tracker
        .preloaded
        .as_deref()
        .and_then(|text| serde_json::from_str::<&RawValue>(text).ok());
    if !faults.distorts_trackers() {
        return match preloaded {
            Some(raw) => RenderedTracker::Preloaded(raw),
            None => RenderedTracker::Plain(TrackerView::of(tracker)),
        };
    }
    let mut value = match preloaded {
        Some(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
        None => serde_json::to_value(TrackerView::of(tracker)).unwrap_or(Value::Null),
    };
    faults.distort_tracker(&mut value);
    RenderedTracker::Distorted(value)
}

/// ListTrackers' answer: `{"trackers": [...]}`.
#[derive(Debug, Serialize)]
pub struct TrackerList<'a> {
    trackers: Vec<RenderedTracker<'a>>,
}

/// ListTrackers' answer for `trackers`.
pub fn tracker_list<'a>(trackers: &[&'a Tracker], faults: &FaultSet) -> TrackerList<'a> {
    TrackerList {
        trackers: trackers.iter().map(|t| tracker(t, faults)).collect(),
    }
}

/// The further quota type [`quotas`] lists when asked (api-facts: quota types are open).
pub const EXTRA_QUOTA_TYPE: &str = "smn_notification";
/// Its quota (SMN notifications per project), a plausible figure.
const EXTRA_QUOTA: u32 = 100;

/// ListQuotas' answer: data tracker and management tracker usage, and with
/// `extra_types` also [`EXTRA_QUOTA_TYPE`] (none used), as a real account may list.
pub fn quotas(usage: &QuotaUsage, extra_types: bool) -> Value {
    let mut resources = vec![
        json!({ "type": "data_tracker", "used": usage.data_used, "quota": usage.data_quota }),
        json!({ "type": "system_tracker", "used": usage.system_used, "quota": SYSTEM_TRACKER_QUOTA }),
    ];
    if extra_types {
        resources.push(json!({ "type": EXTRA_QUOTA_TYPE, "used": 0, "quota": EXTRA_QUOTA }));
    }
    json!({ "resources": resources })
}
