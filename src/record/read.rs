//! Reading a recording back, and answering a replayed run from it: the N-th request a
//! case sends gets the answer recorded for its N-th sent step (throttled answers first,
//! as many as were waited out, then the recorded one), provided the request is the one
//! recorded (method, path and query, body; headers such as the signature and date are
//! not compared). Otherwise the case is not replayable, and says why.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use crate::case::vars::Vars;
use crate::http::exchange::{Exchange, ReceivedResponse, SentRequest, TransportError};
use crate::run::transport::Replayer;

use super::{RecordedCase, RecordedRequest, RecordedStep, RunMeta, FORMAT};

/// Why a recording cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReplayError(pub String);

/// A recording read back: the run and its cases by id.
#[derive(Debug)]
pub struct Recording {
    pub meta: RunMeta,
    pub cases: BTreeMap<String, RecordedCase>,
    cursors: Mutex<HashMap<String, Cursor>>,
}

/// Where a replayed case is in its recording.
#[derive(Debug, Default)]
struct Cursor {
    /// The sent step the next first try gets.
    next: usize,
    /// The sent step being answered (retries included).
    current: usize,
    not_replayable: Option<String>,
}

impl Recording {
    /// Reads `dir/run.json` and every `dir/cases/*.json`.
    pub fn load(dir: &Path) -> Result<Self, ReplayError> {
        let meta: RunMeta = read_json(&dir.join("run.json"))?;
        if meta.format != FORMAT {
            return Err(ReplayError(format!(
                "{}: recording format {} is not supported (this version reads format {FORMAT})",
                dir.join("run.json").display(),
                meta.format
            )));
        }
        let cases_dir = dir.join("cases");
        let entries = std::fs::read_dir(&cases_dir)
            .map_err(|e| ReplayError(format!("cannot read {}: {e}", cases_dir.display())))?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        paths.sort();
        let mut cases = BTreeMap::new();
        for path in paths {
            let case: RecordedCase = read_json(&path)?;
            cases.insert(case.id.clone(), case);
        }
        Ok(Recording {
            meta,
            cases,
            cursors: Mutex::new(HashMap::new()),
        })
    }

    fn sent_steps(case: &RecordedCase) -> Vec<&RecordedStep> {
        case.steps
            .iter()
            .chain(&case.cleanup)
            .filter(|s| s.request.is_some())
            .collect()
    }

    fn answer_at(
        &self,
        cursor: &mut Cursor,
        case: &str,
        attempt: usize,
        request: &SentRequest,
    ) -> Result<ReceivedResponse, TransportError> {
        let Some(recorded) = self.cases.get(case) else {
            return Err(match self.unanswerable(case) {
                // The recorded run selected it, yet its answers are gone: the recording
                // cannot vouch for it, so it fails (never "not replayable", never green).
                Some(Unanswerable::FileMissing(why)) => TransportError::Request(why),
                _ => cursor.refuse(NO_SUCH_CASE),
            });
        };
        if attempt == 0 {
            cursor.current = cursor.next;
            cursor.next += 1;
        }
        let sent = Self::sent_steps(recorded);
        let Some(step) = sent.get(cursor.current) else {
            return Err(cursor.refuse(&format!(
                "it sends more requests than the {} recorded",
                sent.len()
            )));
        };
        if let (0, Some(recorded_request)) = (attempt, &step.request) {
            if let Some(why) = differs(request, recorded_request) {
                return Err(cursor.refuse(&format!("{} ({}): {why}", step.label, step.operation)));
            }
        }
        let retries = &step.retries;
        if let Some(retry) = retries.get(attempt) {
            let mut headers = Vec::new();
            if retry.retry_after {
                headers.push((
                    "Retry-After".to_string(),
                    retry.waited_ms.div_ceil(1000).to_string(),
                ));
            }
            let body = retry
                .error_code
                .as_ref()
                .map(|code| {
                    serde_json::json!({"error_code": code})
                        .to_string()
                        .into_bytes()
                })
                .unwrap_or_default();
            return Ok(ReceivedResponse {
                status: retry.status,
                headers,
                body,
                elapsed: Duration::ZERO,
            });
        }
        if attempt > retries.len() {
            return Err(cursor.refuse(&format!(
                "{} ({}) is retried more often than the {} recorded retries",
                step.label,
                step.operation,
                retries.len()
            )));
        }
        match (&step.response, &step.error) {
            (Some(response), _) => Ok(ReceivedResponse {
                status: response.status,
                headers: response.headers.clone(),
                body: response
                    .body
                    .as_ref()
                    .map(|b| b.bytes())
                    .unwrap_or_default(),
                elapsed: Duration::from_millis(response.elapsed_ms),
            }),
            (None, Some(error)) => Err(serde_json::from_value(error.clone())
                .unwrap_or_else(|_| TransportError::Connection(error.to_string()))),
            (None, None) => Err(cursor.refuse(&format!(
                "{} ({}) has neither an answer nor an error recorded",
                step.label, step.operation
            ))),
        }
    }
}

