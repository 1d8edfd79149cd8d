//! Request bodies and query strings in, validated requests or CTS errors out.
//! Pure: no state. Rules that need state (duplicates, quotas, not found) are in
//! [`super::store`].
//!
//! The first problem found is reported, in this order: JSON syntax and shape,
//! tracker_type, tracker_name, status, data_bucket, obs_info, the other fields.
//! A field of the wrong JSON type is CTS.0003 whatever its rule's own code is.
//! `null` counts as absent; unknown fields are ignored, as the service does.
//!
//! The input faults of [`super::fault`] (a rule not checked, malformed JSON answered
//! 500) switch here, where the rule is; with [`FaultSet::none`] every rule holds.

use serde_json::{Map, Value};

use super::error::CtsError;
use super::fault::{Fault, FaultSet};
use super::model::{
    CompressType, DataBucketFields, DataEvent, DeleteTarget, ObsChanges, OptionChanges,
    TrackerFilter, TrackerKey, TrackerRequest, TrackerStatus, TrackerType, MANAGEMENT_TRACKER_NAME,
};

/// Retention days the service accepts for `obs_info.bucket_lifecycle`.
pub const BUCKET_LIFECYCLE_DAYS: [i64; 6] = [0, 30, 60, 90, 180, 1095];

/// Names a data tracker may not have.
pub const RESERVED_TRACKER_NAMES: [&str; 2] = ["system", "system-trace"];

/// Characters of a data tracker's name (schema `DataTrackerName`).
pub const TRACKER_NAME_MIN_CHARS: usize = 1;
/// See [`TRACKER_NAME_MIN_CHARS`].
pub const TRACKER_NAME_MAX_CHARS: usize = 32;
/// Characters of an OBS bucket name (schema `BucketName`).
pub const BUCKET_NAME_MIN_CHARS: usize = 3;
/// See [`BUCKET_NAME_MIN_CHARS`].
pub const BUCKET_NAME_MAX_CHARS: usize = 63;
/// Characters of `obs_info.file_prefix_name` at most (schema `FilePrefixName`).
pub const FILE_PREFIX_MAX_CHARS: usize = 64;
/// The only `agency_name`.
pub const AGENCY_NAME: &str = "cts_admin_trust";
/// The only service `management_event_selector.exclude_service` may hold.
pub const EXCLUDABLE_SERVICE: &str = "KMS";

/// A CreateTracker body (create-tracker: Request Parameters, plus the SDK's fields).
/// `status` is not part of the create body and is ignored.
pub fn create_request(body: &[u8], faults: &FaultSet) -> Result<TrackerRequest, CtsError> {
    let map = parse_object(body, faults)?;
    let fields = Fields::root(&map, faults);
    let request = tracker_request(&fields, None)?;
    if request.key.tracker_type == TrackerType::Data {
        let named = request
            .data_bucket
            .as_ref()
            .is_some_and(|bucket| bucket.data_bucket_name.is_some());
        if !named {
            return Err(CtsError::TrackedBucketMissing);
        }
    }
    Ok(request)
}

/// An UpdateTracker body: the create body's fields plus `status`. A data tracker's
/// status change must carry `data_bucket` (else 400 CTS.0003, see docs/contract.md).
pub fn update_request(body: &[u8], faults: &FaultSet) -> Result<TrackerRequest, CtsError> {
    let request = update_fields(body, faults)?;
    let checked = !faults.has(Fault::StatusChangeWithoutDataBucketAccepted);
    if checked
        && request.status.is_some()
        && request.key.tracker_type == TrackerType::Data
        && request.data_bucket.is_none()
    {
        return Err(CtsError::StatusChangeWithoutDataBucket);
    }
    Ok(request)
}

/// An UpdateTracker body's fields, without the api-facts rule that a data tracker's
/// status change carries `data_bucket` (what [`update_request`] adds; the
/// documents-only emulator, [`super::rules::Rules::DocumentsOnly`], checks only this).
pub fn update_fields(body: &[u8], faults: &FaultSet) -> Result<TrackerRequest, CtsError> {
    let map = parse_object(body, faults)?;
    let fields = Fields::root(&map, faults);
    let status = match fields.string("status")? {
        None => None,
        Some(text) => Some(TrackerStatus::parse(text).ok_or(CtsError::InvalidStatus)?),
    };
    tracker_request(&fields, status)
}

