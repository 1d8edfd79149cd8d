//! Where violations go: one JSON Lines record each, written (and flushed) as it
//! happens, and counted per direction, operation and rule for the summary printed at
//! shutdown. Every line passes a [`Redactor`] of the secrets the sink was given.
//!
//! What is written is bounded ([`SinkLimits`]), whatever a client sends: at most
//! `per_request` records of one request (then one record, rule [`OMITTED_RULE`], saying
//! how many more were left out), and at most `max_file_bytes` in the file (then one
//! last record, rule [`FILE_FULL_RULE`], and nothing more; the summary still counts
//! all). An existing file is appended to, never truncated.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{Direction, Violation};
use crate::auth::Redactor;

type Counts = BTreeMap<(Direction, String, String), u64>;

/// The rule of the record standing for the violations of a request past the limit.
pub const OMITTED_RULE: &str = "more-violations-omitted";
/// The rule of the last record of a file that reached its size cap.
pub const FILE_FULL_RULE: &str = "violations-file-full";
/// Default of [`SinkLimits::per_request`].
pub const DEFAULT_PER_REQUEST: u64 = 100;
/// Default of [`SinkLimits::max_file_bytes`] (64 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Room kept for the last record of a full file.
const LAST_LINE_ROOM: u64 = 1024;

/// How much a sink writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkLimits {
    /// Records of one request (one [`ViolationSink::record`] call), not counting the
    /// one that says how many more there were.
    pub per_request: u64,
    /// Bytes in the file, counting what it held before.
    pub max_file_bytes: u64,
}

