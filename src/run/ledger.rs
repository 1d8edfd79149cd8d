//! The ledger: what a run created on its target, so that exactly that — and nothing
//! else — is removed, by the case's own cleanup, or later by `cts-conform sweep` after a
//! crash or a second Ctrl-C.
//!
//! Each tracker a step creates (a 2xx answer to a step with `creates`) is appended as a
//! `created` line *before* the response is checked; each removal (the case deleted it, or
//! the automatic cleanup did) as a `removed` line. The file is JSON Lines, flushed after
//! every line, appended to across runs. What is outstanding is `created` minus `removed`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// A tracker this harness created: everything needed to delete it again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resource {
    /// The base URL of the target it was created on.
    pub target: String,
    pub project_id: String,
    pub tracker_name: String,
    pub tracker_type: String,
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
    Created,
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
    #[error("{path}:{line}: not a ledger line ({reason}); was this file written by cts-conform?")]
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
    /// The file, opened (created if missing) on the first line written, so a run that
    /// creates nothing (`--list`, an unreachable target) leaves no file behind.
    file: Option<(PathBuf, Mutex<Option<File>>)>,
    entries: Mutex<Vec<Entry>>,
}

impl Ledger {
    /// A ledger kept in memory only (the embedded target vanishes with the run).
    pub fn in_memory(run_id: &str) -> Self {
        Ledger {
            run_id: run_id.to_string(),
            file: None,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// A ledger appended to `path`; the file is created with its first line. Fails now
    /// if the file could never be written (its folder does not exist).
    pub fn with_file(run_id: &str, path: &Path) -> Result<Self, LedgerError> {
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
            file: Some((path.to_path_buf(), Mutex::new(None))),
            ..Ledger::in_memory(run_id)
        })
    }

    /// Re-opens a ledger file to continue it (as `sweep` does): `known` entries are held
    /// in memory as already written, new lines are appended.
    pub fn resume(run_id: &str, path: &Path, known: Vec<Entry>) -> Result<Self, LedgerError> {
        let ledger = Ledger::with_file(run_id, path)?;
        *ledger
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = known;
        Ok(ledger)
    }

    /// The file path, if the ledger has one.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|(p, _)| p.as_path())
    }

    /// Records that `case` created `resource`.
    pub fn created(&self, case: &str, resource: Resource) -> Result<(), LedgerError> {
        self.append(Event::Created, case, resource)
    }

    /// Records that `resource` is gone.
    pub fn removed(&self, case: &str, resource: Resource) -> Result<(), LedgerError> {
        self.append(Event::Removed, case, resource)
    }

    fn append(&self, event: Event, case: &str, resource: Resource) -> Result<(), LedgerError> {
        let entry = Entry {
            event,
            run_id: self.run_id.clone(),
            case: case.to_string(),
            resource,
        };
        if let Some((path, file)) = &self.file {
            let mut line = serde_json::to_string(&entry).unwrap_or_default();
            line.push('\n');
            let mut slot = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if slot.is_none() {
                let opened = OpenOptions::new().create(true).append(true).open(path);
                *slot = Some(opened.map_err(|source| LedgerError::Open {
                    path: path.clone(),
                    source,
                })?);
            }
            if let Some(file) = slot.as_mut() {
                file.write_all(line.as_bytes())
                    .and_then(|()| file.flush())
                    .map_err(|source| LedgerError::Write {
                        path: path.clone(),
                        source,
                    })?;
            }
        }
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
        Ok(())
    }

    /// What `case` created and has not removed yet, oldest first.
    pub fn outstanding_for(&self, case: &str) -> Vec<Resource> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        outstanding(entries.iter().filter(|e| e.case == case))
    }
}

/// `created` minus `removed`, per resource, keeping first-created order.
pub fn outstanding<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<Resource> {
    let mut balance: BTreeMap<&Resource, (usize, i64)> = BTreeMap::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let slot = balance.entry(&entry.resource).or_insert((i, 0));
        slot.1 += match entry.event {
            Event::Created => 1,
            Event::Removed => -1,
        };
    }
    let mut left: Vec<(usize, &Resource)> = balance
        .into_iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(r, (i, _))| (i, r))
        .collect();
    left.sort();
    left.into_iter().map(|(_, r)| r.clone()).collect()
}

/// Reads a ledger file.
pub fn read(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    let file = File::open(path).map_err(|source| LedgerError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut entries = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| LedgerError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line).map_err(|e| LedgerError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            reason: e.to_string(),
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(name: &str) -> Resource {
        Resource {
            target: "http://t".into(),
            project_id: "p".into(),
            tracker_name: name.into(),
            tracker_type: "data".into(),
        }
    }

    #[test]
    fn outstanding_is_created_minus_removed_in_order() {
        let ledger = Ledger::in_memory("r1");
        ledger.created("c", tracker("b")).unwrap();
        ledger.created("c", tracker("a")).unwrap();
        ledger.created("other", tracker("x")).unwrap();
        ledger.removed("c", tracker("b")).unwrap();
        assert_eq!(ledger.outstanding_for("c"), [tracker("a")]);
        assert_eq!(ledger.outstanding_for("other"), [tracker("x")]);
    }

    #[test]
    fn the_file_survives_the_process_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        {
            let ledger = Ledger::with_file("r1", &path).unwrap();
            ledger.created("c", tracker("a")).unwrap();
            ledger.created("c", tracker("b")).unwrap();
            ledger.removed("c", tracker("a")).unwrap();
        }
        let entries = read(&path).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(outstanding(&entries), [tracker("b")]);
        std::fs::write(&path, "{\"event\": \"made\"}\n").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains(":1: not a ledger line"), "{err}");
    }
}
