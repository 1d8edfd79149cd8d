//! Fault modes: each makes the emulator break the contract in one known way, so that
//! the harness's power to detect a broken target is itself tested
//! (`cts-conform serve --fault NAME`, `cts-conform --emulator-fault NAME`,
//! `tests/it/detection.rs`, `docs/faults.md`).
//!
//! Every fault is one row of [`TABLE`]: name, class, description, the contract rule it
//! breaks, and the text a failing case's message must contain for the suite to have
//! caught it. The emulator switches a fault at the smallest point that owns the
//! behaviour: [`super::render`] (how a tracker looks), [`super::validate`] (which
//! input is refused), [`super::store`] (what is kept and listed), [`super::handlers`]
//! (success statuses), the router (authentication), and [`wire`] (headers and error
//! bodies of every response). With no fault switched on nothing here runs.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// One way of breaking the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// CreateTracker answers 200 instead of 201.
    CreateStatus200,
    /// DeleteTracker answers 200 instead of 204.
    DeleteStatus200,
    /// Trackers are rendered without `id`.
    MissingId,
    /// `create_time` is rendered as a string.
    CreateTimeString,
    /// `status` is rendered as `active`.
    StatusActive,
    /// `tracker_type` is rendered in upper case.
    TrackerTypeUpperCase,
    /// Error bodies lack `error_code`.
    ErrorCodeMissing,
    /// Error codes lack the `CTS.` prefix.
    ErrorCodeMalformed,
    /// Bucket names are not checked.
    AcceptBadBucketName,
    /// `obs_info.file_prefix_name` is not checked.
    AcceptBadFilePrefix,
    /// An unknown `tracker_type` is taken as `data`.
    AcceptBadTrackerType,
    /// Data tracker names are not checked.
    AcceptBadTrackerName,
    /// ListTrackers ignores `tracker_name`.
    IgnoreNameFilter,
    /// ListTrackers ignores `tracker_type`.
    IgnoreTypeFilter,
    /// ListTrackers shows the trackers of every project.
    OtherProjectVisible,
    /// Credentials are not checked.
    AuthOff,
    /// JSON bodies are labelled `text/plain`.
    JsonAsTextPlain,
    /// obs_info given at create is echoed but not kept.
    ObsInfoNotPersisted,
    /// A second management tracker can be created.
    SecondManagementTracker,
    /// A body that is not JSON gets 500.
    MalformedJson500,
    /// DeleteTracker answers 204 and keeps the tracker.
    DeleteKeeps,
    /// Two data trackers may track the same bucket operation (no CTS.0209).
    ExclusivityIgnored,
    /// A bucket that does not exist is accepted (no CTS.0211).
    MissingBucketAccepted,
    /// The tracked bucket may be the transfer bucket (no CTS.0213).
    TransferEqualsTrackedAccepted,
    /// A data tracker's status change without `data_bucket` is accepted.
    StatusChangeWithoutDataBucketAccepted,
    /// `create_time` is rendered in seconds, not milliseconds.
    CreateTimeSeconds,
    /// ListTrackers' `tracker_name` filter also returns names containing the value.
    NameFilterContains,
    /// DeleteTracker removes the named tracker whatever its `tracker_type`.
    DeleteIgnoresType,
    /// `is_lts_enabled` given at create is echoed but not kept.
    LtsNotKept,
    /// A long `obs_info.file_prefix_name` is accepted but cut when stored.
    FilePrefixCut,
    /// ListQuotas' `data_tracker` `used` also counts the data trackers deleted.
    QuotaUsedCountsDeleted,
}

/// What a fault is, for `--list-faults`, the docs and the detection test.
#[derive(Debug)]
pub struct FaultInfo {
    /// The fault this row describes (rows are in [`Fault`]'s order).
    pub fault: Fault,
    /// Its command-line name.
    pub name: &'static str,
    /// The kind of breach.
    pub class: &'static str,
    /// One line: what the emulator does wrong.
    pub description: &'static str,
    /// The document rule it breaks.
    pub rule: &'static str,
    /// Texts that must all appear in the failure message of at least one failing case
    /// for the suite to have caught the fault (and named the broken rule).
    pub evidence: &'static [&'static str],
}

