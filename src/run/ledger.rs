//! The ledger: what a run created on its target, so that exactly that — and nothing
//! else — is removed, by the case's own cleanup, or later by `cts-conform sweep` after a
//! crash or a second Ctrl-C.
//!
//! Each resource a step creates (a 2xx answer to a step with `creates`) is appended as a
//! `created` line *before* the response is checked; each removal (the case deleted it, or
//! the automatic cleanup did) as a `removed` line. The file is JSON Lines, each line
//! written to it (one unbuffered write) as it happens, appended to across runs. What is
//! outstanding is `created` minus `removed`.
//!
//! A run opens its ledger file and writes a `started` line before its first request
//! ([`Ledger::begin`]), so a ledger that cannot be written stops the run before anything
//! is created. The file survives damage: a line that does not parse (torn by a full disk,
//! edited by hand) is reported with its file:line and skipped, every other line still
//! counts ([`read`]); a file whose last line lacks its newline gets one before the next
//! line, so what a run appends never runs on into a broken line.
//!
//! The ledger does not know what it keeps: a resource is its target, project and the
//! names it was created with, written as flat members of the line
//! (`{"event":"created",...,"project_id":"P","tracker_name":"N","tracker_type":"data"}`
//! for a CTS tracker). [`crate::cts`] says what the names mean: how the resource is
//! removed and whether they prove the run made it.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::cts::Service;

/// Something this harness created: everything needed to remove it again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resource {
    /// The base URL of the target it was created on.
    pub target: String,
    pub project_id: String,
    /// The names the target knows it by, as the step's `creates` gave them with its
    /// variables expanded ([`crate::cts::Service::created_names`]). Flat members of a ledger line,
    /// so no name may be called like another member (`event`, `target`, ...).
    #[serde(flatten)]
    pub names: BTreeMap<String, String>,
}

/// One line of the ledger file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub event: Event,
    pub run_id: String,
    /// The case that created it.
    pub case: String,
    #[serde(flatten)]
    pub resource: Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// A run began writing to this ledger (its target and project; no names): written
    /// before the run's first request, it proves the file takes lines.
    Started,
    /// A create is about to be sent; its answer may never arrive (timeout, crash).
    Intent,
    /// The target answered the create with 2xx.
    Created,
    /// The target answered the create with an error: nothing was created.
    Abandoned,
    /// The tracker is gone.
    Removed,
}

/// Why the ledger file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot open the ledger {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the ledger {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a ledger line ({reason}); skipped")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// The run's ledger: in memory always, mirrored to a file when one is given.
#[derive(Debug)]
pub struct Ledger {
    run_id: String,
    /// Says whether a resource's names prove the run made it.
    service: Arc<dyn Service>,
    /// The file, opened (created if missing) on the first line written, so a run that
    /// creates nothing (`--list`, an unreachable target) leaves no file behind.
    file: Option<LedgerFile>,
    /// The entries of each case still running or with something left to remove (a case
    /// that removed all it created is forgotten: [`Ledger::settle`]), so memory and the
    /// per-case look-ups stay small however long the run.
    entries: Mutex<HashMap<String, Vec<Entry>>>,
}

/// The ledger's file, opened once for appending. Lines are written without a lock of this
/// process: each is one `write` to a file opened with `O_APPEND`, which the system appends
/// whole, as it does for two runs appending to one ledger at once; runner threads do not
/// wait for each other's writes.
#[derive(Debug)]
struct LedgerFile {
    path: PathBuf,
    handle: OnceLock<File>,
    /// Held only while the file is opened, so that it is opened once.
    opening: Mutex<()>,
    /// The file did not end with a newline when opened (its last line was cut short):
    /// the first line appended starts with one.
    unterminated: std::sync::atomic::AtomicBool,
    /// The file did not exist before [`Ledger::begin`] made it, which wrote this many
    /// bytes: [`Ledger::discard_unused`] may remove it.
    made_by_begin: Mutex<Option<u64>>,
}

impl LedgerFile {
    fn new(path: &Path) -> Self {
        LedgerFile {
            path: path.to_path_buf(),
            handle: OnceLock::new(),
            opening: Mutex::new(()),
            unterminated: std::sync::atomic::AtomicBool::new(false),
            made_by_begin: Mutex::new(None),
        }
    }

