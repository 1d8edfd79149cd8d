//! CTS error answers: every failure the emulator reports is one [`CtsError`], which
//! knows its HTTP status and its `CTS.XXXX` code (the codes of api-facts' error-code
//! table) and renders as the documented body `{"error_code": ..., "error_msg": ...}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// One failure, as the CTS error-code table names it. The payload is the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CtsError {
    /// CTS.0003: the body is empty, not JSON, or a field (or a path or query
    /// parameter) has the wrong JSON type or a value no rule names a code for.
    /// The payload is the whole message.
    #[error("{0}")]
    InvalidRequest(String),
    /// CTS.0200: the project already has as many data trackers as its quota allows.
    #[error("the tracker quota is reached: at most {0} data trackers per project")]
    QuotaReached(u32),
    /// CTS.0201: the project already has its management tracker.
    #[error("the management tracker has already been created")]
    ManagementTrackerExists,
    /// CTS.0202: tracker_type is missing or not `system`/`data`.
    #[error("tracker_type is invalid: {0}")]
    InvalidTrackerType(String),
    /// CTS.0203: a data tracker's name breaks the naming rule.
    #[error("tracker_name is invalid: {0}")]
    InvalidTrackerName(String),
    /// CTS.0204: a management tracker's name can only be `system`.
    #[error("the management tracker name can only be system")]
    ManagementTrackerName,
    /// CTS.0205: status is neither `enabled` nor `disabled`.
    #[error("status must be enabled or disabled")]
    InvalidStatus,
    /// CTS.0206: data_bucket was given for a management tracker.
    #[error("data_bucket is not allowed for a management tracker")]
    DataBucketOnManagementTracker,
    /// CTS.0208: a data tracker with this name already exists.
    #[error("the tracker {0} already exists")]
    TrackerExists(String),
    /// CTS.0209: another data tracker of the project already tracks one of the
    /// bucket operations (READ, WRITE; no `data_event` means both) of this bucket.
    #[error("a type of operations on an OBS bucket can be tracked by only one tracker: {operation} operations on {bucket} are already tracked by {tracker}")]
    BucketOperationTracked {
        /// The tracked bucket.
        bucket: String,
        /// READ or WRITE (the first that overlaps).
        operation: &'static str,
        /// The data tracker that already tracks it.
        tracker: String,
    },
    /// CTS.0210: a data tracker was created without the bucket it tracks.
    #[error("the tracked bucket is empty: a data tracker needs data_bucket.data_bucket_name")]
    TrackedBucketMissing,
    /// CTS.0211: an OBS bucket the request names does not exist (the payload names
    /// the field and the bucket).
    #[error("the OBS bucket does not exist: {0}")]
    BucketNotFound(String),
    /// CTS.0213: the tracked bucket is also the transfer bucket.
    #[error("the tracked bucket cannot be the bucket traces are transferred to: {0}")]
    TrackedBucketIsTransferBucket(String),
    /// CTS.0003: a data tracker's status change without `data_bucket` (query-trackers
    /// Table 7 and the SDK: mandatory when a data tracker is enabled or disabled).
    #[error("a data tracker's status change must carry data_bucket (query-trackers: Table 7 / data_event, mandatory when the data tracker is enabled or disabled)")]
    StatusChangeWithoutDataBucket,
    /// CTS.0214: no tracker matches.
    #[error("the tracker does not exist")]
    TrackerNotFound,
    /// CTS.0218: obs_info.file_prefix_name breaks its rule.
    #[error("file_prefix_name is invalid: 0 to 64 letters, digits, '-', '_' or '.'")]
    InvalidFilePrefix,
    /// CTS.0225: data_event holds something other than READ or WRITE (or a repeat).
    #[error("data_event can only be READ or WRITE, each at most once")]
    InvalidDataEvent,
    /// CTS.0231: a bucket name breaks the OBS naming rule (the payload names the field).
    #[error("{0} is invalid: 3 to 63 characters, starting with a digit or lower-case letter; only a-z, 0-9, '-' and '.'")]
    InvalidBucketName(&'static str),
    /// CTS.0004 with 500: the service failed internally. The emulator answers it only
    /// in a fault mode (`malformed-json-500`); the payload is the message.
    #[error("{0}")]
    Internal(String),
    /// CTS.0003 with 404: no operation lives at this path.
    #[error("no such resource: {0}")]
    UnknownPath(String),
    /// CTS.0003 with 405: the path exists but not with this method.
    #[error("method {0} is not allowed on this resource")]
    MethodNotAllowed(String),
}

impl CtsError {
    /// The `CTS.XXXX` error code of the CTS error-code table.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_)
            | Self::UnknownPath(_)
            | Self::MethodNotAllowed(_)
            | Self::StatusChangeWithoutDataBucket => "CTS.0003",
            Self::Internal(_) => "CTS.0004",
            Self::QuotaReached(_) => "CTS.0200",
            Self::ManagementTrackerExists => "CTS.0201",
            Self::InvalidTrackerType(_) => "CTS.0202",
            Self::InvalidTrackerName(_) => "CTS.0203",
            Self::ManagementTrackerName => "CTS.0204",
            Self::InvalidStatus => "CTS.0205",
            Self::DataBucketOnManagementTracker => "CTS.0206",
            Self::TrackerExists(_) => "CTS.0208",
            Self::BucketOperationTracked { .. } => "CTS.0209",
            Self::TrackedBucketMissing => "CTS.0210",
            Self::BucketNotFound(_) => "CTS.0211",
            Self::TrackedBucketIsTransferBucket(_) => "CTS.0213",
            Self::TrackerNotFound => "CTS.0214",
            Self::InvalidFilePrefix => "CTS.0218",
            Self::InvalidDataEvent => "CTS.0225",
            Self::InvalidBucketName(_) => "CTS.0231",
        }
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TrackerNotFound | Self::UnknownPath(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Shorthand for [`CtsError::InvalidRequest`].
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }
}

impl IntoResponse for CtsError {
    fn into_response(self) -> Response {
        let body = json!({ "error_code": self.code(), "error_msg": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_table() {
        assert_eq!(CtsError::TrackerNotFound.code(), "CTS.0214");
        assert_eq!(CtsError::TrackerNotFound.status(), StatusCode::NOT_FOUND);
        assert_eq!(CtsError::QuotaReached(100).code(), "CTS.0200");
        assert_eq!(
            CtsError::invalid_request("x").status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            CtsError::MethodNotAllowed("PATCH".into()).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