/// Every fault, in [`Fault`]'s order.
pub const TABLE: [FaultInfo; 31] = [
    FaultInfo {
        fault: Fault::CreateStatus200,
        name: "create-status-200",
        class: "wrong success status",
        description: "CreateTracker answers 200 instead of 201",
        rule: "create-tracker: Status Code 201",
        evidence: &["expected status 201, got 200"],
    },
    FaultInfo {
        fault: Fault::DeleteStatus200,
        name: "delete-status-200",
        class: "wrong success status",
        description: "DeleteTracker answers 200 (with an empty body) instead of 204",
        rule: "api-facts: DeleteTracker 204, empty body",
        evidence: &["status 200 is not documented for DeleteTracker"],
    },
    FaultInfo {
        fault: Fault::MissingId,
        name: "missing-id",
        class: "missing mandatory field",
        description: "trackers are rendered without `id`",
        rule: "create-tracker: Response 201 / id; query-trackers: Table 4 / id",
        evidence: &["\"id\" is a required property", "[required]"],
    },
    FaultInfo {
        fault: Fault::CreateTimeString,
        name: "create-time-string",
        class: "wrong type",
        description: "`create_time` is rendered as a string of digits, not a number",
        rule: "create-tracker: Response 201 / create_time (Long)",
        evidence: &["/create_time", "is not of type \"integer\""],
    },
    FaultInfo {
        fault: Fault::StatusActive,
        name: "status-active",
        class: "enum value outside the set",
        description: "`status` is rendered as \"active\"",
        rule: "query-trackers: Table 4 / status (enabled, disabled, error)",
        evidence: &["/status", "\"active\"", "[enum]"],
    },
    FaultInfo {
        fault: Fault::TrackerTypeUpperCase,
        name: "tracker-type-upper-case",
        class: "enum value outside the set",
        description: "`tracker_type` is echoed in upper case (SYSTEM, DATA)",
        rule: "query-trackers: Table 4 / tracker_type (system, data)",
        evidence: &["/tracker_type", "[enum]"],
    },
    FaultInfo {
        fault: Fault::ErrorCodeMissing,
        name: "error-code-missing",
        class: "missing mandatory field",
        description: "error bodies carry `error_msg` only, no `error_code`",
        rule: "create-tracker / query-trackers: error body / error_code",
        evidence: &["\"error_code\" is a required property"],
    },
    FaultInfo {
        fault: Fault::ErrorCodeMalformed,
        name: "error-code-malformed",
        class: "malformed value",
        description: "error codes lack the `CTS.` prefix (\"0003\")",
        rule: "create-tracker / query-trackers: error_code, format CTS.XXX",
        evidence: &["/error_code", "[pattern]"],
    },
    FaultInfo {
        fault: Fault::AcceptBadBucketName,
        name: "accept-bad-bucket-name",
        class: "invalid input accepted",
        description: "bucket names (obs_info.bucket_name, data_bucket_name) are not checked",
        rule: "create-tracker: TrackerObsInfo / bucket_name (3-63, [a-z0-9.-])",
        evidence: &["bucket_name", "got 201"],
    },
    FaultInfo {
        fault: Fault::AcceptBadFilePrefix,
        name: "accept-bad-file-prefix",
        class: "invalid input accepted",
        description: "obs_info.file_prefix_name is not checked",
        rule: "create-tracker: TrackerObsInfo / file_prefix_name (0-64, [A-Za-z0-9._-])",
        evidence: &["file_prefix_name", "got 201"],
    },
    FaultInfo {
        fault: Fault::AcceptBadTrackerType,
        name: "accept-bad-tracker-type",
        class: "invalid input accepted",
        description: "an unknown or missing tracker_type is taken as data",
        rule: "create-tracker: Request Parameters / tracker_type (system, data)",
        evidence: &["tracker_type", "got 20"],
    },
    FaultInfo {
        fault: Fault::AcceptBadTrackerName,
        name: "accept-bad-tracker-name",
        class: "invalid input accepted",
        description: "data tracker names are not checked (length, leading _ or -, reserved)",
        rule: "api-facts: data tracker names 1-32, not _/- first, not system/system-trace",
        evidence: &["tracker_name", "got 201"],
    },
    FaultInfo {
        fault: Fault::IgnoreNameFilter,
        name: "ignore-name-filter",
        class: "filter ignored",
        description: "ListTrackers ignores the tracker_name query parameter",
        rule: "query-trackers: Table 2 Query parameters / tracker_name",
        evidence: &["expected body", "Query parameters / tracker_name"],
    },
    FaultInfo {
        fault: Fault::IgnoreTypeFilter,
        name: "ignore-type-filter",
        class: "filter ignored",
        description: "ListTrackers ignores the tracker_type query parameter",
        rule: "query-trackers: Table 2 Query parameters / tracker_type",
        evidence: &["expected body", "Query parameters / tracker_type"],
    },
    FaultInfo {
        fault: Fault::OtherProjectVisible,
        name: "other-project-visible",
        class: "data of another tenant",
        description: "ListTrackers shows the trackers of every project (a neighbour project \
                      with its management tracker exists)",
        rule: "query-trackers: URI project_id; Table 4 / project_id",
        evidence: &["expected body", "TrackerResponseBody / project_id"],
    },
    FaultInfo {
        fault: Fault::AuthOff,
        name: "auth-off",
        class: "credentials not checked",
        description: "requests are not authenticated, whatever credentials were configured",
        rule: "Status Code 401: the request is rejected due to authentication failure",
        evidence: &["expected status 401, got"],
    },
    FaultInfo {
        fault: Fault::JsonAsTextPlain,
        name: "json-as-text-plain",
        class: "wrong content type",
        description: "JSON bodies are labelled Content-Type: text/plain",
        rule: "every documented body is application/json",
        evidence: &["Content-Type is \"text/plain"],
    },
    FaultInfo {
        fault: Fault::ObsInfoNotPersisted,
        name: "obs-info-not-persisted",
        class: "configuration not persisted",
        description: "obs_info sent at create is echoed in the 201 but not kept",
        rule: "query-trackers: Table 6 ObsInfo (the configured bucket and prefix)",
        evidence: &["expected body", "/obs_info/"],
    },
    FaultInfo {
        fault: Fault::SecondManagementTracker,
        name: "second-management-tracker",
        class: "state rule broken",
        description: "a second management tracker can be created (it replaces the first)",
        rule: "create-tracker: Function (one management tracker per account and region)",
        evidence: &["got 201", "one management tracker"],
    },
    FaultInfo {
        fault: Fault::MalformedJson500,
        name: "malformed-json-500",
        class: "5xx on malformed input",
        description: "a request body that is not JSON gets 500 CTS.0004 instead of 400",
        rule: "Status Code 400: the server failed to process the request",
        evidence: &["got 500"],
    },
    FaultInfo {
        fault: Fault::DeleteKeeps,
        name: "delete-keeps",
        class: "operation without effect",
        description: "DeleteTracker answers 204 but the tracker stays",
        rule: "api-facts: DeleteTracker removes the named tracker",
        evidence: &["still listed after DeleteTracker answered 204"],
    },
    FaultInfo {
        fault: Fault::ExclusivityIgnored,
        name: "exclusivity-ignored",
        class: "account rule broken",
        description: "two data trackers may track the same operation (READ/WRITE) of one \
                      bucket; CTS.0209 is never answered",
        rule: "api-facts: a type of operations on an OBS bucket can be tracked by only one \
               tracker (CTS.0209)",
        evidence: &["CTS.0209", "got 201"],
    },
    FaultInfo {
        fault: Fault::MissingBucketAccepted,
        name: "missing-bucket-accepted",
        class: "account rule broken",
        description: "a tracked or transfer bucket that does not exist is accepted (needs a \
                      bucket list: `serve --bucket`); CTS.0211 is never answered",
        rule: "api-facts: data_bucket_name and obs_info.bucket_name must name an existing \
               OBS bucket (CTS.0211)",
        evidence: &["CTS.0211", "got 201"],
    },
    FaultInfo {
        fault: Fault::TransferEqualsTrackedAccepted,
        name: "transfer-equals-tracked-accepted",
        class: "account rule broken",
        description: "a data tracker may transfer its traces to the bucket it tracks; \
                      CTS.0213 is never answered",
        rule: "api-facts: the tracked bucket cannot be the transfer bucket (CTS.0213)",
        evidence: &["CTS.0213", "got 201"],
    },
    FaultInfo {
        fault: Fault::StatusChangeWithoutDataBucketAccepted,
        name: "status-change-without-data-bucket-accepted",
        class: "account rule broken",
        description: "a data tracker's status change (UpdateTracker with status) without \
                      data_bucket is accepted",
        rule: "query-trackers: Table 7 (mandatory when the data tracker is enabled or \
               disabled); api-facts: status changes of a data tracker carry data_bucket",
        evidence: &["status change", "got 200"],
    },
    FaultInfo {
        fault: Fault::CreateTimeSeconds,
        name: "create-time-seconds",
        class: "wrong time unit",
        description: "`create_time` is rendered in seconds since the epoch, not milliseconds",
        rule: "create-tracker: Response 201 / create_time (the documents' examples are epoch \
               milliseconds, 1587958482923)",
        evidence: &["/create_time", "expected a number from"],
    },
    FaultInfo {
        fault: Fault::NameFilterContains,
        name: "name-filter-contains",
        class: "filter not exact",
        description: "ListTrackers' tracker_name filter also returns the trackers whose \
                      names contain the value",
        rule: "query-trackers: Table 2 Query parameters / tracker_name",
        evidence: &["expected body", "exact tracker_name filter"],
    },
    FaultInfo {
        fault: Fault::DeleteIgnoresType,
        name: "delete-ignores-type",
        class: "operation on the wrong resource",
        description: "DeleteTracker removes the tracker with the named name whatever its \
                      type (a tracker_type=system delete removes a data tracker)",
        rule: "api-facts: DeleteTracker tracker_name, tracker_type (the named tracker of \
               the named type)",
        evidence: &["expected body", "delete of the other type"],
    },
    FaultInfo {
        fault: Fault::LtsNotKept,
        name: "lts-not-kept",
        class: "accepted value not kept",
        description: "is_lts_enabled sent at create is echoed in the 201 but not kept \
                      (listed as false)",
        rule: "query-trackers: Table 4 TrackerResponseBody / lts (is_lts_enabled)",
        evidence: &["expected body", "/lts/is_lts_enabled"],
    },
    FaultInfo {
        fault: Fault::FilePrefixCut,
        name: "file-prefix-cut",
        class: "accepted value not kept",
        description: "an obs_info.file_prefix_name longer than 32 characters is accepted \
                      (201, echoed whole) but stored and listed cut to 32",
        rule: "create-tracker: TrackerObsInfo / file_prefix_name (0-64); query-trackers: \
               Table 6 ObsInfo / file_prefix_name",
        evidence: &["expected body", "/obs_info/file_prefix_name"],
    },
    FaultInfo {
        fault: Fault::QuotaUsedCountsDeleted,
        name: "quota-used-counts-deleted",
        class: "usage not kept",
        description: "ListQuotas' data_tracker used is never lowered: it also counts the \
                      data trackers deleted",
        rule: "api-facts: ListQuotas resources / used (the project's data trackers)",
        evidence: &["model: quota-used"],
    },
];