    fn handle(&self) -> Result<&File, LedgerError> {
        if let Some(file) = self.handle.get() {
            return Ok(file);
        }
        let _opening = self
            .opening
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(file) = self.handle.get() {
            return Ok(file);
        }
        let opened = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|source| LedgerError::Open {
                path: self.path.clone(),
                source,
            })?;
        if ends_unterminated(&self.path) {
            self.unterminated
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(self.handle.get_or_init(|| opened))
    }

    /// Appends `line` (one JSON line with its newline) in one write; after a last line
    /// without its newline, that newline first (in the same write).
    fn append(&self, line: &str) -> Result<(), LedgerError> {
        let mut file = self.handle()?;
        let line = if self
            .unterminated
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            std::borrow::Cow::Owned(format!("\n{line}"))
        } else {
            std::borrow::Cow::Borrowed(line)
        };
        file.write_all(line.as_bytes())
            .map_err(|source| LedgerError::Write {
                path: self.path.clone(),
                source,
            })
    }
}

/// Whether the file at `path` is not empty and its last byte is not a newline. A file
/// that cannot be read counts as terminated (the write will say what is wrong).
fn ends_unterminated(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return false;
    };
    if len == 0 || !file.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

impl Ledger {
    /// A ledger kept in memory only (the embedded target vanishes with the run).
    pub fn in_memory(run_id: &str, service: Arc<dyn Service>) -> Self {
        Ledger {
            run_id: run_id.to_string(),
            service,
            file: None,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// A ledger appended to `path`; the file is created with its first line. Fails now
    /// if the file could never be written (its folder does not exist).
    pub fn with_file(
        run_id: &str,
        path: &Path,
        service: Arc<dyn Service>,
    ) -> Result<Self, LedgerError> {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(LedgerError::Open {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "its folder does not exist",
                ),
            });
        }
        Ok(Ledger {
            file: Some(LedgerFile::new(path)),
            ..Ledger::in_memory(run_id, service)
        })
    }

    /// Re-opens a ledger file to continue it (as `sweep` does): `known` entries are held
    /// in memory as already written, new lines are appended.
    pub fn resume(
        run_id: &str,
        path: &Path,
        known: Vec<Entry>,
        service: Arc<dyn Service>,
    ) -> Result<Self, LedgerError> {
        let ledger = Ledger::with_file(run_id, path, service)?;
        let mut by_case: HashMap<String, Vec<Entry>> = HashMap::new();
        for entry in known {
            by_case.entry(entry.case.clone()).or_default().push(entry);
        }
        *ledger
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = by_case;
        Ok(ledger)
    }

