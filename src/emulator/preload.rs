//! Trackers present when the emulator starts (`serve --preload FILE`), so that an
//! account can start as real ones do, with its management tracker.
//!
//! The file maps project ids to what ListTrackers would answer for them:
//! `{"<project_id>": {"trackers": [ ...tracker objects as ListTrackers renders them... ]}}`.
//! Each tracker needs `id`, `tracker_type` (`system` or `data`) and `tracker_name`
//! (`system` for the management tracker); a data tracker needs
//! `data_bucket.data_bucket_name`. The other fields are optional and read like the
//! rendered ones (`status` enabled/disabled/error, `obs_info`, `lts.is_lts_enabled`,
//! ...); unknown fields are kept. A preloaded tracker is listed exactly as the file
//! gives it (whitespace removed) until an update changes it; then it is rendered
//! like any other. Preloaded trackers are not checked against the account rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::model::{
    CompressType, DataBucket, DataEvent, ObsSettings, Tracker, TrackerOptions, TrackerStatus,
    TrackerType, MANAGEMENT_TRACKER_NAME,
};

/// The trackers each project starts with (empty by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preload {
    projects: BTreeMap<String, Vec<Tracker>>,
}

/// Why a preload file cannot be used; each message says where: `project "P", tracker N`.
#[derive(Debug, thiserror::Error)]
pub enum PreloadError {
    /// Not JSON, or not of the file's shape.
    #[error(
        "{source}; expected {{\"<project_id>\": {{\"trackers\": [<tracker as ListTrackers renders it>, ...]}}}}"
    )]
    Malformed {
        #[source]
        source: serde_json::Error,
    },
    #[error("a project id is empty")]
    EmptyProjectId,
    /// Tracker `index` (1-based) of `project_id` is not one the emulator can hold.
    #[error("project {project_id:?}, tracker {index}: {reason}")]
    Tracker {
        project_id: String,
        index: usize,
        reason: String,
    },
    /// Tracker `index` (1-based) repeats the type and name of an earlier one.
    #[error(
        "project {project_id:?}, tracker {index}: a {tracker_type} tracker named {tracker_name:?} is already listed"
    )]
    Duplicate {
        project_id: String,
        index: usize,
        tracker_type: &'static str,
        tracker_name: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectEntry<'a> {
    #[serde(borrow)]
    trackers: Vec<&'a RawValue>,
}

impl Preload {
    /// No tracker anywhere.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether no project has a preloaded tracker.
    pub fn is_empty(&self) -> bool {
        self.projects.values().all(Vec::is_empty)
    }

    /// Reads the file form (see the module documentation). The error says what is
    /// wrong and where: `project "P", tracker N: ...`.
    pub fn from_json(text: &str) -> Result<Self, PreloadError> {
        let file: BTreeMap<String, ProjectEntry<'_>> =
            serde_json::from_str(text).map_err(|source| PreloadError::Malformed { source })?;
        let mut projects = BTreeMap::new();
        for (project_id, entry) in file {
            if project_id.is_empty() {
                return Err(PreloadError::EmptyProjectId);
            }
            let mut trackers: Vec<Tracker> = Vec::with_capacity(entry.trackers.len());
            for (index, raw) in entry.trackers.iter().enumerate() {
                let tracker =
                    tracker(&project_id, raw).map_err(|reason| PreloadError::Tracker {
                        project_id: project_id.clone(),
                        index: index + 1,
                        reason,
                    })?;
                let clash = trackers.iter().any(|earlier| {
                    earlier.tracker_type == tracker.tracker_type
                        && earlier.tracker_name == tracker.tracker_name
                });
                if clash {
                    return Err(PreloadError::Duplicate {
                        project_id,
                        index: index + 1,
                        tracker_type: tracker.tracker_type.as_str(),
                        tracker_name: tracker.tracker_name,
                    });
                }
                trackers.push(tracker);
            }
            projects.insert(project_id, trackers);
        }
        Ok(Self { projects })
    }

    /// The management tracker `system` (enabled, no transfer) for each of `projects`,
    /// under `domain_id`, as a real account has it before anyone calls CTS.
    pub fn management_trackers<'a>(
        projects: impl IntoIterator<Item = &'a str>,
        domain_id: &str,
    ) -> Self {
        let projects = projects
            .into_iter()
            .map(|project_id| {
                let tracker = Tracker {
                    id: uuid::Uuid::new_v4().to_string(),
                    create_time: 1_589_886_034_121,
                    tracker_type: TrackerType::System,
                    tracker_name: MANAGEMENT_TRACKER_NAME.to_owned(),
                    domain_id: domain_id.to_owned(),
                    project_id: project_id.to_owned(),
                    status: TrackerStatus::Enabled,
                    obs_info: ObsSettings::default(),
                    data_bucket: None,
                    options: TrackerOptions::default(),
                    preloaded: None,
                };
                (project_id.to_owned(), vec![tracker])
            })
            .collect();
        Self { projects }
    }

    /// Every project and its trackers; a tracker without `domain_id` gets `domain_id`.
    pub fn trackers<'a>(
        &'a self,
        domain_id: &'a str,
    ) -> impl Iterator<Item = (&'a str, Vec<Tracker>)> + 'a {
        self.projects.iter().map(move |(project, trackers)| {
            let trackers = trackers
                .iter()
                .cloned()
                .map(|mut tracker| {
                    if tracker.domain_id.is_empty() {
                        domain_id.clone_into(&mut tracker.domain_id);
                    }
                    tracker
                })
                .collect();
            (project.as_str(), trackers)
        })
    }
}