/// Characters of `file_prefix_name` the `file-prefix-cut` fault keeps.
pub const CUT_FILE_PREFIX_CHARS: usize = 32;

impl Fault {
    /// Every fault, in table order.
    pub fn all() -> impl Iterator<Item = Fault> {
        TABLE.iter().map(|info| info.fault)
    }

    /// This fault's row of [`TABLE`].
    pub fn info(self) -> &'static FaultInfo {
        // TABLE lists the variants in declaration order (checked by a test).
        &TABLE[self as usize]
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// One line: what the emulator does wrong.
    pub fn description(self) -> &'static str {
        self.info().description
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TABLE
            .iter()
            .find(|info| info.name == text)
            .map(|info| info.fault)
            .ok_or_else(|| format!("unknown fault {text:?}; see `cts-conform serve --list-faults`"))
    }
}

/// `NAME  description` for every fault, one a line, names aligned.
pub fn listing() -> String {
    let width = TABLE.iter().map(|info| info.name.len()).max().unwrap_or(0);
    TABLE
        .iter()
        .map(|info| format!("{:width$}  {}\n", info.name, info.description))
        .collect()
}

/// The faults switched on (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSet(BTreeSet<Fault>);

impl FaultSet {
    /// No fault: the emulator as documented.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether `fault` is switched on.
    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }

    /// Whether no fault is switched on.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The faults switched on, in table order.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }

    /// The success status the emulator answers where the contract says `documented`.
    pub fn success_status(&self, documented: StatusCode) -> StatusCode {
        let wrong = match documented {
            StatusCode::CREATED => self.has(Fault::CreateStatus200),
            StatusCode::NO_CONTENT => self.has(Fault::DeleteStatus200),
            _ => false,
        };
        if wrong {
            StatusCode::OK
        } else {
            documented
        }
    }

    /// Whether any fault changes how trackers look (see [`FaultSet::distort_tracker`]).
    pub fn distorts_trackers(&self) -> bool {
        [
            Fault::MissingId,
            Fault::CreateTimeSeconds,
            Fault::CreateTimeString,
            Fault::StatusActive,
            Fault::TrackerTypeUpperCase,
        ]
        .into_iter()
        .any(|fault| self.has(fault))
    }

    /// Changes a rendered tracker as the tracker faults say.
    pub fn distort_tracker(&self, tracker: &mut Value) {
        let Some(fields) = tracker.as_object_mut() else {
            return;
        };
        if self.has(Fault::MissingId) {
            fields.remove("id");
        }
        if self.has(Fault::CreateTimeSeconds) {
            if let Some(Value::Number(time)) = fields.get_mut("create_time") {
                if let Some(millis) = time.as_i64() {
                    *time = (millis / 1000).into();
                }
            }
        }
        if self.has(Fault::CreateTimeString) {
            if let Some(time) = fields.get_mut("create_time") {
                *time = Value::String(time.to_string());
            }
        }
        if self.has(Fault::StatusActive) {
            fields.insert("status".into(), "active".into());
        }
        if self.has(Fault::TrackerTypeUpperCase) {
            if let Some(Value::String(kind)) = fields.get_mut("tracker_type") {
                kind.make_ascii_uppercase();
            }
        }
    }

    /// Whether any fault changes responses on the wire (see [`wire`]).
    pub fn changes_the_wire(&self) -> bool {
        [
            Fault::JsonAsTextPlain,
            Fault::ErrorCodeMissing,
            Fault::ErrorCodeMalformed,
        ]
        .into_iter()
        .any(|fault| self.has(fault))
    }

    /// Changes a CTS error body as the error-body faults say.
    fn distort_error(&self, body: &mut Value) {
        let Some(fields) = body.as_object_mut() else {
            return;
        };
        if self.has(Fault::ErrorCodeMalformed) {
            if let Some(Value::String(code)) = fields.get_mut("error_code") {
                if let Some(bare) = code.strip_prefix("CTS.") {
                    *code = bare.to_owned();
                }
            }
        }
        if self.has(Fault::ErrorCodeMissing) {
            fields.remove("error_code");
        }
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(faults: I) -> Self {
        Self(faults.into_iter().collect())
    }
}