    /// The file path, if the ledger has one.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|file| file.path.as_path())
    }

    /// Opens the ledger's file and writes the run's `started` line (for `target` and
    /// `project_id`): called before the run's first request, so that a file that cannot
    /// be written (no space, no permission) stops the run before anything is created. A
    /// ledger in memory has nothing to open.
    pub fn begin(&self, target: &str, project_id: &str) -> Result<(), LedgerError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let entry = Entry {
            event: Event::Started,
            run_id: self.run_id.clone(),
            case: String::new(),
            resource: Resource {
                target: target.to_string(),
                project_id: project_id.to_string(),
                names: BTreeMap::new(),
            },
        };
        let mut line = serde_json::to_string(&entry).unwrap_or_default();
        line.push('\n');
        let existed = file.path.exists();
        file.append(&line)?;
        if !existed {
            *file
                .made_by_begin
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(line.len() as u64);
        }
        Ok(())
    }

    /// Removes the file [`Ledger::begin`] made if it holds only the line `begin` wrote (a
    /// run that ended before sending anything leaves no file behind).
    pub fn discard_unused(&self) {
        let Some(file) = &self.file else {
            return;
        };
        let made = *file
            .made_by_begin
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let untouched = std::fs::metadata(&file.path).is_ok_and(|m| Some(m.len()) == made);
        if untouched {
            let _ = std::fs::remove_file(&file.path);
        }
    }

    /// Every resource the run created that is still outstanding: what its cases could
    /// not remove (their cleanup failed), in the order the cases ended. At the end of a
    /// run, what is left on the target because of it.
    pub fn leftovers(&self) -> Vec<Resource> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut cases: Vec<&String> = entries.keys().collect();
        cases.sort();
        cases
            .into_iter()
            .flat_map(|case| outstanding(&entries[case], &*self.service))
            .collect()
    }

    /// Records that `case` is about to send a create of `resource`.
    pub fn intent(&self, case: &str, resource: Resource) -> Result<(), LedgerError> {
        self.append(Event::Intent, case, resource)
    }

    /// Records that the create of `resource` was refused (nothing to remove).
    pub fn abandoned(&self, case: &str, resource: Resource) -> Result<(), LedgerError> {
        self.append(Event::Abandoned, case, resource)
    }

    /// Records that `case` created `resource`.
    pub fn created(&self, case: &str, resource: Resource) -> Result<(), LedgerError> {
        self.append(Event::Created, case, resource)
    }

    /// Records that `resource` is gone.
    pub fn removed(&self, case: &str, resource: Resource) -> Result<(), LedgerError> {
        self.append(Event::Removed, case, resource)
    }

    /// Memory first, then the file: when the file cannot be written the entry is still
    /// known to this run, so its automatic cleanup still removes what it names.
    fn append(&self, event: Event, case: &str, resource: Resource) -> Result<(), LedgerError> {
        let entry = Entry {
            event,
            run_id: self.run_id.clone(),
            case: case.to_string(),
            resource,
        };
        // The line is written only where there is a file (an in-memory ledger skips it).
        let line = self.file.as_ref().map(|_| {
            let mut line = serde_json::to_string(&entry).unwrap_or_default();
            line.push('\n');
            line
        });
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(entry.case.clone())
            .or_default()
            .push(entry);
        if let (Some(file), Some(line)) = (&self.file, line) {
            file.append(&line)?;
        }
        Ok(())
    }

    /// What `case` created and has not removed yet, oldest first.
    pub fn outstanding_for(&self, case: &str) -> Vec<Resource> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(case)
            .map_or_else(Vec::new, |e| outstanding(e, &*self.service))
    }

    /// Forgets `case` in memory once nothing it created is left (its lines stay in the
    /// file); returns whether it was forgotten.
    pub fn settle(&self, case: &str) -> bool {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let done = entries
            .get(case)
            .is_none_or(|e| outstanding(e, &*self.service).is_empty());
        if done {
            entries.remove(case);
        }
        done
    }
}

/// What the ledger knows of one resource, after reading its lines in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A create was sent and never answered: it may exist.
    Maybe,
    Exists,
    Gone,
}

/// The state of each resource, with the entry that last touched it, in first-seen order.
fn states<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<(&'a Entry, State)> {
    let mut order: Vec<&Resource> = Vec::new();
    let mut table: BTreeMap<&Resource, (&Entry, State)> = BTreeMap::new();
    for entry in entries {
        let previous = table.get(&entry.resource).map(|(_, s)| *s);
        let state = match (entry.event, previous) {
            (Event::Intent, Some(State::Exists)) => State::Exists,
            (Event::Intent, _) => State::Maybe,
            (Event::Created, _) => State::Exists,
            (Event::Abandoned, Some(State::Exists)) => State::Exists,
            (Event::Abandoned | Event::Removed, _) => State::Gone,
            // Names no resource.
            (Event::Started, _) => continue,
        };
        if previous.is_none() {
            order.push(&entry.resource);
        }
        table.insert(&entry.resource, (entry, state));
    }
    order
        .into_iter()
        .filter_map(|r| table.get(r).copied())
        .collect()
}

/// Whether the names of `entry`'s resource prove that the run that wrote it created it.
fn named_by_its_run(entry: &Entry, service: &dyn Service) -> bool {
    service.named_by_run(&entry.resource.names, &entry.run_id)
}

/// What to remove: resources the target said it created and did not delete since, and
/// resources whose create was never answered if their names prove the run made them.
pub fn outstanding<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    service: &dyn Service,
) -> Vec<Resource> {
    states(entries)
        .into_iter()
        .filter(|(entry, state)| {
            *state == State::Exists || (*state == State::Maybe && named_by_its_run(entry, service))
        })
        .map(|(entry, _)| entry.resource.clone())
        .collect()
}

/// Resources whose create was never answered and whose names do not prove the run made
/// them (e.g. the management tracker `system`): never removed automatically; a person
/// must look.
pub fn unconfirmed<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    service: &dyn Service,
) -> Vec<Resource> {
    states(entries)
        .into_iter()
        .filter(|(entry, state)| *state == State::Maybe && !named_by_its_run(entry, service))
        .map(|(entry, _)| entry.resource.clone())
        .collect()
}

