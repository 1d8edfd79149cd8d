//! Writing a recording: `run.json` when the run starts and again when it ends, and each
//! case's file as soon as the case finishes, atomically (a temporary file renamed), so a
//! killed run keeps every case it finished.
//!
//! A recording is one run: [`Recorder::create`] refuses a directory that holds anything
//! (old case files beside a new `run.json` would make `replay` and `parity` judge a mix
//! of two runs). [`check_unused`] says so before a run starts; with `--record-overwrite`
//! [`clear`] first removes an earlier recording, and only a recording: a directory with
//! no `run.json`, or with anything a recording does not hold, is never emptied.

use crate::run::event::{Reporter, TestEvent};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use crate::auth::redact::MASK;
use crate::auth::Redactor;
use crate::case::vars::Vars;
use crate::http::exchange::{Exchange, SentRequest};
use crate::outcome::{CaseOutcome, CaseStatus, StepOutcome};

use super::{
    case_file_name, Body, RecordedCase, RecordedFinding, RecordedRequest, RecordedResponse,
    RecordedRetry, RecordedStep, RunMeta, FORMAT,
};

/// Why a recording could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot create the recording {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the recording {path}: {source}")]
    Serialize {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "the recording directory {} is not empty: pass --record-overwrite to replace the \
         recording it holds, or choose a new directory",
        path.display()
    )]
    NotEmpty { path: PathBuf },
    #[error(
        "--record-overwrite: {} is not a recording ({why}); not emptying it: remove it \
         yourself or choose a new directory",
        path.display()
    )]
    NotARecording { path: PathBuf, why: String },
    #[error("cannot read the recording directory {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the recording {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes one run's recording into a directory.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    meta: Mutex<RunMeta>,
    redactor: Redactor,
    /// The first write that failed (said once, then kept for the end of the run).
    failed: Mutex<Option<RecordError>>,
}

/// The recorder is a reporter: each case is written as it finishes.
impl Reporter for Recorder {
    fn event(&self, event: &TestEvent<'_>) {
        if let TestEvent::CaseFinished {
            outcome, leased, ..
        } = event
        {
            self.case_finished(outcome, leased);
        }
    }
}

/// Whether `dir` can take a new recording: it does not exist or is empty, or
/// (`overwrite`) it holds a recording and nothing else ([`clear`] would empty it).
/// Reads only: nothing is written or removed.
pub fn check_unused(dir: &Path, overwrite: bool) -> Result<(), RecordError> {
    if is_unused(dir)? {
        return Ok(());
    }
    if !overwrite {
        return Err(RecordError::NotEmpty {
            path: dir.to_path_buf(),
        });
    }
    recording_entries(dir).map(drop)
}

/// Removes the recording in `dir` (`run.json`, `cases/` and their temporary files),
/// leaving `dir` empty; refuses, removing nothing, a directory that holds anything else.
pub fn clear(dir: &Path) -> Result<(), RecordError> {
    if is_unused(dir)? {
        return Ok(());
    }
    for (path, is_dir) in recording_entries(dir)? {
        let removed = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|source| RecordError::Write { path, source })?;
    }
    Ok(())
}

/// Whether `dir` does not exist or is an empty directory.
fn is_unused(dir: &Path) -> Result<bool, RecordError> {
    let unreadable = |source| RecordError::Read {
        path: dir.to_path_buf(),
        source,
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        // A file in the way: creating the directory says so.
        Err(_) if dir.is_file() => Ok(true),
        Err(e) => Err(unreadable(e)),
    }
}

/// The entries of a directory that holds a recording and nothing else (`(path, is a
/// directory)`): `run.json`, `cases/` with only `*.json` files, and the writer's
/// temporary files (`.NAME.PID-N.tmp`). Anything else, or no `run.json`, is refused.
fn recording_entries(dir: &Path) -> Result<Vec<(PathBuf, bool)>, RecordError> {
    let not_a_recording = |why: String| RecordError::NotARecording {
        path: dir.to_path_buf(),
        why,
    };
    let listed = |path: &Path| -> Result<Vec<(String, std::fs::FileType)>, RecordError> {
        let unreadable = |source| RecordError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let kind = entry.file_type().map_err(unreadable)?;
            entries.push((entry.file_name().to_string_lossy().into_owned(), kind));
        }
        Ok(entries)
    };
    let temporary = crate::atomic_write::is_temporary;
    let mut found = Vec::new();
    let mut has_meta = false;
    for (name, kind) in listed(dir)? {
        let path = dir.join(&name);
        match name.as_str() {
            "run.json" if kind.is_file() => has_meta = true,
            "cases" if kind.is_dir() => {
                for (case, case_kind) in listed(&path)? {
                    if !(case_kind.is_file() && (case.ends_with(".json") || temporary(&case))) {
                        return Err(not_a_recording(format!(
                            "it holds cases/{case}, which a recording does not"
                        )));
                    }
                }
            }
            _ if kind.is_file() && temporary(&name) => {}
            _ => {
                return Err(not_a_recording(format!(
                    "it holds {name}, which a recording does not"
                )))
            }
        }
        found.push((path, kind.is_dir()));
    }
    if !has_meta {
        return Err(not_a_recording("it has no run.json".into()));
    }
    Ok(found)
}

