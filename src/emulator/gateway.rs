//! The API gateway in front of a real CTS endpoint, as far as a client sees it
//! (api-facts, "Gateway answers"): authentication failures answered by the gateway
//! (`401 APIGW.0301`, with `serve --gateway-errors`) and throttling (`429 APIGW.0308`,
//! with `serve --rate-limit N`). Gateway answers carry `error_code`, `error_msg` and
//! `request_id`, and the header `Server: api-gateway`.
//!
//! The [`Throttle`] counts per credential (the AK of a signed request, else the
//! token, else "anonymous") with a token bucket of N requests refilled at N per
//! second. Its state is split over [`SHARDS`] locks by the credential's hash, each
//! held for a few arithmetic operations, so concurrent callers rarely meet.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Instant;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The `Server` header value of gateway answers.
pub const SERVER: &str = "api-gateway";
/// Gateway code of an authentication failure.
pub const UNAUTHENTICATED_CODE: &str = "APIGW.0301";
/// Gateway code of a throttled request.
pub const THROTTLED_CODE: &str = "APIGW.0308";

/// One answer of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    /// 401 or 429.
    pub status: StatusCode,
    /// `APIGW.XXXX`.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// The request id (32 hex digits).
    pub request_id: String,
}

impl GatewayError {
    /// `401 APIGW.0301`: the credentials are missing or do not verify (`why`, which
    /// never quotes a secret).
    pub fn unauthenticated(why: &str, request_id: String) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: UNAUTHENTICATED_CODE,
            message: format!("Incorrect IAM authentication information: {why}"),
            request_id,
        }
    }

    /// `429 APIGW.0308`: more than `limit` requests in a second.
    pub fn throttled(limit: u32, request_id: String) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: THROTTLED_CODE,
            message: format!(
                "The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 second"
            ),
            request_id,
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let body = json!({
            "error_code": self.code,
            "error_msg": self.message,
            "request_id": self.request_id,
        });
        let mut response = (self.status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::SERVER, HeaderValue::from_static(SERVER));
        response
    }
}

/// Lock shards of a [`Throttle`].
pub const SHARDS: usize = 16;

/// A token bucket: `tokens` left at `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Requests per second per credential.
#[derive(Debug)]
pub struct Throttle {
    limit: u32,
    shards: Vec<Mutex<HashMap<u64, Bucket>>>,
}

impl Throttle {
    /// At most `limit` requests per second per credential (a burst of `limit`, then
    /// `limit` a second).
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// The limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Whether one more request of `credential` may pass at `now`.
    pub fn admit(&self, credential: &CredentialKey, now: Instant) -> bool {
        let capacity = f64::from(self.limit);
        let shard = &self.shards[credential.0 as usize % SHARDS];
        let mut buckets = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(credential.0).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * capacity).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Who a request claims to be, as a hash (no secret is kept): the AK of an
/// `Authorization` header, else the `X-Auth-Token`, else anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialKey(u64);

impl CredentialKey {
    /// The key of a request with these headers.
    pub fn of(headers: &HeaderMap) -> Self {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let claimed = if let Some(authorization) = header("authorization") {
            // SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=...
            let access = authorization
                .split([' ', ','])
                .find_map(|part| part.trim().strip_prefix("Access="))
                .unwrap_or(authorization);
            ("ak", access)
        } else if let Some(token) = header("x-auth-token") {
            ("token", token)
        } else {
            ("anonymous", "")
        };
        let mut hasher = DefaultHasher::new();
        claimed.hash(&mut hasher);
        Self(hasher.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key(name: &str, value: &str) -> CredentialKey {
        let mut headers = HeaderMap::new();
        if !name.is_empty() {
            headers.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        CredentialKey::of(&headers)
    }

    #[test]
    fn credentials_are_told_apart() {
        let signed = |ak: &str| {
            key(
                "authorization",
                &format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders=host, Signature=ab"),
            )
        };
        assert_eq!(signed("AK1"), signed("AK1"));
        assert_ne!(signed("AK1"), signed("AK2"));
        assert_ne!(key("x-auth-token", "t1"), key("x-auth-token", "t2"));
        assert_eq!(key("", ""), key("", ""));
        assert_ne!(key("", ""), key("x-auth-token", "t1"));
    }

    #[test]
    fn a_burst_past_the_limit_is_throttled_and_refilled() {
        let throttle = Throttle::new(3);
        let start = Instant::now();
        let (a, b) = (key("x-auth-token", "a"), key("x-auth-token", "b"));
        let passed = (0..5).filter(|_| throttle.admit(&a, start)).count();
        assert_eq!(passed, 3);
        // Another credential has its own budget.
        assert!(throttle.admit(&b, start));
        // A third of a second later, one more request of `a` passes.
        let later = start + Duration::from_millis(340);
        assert!(throttle.admit(&a, later));
        assert!(!throttle.admit(&a, later));
    }

    #[test]
    fn gateway_answers_have_the_gateway_shape() {
        let response = GatewayError::throttled(50, "abc".into()).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::SERVER], SERVER);
        let unauthenticated = GatewayError::unauthenticated("no signature", "abc".into());
        assert_eq!(unauthenticated.code, "APIGW.0301");
        assert!(unauthenticated
            .message
            .starts_with("Incorrect IAM authentication information: "));
    }
}