/// A ledger file as read: its entries, and the lines that are not ledger lines
/// (reported, skipped).
#[derive(Debug, Default)]
pub struct ReadLedger {
    pub entries: Vec<Entry>,
    /// One [`LedgerError::Parse`] per line skipped, with its file:line.
    pub skipped: Vec<LedgerError>,
}

/// Reads a ledger file. A line that does not parse (torn, not UTF-8, not a ledger line)
/// is skipped and reported in [`ReadLedger::skipped`]; every other line counts. Fails
/// only when the file cannot be read at all.
pub fn read(path: &Path) -> Result<ReadLedger, LedgerError> {
    let file = File::open(path).map_err(|source| LedgerError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut read = ReadLedger::default();
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let got = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| LedgerError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        if got == 0 {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(&line) {
            Ok(entry) => read.entries.push(entry),
            Err(e) => read.skipped.push(LedgerError::Parse {
                path: path.to_path_buf(),
                line: number,
                reason: e.to_string(),
            }),
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cts::Cts;

    fn tracker(name: &str) -> Resource {
        Resource {
            target: "http://t".into(),
            project_id: "p".into(),
            names: BTreeMap::from([
                ("tracker_name".to_string(), name.to_string()),
                ("tracker_type".to_string(), "data".to_string()),
            ]),
        }
    }

    /// A line as the versions before generic resources wrote it (flat tracker fields).
    const FLAT_LINE: &str = r#"{"event":"created","run_id":"r1","case":"c","target":"http://t","project_id":"p","tracker_name":"a","tracker_type":"data"}"#;

    #[test]
    fn lines_read_and_write_as_they_always_did() {
        let entry: Entry = serde_json::from_str(FLAT_LINE).expect("a ledger line");
        assert_eq!(entry.event, Event::Created);
        assert_eq!(entry.resource, tracker("a"));
        // Written exactly as before, so an earlier version still reads what this one wrote.
        assert_eq!(serde_json::to_string(&entry).unwrap(), FLAT_LINE);
    }

    #[test]
    fn outstanding_is_created_minus_removed_in_order() {
        let ledger = Ledger::in_memory("r1", Cts::shared());
        ledger.created("c", tracker("b")).unwrap();
        ledger.created("c", tracker("a")).unwrap();
        ledger.created("other", tracker("x")).unwrap();
        ledger.removed("c", tracker("b")).unwrap();
        assert_eq!(ledger.outstanding_for("c"), [tracker("a")]);
        assert_eq!(ledger.outstanding_for("other"), [tracker("x")]);
    }

    #[test]
    fn an_unanswered_create_is_removed_only_if_its_name_proves_it_ours() {
        let ledger = Ledger::in_memory("r1", Cts::shared());
        let ours = tracker("cc-r1-a");
        ledger.intent("c", ours.clone()).unwrap();
        ledger.intent("c", tracker("system")).unwrap();
        ledger.intent("c", tracker("cc-r1-refused")).unwrap();
        ledger.abandoned("c", tracker("cc-r1-refused")).unwrap();
        ledger.intent("c", tracker("cc-r1-made")).unwrap();
        ledger.created("c", tracker("cc-r1-made")).unwrap();
        assert_eq!(ledger.outstanding_for("c"), [ours, tracker("cc-r1-made")]);
        let entries = ledger.entries.lock().unwrap()["c"].clone();
        assert_eq!(unconfirmed(&entries, &Cts), [tracker("system")]);
    }

    #[test]
    fn lines_written_at_once_by_many_threads_and_two_ledgers_stay_whole() {
        // Eight threads on each of two ledgers of one file (two runs sharing it): every
        // line reads back, none is lost or cut into another.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let ledgers = [
            Ledger::with_file("r1", &path, Cts::shared()).unwrap(),
            Ledger::with_file("r2", &path, Cts::shared()).unwrap(),
        ];
        std::thread::scope(|scope| {
            for ledger in &ledgers {
                for thread in 0..8 {
                    scope.spawn(move || {
                        for i in 0..100 {
                            let name = format!("t{thread}-{i}-{}", "x".repeat(i * 7));
                            ledger
                                .created(&format!("c{thread}"), tracker(&name))
                                .unwrap();
                        }
                    });
                }
            }
        });
        let entries = read(&path).unwrap().entries;
        assert_eq!(entries.len(), 2 * 8 * 100);
        assert_eq!(
            outstanding(&entries, &Cts).len(),
            2 * 8 * 100 / 2,
            "both runs name the same trackers"
        );
    }

    #[test]
    fn the_file_survives_the_process_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        {
            let ledger = Ledger::with_file("r1", &path, Cts::shared()).unwrap();
            ledger.created("c", tracker("a")).unwrap();
            ledger.created("c", tracker("b")).unwrap();
            ledger.removed("c", tracker("a")).unwrap();
        }
        let entries = read(&path).unwrap().entries;
        assert_eq!(entries.len(), 3);
        assert_eq!(outstanding(&entries, &Cts), [tracker("b")]);
    }

    #[test]
    fn a_line_that_does_not_parse_is_reported_and_skipped_and_the_rest_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        {
            let ledger = Ledger::with_file("r1", &path, Cts::shared()).unwrap();
            for name in ["a", "b", "c"] {
                ledger.created("c", tracker(name)).unwrap();
            }
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Line 2 torn in the middle, a line of bytes that are not UTF-8, a foreign line.
        let damaged = format!(
            "{}\n{}\n\u{0}\u{1}garbage\n{{\"event\": \"made\"}}\n{}\n",
            lines[0],
            &lines[1][..lines[1].len() / 2],
            lines[2]
        );
        let mut bytes = damaged.into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\n");
        std::fs::write(&path, bytes).unwrap();
        let read = read(&path).unwrap();
        assert_eq!(
            outstanding(&read.entries, &Cts),
            [tracker("a"), tracker("c")]
        );
        let skipped: Vec<String> = read.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        for (error, line) in skipped.iter().zip([2, 3, 4, 6]) {
            assert!(
                error.starts_with(&format!("{}:{line}: not a ledger line", path.display())),
                "{error}"
            );
        }
    }

    #[test]
    fn an_append_after_a_line_without_its_newline_starts_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let first = serde_json::to_string(&Entry {
            event: Event::Created,
            run_id: "r0".into(),
            case: "c".into(),
            resource: tracker("old"),
        })
        .unwrap();
        // The last line is whole but lacks its newline (an editor, a cut-off copy).
        std::fs::write(&path, &first).unwrap();
        let ledger = Ledger::with_file("r1", &path, Cts::shared()).unwrap();
        ledger.begin("http://t", "p").unwrap();
        ledger.created("c", tracker("new")).unwrap();
        let read = read(&path).unwrap();
        assert!(read.skipped.is_empty(), "{:?}", read.skipped);
        assert_eq!(
            outstanding(&read.entries, &Cts),
            [tracker("old"), tracker("new")]
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn the_started_line_names_nothing_to_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let ledger = Ledger::with_file("r1", &path, Cts::shared()).unwrap();
        ledger.begin("http://t", "p").unwrap();
        let read = read(&path).unwrap();
        assert_eq!(read.entries.len(), 1);
        assert_eq!(read.entries[0].event, Event::Started);
        assert!(outstanding(&read.entries, &Cts).is_empty());
        assert!(unconfirmed(&read.entries, &Cts).is_empty());
    }

    #[test]
    fn a_ledger_that_cannot_be_written_fails_at_its_start() {
        let full = Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let ledger = Ledger::with_file("r1", full, Cts::shared()).unwrap();
        let error = ledger.begin("http://t", "p").unwrap_err().to_string();
        assert!(
            error.starts_with("cannot write the ledger /dev/full"),
            "{error}"
        );
    }

    #[test]
    fn an_entry_the_file_could_not_take_is_still_known_to_the_run() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: opening it for appending fails.
        let ledger = Ledger::with_file("r1", dir.path(), Cts::shared()).unwrap();
        assert!(ledger.created("c", tracker("cc-r1-a")).is_err());
        assert_eq!(ledger.outstanding_for("c"), [tracker("cc-r1-a")]);
    }

    #[test]
    fn a_settled_case_is_forgotten_only_when_nothing_is_left() {
        let ledger = Ledger::in_memory("r1", Cts::shared());
        let made = tracker("cc-r1-made");
        ledger.intent("c", made.clone()).unwrap();
        ledger.created("c", made.clone()).unwrap();
        assert!(!ledger.settle("c"), "something is left");
        assert_eq!(ledger.outstanding_for("c"), std::slice::from_ref(&made));
        ledger.removed("c", made).unwrap();
        assert!(ledger.settle("c"));
        assert!(ledger.outstanding_for("c").is_empty());
        assert!(ledger.settle("never-seen"));
    }
}
