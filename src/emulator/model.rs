//! The emulator's vocabulary: trackers as they are stored, and the validated
//! requests that create or change them. Plain data, no I/O, no JSON.

/// Tracker type: `system` (the management tracker) or `data` (a data tracker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerType {
    /// The management tracker; one per project, always named `system`.
    System,
    /// A data tracker, tracking one OBS bucket.
    Data,
}

impl TrackerType {
    /// The wire value (`system` or `data`); case-sensitive, as the enums are.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "system" => Some(Self::System),
            "data" => Some(Self::Data),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Data => "data",
        }
    }
}

/// The only name a management tracker can have.
pub const MANAGEMENT_TRACKER_NAME: &str = "system";

/// Tracker status a client can set (`error` is only ever reported by the service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerStatus {
    /// Traces are recorded.
    Enabled,
    /// Traces are not recorded.
    Disabled,
}

impl TrackerStatus {
    /// The wire value (`enabled` or `disabled`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "enabled" => Some(Self::Enabled),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

/// Compression of transferred trace files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressType {
    /// gzip (the default).
    Gzip,
    /// Plain JSON, no compression.
    Json,
}

impl CompressType {
    /// `gzip` or `json`, in any letter case (the document's prose writes GZIP/JSON).
    pub fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("gzip") {
            Some(Self::Gzip)
        } else if text.eq_ignore_ascii_case("json") {
            Some(Self::Json)
        } else {
            None
        }
    }

    /// The wire value, always lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Json => "json",
        }
    }
}

/// An OBS operation kind a data tracker records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataEvent {
    /// OBS read operations.
    Read,
    /// OBS write operations.
    Write,
}

impl DataEvent {
    /// `READ` or `WRITE` (upper case only).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "READ" => Some(Self::Read),
            "WRITE" => Some(Self::Write),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "READ",
            Self::Write => "WRITE",
        }
    }
}

/// Where a tracker transfers its traces. An empty `bucket_name` means no transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsSettings {
    /// OBS bucket name, or "" when traces are not transferred.
    pub bucket_name: String,
    /// Prefix of the trace files.
    pub file_prefix_name: String,
    /// Whether the bucket was created for the tracker.
    pub is_obs_created: bool,
    /// Compression of the trace files.
    pub compress_type: CompressType,
    /// Whether the service name is part of the file path.
    pub is_sort_by_service: bool,
    /// Retention in days, when one was set.
    pub bucket_lifecycle: Option<i64>,
}

impl Default for ObsSettings {
    /// The documents' defaults: no transfer, gzip, sorted by service.
    fn default() -> Self {
        Self {
            bucket_name: String::new(),
            file_prefix_name: String::new(),
            is_obs_created: false,
            compress_type: CompressType::Gzip,
            is_sort_by_service: true,
            bucket_lifecycle: None,
        }
    }
}

/// The bucket a data tracker tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataBucket {
    /// The tracked bucket; it cannot change once the tracker exists.
    pub data_bucket_name: String,
    /// The operations recorded.
    pub data_event: Vec<DataEvent>,
}

/// The optional settings of the SDK's create body, echoed back in responses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackerOptions {
    /// Trace file verification.
    pub is_support_validate: bool,
    /// LTS search.
    pub is_lts_enabled: bool,
    /// Organization-wide management tracker.
    pub is_organization_tracker: bool,
    /// Trace file encryption (with `kms_id`).
    pub is_support_trace_files_encryption: bool,
    /// KMS key id.
    pub kms_id: Option<String>,
    /// Cloud service agency (`cts_admin_trust`).
    pub agency_name: Option<String>,
    /// `management_event_selector.exclude_service`, when given.
    pub exclude_service: Option<Vec<String>>,
}

/// One stored tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracker {
    /// Server-generated UUID v4.
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub create_time: i64,
    /// system or data.
    pub tracker_type: TrackerType,
    /// `system` for the management tracker.
    pub tracker_name: String,
    /// Account id (from the emulator's configuration).
    pub domain_id: String,
    /// The project it belongs to.
    pub project_id: String,
    /// enabled or disabled.
    pub status: TrackerStatus,
    /// Transfer settings.
    pub obs_info: ObsSettings,
    /// The tracked bucket (data trackers only).
    pub data_bucket: Option<DataBucket>,
    /// Echoed optional settings.
    pub options: TrackerOptions,
    /// A tracker loaded at start ([`super::preload`]) is listed exactly as its file
    /// gave it (compact JSON) until an update changes it; `None` for every other.
    pub preloaded: Option<std::sync::Arc<str>>,
}

/// Which tracker a request is about: its type and name (names are unique per type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerKey {
    /// system or data.
    pub tracker_type: TrackerType,
    /// For system always `system`.
    pub tracker_name: String,
}