impl Recorder {
    /// Creates `dir` (and `dir/cases`) and writes `run.json` (not finished yet); refuses
    /// a directory that holds anything (see [`clear`]).
    pub fn create(dir: &Path, meta: RunMeta, redactor: Redactor) -> Result<Arc<Self>, RecordError> {
        if !is_unused(dir)? {
            return Err(RecordError::NotEmpty {
                path: dir.to_path_buf(),
            });
        }
        let cases = dir.join("cases");
        std::fs::create_dir_all(&cases).map_err(|source| RecordError::CreateDir {
            path: cases,
            source,
        })?;
        let recorder = Recorder {
            dir: dir.to_path_buf(),
            meta: Mutex::new(meta),
            redactor,
            failed: Mutex::new(None),
        };
        recorder.write_meta()?;
        Ok(Arc::new(recorder))
    }

    /// Records a finished case (errors are said once on stderr and kept for [`Self::finish`]).
    pub fn case_finished(&self, outcome: &CaseOutcome, leased: &Vars) {
        let case = recorded_case(outcome, leased);
        let path = self.dir.join("cases").join(case_file_name(&case.id));
        if let Err(e) = self.write_json(&path, &case) {
            let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
            if failed.is_none() {
                eprintln!("warning: {e}");
                *failed = Some(e);
            }
        }
    }

