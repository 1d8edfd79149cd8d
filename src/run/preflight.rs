//! The check made once before a run: one signed, read-only GET the service names
//! ([`Service::check_path`]; CTS: ListTrackers of the project).
//!
//! It answers three questions before any case runs: does the target answer at all (no
//! answer is exit code 3), are the credentials accepted (a 401 or 403 ends the run with
//! exit code 3 and the answer, instead of a hundred red cases), and which trackers does
//! the account already hold (the operations of a pool bucket one of them tracks are left
//! out: the whole bucket when both are). A throttled answer is retried like any step's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::config::RunConfig;
use super::pool::Operations;
use super::request::{authorize, encode_component};
use crate::case::model::AuthMode;
use crate::cts::Service;
use crate::http::client::HttpClient;
use crate::http::exchange::{ReceivedResponse, SentRequest, TransportError};
use crate::http::throttle::{self, RetryPolicy};

/// What the check found.
#[derive(Debug, Clone)]
pub struct Preflight {
    pub status: u16,
    /// `error_code` and `error_msg` of an error body.
    pub error: Option<(String, String)>,
    /// The trackers listed, on a 2xx answer with a `trackers` array.
    pub trackers: Vec<Value>,
}

impl Preflight {
    /// The credentials were refused (401 or 403).
    pub fn rejected(&self) -> bool {
        matches!(self.status, 401 | 403)
    }

    /// `401 APIGW.0301 Incorrect IAM authentication information: ...`.
    pub fn answer(&self) -> String {
        match &self.error {
            Some((code, message)) => format!("{} {code} {message}", self.status),
            None => self.status.to_string(),
        }
    }

    /// The buckets that trackers already on the account track (none of them this run's),
    /// with the operations they track: what their `data_event` lists, both without one
    /// (api-facts: absent counts as both) or with one this run cannot read.
    pub fn tracked_buckets(&self) -> BTreeMap<String, Operations> {
        let mut tracked = BTreeMap::<String, Operations>::new();
        for bucket in self.trackers.iter().filter_map(|t| t.get("data_bucket")) {
            let Some(name) = bucket.get("data_bucket_name").and_then(Value::as_str) else {
                continue;
            };
            let operations = Operations::of_data_event(bucket.get("data_event"));
            let entry = tracked.entry(name.to_string()).or_default();
            *entry = entry.union(operations);
        }
        tracked
    }

