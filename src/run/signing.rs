//! Signing a request with AK/SK for a step's auth mode. (Filled in when `auth` lands.)

use super::exchange::SentRequest;
use crate::case::model::AuthMode;

/// Adds the SDK-HMAC-SHA256 headers to `request`.
pub fn sign_request(
    _request: &mut SentRequest,
    _mode: AuthMode,
    _ak: &str,
    _sk: &str,
    _project_id: &str,
) {
}