impl Cursor {
    /// Marks the case not replayable (the first reason stays) and gives the error its
    /// request gets.
    fn refuse(&mut self, why: &str) -> TransportError {
        let why = self.not_replayable.get_or_insert_with(|| why.to_string());
        TransportError::NotReplayable(why.clone())
    }
}

/// A case the recording cannot answer, known before it is replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unanswerable {
    /// The recorded run did not select it: its replay is not replayable (ignored).
    NotRecorded,
    /// The recorded run selected it, yet its file is gone: its replay fails (the
    /// recording cannot vouch for it).
    FileMissing(String),
}

impl Recording {
    /// Whether `case` can be answered at all (its requests are matched only as it runs).
    pub fn unanswerable(&self, case: &str) -> Option<Unanswerable> {
        if self.cases.contains_key(case) {
            return None;
        }
        Some(match self.meta.selected.iter().any(|id| id == case) {
            true => Unanswerable::FileMissing(format!(
                "the recorded run selected this case but the recording has no file for it \
                 (cases/{}): a recording of a run that was killed, or a file removed",
                super::case_file_name(case)
            )),
            false => Unanswerable::NotRecorded,
        })
    }
}

/// Why a case the recorded run did not select is not replayable.
pub const NO_SUCH_CASE: &str = "the recording has no such case";

impl Replayer for Recording {
    fn answer(&self, case: &str, attempt: usize, request: &SentRequest) -> Exchange {
        let mut cursors = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
        let cursor = cursors.entry(case.to_string()).or_default();
        let response = match &cursor.not_replayable {
            Some(why) => Err(TransportError::NotReplayable(why.clone())),
            None => self.answer_at(cursor, case, attempt, request),
        };
        // The request as the recording has it (its date and redacted signature), when
        // the recording answered it; else the one the case makes now.
        let recorded = match cursor.not_replayable {
            Some(_) => None,
            None => self.cases.get(case).and_then(|recorded| {
                let step = Self::sent_steps(recorded).into_iter().nth(cursor.current)?;
                step.request.as_ref().map(RecordedRequest::to_sent)
            }),
        };
        Exchange {
            request: recorded.unwrap_or_else(|| request.clone()),
            response,
        }
    }

    fn leased(&self, case: &str) -> Vars {
        self.cases
            .get(case)
            .map(|c| c.leased.clone().into_iter().collect())
            .unwrap_or_default()
    }

    fn not_replayable(&self, case: &str) -> Option<String> {
        self.cursors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(case)
            .and_then(|c| c.not_replayable.clone())
    }
}

