//! The reachability check made once before a run: one read-only ListTrackers request for
//! a name no tracker has. Any HTTP answer counts as reachable; no answer is exit code 3.

use super::config::RunConfig;
use super::exchange::{SentRequest, TransportError};
use super::http::HttpClient;
use super::render::{authorize, encode_component};
use crate::case::model::AuthMode;

/// Sends the check; `Err` when the target gives no HTTP answer at all.
pub async fn preflight(client: &HttpClient, config: &RunConfig) -> Result<u16, TransportError> {
    let mut request = SentRequest {
        method: "GET".into(),
        url: format!(
            "{}/v3/{}/trackers?tracker_name={}-reachability",
            config.base_url,
            encode_component(&config.project_id),
            config.prefix()
        ),
        headers: Vec::new(),
        body: None,
    };
    // Credentials are optional here: a 401 is an answer too.
    let _ = authorize(
        &mut request,
        AuthMode::Default,
        &config.credentials,
        &config.project_id,
    );
    let exchange = client
        .send(request, config.timeout, config.max_response_bytes)
        .await;
    exchange.response.map(|r| r.status)
}