    /// Writes `run.json` again with the end time; `Err` with the first write of the run
    /// that failed, if any did (it is handed out once).
    pub fn finish(&self, finished: String) -> Result<(), RecordError> {
        self.meta
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .finished = Some(finished);
        self.write_meta()?;
        match self
            .failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn write_meta(&self) -> Result<(), RecordError> {
        let meta = self
            .meta
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        self.write_json(&self.dir.join("run.json"), &meta)
    }

    /// Writes `value` (every string redacted) to `path` through a temporary file.
    fn write_json(&self, path: &Path, value: &impl Serialize) -> Result<(), RecordError> {
        let not_serialized = |source| RecordError::Serialize {
            path: path.to_path_buf(),
            source,
        };
        let mut value = serde_json::to_value(value).map_err(not_serialized)?;
        mask(&mut value, None, &self.redactor);
        let mut text = serde_json::to_string_pretty(&value).map_err(not_serialized)?;
        text.push('\n');
        crate::atomic_write::write_atomically(path, text.as_bytes()).map_err(|source| {
            RecordError::Write {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(())
    }
}

/// The case's recording, before redaction.
pub fn recorded_case(outcome: &CaseOutcome, leased: &Vars) -> RecordedCase {
    let (verdict, reason) = match &outcome.status {
        CaseStatus::Passed => ("passed", None),
        CaseStatus::Failed => ("failed", None),
        CaseStatus::Ignored(reason) => ("ignored", Some(reason.clone())),
    };
    RecordedCase {
        format: FORMAT,
        id: outcome.id.clone(),
        file: outcome.file.clone(),
        leased: leased.clone().into_iter().collect(),
        verdict: verdict.into(),
        reason,
        interrupted: outcome.interrupted,
        steps: outcome.steps.iter().map(recorded_step).collect(),
        cleanup: outcome.cleanup.iter().map(recorded_step).collect(),
    }
}

fn recorded_step(step: &StepOutcome) -> RecordedStep {
    let (request, response, error) = match &step.exchange {
        None => (None, None, None),
        Some(Exchange { request, response }) => {
            let (response, error) = match response {
                Ok(r) => (
                    Some(RecordedResponse {
                        status: r.status,
                        headers: r.headers.clone(),
                        body: Body::of(&r.body),
                        elapsed_ms: r.elapsed.as_millis() as u64,
                    }),
                    None,
                ),
                Err(e) => (None, serde_json::to_value(e).ok()),
            };
            (Some(recorded_request(request)), response, error)
        }
    };
    RecordedStep {
        label: step.label.clone(),
        operation: step.operation.clone(),
        skipped: step.skipped.clone(),
        failed: step.failed(),
        findings: step
            .findings
            .iter()
            .map(|f| RecordedFinding {
                kind: f.kind.label().to_string(),
                summary: f.summary.clone(),
            })
            .collect(),
        retries: step
            .retries
            .iter()
            .map(|r| RecordedRetry {
                status: r.status,
                error_code: r.error_code.clone(),
                waited_ms: r.waited.as_millis() as u64,
                retry_after: r.from_retry_after,
            })
            .collect(),
        request,
        response,
        error,
    }
}

fn recorded_request(request: &SentRequest) -> RecordedRequest {
    RecordedRequest {
        method: request.method.clone(),
        url: request.url.clone(),
        headers: request.headers.clone(),
        body: request.body.as_deref().and_then(Body::of),
    }
}

static SIGNATURE_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(access|signature)(\s*=\s*)[^,\s]+").expect("the pattern is valid")
});

/// A header value as recorded: `X-Auth-Token` is `***`, an `Authorization` value's
/// `Access=` and `Signature=` are `***`, and the redactor has the rest.
pub fn mask_header(name: &str, value: &str, redactor: &Redactor) -> String {
    let name = name.trim();
    if name.eq_ignore_ascii_case("x-auth-token") {
        return MASK.to_string();
    }
    let value = if name.eq_ignore_ascii_case("authorization") {
        SIGNATURE_PARTS
            .replace_all(value, format!("${{1}}${{2}}{MASK}"))
            .into_owned()
    } else {
        value.to_string()
    };
    redactor.redact_header(name, &value).into_owned()
}

/// Masks header pairs (`[name, value]` arrays under a `headers` key) and redacts every
/// other string.
fn mask(value: &mut Value, key: Option<&str>, redactor: &Redactor) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(redacted) = redactor.redact(s) {
                *s = redacted;
            }
        }
        Value::Array(items) if key == Some("headers") => {
            for item in items {
                if let Value::Array(pair) = item {
                    if let [Value::String(name), Value::String(v)] = pair.as_mut_slice() {
                        *v = mask_header(name, v, redactor);
                        continue;
                    }
                }
                mask(item, None, redactor);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, None, redactor)),
        Value::Object(map) => map
            .iter_mut()
            .for_each(|(k, v)| mask(v, Some(k.as_str()), redactor)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> RunMeta {
        serde_json::from_value(serde_json::json!({
            "format": 1, "tool": {"name": "t", "version": "0"},
            "target": {"url": "http://h:1", "kind": "url", "project_id": "p"},
            "run_id": "r", "profile": "documented", "partition": null,
            "fingerprint_sha256": "f", "started": "s", "finished": null,
            "config": {"other_project_id": "o", "data_buckets": [], "obs_buckets": [],
                       "allow_mutations": false, "max_retries": 5, "timeout_ms": 1,
                       "max_response_bytes": 1, "credentials": "none"}
        }))
        .expect("meta")
    }

    #[test]
    fn each_case_is_written_when_it_finishes_and_the_run_when_it_ends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let recorder = Recorder::create(dir.path(), meta(), Redactor::default()).expect("created");
        let read = |name: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(name)).expect("file"))
                .expect("json")
        };
        assert_eq!(read("run.json")["finished"], Value::Null);
        let outcome = CaseOutcome {
            id: "suite::a/b".into(),
            doc: String::new(),
            file: "f.json".into(),
            steps: Vec::new(),
            planned_steps: 0,
            cleanup: Vec::new(),
            status: CaseStatus::Ignored("why".into()),
            interrupted: false,
            duration: std::time::Duration::ZERO,
        };
        recorder.case_finished(&outcome, &Vars::new());
        let case = read("cases/suite__a%2Fb.json");
        assert_eq!(
            (case["id"].as_str(), case["verdict"].as_str()),
            (Some("suite::a/b"), Some("ignored"))
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("cases"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
        recorder.finish("end".into()).expect("finished");
        assert_eq!(read("run.json")["finished"], "end");
    }

    #[test]
    fn a_recording_that_cannot_be_written_names_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").expect("file");
        let error = Recorder::create(&file, meta(), Redactor::default()).expect_err("not a dir");
        let cases = file.join("cases");
        assert!(
            matches!(&error, RecordError::CreateDir { path, .. } if *path == cases),
            "{error:?}"
        );
        assert!(error.to_string().starts_with(&format!(
            "cannot create the recording {}: ",
            cases.display()
        )));

        // A write that fails during the run is said at its end, once.
        let dir = tempfile::tempdir().expect("temp dir");
        let recorder = Recorder::create(dir.path(), meta(), Redactor::default()).expect("created");
        std::fs::remove_dir(dir.path().join("cases")).expect("emptied");
        std::fs::write(dir.path().join("cases"), "").expect("in the way");
        let outcome = CaseOutcome {
            id: "s::a".into(),
            doc: String::new(),
            file: "f.json".into(),
            steps: Vec::new(),
            planned_steps: 0,
            cleanup: Vec::new(),
            status: CaseStatus::Passed,
            interrupted: false,
            duration: std::time::Duration::ZERO,
        };
        recorder.case_finished(&outcome, &Vars::new());
        let error = recorder
            .finish("end".into())
            .expect_err("the case was lost");
        assert!(matches!(error, RecordError::Write { .. }), "{error:?}");
        assert!(recorder.finish("end".into()).is_ok(), "said once");
    }

    #[test]
    fn a_used_directory_is_refused_and_only_a_recording_is_emptied() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rec = dir.path().join("rec");
        check_unused(&rec, false).expect("a new directory is unused");
        let recorder = Recorder::create(&rec, meta(), Redactor::default()).expect("created");
        recorder.finish("end".into()).expect("finished");
        std::fs::write(rec.join("cases/old.json"), "{}").expect("an old case");
        let refused = Recorder::create(&rec, meta(), Redactor::default()).expect_err("used");
        assert!(
            matches!(refused, RecordError::NotEmpty { .. }),
            "{refused:?}"
        );
        assert!(matches!(
            check_unused(&rec, false),
            Err(RecordError::NotEmpty { .. })
        ));
        check_unused(&rec, true).expect("a recording can be overwritten");
        clear(&rec).expect("cleared");
        assert_eq!(std::fs::read_dir(&rec).expect("kept").count(), 0);
        Recorder::create(&rec, meta(), Redactor::default()).expect("created again");

        // Anything a recording does not hold: nothing is removed.
        std::fs::write(rec.join("notes.txt"), "mine").expect("a user's file");
        let refused = clear(&rec).expect_err("not only a recording");
        assert!(refused.to_string().contains("notes.txt"), "{refused}");
        assert!(rec.join("run.json").is_file() && rec.join("notes.txt").is_file());
        // A directory without run.json is not a recording.
        let other = dir.path().join("other");
        std::fs::create_dir_all(other.join("cases")).expect("dirs");
        let refused = check_unused(&other, true).expect_err("no run.json");
        assert!(refused.to_string().contains("no run.json"), "{refused}");
        assert!(other.join("cases").is_dir());
    }

    #[test]
    fn headers_are_masked_whatever_the_redactor_knows() {
        let redactor = Redactor::default();
        assert_eq!(mask_header("X-Auth-Token", "abc", &redactor), "***");
        let signed =
            "SDK-HMAC-SHA256 Access=AKXYZ, SignedHeaders=host;x-sdk-date, Signature=deadbeef";
        let masked = mask_header("Authorization", signed, &redactor);
        assert!(
            !masked.contains("AKXYZ") && !masked.contains("deadbeef"),
            "{masked}"
        );
        assert_eq!(mask_header("Content-Type", "a/b", &redactor), "a/b");
    }

    #[test]
    fn secrets_are_redacted_in_every_string() {
        let redactor = Redactor::new(vec!["SECRETSECRETSECRET".to_string()]);
        let mut value = serde_json::json!({
            "headers": [["X-Auth-Token", "t"], ["X-Other", "a SECRETSECRETSECRET b"]],
            "body": {"text": "{\"k\": \"SECRETSECRETSECRET\"}"},
        });
        mask(&mut value, None, &redactor);
        let text = value.to_string();
        assert!(!text.contains("SECRETSECRETSECRET"), "{text}");
        assert_eq!(value["headers"][0][1], "***");
    }
}