/// ListTrackers' query: optional `tracker_name` and `tracker_type`.
/// (Faults: a filter the emulator ignores is dropped here.)
pub fn list_query(
    pairs: &[(String, String)],
    faults: &FaultSet,
) -> Result<TrackerFilter, CtsError> {
    let tracker_name = query_value(pairs, "tracker_name")
        .filter(|_| !faults.has(Fault::IgnoreNameFilter))
        .map(str::to_owned);
    let tracker_type = query_tracker_type(pairs, faults)?;
    Ok(TrackerFilter {
        tracker_name,
        tracker_type: tracker_type.filter(|_| !faults.has(Fault::IgnoreTypeFilter)),
    })
}

/// DeleteTracker's query. tracker_type defaults to data; without tracker_name a data
/// type means every data tracker, and a system type means the management tracker.
pub fn delete_query(
    pairs: &[(String, String)],
    faults: &FaultSet,
) -> Result<DeleteTarget, CtsError> {
    let tracker_type = query_tracker_type(pairs, faults)?.unwrap_or(TrackerType::Data);
    let target = match (query_value(pairs, "tracker_name"), tracker_type) {
        (Some(name), _) => DeleteTarget::One(TrackerKey {
            tracker_type,
            tracker_name: name.to_owned(),
        }),
        (None, TrackerType::Data) => DeleteTarget::AllData,
        (None, TrackerType::System) => DeleteTarget::One(TrackerKey {
            tracker_type,
            tracker_name: MANAGEMENT_TRACKER_NAME.to_owned(),
        }),
    };
    Ok(target)
}

/// The first value of query parameter `name` (a repeated parameter's later values
/// are ignored).
fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn query_tracker_type(
    pairs: &[(String, String)],
    faults: &FaultSet,
) -> Result<Option<TrackerType>, CtsError> {
    query_value(pairs, "tracker_type")
        .map(|text| tracker_type(text, faults))
        .transpose()
}

/// `system` or `data`, else CTS.0202 (with the fault, anything else is taken as data).
fn tracker_type(text: &str, faults: &FaultSet) -> Result<TrackerType, CtsError> {
    TrackerType::parse(text)
        .or_else(|| {
            faults
                .has(Fault::AcceptBadTrackerType)
                .then_some(TrackerType::Data)
        })
        .ok_or_else(|| CtsError::InvalidTrackerType(format!("{text:?} is neither system nor data")))
}

fn parse_object(body: &[u8], faults: &FaultSet) -> Result<Map<String, Value>, CtsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CtsError::invalid_request("the request body is empty"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(CtsError::invalid_request(
            "the request body must be a JSON object",
        )),
        Err(error) if faults.has(Fault::MalformedJson500) => Err(CtsError::Internal(format!(
            "failed to read the request: {error}"
        ))),
        Err(error) => Err(CtsError::invalid_request(format!(
            "the request body is not valid JSON: {error}"
        ))),
    }
}

fn tracker_request(
    fields: &Fields<'_>,
    status: Option<TrackerStatus>,
) -> Result<TrackerRequest, CtsError> {
    let key = tracker_key(fields)?;
    let data_bucket = data_bucket(fields, key.tracker_type)?;
    let obs_info = match fields.object("obs_info")? {
        Some(obs) => obs_changes(&obs)?,
        None => ObsChanges::default(),
    };
    Ok(TrackerRequest {
        key,
        status,
        obs_info,
        data_bucket,
        options: option_changes(fields)?,
    })
}

fn tracker_key(fields: &Fields<'_>) -> Result<TrackerKey, CtsError> {
    let tracker_type = match fields.string("tracker_type")? {
        Some(text) => tracker_type(text, fields.faults)?,
        None if fields.faults.has(Fault::AcceptBadTrackerType) => TrackerType::Data,
        None => {
            return Err(CtsError::InvalidTrackerType(
                "tracker_type is missing".into(),
            ))
        }
    };
    let name = fields.string("tracker_name")?;
    let tracker_name = match tracker_type {
        TrackerType::System => match name {
            None | Some(MANAGEMENT_TRACKER_NAME) => MANAGEMENT_TRACKER_NAME,
            Some(_) => return Err(CtsError::ManagementTrackerName),
        },
        TrackerType::Data => {
            let name = name.ok_or_else(|| {
                CtsError::InvalidTrackerName("a data tracker needs tracker_name".into())
            })?;
            if !fields.faults.has(Fault::AcceptBadTrackerName) {
                check_data_tracker_name(name)?;
            }
            name
        }
    };
    Ok(TrackerKey {
        tracker_type,
        tracker_name: tracker_name.to_owned(),
    })
}