/// How `request` differs from the recorded one (method, path and query, body), if it does.
pub fn differs(request: &SentRequest, recorded: &RecordedRequest) -> Option<String> {
    let target = |url: &str| match reqwest::Url::parse(url) {
        Ok(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        },
        Err(_) => url.to_string(),
    };
    let (now, then) = (target(&request.url), target(&recorded.url));
    if request.method != recorded.method || now != then {
        return Some(format!(
            "the request is now {} {now}, the recording has {} {then}",
            request.method, recorded.method
        ));
    }
    let now = request.body.clone().unwrap_or_default();
    let then = recorded
        .body
        .as_ref()
        .map(|b| b.bytes())
        .unwrap_or_default();
    let as_json = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).ok();
    let same = match (as_json(&now), as_json(&then)) {
        (Some(a), Some(b)) => a == b,
        _ => now == then,
    };
    (!same).then(|| {
        format!(
            "the request body is now {}, the recording has {}",
            String::from_utf8_lossy(&now),
            String::from_utf8_lossy(&then)
        )
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReplayError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReplayError(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        ReplayError(format!(
            "{}:{}:{}: not a recording file ({e})",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Body;

    fn request(url: &str, body: &str) -> SentRequest {
        SentRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("Authorization".into(), "x".into())],
            body: Some(body.as_bytes().to_vec()),
        }
    }

    fn recording(step: crate::record::RecordedStep) -> Recording {
        let case = RecordedCase {
            format: FORMAT,
            id: "s::a".into(),
            file: "s.json".into(),
            leased: BTreeMap::from([("data_bucket".to_string(), Value::from("b1"))]),
            verdict: "passed".into(),
            reason: None,
            interrupted: false,
            steps: vec![step],
            cleanup: Vec::new(),
        };
        let meta: RunMeta = serde_json::from_value(serde_json::json!({
            "format": 1, "tool": {"name": "t", "version": "0"},
            "target": {"url": "http://h:1", "kind": "url", "project_id": "p"},
            "run_id": "r", "profile": "documented", "partition": null,
            "fingerprint_sha256": "f", "started": "s", "finished": null,
            "config": {"other_project_id": "o", "data_buckets": [], "obs_buckets": [],
                       "allow_mutations": false, "max_retries": 5, "timeout_ms": 1,
                       "max_response_bytes": 1, "credentials": "none"}
        }))
        .expect("meta");
        Recording {
            meta,
            cases: BTreeMap::from([("s::a".to_string(), case)]),
            cursors: Mutex::new(HashMap::new()),
        }
    }

    #[test]
    fn retries_are_answered_throttled_then_the_recorded_answer() {
        let step: crate::record::RecordedStep = serde_json::from_value(serde_json::json!({
            "label": "l", "operation": "ListQuotas", "skipped": null, "failed": false,
            "findings": [],
            "retries": [{"status": 429, "error_code": "APIGW.0308", "waited_ms": 1500, "retry_after": true},
                        {"status": 429, "error_code": null, "waited_ms": 200, "retry_after": false}],
            "request": {"method": "POST", "url": "http://h:1/x", "headers": [], "body": {"text": "{}"}},
            "response": {"status": 200, "headers": [], "body": {"text": "{\"ok\":1}"}, "elapsed_ms": 3}
        }))
        .expect("step");
        let recording = recording(step);
        let sent = request("http://h:1/x", "{}");
        let first = recording.answer("s::a", 0, &sent).response.expect("answer");
        assert_eq!(
            (first.status, first.header("retry-after")),
            (429, Some("2"))
        );
        assert_eq!(first.body, br#"{"error_code":"APIGW.0308"}"#.to_vec());
        let second = recording.answer("s::a", 1, &sent).response.expect("answer");
        assert_eq!((second.status, second.header("retry-after")), (429, None));
        let last = recording.answer("s::a", 2, &sent).response.expect("answer");
        assert_eq!(
            (last.status, last.body.as_slice()),
            (200, br#"{"ok":1}"#.as_slice())
        );
        assert_eq!(recording.not_replayable("s::a"), None);
        assert_eq!(
            recording.leased("s::a").get("data_bucket"),
            Some(&Value::from("b1"))
        );
        // One more request than recorded: not replayable, and it stays so.
        assert!(recording.answer("s::a", 0, &sent).response.is_err());
        let why = recording.not_replayable("s::a").expect("not replayable");
        assert!(why.contains("more requests than the 1 recorded"), "{why}");
        assert!(recording.answer("s::b", 0, &sent).response.is_err());
        assert!(recording
            .not_replayable("s::b")
            .expect("unknown")
            .contains("no such case"));
    }

    #[test]
    fn requests_compare_by_method_target_and_body() {
        let recorded = RecordedRequest {
            method: "POST".into(),
            url: "http://h:1/v3/p/tracker?a=1".into(),
            headers: Vec::new(),
            body: Some(Body::Text("{\"a\": 1, \"b\": 2}".into())),
        };
        assert_eq!(
            differs(
                &request("http://h:1/v3/p/tracker?a=1", "{\"b\":2,\"a\":1}"),
                &recorded
            ),
            None
        );
        assert!(differs(
            &request("http://h:1/v3/p/tracker?a=2", "{\"a\":1,\"b\":2}"),
            &recorded
        )
        .is_some());
        assert!(differs(
            &request("http://h:1/v3/p/tracker?a=1", "{\"a\":1}"),
            &recorded
        )
        .is_some());
    }
}
