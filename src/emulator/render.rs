//! Stored state to response JSON. Every tracker in every answer (CreateTracker's
//! 201 and each entry of ListTrackers' 200) is rendered by [`tracker`], so a fault
//! mode that changes how trackers look on the wire switches in here, in one place.

use serde_json::{json, Map, Value};

use super::fault::FaultSet;
use super::model::{QuotaUsage, Tracker, TrackerType, SYSTEM_TRACKER_QUOTA};

/// LTS log group name the documents' example shows.
const LTS_LOG_GROUP: &str = "CTS";
/// LTS topic of the management tracker in the documents' example.
const MANAGEMENT_LTS_TOPIC: &str = "system-trace";

/// One tracker as CreateTracker and ListTrackers answer it
/// (`CreateTrackerResponseBody` / `TrackerResponseBody`), changed by the tracker
/// faults of `faults` (none in normal operation).
pub fn tracker(tracker: &Tracker, faults: &FaultSet) -> Value {
    let obs = &tracker.obs_info;
    let mut obs_info = json!({
        "bucket_name": obs.bucket_name,
        "file_prefix_name": obs.file_prefix_name,
        "is_obs_created": obs.is_obs_created,
        "compress_type": obs.compress_type.as_str(),
        "is_sort_by_service": obs.is_sort_by_service,
    });
    if let (Some(days), Some(fields)) = (obs.bucket_lifecycle, obs_info.as_object_mut()) {
        fields.insert("bucket_lifecycle".into(), days.into());
    }
    let options = &tracker.options;
    let log_topic_name = match tracker.tracker_type {
        TrackerType::System => MANAGEMENT_LTS_TOPIC,
        TrackerType::Data => tracker.tracker_name.as_str(),
    };
    let mut body = Map::new();
    let mut put = |key: &str, value: Value| {
        body.insert(key.to_owned(), value);
    };
    put("id", tracker.id.clone().into());
    put("create_time", tracker.create_time.into());
    put("tracker_type", tracker.tracker_type.as_str().into());
    put("tracker_name", tracker.tracker_name.clone().into());
    put("domain_id", tracker.domain_id.clone().into());
    put("project_id", tracker.project_id.clone().into());
    put("status", tracker.status.as_str().into());
    put("obs_info", obs_info);
    put("is_support_validate", options.is_support_validate.into());
    put(
        "is_support_trace_files_encryption",
        options.is_support_trace_files_encryption.into(),
    );
    put(
        "is_organization_tracker",
        options.is_organization_tracker.into(),
    );
    put(
        "lts",
        json!({
            "is_lts_enabled": options.is_lts_enabled,
            "log_group_name": LTS_LOG_GROUP,
            "log_topic_name": log_topic_name,
        }),
    );
    if let Some(bucket) = &tracker.data_bucket {
        let events: Vec<&str> = bucket
            .data_event
            .iter()
            .map(|event| event.as_str())
            .collect();
        put(
            "data_bucket",
            json!({
                "data_bucket_name": bucket.data_bucket_name,
                "data_event": events,
                "search_enabled": false,
            }),
        );
    }
    if let Some(kms_id) = &options.kms_id {
        put("kms_id", kms_id.clone().into());
    }
    if let Some(agency_name) = &options.agency_name {
        put("agency_name", agency_name.clone().into());
    }
    if let Some(services) = &options.exclude_service {
        put(
            "management_event_selector",
            json!({ "exclude_service": services }),
        );
    }
    let mut body = Value::Object(body);
    faults.distort_tracker(&mut body);
    body
}

/// ListTrackers' answer: `{"trackers": [...]}`.
pub fn tracker_list(trackers: &[Tracker], faults: &FaultSet) -> Value {
    let items: Vec<Value> = trackers.iter().map(|item| tracker(item, faults)).collect();
    json!({ "trackers": items })
}

/// ListQuotas' answer: data tracker and management tracker usage.
pub fn quotas(usage: &QuotaUsage) -> Value {
    json!({
        "resources": [
            { "type": "data_tracker", "used": usage.data_used, "quota": usage.data_quota },
            { "type": "system_tracker", "used": usage.system_used, "quota": SYSTEM_TRACKER_QUOTA },
        ]
    })
}