/// Data tracker names: 1 to 32 characters, not starting with `_` or `-`, not
/// `system` or `system-trace`. The character set is unconfirmed and not restricted.
pub fn check_data_tracker_name(name: &str) -> Result<(), CtsError> {
    let length = name.chars().count();
    if !(TRACKER_NAME_MIN_CHARS..=TRACKER_NAME_MAX_CHARS).contains(&length) {
        return Err(CtsError::InvalidTrackerName(format!(
            "{length} characters; {TRACKER_NAME_MIN_CHARS} to {TRACKER_NAME_MAX_CHARS} are allowed"
        )));
    }
    if name.starts_with(['_', '-']) {
        return Err(CtsError::InvalidTrackerName(
            "it must not start with '_' or '-'".into(),
        ));
    }
    if RESERVED_TRACKER_NAMES.contains(&name) {
        return Err(CtsError::InvalidTrackerName(format!(
            "{name:?} is reserved"
        )));
    }
    Ok(())
}

/// OBS bucket names: 3 to 63 characters, starting with a digit or lower-case
/// letter; only lower-case letters, digits, `-` and `.`.
pub fn is_valid_bucket_name(name: &str) -> bool {
    (BUCKET_NAME_MIN_CHARS..=BUCKET_NAME_MAX_CHARS).contains(&name.len())
        && name
            .bytes()
            .next()
            .is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// File prefixes: 0 to 64 letters, digits, `-`, `_` and `.`.
pub fn is_valid_file_prefix(prefix: &str) -> bool {
    prefix.len() <= FILE_PREFIX_MAX_CHARS
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn data_bucket(
    fields: &Fields<'_>,
    tracker_type: TrackerType,
) -> Result<Option<DataBucketFields>, CtsError> {
    let Some(bucket) = fields.object("data_bucket")? else {
        return Ok(None);
    };
    if tracker_type == TrackerType::System {
        return Err(CtsError::DataBucketOnManagementTracker);
    }
    let data_bucket_name = match bucket.string("data_bucket_name")? {
        None | Some("") => None,
        Some(name) if bucket.bucket_name_ok(name) => Some(name.to_owned()),
        Some(_) => return Err(CtsError::InvalidBucketName("data_bucket.data_bucket_name")),
    };
    let data_event = bucket
        .strings("data_event")?
        .map(|texts| {
            let mut events: Vec<DataEvent> = Vec::with_capacity(texts.len());
            for text in texts {
                let event = DataEvent::parse(text).ok_or(CtsError::InvalidDataEvent)?;
                if events.contains(&event) {
                    return Err(CtsError::InvalidDataEvent);
                }
                events.push(event);
            }
            Ok(events)
        })
        .transpose()?;
    Ok(Some(DataBucketFields {
        data_bucket_name,
        data_event,
    }))
}

fn obs_changes(obs: &Fields<'_>) -> Result<ObsChanges, CtsError> {
    let bucket_name = obs.string("bucket_name")?;
    if bucket_name.is_some_and(|name| !name.is_empty() && !obs.bucket_name_ok(name)) {
        return Err(CtsError::InvalidBucketName("obs_info.bucket_name"));
    }
    let file_prefix_name = obs.string("file_prefix_name")?;
    let prefix_checked = !obs.faults.has(Fault::AcceptBadFilePrefix);
    if file_prefix_name.is_some_and(|prefix| prefix_checked && !is_valid_file_prefix(prefix)) {
        return Err(CtsError::InvalidFilePrefix);
    }
    let compress_type = obs
        .string("compress_type")?
        .map(|text| {
            CompressType::parse(text).ok_or_else(|| {
                CtsError::invalid_request(format!(
                    "obs_info.compress_type {text:?} is neither gzip nor json"
                ))
            })
        })
        .transpose()?;
    let bucket_lifecycle = obs.integer("bucket_lifecycle")?;
    if bucket_lifecycle.is_some_and(|days| !BUCKET_LIFECYCLE_DAYS.contains(&days)) {
        return Err(CtsError::invalid_request(format!(
            "obs_info.bucket_lifecycle must be one of {BUCKET_LIFECYCLE_DAYS:?}"
        )));
    }
    Ok(ObsChanges {
        bucket_name: bucket_name.map(str::to_owned),
        file_prefix_name: file_prefix_name.map(str::to_owned),
        is_obs_created: obs.boolean("is_obs_created")?,
        compress_type,
        is_sort_by_service: obs.boolean("is_sort_by_service")?,
        bucket_lifecycle,
    })
}

fn option_changes(fields: &Fields<'_>) -> Result<OptionChanges, CtsError> {
    let agency_name = fields.string("agency_name")?;
    if agency_name.is_some_and(|name| name != AGENCY_NAME) {
        return Err(CtsError::invalid_request(
            "agency_name can only be cts_admin_trust",
        ));
    }
    let exclude_service = match fields.object("management_event_selector")? {
        None => None,
        Some(selector) => selector.strings("exclude_service")?,
    };
    if exclude_service.as_ref().is_some_and(|services| {
        services
            .iter()
            .any(|service| *service != EXCLUDABLE_SERVICE)
    }) {
        return Err(CtsError::invalid_request(
            "management_event_selector.exclude_service can only contain KMS",
        ));
    }
    Ok(OptionChanges {
        is_support_validate: fields.boolean("is_support_validate")?,
        is_lts_enabled: fields.boolean("is_lts_enabled")?,
        is_organization_tracker: fields.boolean("is_organization_tracker")?,
        is_support_trace_files_encryption: fields.boolean("is_support_trace_files_encryption")?,
        kms_id: fields.string("kms_id")?.map(str::to_owned),
        agency_name: agency_name.map(str::to_owned),
        exclude_service: exclude_service
            .map(|services| services.into_iter().map(str::to_owned).collect()),
    })
}

/// Typed access to one JSON object's fields; a wrong type is CTS.0003 naming the
/// field by its dotted path. Carries the fault modes to the rules of nested objects.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
    faults: &'a FaultSet,
}

impl<'a> Fields<'a> {
    fn root(map: &'a Map<String, Value>, faults: &'a FaultSet) -> Self {
        Self {
            map,
            path: String::new(),
            faults,
        }
    }

    /// Whether `name` passes the bucket naming rule (always, with the fault).
    fn bucket_name_ok(&self, name: &str) -> bool {
        self.faults.has(Fault::AcceptBadBucketName) || is_valid_bucket_name(name)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|value| !value.is_null())
    }

    fn wrong_type(&self, key: &str, expected: &str) -> CtsError {
        CtsError::invalid_request(format!("{}{key} must be {expected}", self.path))
    }

    fn string(&self, key: &str) -> Result<Option<&'a str>, CtsError> {
        self.get(key)
            .map(|value| {
                value
                    .as_str()
                    .ok_or_else(|| self.wrong_type(key, "a string"))
            })
            .transpose()
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, CtsError> {
        self.get(key)
            .map(|value| {
                value
                    .as_bool()
                    .ok_or_else(|| self.wrong_type(key, "a boolean"))
            })
            .transpose()
    }

    fn integer(&self, key: &str) -> Result<Option<i64>, CtsError> {
        self.get(key)
            .map(|value| {
                value
                    .as_i64()
                    .ok_or_else(|| self.wrong_type(key, "an integer"))
            })
            .transpose()
    }

    fn object(&self, key: &str) -> Result<Option<Fields<'a>>, CtsError> {
        self.get(key)
            .map(|value| {
                value
                    .as_object()
                    .map(|map| Fields {
                        map,
                        path: format!("{}{key}.", self.path),
                        faults: self.faults,
                    })
                    .ok_or_else(|| self.wrong_type(key, "an object"))
            })
            .transpose()
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<&'a str>>, CtsError> {
        self.get(key)
            .map(|value| {
                value
                    .as_array()
                    .and_then(|items| items.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| self.wrong_type(key, "an array of strings"))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create_code(body: &str) -> Result<TrackerRequest, &'static str> {
        create_request(body.as_bytes(), &FaultSet::none()).map_err(|error| error.code())
    }

    fn update_code(body: &str) -> Result<TrackerRequest, &'static str> {
        update_request(body.as_bytes(), &FaultSet::none()).map_err(|error| error.code())
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const DATA_OK: &str =
        r#"{"tracker_type":"data","tracker_name":"t1","data_bucket":{"data_bucket_name":"b-1"}}"#;

    #[test]
    fn management_tracker_name_defaults_to_system() {
        let request = create_code(r#"{"tracker_type":"system"}"#).expect("valid");
        assert_eq!(request.key.tracker_name, "system");
        assert_eq!(request.key.tracker_type, TrackerType::System);
    }

    #[test]
    fn documented_example_request_is_valid() {
        let body = r#"{ "tracker_type" : "system", "tracker_name" : "system", "obs_info" : { "is_obs_created" : false, "bucket_name" : "test-bucket", "file_prefix_name" : "11" }, "is_support_validate" : true }"#;
        let request = create_code(body).expect("valid");
        assert_eq!(request.obs_info.bucket_name.as_deref(), Some("test-bucket"));
        assert_eq!(request.options.is_support_validate, Some(true));
    }

    #[test]
    fn body_shape_errors_are_0003() {
        for body in [
            "",
            "  ",
            "{",
            "[]",
            "42",
            "\"x\"",
            "null",
            "{\"tracker_type\":7}",
        ] {
            assert_eq!(create_code(body).err(), Some("CTS.0003"), "body {body:?}");
        }
        for body in [
            r#"{"tracker_type":"system","obs_info":"x"}"#,
            r#"{"tracker_type":"system","tracker_name":["system"]}"#,
            r#"{"tracker_type":"system","obs_info":{"is_obs_created":"yes"}}"#,
            r#"{"tracker_type":"system","obs_info":{"compress_type":"zip"}}"#,
            r#"{"tracker_type":"system","obs_info":{"bucket_lifecycle":7}}"#,
            r#"{"tracker_type":"system","is_support_validate":1}"#,
            r#"{"tracker_type":"system","agency_name":"someone"}"#,
            r#"{"tracker_type":"system","management_event_selector":{"exclude_service":["OBS"]}}"#,
            r#"{"tracker_type":"data","tracker_name":"a","data_bucket":{"data_bucket_name":"b-1","data_event":[1]}}"#,
        ] {
            assert_eq!(create_code(body).err(), Some("CTS.0003"), "body {body}");
        }
    }

    #[test]
    fn tracker_type_and_name_rules() {
        assert_eq!(
            create_code(r#"{"tracker_name":"x"}"#).err(),
            Some("CTS.0202")
        );
        assert_eq!(
            create_code(r#"{"tracker_type":"System"}"#).err(),
            Some("CTS.0202")
        );
        assert_eq!(
            create_code(r#"{"tracker_type":"system","tracker_name":"abc"}"#).err(),
            Some("CTS.0204")
        );
        let long = "a".repeat(33);
        for name in ["", "_a", "-a", "system", "system-trace", long.as_str()] {
            let body = format!(
                r#"{{"tracker_type":"data","tracker_name":{name:?},"data_bucket":{{"data_bucket_name":"b-1"}}}}"#
            );
            assert_eq!(create_code(&body).err(), Some("CTS.0203"), "name {name:?}");
        }
        let exactly_32 = "é".repeat(32);
        for name in ["a", "a_b-c", "Tracker 1", exactly_32.as_str()] {
            let body = format!(
                r#"{{"tracker_type":"data","tracker_name":{name:?},"data_bucket":{{"data_bucket_name":"b-1"}}}}"#
            );
            assert!(create_code(&body).is_ok(), "name {name:?}");
        }
    }

    #[test]
    fn data_bucket_rules() {
        assert!(create_code(DATA_OK).is_ok());
        assert_eq!(
            create_code(r#"{"tracker_type":"data","tracker_name":"t"}"#).err(),
            Some("CTS.0210")
        );
        assert_eq!(
            create_code(r#"{"tracker_type":"data","tracker_name":"t","data_bucket":{"data_bucket_name":""}}"#).err(),
            Some("CTS.0210")
        );
        assert_eq!(
            create_code(r#"{"tracker_type":"data","tracker_name":"t","data_bucket":{"data_bucket_name":"Bad"}}"#).err(),
            Some("CTS.0231")
        );
        assert_eq!(
            create_code(r#"{"tracker_type":"system","data_bucket":{"data_bucket_name":"b-1"}}"#)
                .err(),
            Some("CTS.0206")
        );
        for events in [r#"["read"]"#, r#"["DELETE"]"#, r#"["READ","READ"]"#] {
            let body = format!(
                r#"{{"tracker_type":"data","tracker_name":"t","data_bucket":{{"data_bucket_name":"b-1","data_event":{events}}}}}"#
            );
            assert_eq!(
                create_code(&body).err(),
                Some("CTS.0225"),
                "events {events}"
            );
        }
    }

    #[test]
    fn obs_info_rules() {
        let with_obs = |obs: &str| format!(r#"{{"tracker_type":"system","obs_info":{obs}}}"#);
        for bad in ["ab", "-abc", "Abc", "a_b", "abc!"] {
            let body = with_obs(&format!(r#"{{"bucket_name":{bad:?}}}"#));
            assert_eq!(create_code(&body).err(), Some("CTS.0231"), "bucket {bad}");
        }
        let max_bucket = format!("a{}", "b".repeat(62));
        let too_long_bucket = format!("a{}", "b".repeat(63));
        assert!(create_code(&with_obs(&format!(r#"{{"bucket_name":{max_bucket:?}}}"#))).is_ok());
        assert_eq!(
            create_code(&with_obs(&format!(
                r#"{{"bucket_name":{too_long_bucket:?}}}"#
            )))
            .err(),
            Some("CTS.0231")
        );
        assert!(create_code(&with_obs(r#"{"bucket_name":""}"#)).is_ok());
        let long_prefix = "p".repeat(65);
        for bad in ["a b", "a/b", long_prefix.as_str()] {
            let body = with_obs(&format!(r#"{{"file_prefix_name":{bad:?}}}"#));
            assert_eq!(create_code(&body).err(), Some("CTS.0218"), "prefix {bad}");
        }
        let request = create_code(&with_obs(
            r#"{"compress_type":"JSON","file_prefix_name":""}"#,
        ))
        .expect("valid");
        assert_eq!(request.obs_info.compress_type, Some(CompressType::Json));
    }

    #[test]
    fn update_status_rules() {
        let request = update_code(r#"{"tracker_type":"system","status":"disabled"}"#).expect("ok");
        assert_eq!(request.status, Some(TrackerStatus::Disabled));
        for status in [r#""error""#, r#""ENABLED""#, r#""""#] {
            let body = format!(r#"{{"tracker_type":"system","status":{status}}}"#);
            assert_eq!(
                update_code(&body).err(),
                Some("CTS.0205"),
                "status {status}"
            );
        }
        assert_eq!(
            update_code(r#"{"tracker_type":"system","status":true}"#).err(),
            Some("CTS.0003")
        );
        // An update may leave the tracked bucket out, but not a data tracker's status change.
        assert!(update_code(r#"{"tracker_type":"data","tracker_name":"t"}"#).is_ok());
        assert_eq!(
            update_code(r#"{"tracker_type":"data","tracker_name":"t","status":"enabled"}"#).err(),
            Some("CTS.0003")
        );
        assert!(update_code(
            r#"{"tracker_type":"data","tracker_name":"t","status":"enabled","data_bucket":{"data_bucket_name":"b-1"}}"#
        )
        .is_ok());
        let accepted: FaultSet = [Fault::StatusChangeWithoutDataBucketAccepted]
            .into_iter()
            .collect();
        assert!(update_request(
            br#"{"tracker_type":"data","tracker_name":"t","status":"enabled"}"#,
            &accepted
        )
        .is_ok());
    }

    #[test]
    fn queries() {
        let none = FaultSet::none();
        let filter = list_query(
            &pairs(&[("tracker_name", "a"), ("tracker_type", "data")]),
            &none,
        )
        .expect("valid");
        assert_eq!(filter.tracker_name.as_deref(), Some("a"));
        assert_eq!(filter.tracker_type, Some(TrackerType::Data));
        assert_eq!(list_query(&[], &none), Ok(TrackerFilter::default()));
        assert_eq!(
            list_query(&pairs(&[("tracker_type", "bogus")]), &none).map_err(|e| e.code()),
            Err("CTS.0202")
        );
        assert_eq!(delete_query(&[], &none), Ok(DeleteTarget::AllData));
        assert_eq!(
            delete_query(&pairs(&[("tracker_name", "a")]), &none),
            Ok(DeleteTarget::One(TrackerKey {
                tracker_type: TrackerType::Data,
                tracker_name: "a".into()
            }))
        );
        assert_eq!(
            delete_query(&pairs(&[("tracker_type", "system")]), &none),
            Ok(DeleteTarget::One(TrackerKey {
                tracker_type: TrackerType::System,
                tracker_name: "system".into()
            }))
        );
        assert_eq!(
            delete_query(&pairs(&[("tracker_type", "")]), &none).map_err(|e| e.code()),
            Err("CTS.0202")
        );
    }
}