/// Changes to [`ObsSettings`]; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObsChanges {
    /// New bucket name; `Some("")` turns transfer off.
    pub bucket_name: Option<String>,
    /// New file prefix.
    pub file_prefix_name: Option<String>,
    /// New is_obs_created.
    pub is_obs_created: Option<bool>,
    /// New compression.
    pub compress_type: Option<CompressType>,
    /// New is_sort_by_service.
    pub is_sort_by_service: Option<bool>,
    /// New retention.
    pub bucket_lifecycle: Option<i64>,
}

impl ObsChanges {
    /// Applies the given changes to `settings`.
    pub fn apply_to(&self, settings: &mut ObsSettings) {
        if let Some(bucket_name) = &self.bucket_name {
            settings.bucket_name.clone_from(bucket_name);
        }
        if let Some(prefix) = &self.file_prefix_name {
            settings.file_prefix_name.clone_from(prefix);
        }
        if let Some(value) = self.is_obs_created {
            settings.is_obs_created = value;
        }
        if let Some(value) = self.compress_type {
            settings.compress_type = value;
        }
        if let Some(value) = self.is_sort_by_service {
            settings.is_sort_by_service = value;
        }
        if let Some(value) = self.bucket_lifecycle {
            settings.bucket_lifecycle = Some(value);
        }
    }
}

/// Changes to [`TrackerOptions`]; `None` leaves an option as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionChanges {
    /// New is_support_validate.
    pub is_support_validate: Option<bool>,
    /// New is_lts_enabled.
    pub is_lts_enabled: Option<bool>,
    /// New is_organization_tracker.
    pub is_organization_tracker: Option<bool>,
    /// New is_support_trace_files_encryption.
    pub is_support_trace_files_encryption: Option<bool>,
    /// New kms_id.
    pub kms_id: Option<String>,
    /// New agency_name.
    pub agency_name: Option<String>,
    /// New management_event_selector.exclude_service.
    pub exclude_service: Option<Vec<String>>,
}

impl OptionChanges {
    /// Applies the given changes to `options`.
    pub fn apply_to(&self, options: &mut TrackerOptions) {
        let flags = [
            (self.is_support_validate, &mut options.is_support_validate),
            (self.is_lts_enabled, &mut options.is_lts_enabled),
            (
                self.is_organization_tracker,
                &mut options.is_organization_tracker,
            ),
            (
                self.is_support_trace_files_encryption,
                &mut options.is_support_trace_files_encryption,
            ),
        ];
        for (change, flag) in flags {
            if let Some(value) = change {
                *flag = value;
            }
        }
        if self.kms_id.is_some() {
            options.kms_id.clone_from(&self.kms_id);
        }
        if self.agency_name.is_some() {
            options.agency_name.clone_from(&self.agency_name);
        }
        if self.exclude_service.is_some() {
            options.exclude_service.clone_from(&self.exclude_service);
        }
    }
}

/// `data_bucket` as a request gives it; both parts are optional on update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataBucketFields {
    /// `data_bucket_name` (a valid bucket name when given).
    pub data_bucket_name: Option<String>,
    /// `data_event` (READ/WRITE, no repeats, when given).
    pub data_event: Option<Vec<DataEvent>>,
}

/// A validated CreateTracker or UpdateTracker body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerRequest {
    /// Which tracker.
    pub key: TrackerKey,
    /// New status (update only).
    pub status: Option<TrackerStatus>,
    /// obs_info as given.
    pub obs_info: ObsChanges,
    /// data_bucket as given (never for a management tracker).
    pub data_bucket: Option<DataBucketFields>,
    /// The other optional settings as given.
    pub options: OptionChanges,
}

/// ListTrackers' filters; each is optional, both together narrow further.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackerFilter {
    /// Only the tracker with this exact name.
    pub tracker_name: Option<String>,
    /// Only trackers of this type.
    pub tracker_type: Option<TrackerType>,
}

impl TrackerFilter {
    /// Whether `tracker` passes the filter.
    pub fn matches(&self, tracker: &Tracker) -> bool {
        self.tracker_name
            .as_deref()
            .is_none_or(|name| name == tracker.tracker_name)
            && self
                .tracker_type
                .is_none_or(|tracker_type| tracker_type == tracker.tracker_type)
    }
}

/// What a DeleteTracker request removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// One tracker, by type and name.
    One(TrackerKey),
    /// Every data tracker of the project (no tracker_name given).
    AllData,
}

/// A project's tracker usage against its quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    /// Data trackers in use.
    pub data_used: u32,
    /// Data trackers allowed.
    pub data_quota: u32,
    /// 0 or 1.
    pub system_used: u32,
}

/// Management trackers allowed per project.
pub const SYSTEM_TRACKER_QUOTA: u32 = 1;