fn tracker(project_id: &str, raw: &RawValue) -> Result<Tracker, String> {
    let value: Value = serde_json::from_str(raw.get()).map_err(|error| error.to_string())?;
    let Value::Object(fields) = &value else {
        return Err("not a JSON object".into());
    };
    let tracker_type = match text(fields, "tracker_type")? {
        Some(kind) => TrackerType::parse(kind)
            .ok_or_else(|| format!("tracker_type {kind:?} is neither system nor data"))?,
        None => return Err("tracker_type is missing".into()),
    };
    let tracker_name = text(fields, "tracker_name")?
        .ok_or("tracker_name is missing")?
        .to_owned();
    if tracker_type == TrackerType::System && tracker_name != MANAGEMENT_TRACKER_NAME {
        return Err("a management tracker's tracker_name can only be system".into());
    }
    let id = text(fields, "id")?.ok_or("id is missing")?.to_owned();
    let status = match text(fields, "status")? {
        None | Some("enabled") => TrackerStatus::Enabled,
        // `error` is reported by the service only; such a tracker records nothing.
        Some("disabled" | "error") => TrackerStatus::Disabled,
        Some(other) => {
            return Err(format!(
                "status {other:?} is not enabled, disabled or error"
            ))
        }
    };
    let data_bucket = data_bucket(fields, tracker_type)?;
    Ok(Tracker {
        id,
        create_time: integer(fields, "create_time")?.unwrap_or(0),
        tracker_type,
        tracker_name,
        domain_id: text(fields, "domain_id")?.unwrap_or_default().to_owned(),
        project_id: project_id.to_owned(),
        status,
        obs_info: obs_settings(fields)?,
        data_bucket,
        options: options(fields)?,
        preloaded: Some(Arc::from(compact(raw.get()))),
    })
}

fn data_bucket(
    fields: &Map<String, Value>,
    tracker_type: TrackerType,
) -> Result<Option<DataBucket>, String> {
    let bucket = object(fields, "data_bucket")?;
    match (tracker_type, bucket) {
        (TrackerType::System, None) => Ok(None),
        (TrackerType::System, Some(_)) => Err("a management tracker has no data_bucket".into()),
        (TrackerType::Data, None) => Err("a data tracker needs data_bucket".into()),
        (TrackerType::Data, Some(bucket)) => {
            let name = text(bucket, "data_bucket_name")?
                .filter(|name| !name.is_empty())
                .ok_or("data_bucket.data_bucket_name is missing")?;
            let events = match bucket.get("data_event") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .and_then(DataEvent::parse)
                            .ok_or_else(|| format!("data_event {item} is not READ or WRITE"))
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("data_bucket.data_event must be an array".into()),
            };
            Ok(Some(DataBucket {
                data_bucket_name: name.to_owned(),
                data_event: events,
            }))
        }
    }
}

fn obs_settings(fields: &Map<String, Value>) -> Result<ObsSettings, String> {
    let mut settings = ObsSettings::default();
    let Some(obs) = object(fields, "obs_info")? else {
        return Ok(settings);
    };
    if let Some(name) = text(obs, "bucket_name")? {
        name.clone_into(&mut settings.bucket_name);
    }
    if let Some(prefix) = text(obs, "file_prefix_name")? {
        prefix.clone_into(&mut settings.file_prefix_name);
    }
    if let Some(created) = boolean(obs, "is_obs_created")? {
        settings.is_obs_created = created;
    }
    if let Some(compress) = text(obs, "compress_type")? {
        settings.compress_type = CompressType::parse(compress)
            .ok_or_else(|| format!("obs_info.compress_type {compress:?} is not gzip or json"))?;
    }
    if let Some(sorted) = boolean(obs, "is_sort_by_service")? {
        settings.is_sort_by_service = sorted;
    }
    settings.bucket_lifecycle = integer(obs, "bucket_lifecycle")?;
    Ok(settings)
}

