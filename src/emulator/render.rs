//! Stored state to response JSON. Every tracker in every answer (CreateTracker's
//! 201 and each entry of ListTrackers' 200) is rendered by [`tracker`], so a fault
//! mode that changes how trackers look on the wire switches in here, in one place.
//!
//! With [`Fields::Sdk`] (`serve --cloud`) a tracker carries every field the official
//! SDK's response models list (huaweicloudsdkcts 3.1.219: `CreateTrackerResponse`,
//! `TrackerResponseBody`, `ObsInfo`, `Lts`, `DataBucketQuery`, `CtsQuota`), with
//! plausible values, as a real account answers. Left out, and why:
//! - `kms_id`: only a tracker that encrypts its trace files has a key (set when the
//!   request gave one);
//! - `detail`: the reason of an `error` status, which the emulator never enters;
//! - `management_event_selector`: only when the request set one;
//! - `data_bucket`: data trackers only;
//! - `group_id` and `stream_id` (ListTrackers only, as in the SDK): only a tracker with
//!   LTS enabled has a log group and stream.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use sha2::{Digest, Sha256};

use super::fault::FaultSet;
use super::model::{QuotaUsage, Tracker, TrackerType, SYSTEM_TRACKER_QUOTA};

/// LTS log group name the documents' example shows.
const LTS_LOG_GROUP: &str = "CTS";
/// LTS topic of the management tracker in the documents' example.
const MANAGEMENT_LTS_TOPIC: &str = "system-trace";

/// Which fields an answer carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fields {
    /// Those of the documents' examples.
    #[default]
    Examples,
    /// Every field the official SDK's response models list (`serve --cloud`).
    Sdk,
}

/// Which answer a tracker is rendered for (the SDK's list model has fields its create
/// model has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Create,
    List,
}

/// The agency CTS acts through on a real account (the Terraform provider's default).
const CLOUD_AGENCY: &str = "cts_admin_trust";
/// Retention days a tracker's OBS objects get when the request gave none: 0, kept.
const DEFAULT_BUCKET_LIFECYCLE: i64 = 0;

/// A stable UUID-shaped id derived from `seed` (LTS group and stream ids).
fn derived_id(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

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
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_id: Option<String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    is_authorized_bucket: Option<bool>,
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
    fn of(tracker: &'a Tracker, fields: Fields, answer: Answer) -> Self {
        let obs = &tracker.obs_info;
        let options = &tracker.options;
        let sdk = fields == Fields::Sdk;
        let lts_ids = sdk && answer == Answer::List && options.is_lts_enabled;
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
                bucket_lifecycle: obs
                    .bucket_lifecycle
                    .or(sdk.then_some(DEFAULT_BUCKET_LIFECYCLE)),
                // CTS writes only to a bucket it is authorised for; no bucket, no grant.
                is_authorized_bucket: sdk.then_some(!obs.bucket_name.is_empty()),
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
            agency_name: options
                .agency_name
                .as_deref()
                .or(sdk.then_some(CLOUD_AGENCY)),
            management_event_selector: options
                .exclude_service
                .as_deref()
                .map(|exclude_service| SelectorView { exclude_service }),
            group_id: lts_ids.then(|| derived_id(&format!("lts-group:{}", tracker.project_id))),
            stream_id: lts_ids.then(|| derived_id(&format!("lts-stream:{}", tracker.id))),
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

/// One tracker as CreateTracker (`answer`) or ListTrackers answers it, with `fields`,
/// changed by the tracker faults of `faults` (none in normal operation).
pub fn tracker<'a>(
    tracker: &'a Tracker,
    faults: &FaultSet,
    fields: Fields,
    answer: Answer,
) -> RenderedTracker<'a> {
    // The preloaded text is valid JSON (it was read from the file), so this succeeds.
    let preloaded = tracker
        .preloaded
        .as_deref()
        .and_then(|text| serde_json::from_str::<&RawValue>(text).ok());
    if !faults.distorts_trackers() {
        return match preloaded {
            Some(raw) => RenderedTracker::Preloaded(raw),
            None => RenderedTracker::Plain(TrackerView::of(tracker, fields, answer)),
        };
    }
    let mut value = match preloaded {
        Some(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
        None => {
            serde_json::to_value(TrackerView::of(tracker, fields, answer)).unwrap_or(Value::Null)
        }
    };
    faults.distort_tracker(&mut value);
    RenderedTracker::Distorted(value)
}

/// ListTrackers' answer: `{"trackers": [...]}`.
#[derive(Debug, Serialize)]
pub struct TrackerList<'a> {
    trackers: Vec<RenderedTracker<'a>>,
}

/// ListTrackers' answer for `trackers`, with `fields`.
pub fn tracker_list<'a>(
    trackers: &[&'a Tracker],
    faults: &FaultSet,
    fields: Fields,
) -> TrackerList<'a> {
    TrackerList {
        trackers: trackers
            .iter()
            .map(|t| tracker(t, faults, fields, Answer::List))
            .collect(),
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
