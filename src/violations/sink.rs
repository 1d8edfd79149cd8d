//! Where violations go: one JSON Lines record each, written (and flushed) as it
//! happens, and counted per direction, operation and rule for the summary printed at
//! shutdown. Every line passes a [`Redactor`] of the secrets the sink was given.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{Direction, Violation};
use crate::auth::Redactor;

type Counts = BTreeMap<(Direction, String, String), u64>;

struct Inner {
    out: Option<Box<dyn Write + Send>>,
    counts: Counts,
    /// The first write error, reported in the summary (writing goes on counting).
    error: Option<String>,
}

/// A shared, cheap-to-clone writer of violation records and their counts.
/// Clones write to the same file; two sinks are equal when they are the same sink.
#[derive(Clone)]
pub struct ViolationSink {
    inner: Arc<Mutex<Inner>>,
    redactor: Redactor,
    name: String,
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
    /// Creates (or truncates) `path`; `secrets` are redacted from every line.
    pub fn create<S: AsRef<str>>(
        path: &Path,
        secrets: impl IntoIterator<Item = S>,
    ) -> io::Result<Self> {
        let file = File::create(path)?;
        Ok(Self::build(
            Some(Box::new(BufWriter::new(file))),
            secrets,
            path.display().to_string(),
        ))
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
            })),
            redactor: Redactor::new(secrets),
            name,
        }
    }

    /// Writes and counts `violations`.
    pub fn record(&self, violations: &[Violation]) {
        if violations.is_empty() {
            return;
        }
        let mut inner = match self.inner.lock() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        };
        let Inner { out, counts, error } = &mut *inner;
        for v in violations {
            let key = (
                v.direction,
                v.operation.clone().unwrap_or_else(|| "-".into()),
                v.rule.clone(),
            );
            *counts.entry(key).or_default() += 1;
            let Some(out) = out.as_mut() else { continue };
            let line = match serde_json::to_string(v) {
                Ok(line) => self.redactor.redact(&line).into_owned(),
                Err(e) => format!("{{\"error\":{:?}}}", e.to_string()),
            };
            if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
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
        let error = match self.inner.lock() {
            Ok(inner) => inner.error.clone(),
            Err(poisoned) => poisoned.into_inner().error.clone(),
        };
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
}