impl Default for SinkLimits {
    fn default() -> Self {
        Self {
            per_request: DEFAULT_PER_REQUEST,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

struct Inner {
    out: Option<Box<dyn Write + Send>>,
    counts: Counts,
    /// The first write error, reported in the summary (writing goes on counting).
    error: Option<String>,
    /// Bytes in the file so far.
    written: u64,
    /// The size cap was reached: the last line is written, nothing more will be.
    full: bool,
}

/// A shared, cheap-to-clone writer of violation records and their counts.
/// Clones write to the same file; two sinks are equal when they are the same sink.
#[derive(Clone)]
pub struct ViolationSink {
    inner: Arc<Mutex<Inner>>,
    redactor: Redactor,
    name: String,
    limits: SinkLimits,
}

impl fmt::Debug for ViolationSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ViolationSink")
            .field("file", &self.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ViolationSink {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for ViolationSink {}

impl ViolationSink {
    /// Opens `path` to append to (creating it); `secrets` are redacted from every line.
    pub fn append<S: AsRef<str>>(
        path: &Path,
        secrets: impl IntoIterator<Item = S>,
        limits: SinkLimits,
    ) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let existing = file.metadata()?.len();
        let sink = Self::build(
            Some(Box::new(BufWriter::new(file))),
            secrets,
            path.display().to_string(),
        )
        .with_limits(limits);
        sink.lock().written = existing;
        Ok(sink)
    }

    /// The same sink with other limits.
    pub fn with_limits(mut self, limits: SinkLimits) -> Self {
        self.limits = limits;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A sink that only counts (for `--strict-requests` without a file).
    pub fn counting_only() -> Self {
        Self::build(None, Vec::<String>::new(), String::new())
    }

    /// A sink writing to any writer (tests).
    pub fn to_writer(out: impl Write + Send + 'static) -> Self {
        Self::build(Some(Box::new(out)), Vec::<String>::new(), "(writer)".into())
    }

    fn build<S: AsRef<str>>(
        out: Option<Box<dyn Write + Send>>,
        secrets: impl IntoIterator<Item = S>,
        name: String,
    ) -> Self {
        ViolationSink {
            inner: Arc::new(Mutex::new(Inner {
                out,
                counts: Counts::new(),
                error: None,
                written: 0,
                full: false,
            })),
            redactor: Redactor::new(secrets),
            name,
            limits: SinkLimits::default(),
        }
    }

    /// Counts `violations` (those of one request) and writes them within the limits.
    pub fn record(&self, violations: &[Violation]) {
        if violations.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for v in violations {
            let key = (
                v.direction,
                v.operation.clone().unwrap_or_else(|| "-".into()),
                v.rule.clone(),
            );
            *inner.counts.entry(key).or_default() += 1;
        }
        if inner.out.is_none() || inner.full {
            return;
        }
        let shown = usize::try_from(self.limits.per_request).unwrap_or(usize::MAX);
        for v in violations.iter().take(shown) {
            self.write(&mut inner, v);
        }
        if let Some(first_left_out) = violations.get(shown) {
            let more = violations.len() - shown;
            let mut omitted = first_left_out.clone();
            omitted.rule = OMITTED_RULE.into();
            omitted.pointer = String::new();
            omitted.value = None;
            omitted.doc_row = None;
            omitted.message = format!(
                "and {more} more violation(s) of this request, left out (at most {shown} \
                 are written per request; the summary counts all)"
            );
            self.write(&mut inner, &omitted);
        }
    }

    /// Writes one record, unless the file is full; the record that would pass the cap
    /// is replaced by the file's last line.
    fn write(&self, inner: &mut Inner, v: &Violation) {
        if inner.full {
            return;
        }
        let mut line = match serde_json::to_string(v) {
            Ok(line) => self.redactor.redact(&line).into_owned(),
            Err(e) => format!("{{\"error\":{:?}}}", e.to_string()),
        };
        line.push('\n');
        let cap = self.limits.max_file_bytes;
        if inner.written + line.len() as u64 + LAST_LINE_ROOM > cap {
            inner.full = true;
            let mut last = v.clone();
            last.rule = FILE_FULL_RULE.into();
            last.pointer = String::new();
            last.value = None;
            last.doc_row = None;
            last.message = format!(
                "the violations file reached its cap of {cap} bytes: later violations are \
                 only counted in the summary"
            );
            line = serde_json::to_string(&last).unwrap_or_default();
            line.push('\n');
        }
        let Inner {
            out,
            error,
            written,
            ..
        } = inner;
        let Some(out) = out.as_mut() else { return };
        match out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => *written += line.len() as u64,
            Err(e) => {
                error.get_or_insert_with(|| e.to_string());
            }
        }
    }

    /// How many violations were recorded.
    pub fn total(&self) -> u64 {
        self.lock_counts().values().sum()
    }

    fn lock_counts(&self) -> Counts {
        match self.inner.lock() {
            Ok(inner) => inner.counts.clone(),
            Err(poisoned) => poisoned.into_inner().counts.clone(),
        }
    }

    /// The summary: a total line, then one line per direction, operation and rule.
    pub fn summary(&self) -> String {
        let counts = self.lock_counts();
        let total: u64 = counts.values().sum();
        let mut out = format!("violations: {total}");
        if !self.name.is_empty() {
            out.push_str(&format!(" (written to {})", self.name));
        }
        out.push('\n');
        for ((direction, operation, rule), n) in &counts {
            let direction = match direction {
                Direction::Request => "request",
                Direction::Response => "response",
            };
            out.push_str(&format!(
                "  {direction:<8} {operation:<14} {rule:<22} {n}\n"
            ));
        }
        let (error, full) = {
            let inner = self.lock();
            (inner.error.clone(), inner.full)
        };
        if full {
            out.push_str(&format!(
                "  (the file reached its cap of {} bytes; later violations are counted here only)\n",
                self.limits.max_file_bytes
            ));
        }
        if let Some(error) = error {
            out.push_str(&format!("  (writing the file failed: {error})\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violations::Location;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_counts_summary_and_redaction() {
        let out = Shared::default();
        let mut sink = ViolationSink::to_writer(out.clone());
        sink.redactor = Redactor::new(["SKsecretvalue"]);
        let v = Violation::new(Location::Body, "/a", "type", "SKsecretvalue leaked").stamp(
            time::OffsetDateTime::UNIX_EPOCH,
            Direction::Request,
            Some("CreateTracker"),
            None,
        );
        sink.record(&[v.clone(), v]);
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("UTF-8");
        assert_eq!(text.lines().count(), 2);
        assert!(!text.contains("SKsecretvalue"), "{text}");
        assert_eq!(sink.total(), 2);
        let summary = sink.summary();
        assert!(summary.starts_with("violations: 2"), "{summary}");
        assert!(
            summary.contains("CreateTracker") && summary.contains("type"),
            "{summary}"
        );
        assert_eq!(sink.clone(), sink);
        assert_ne!(ViolationSink::counting_only(), sink);
    }

    fn violation(n: usize) -> Violation {
        Violation::new(
            Location::Body,
            format!("/k{n}"),
            "additionalProperties",
            "unknown",
        )
        .stamp(
            time::OffsetDateTime::UNIX_EPOCH,
            Direction::Request,
            Some("CreateTracker"),
            None,
        )
    }

    #[test]
    fn a_request_writes_at_most_n_records_and_one_that_counts_the_rest() {
        let out = Shared::default();
        let sink = ViolationSink::to_writer(out.clone()).with_limits(SinkLimits {
            per_request: 3,
            max_file_bytes: u64::MAX,
        });
        let many: Vec<Violation> = (0..10).map(violation).collect();
        sink.record(&many);
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[3].contains(OMITTED_RULE) && lines[3].contains("and 7 more"),
            "{text}"
        );
        assert_eq!(sink.total(), 10);
    }

    #[test]
    fn a_full_file_ends_with_one_clear_line() {
        let out = Shared::default();
        let sink = ViolationSink::to_writer(out.clone()).with_limits(SinkLimits {
            per_request: u64::MAX,
            max_file_bytes: 4096,
        });
        for n in 0..100 {
            sink.record(&[violation(n)]);
        }
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("UTF-8");
        assert!(text.len() <= 4096, "{}", text.len());
        let last = text.lines().last().expect("lines");
        assert!(last.contains(FILE_FULL_RULE), "{last}");
        assert_eq!(text.matches(FILE_FULL_RULE).count(), 1);
        assert_eq!(sink.total(), 100);
        assert!(
            sink.summary().contains("reached its cap"),
            "{}",
            sink.summary()
        );
    }

    #[test]
    fn an_existing_file_is_appended_to() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("v.jsonl");
        std::fs::write(&path, "{\"earlier\":1}\n").expect("writes");
        let sink = ViolationSink::append(&path, Vec::<String>::new(), SinkLimits::default())
            .expect("opens");
        sink.record(&[violation(1)]);
        let text = std::fs::read_to_string(&path).expect("reads");
        assert!(text.starts_with("{\"earlier\":1}\n"), "{text}");
        assert_eq!(text.lines().count(), 2);
    }
}