/// Largest response body [`wire`] rewrites; the emulator's error bodies are far smaller.
const MAX_REWRITTEN_BODY: usize = 64 * 1024;

/// Response middleware for the faults of every response: error bodies (any status
/// >= 400, also the 401/403 of authentication) and the JSON content type.
pub async fn wire(State(faults): State<FaultSet>, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json && faults.has(Fault::JsonAsTextPlain) {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    if !(is_json && parts.status.as_u16() >= 400) {
        return Response::from_parts(parts, body);
    }
    let bytes = match to_bytes(body, MAX_REWRITTEN_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    let rewritten = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|mut json| {
            faults.distort_error(&mut json);
            serde_json::to_vec(&json).ok()
        });
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(rewritten.unwrap_or_else(|| bytes.into())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_follows_the_enum_and_names_are_unique() {
        for (index, info) in TABLE.iter().enumerate() {
            assert_eq!(info.fault as usize, index, "{} is out of order", info.name);
            assert_eq!(info.name.parse::<Fault>(), Ok(info.fault));
            assert!(
                !info.evidence.is_empty(),
                "{} declares no evidence",
                info.name
            );
        }
        let names: BTreeSet<&str> = TABLE.iter().map(|info| info.name).collect();
        assert_eq!(names.len(), TABLE.len());
        assert!("no-such-fault".parse::<Fault>().is_err());
    }

    #[test]
    fn listing_has_one_line_per_fault() {
        let listing = listing();
        assert_eq!(listing.lines().count(), TABLE.len());
        assert!(listing.lines().any(|line| line.starts_with("missing-id  ")));
    }

    #[test]
    fn no_fault_changes_nothing() {
        let faults = FaultSet::none();
        let mut tracker =
            json!({"id": "x", "create_time": 1, "status": "enabled", "tracker_type": "data"});
        let before = tracker.clone();
        faults.distort_tracker(&mut tracker);
        assert_eq!(tracker, before);
        assert_eq!(
            faults.success_status(StatusCode::CREATED),
            StatusCode::CREATED
        );
        assert!(!faults.changes_the_wire());
    }

    #[test]
    fn tracker_and_error_faults_change_what_they_name() {
        let seconds: FaultSet = [Fault::CreateTimeSeconds].into_iter().collect();
        let mut timed = json!({"create_time": 1_587_958_482_923_i64});
        seconds.distort_tracker(&mut timed);
        assert_eq!(timed, json!({"create_time": 1_587_958_482}));
        let faults: FaultSet = [
            Fault::MissingId,
            Fault::CreateTimeString,
            Fault::StatusActive,
            Fault::TrackerTypeUpperCase,
            Fault::ErrorCodeMalformed,
        ]
        .into_iter()
        .collect();
        let mut tracker =
            json!({"id": "x", "create_time": 12, "status": "enabled", "tracker_type": "data"});
        faults.distort_tracker(&mut tracker);
        assert_eq!(
            tracker,
            json!({"create_time": "12", "status": "active", "tracker_type": "DATA"})
        );
        let mut error = json!({"error_code": "CTS.0003", "error_msg": "m"});
        faults.distort_error(&mut error);
        assert_eq!(error, json!({"error_code": "0003", "error_msg": "m"}));
        let missing: FaultSet = [Fault::ErrorCodeMissing].into_iter().collect();
        missing.distort_error(&mut error);
        assert_eq!(error, json!({"error_msg": "m"}));
    }
}