    /// The names of the trackers listed that track `bucket`.
    pub fn trackers_of_bucket(&self, bucket: &str) -> Vec<String> {
        self.trackers
            .iter()
            .filter(|t| {
                t.pointer("/data_bucket/data_bucket_name")
                    .and_then(Value::as_str)
                    == Some(bucket)
            })
            .filter_map(|t| t.get("tracker_name").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    }

    /// Whether the account already has its management tracker.
    pub fn has_management_tracker(&self) -> bool {
        self.trackers
            .iter()
            .any(|t| t.get("tracker_type").and_then(Value::as_str) == Some("system"))
    }
}

/// Leaves out of `config`'s pool the bucket operations that trackers already on the
/// account track (the run did not create them, so those operations are taken): a bucket
/// with both taken leaves the pool, one with one taken keeps the other
/// ([`RunConfig::taken_operations`]). Returns the warning to show, if anything was left
/// out: a tracker that the run's own ledger (`ledger`, if it has a file) lists as left
/// by an earlier run is named as such, with the `sweep` command that removes it.
pub fn leave_out_tracked_buckets(
    config: &mut RunConfig,
    check: &Preflight,
    ledger: Option<&std::path::Path>,
    service: &dyn Service,
) -> Option<String> {
    let tracked = check.tracked_buckets();
    let taken_of = |bucket: &String| tracked.get(bucket).copied().unwrap_or_default();
    let taken: Vec<String> = config
        .data_buckets
        .iter()
        .filter(|b| !taken_of(b).is_empty())
        .cloned()
        .collect();
    config
        .data_buckets
        .retain(|b| !taken_of(b).contains(Operations::BOTH));
    for bucket in &config.data_buckets {
        let operations = taken_of(bucket);
        if !operations.is_empty() {
            config.taken_operations.insert(bucket.clone(), operations);
        }
    }
    if taken.is_empty() {
        return None;
    }
    // Left out whole: a bucket with both operations taken.
    config.data_buckets_left_out.extend(
        taken
            .iter()
            .filter(|b| taken_of(b).contains(Operations::BOTH))
            .cloned(),
    );
    // A bucket left out whole is named; one with an operation left, with what is out.
    let named = |bucket: &str| match tracked.get(bucket).copied() {
        Some(operations) if operations != Operations::BOTH => format!(
            "{bucket}'s {operations} (its {} is still used)",
            Operations::BOTH.without(operations)
        ),
        _ => bucket.to_string(),
    };
    // What the ledger says earlier runs left on this target and project.
    let left_earlier: BTreeSet<String> = ledger
        .and_then(|path| super::ledger::read(path).ok())
        .map(|read| {
            super::ledger::outstanding(&read.entries, service)
                .into_iter()
                .filter(|r| r.target == config.base_url && r.project_id == config.project_id)
                .filter_map(|r| r.names.get(service.case_rules().creates.name_key).cloned())
                .collect()
        })
        .unwrap_or_default();
    let (ours, theirs): (Vec<&String>, Vec<&String>) = taken.iter().partition(|bucket| {
        check
            .trackers_of_bucket(bucket)
            .iter()
            .any(|name| left_earlier.contains(name))
    });
    let mut lines = Vec::new();
    if !theirs.is_empty() {
        let names: Vec<String> = theirs.iter().map(|b| named(b)).collect();
        lines.push(format!(
            "warning: left out of the bucket pool, already tracked by a tracker this run did not \
             create: {}",
            names.join(", ")
        ));
    }
    if let (false, Some(path)) = (ours.is_empty(), ledger) {
        let described: Vec<String> = ours
            .iter()
            .map(|bucket| {
                let trackers: Vec<String> = check
                    .trackers_of_bucket(bucket)
                    .into_iter()
                    .filter(|name| left_earlier.contains(name))
                    .collect();
                format!("{} (tracker {})", named(bucket), trackers.join(", "))
            })
            .collect();
        lines.push(format!(
            "warning: left out of the bucket pool, tracked by a tracker an earlier run left \
             (its ledger {} lists it): {}; remove it with: {}",
            path.display(),
            described.join(", "),
            super::sweep::command(path)
        ));
    }
    if config.data_buckets.is_empty() {
        if let Some(last) = lines.last_mut() {
            last.push_str(" (no data bucket is left: cases that track one are ignored)");
        }
    }
    Some(lines.join("\n"))
}

/// Sends the check (retrying a throttled answer); `Err` when the target gives no HTTP
/// answer at all.
pub async fn preflight(
    client: &HttpClient,
    config: &RunConfig,
    service: &dyn Service,
) -> Result<Preflight, TransportError> {
    let mut request = SentRequest {
        method: "GET".into(),
        url: format!(
            "{}{}",
            config.base_url,
            service.check_path(&encode_component(&config.project_id))
        ),
        headers: Vec::new(),
        body: None,
    };
    // Without credentials the check is unsigned: a 401 is then the answer to report.
    let _ = authorize(
        &mut request,
        AuthMode::Default,
        &config.credentials,
        &config.project_id,
    );
    let policy = RetryPolicy {
        max_retries: config.max_retries,
    };
    let deadline = tokio::time::Instant::now() + config.timeout;
    let mut attempt = 0;
    loop {
        let exchange = client
            .send(request.clone(), config.timeout, config.max_response_bytes)
            .await;
        let response = exchange.response?;
        if throttle::is_throttled(&response) {
            if let Some(retry) = throttle::next_wait(policy, attempt, &response, deadline) {
                tokio::time::sleep(retry.waited).await;
                attempt += 1;
                continue;
            }
        }
        return Ok(read(&response));
    }
}

fn read(response: &ReceivedResponse) -> Preflight {
    let body = response.json().and_then(Result::ok);
    let text = |key: &str| {
        body.as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let error = text("error_code").map(|code| (code, text("error_msg").unwrap_or_default()));
    let trackers = match &body {
        Some(body) if (200..300).contains(&response.status) => body
            .get("trackers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Preflight {
        status: response.status,
        error,
        trackers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer(status: u16, body: &str) -> ReceivedResponse {
        ReceivedResponse {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn a_gateway_401_is_a_rejection_with_its_answer() {
        let check = read(&answer(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"r"}"#,
        ));
        assert!(check.rejected());
        assert_eq!(
            check.answer(),
            "401 APIGW.0301 Incorrect IAM authentication information"
        );
        assert!(check.trackers.is_empty());
    }

    #[test]
    fn the_listed_trackers_name_their_buckets_and_the_management_tracker() {
        let check = read(&answer(
            200,
            r#"{"trackers":[
                {"tracker_type":"system","tracker_name":"system"},
                {"tracker_type":"data","tracker_name":"theirs","data_bucket":{"data_bucket_name":"logs-a"}}
            ]}"#,
        ));
        assert!(!check.rejected());
        assert!(check.has_management_tracker());
        assert_eq!(
            check.tracked_buckets(),
            BTreeMap::from([("logs-a".to_string(), Operations::BOTH)])
        );
        let empty = read(&answer(200, r#"{"trackers":[]}"#));
        assert!(!empty.has_management_tracker());
        assert!(read(&answer(
            403,
            r#"{"error_code":"CTS.0013","error_msg":"no"}"#
        ))
        .rejected());
    }

    #[test]
    fn only_the_operations_others_track_are_left_out() {
        let check = read(&answer(
            200,
            r#"{"trackers":[
                {"tracker_type":"data","tracker_name":"r","data_bucket":{"data_bucket_name":"a","data_event":["READ"]}},
                {"tracker_type":"data","tracker_name":"w","data_bucket":{"data_bucket_name":"b","data_event":["WRITE"]}},
                {"tracker_type":"data","tracker_name":"r2","data_bucket":{"data_bucket_name":"b","data_event":["READ"]}},
                {"tracker_type":"data","tracker_name":"all","data_bucket":{"data_bucket_name":"c"}}
            ]}"#,
        ));
        let mut config = RunConfig::new("http://127.0.0.1:9", "p");
        config.data_buckets = ["a", "b", "c", "d"].map(String::from).to_vec();
        let warning = leave_out_tracked_buckets(&mut config, &check, None, &crate::cts::Cts)
            .expect("a warning");
        // b has READ and WRITE taken by two trackers, c both by one: both leave the pool.
        assert_eq!(config.data_buckets, ["a", "d"]);
        assert_eq!(
            config.taken_operations,
            BTreeMap::from([("a".to_string(), Operations::READ)])
        );
        assert!(
            warning.contains("a's READ (its WRITE is still used), b, c"),
            "{warning}"
        );
        let pool = config.bucket_pool(&crate::cts::Cts);
        assert_eq!(pool.free_operations("a"), Operations::WRITE);
        assert_eq!(pool.free_operations("d"), Operations::BOTH);
    }
}