fn options(fields: &Map<String, Value>) -> Result<TrackerOptions, String> {
    let lts = object(fields, "lts")?;
    let exclude_service = match object(fields, "management_event_selector")? {
        None => None,
        Some(selector) => match selector.get("exclude_service") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map(str::to_owned)
                            .ok_or("exclude_service holds a non-string")
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some(_) => return Err("exclude_service must be an array".into()),
        },
    };
    Ok(TrackerOptions {
        is_support_validate: boolean(fields, "is_support_validate")?.unwrap_or(false),
        is_lts_enabled: match lts {
            Some(lts) => boolean(lts, "is_lts_enabled")?.unwrap_or(false),
            None => false,
        },
        is_organization_tracker: boolean(fields, "is_organization_tracker")?.unwrap_or(false),
        is_support_trace_files_encryption: boolean(fields, "is_support_trace_files_encryption")?
            .unwrap_or(false),
        kms_id: text(fields, "kms_id")?.map(str::to_owned),
        agency_name: text(fields, "agency_name")?.map(str::to_owned),
        exclude_service,
    })
}

fn field<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    fields.get(key).filter(|value| !value.is_null())
}

fn text<'a>(fields: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    field(fields, key)
        .map(|value| value.as_str().ok_or(format!("{key} must be a string")))
        .transpose()
}

fn boolean(fields: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    field(fields, key)
        .map(|value| value.as_bool().ok_or(format!("{key} must be a boolean")))
        .transpose()
}

fn integer(fields: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    field(fields, key)
        .map(|value| value.as_i64().ok_or(format!("{key} must be an integer")))
        .transpose()
}

fn object<'a>(
    fields: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    field(fields, key)
        .map(|value| value.as_object().ok_or(format!("{key} must be an object")))
        .transpose()
}

/// `json` (valid JSON) without the whitespace outside strings, key order kept.
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_ascii_whitespace() {
            out.push(c);
            in_string = c == '"';
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = r#"{"p1": {"trackers": [
        {"id": "i-1", "create_time": 5, "tracker_type": "system", "tracker_name": "system",
         "status": "enabled", "obs_info": {"bucket_name": "o b", "is_obs_created": false},
         "lts": {"is_lts_enabled": true, "log_group_name": "CTS", "log_topic_name": "system-trace"},
         "group_id": "g"}
    ]}}"#;

    #[test]
    fn reads_a_management_tracker_and_keeps_its_text() {
        let preload = Preload::from_json(SYSTEM).expect("valid");
        let (project, trackers) = preload.trackers("dom").next().expect("one project");
        assert_eq!(project, "p1");
        let tracker = &trackers[0];
        assert_eq!(tracker.tracker_type, TrackerType::System);
        assert_eq!(tracker.domain_id, "dom");
        assert_eq!(tracker.create_time, 5);
        assert!(tracker.options.is_lts_enabled);
        let text = tracker.preloaded.as_deref().expect("kept");
        assert!(text.starts_with(r#"{"id":"i-1","create_time":5,"tracker_type":"system""#));
        // Whitespace inside strings stays.
        assert!(text.contains(r#""bucket_name":"o b""#), "{text}");
        assert!(text.ends_with(r#""group_id":"g"}"#), "{text}");
    }

    #[test]
    fn errors_name_the_place_and_the_reason() {
        let cases = [
            ("[]", "expected {"),
            (
                r#"{"p": {"trackers": [{"id": "x", "tracker_name": "a"}]}}"#,
                "project \"p\", tracker 1: tracker_type is missing",
            ),
            (
                r#"{"p": {"trackers": [{"id": "x", "tracker_type": "data", "tracker_name": "a"}]}}"#,
                "needs data_bucket",
            ),
            (
                r#"{"p": {"trackers": [{"tracker_type": "system", "tracker_name": "system"}]}}"#,
                "id is missing",
            ),
            (
                r#"{"p": {"trackers": [{"id": "x", "tracker_type": "system", "tracker_name": "s"}]}}"#,
                "can only be system",
            ),
            (r#"{"p": {"trackers": [], "other": 1}}"#, "unknown field"),
            (
                r#"{"p": {"trackers": [{"id": "1", "tracker_type": "system", "tracker_name": "system"},
                                    {"id": "2", "tracker_type": "system", "tracker_name": "system"}]}}"#,
                "tracker 2: a system tracker named \"system\" is already listed",
            ),
        ];
        for (text, expected) in cases {
            let error = Preload::from_json(text).expect_err(text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
        let error = Preload::from_json(cases[1].0).expect_err("no type");
        assert!(
            matches!(&error, PreloadError::Tracker { project_id, index: 1, .. } if project_id == "p"),
            "{error:?}"
        );
        assert!(matches!(
            Preload::from_json("[]"),
            Err(PreloadError::Malformed { .. })
        ));
    }

    #[test]
    fn compact_keeps_strings_intact() {
        assert_eq!(
            compact("{ \"a b\" : [1, \"x \\\" y\"] }\n"),
            r#"{"a b":[1,"x \" y"]}"#
        );
    }

    #[test]
    fn management_trackers_for_each_project() {
        let preload = Preload::management_trackers(["p1", "p2"], "dom");
        let all: Vec<(&str, Vec<Tracker>)> = preload.trackers("other").collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].0, "p2");
        assert_eq!(all[1].1[0].tracker_name, "system");
        assert_eq!(all[1].1[0].domain_id, "dom");
        assert!(Preload::none().is_empty() && !preload.is_empty());
    }
}
