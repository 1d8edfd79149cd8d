//! Throttling, both ways: the run's own request-rate cap (`--rate`), and what to do when
//! the target throttles (a 429, or a 503 with `Retry-After`): wait and send again, with
//! exponential backoff and jitter, honouring `Retry-After`, up to `--max-retries` and
//! within the step's deadline.
//!
//! An API gateway in front of a real CTS endpoint throttles with `429 APIGW.0308` and no
//! promise of a `Retry-After` (api-facts); the official SDK retries such answers too.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::exchange::ReceivedResponse;

/// The first wait before a retry; doubled for each further retry.
const BASE_DELAY: Duration = Duration::from_millis(200);
/// No single wait is longer than this, whatever the backoff or `Retry-After` says.
const MAX_DELAY: Duration = Duration::from_secs(20);

/// The run-wide request-rate cap: requests start at least `1/rate` seconds apart.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A cap of `rate` requests per second; `None` (or a non-positive rate) is no cap.
    pub fn new(rate: Option<f64>) -> Self {
        let interval = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        RateLimiter {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's turn. Turns are handed out in call order, so every
    /// thread of the run shares one budget.
    pub async fn wait(&self) {
        if let Some(slot) = self.reserve(Instant::now()) {
            tokio::time::sleep_until(slot).await;
        }
    }

    /// The start of the next free turn at `now` or later, taken for the caller; `None`
    /// without a cap.
    fn reserve(&self, now: Instant) -> Option<Instant> {
        let interval = self.interval?;
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = next.map_or(now, |n| n.max(now));
        *next = Some(slot + interval);
        Some(slot)
    }
}

/// How throttled answers are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
}

/// One wait-and-resend, for the step's trail and the reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// The status that was throttled (429 or 503).
    pub status: u16,
    /// The gateway's or service's error code, when the body had one.
    pub error_code: Option<String>,
    pub waited: Duration,
    /// The wait came from the answer's `Retry-After` header.
    pub from_retry_after: bool,
}

impl std::fmt::Display for Retry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        }
        let source = if self.from_retry_after {
            " (Retry-After)"
        } else {
            ""
        };
        write!(f, ": retried after {} ms{source}", self.waited.as_millis())
    }
}

/// Whether an answer is the target throttling: 429, or 503 with `Retry-After`.
pub fn is_throttled(response: &ReceivedResponse) -> bool {
    response.status == 429 || (response.status == 503 && response.header("retry-after").is_some())
}

/// What to do after a throttled answer, the `attempt`-th retry (from 0): how long to
/// wait, or `None` when the retries are used up or the wait would pass `deadline`.
pub fn next_wait(
    policy: RetryPolicy,
    attempt: u32,
    response: &ReceivedResponse,
    deadline: Instant,
) -> Option<Retry> {
    if attempt >= policy.max_retries {
        return None;
    }
    let hinted = response
        .header("retry-after")
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let waited = hinted
        .unwrap_or_else(|| backoff(attempt, jitter()))
        .min(MAX_DELAY);
    if Instant::now() + waited > deadline {
        return None;
    }
    Some(Retry {
        status: response.status,
        error_code: error_code(response),
        waited,
        from_retry_after: hinted.is_some(),
    })
}

/// The error code of a JSON error body (`APIGW.0308`, `CTS.0004`, ...).
pub fn error_code(response: &ReceivedResponse) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    body.get("error_code")?.as_str().map(str::to_string)
}

/// Exponential backoff with jitter: `BASE_DELAY * 2^attempt`, scaled by `jitter` in
/// `[0.5, 1.0]` so that threads throttled together do not come back together.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let full = BASE_DELAY.saturating_mul(1u32 << attempt.min(16));
    full.mul_f64(jitter.clamp(0.5, 1.0)).min(MAX_DELAY)
}

/// A factor in `[0.5, 1.0]` from the clock's low bits and a per-process counter (no
/// random-number crate needed for this; it only has to differ between threads).
fn jitter() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let mut x = COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ nanos;
    // xorshift64*: spreads the bits.
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let unit = (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
    0.5 + unit / 2.0
}

/// `Retry-After` as seconds (`120`) or an HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(at.unix_timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> ReceivedResponse {
        ReceivedResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn throttled_answers() {
        assert!(is_throttled(&answer(429, &[], "")));
        assert!(is_throttled(&answer(503, &[("Retry-After", "1")], "")));
        assert!(!is_throttled(&answer(503, &[], "")));
        assert!(!is_throttled(&answer(400, &[("retry-after", "1")], "")));
    }

    #[test]
    fn backoff_doubles_within_its_jitter_and_is_capped() {
        assert_eq!(backoff(0, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(0, 0.5), Duration::from_millis(100));
        assert_eq!(backoff(3, 1.0), Duration::from_millis(1600));
        assert_eq!(backoff(30, 1.0), MAX_DELAY);
        for _ in 0..100 {
            let j = jitter();
            assert!((0.5..=1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        // 2015-10-21 07:28:00 UTC is 1445412480; the date is 30 s later.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retries_stop_at_the_limit_and_at_the_deadline() {
        let policy = RetryPolicy { max_retries: 2 };
        let far = Instant::now() + Duration::from_secs(600);
        let throttled = answer(429, &[], r#"{"error_code":"APIGW.0308","error_msg":"x"}"#);
        let first = next_wait(policy, 0, &throttled, far).expect("a first retry");
        assert_eq!(first.error_code.as_deref(), Some("APIGW.0308"));
        assert!(!first.from_retry_after);
        assert!(next_wait(policy, 1, &throttled, far).is_some());
        assert!(next_wait(policy, 2, &throttled, far).is_none(), "limit");
        let hinted = answer(429, &[("Retry-After", "5")], "");
        let retry = next_wait(policy, 0, &hinted, far).expect("hinted");
        assert_eq!(retry.waited, Duration::from_secs(5));
        assert!(retry.from_retry_after);
        let near = Instant::now() + Duration::from_secs(2);
        assert!(next_wait(policy, 0, &hinted, near).is_none(), "deadline");
    }

    #[test]
    fn the_rate_cap_spaces_requests() {
        let limiter = RateLimiter::new(Some(10.0));
        let start = Instant::now();
        // Five callers at once get turns 100 ms apart, in call order.
        let turns: Vec<Duration> = (0..5)
            .map(|_| limiter.reserve(start).expect("capped") - start)
            .collect();
        let expected: Vec<Duration> = (0..5).map(|i| Duration::from_millis(100 * i)).collect();
        assert_eq!(turns, expected);
        // A caller after a pause waits for nothing that has passed.
        let later = start + Duration::from_secs(2);
        assert_eq!(limiter.reserve(later), Some(later));
        assert_eq!(RateLimiter::new(None).reserve(start), None);
        assert_eq!(RateLimiter::new(Some(0.0)).reserve(start), None);
    }
}
