//! The corpus of malformed case files in `tests/fixtures/bad-cases/`, each with what the
//! loader must say about it (`NAME.expect` beside `NAME.json`, or beside a directory
//! `NAME/` for problems that span files).
//!
//! `.expect` lines: `at: LINE:COL` (required), `says: TEXT` (one or more; substrings of the
//! message), `pointer: /json/pointer` (semantic errors), `file: NAME` (which file of a
//! directory fixture is blamed), `schema: reject|accept|not-json` (what the case-file JSON
//! Schema must do with it: reject shape errors, accept what only the loader can see).

use std::path::{Path, PathBuf};

use cts_conform::case::{dir_sources, Source};

/// What `schemas/case-file.schema.json` must do with a fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaVerdict {
    Reject,
    Accept,
    NotJson,
}

/// One malformed fixture and its expected error.
#[derive(Debug)]
pub struct BadCase {
    pub name: String,
    pub sources: Vec<Source>,
    /// The file name (no directory) the error must name.
    pub blamed_file: String,
    pub line: usize,
    pub column: usize,
    pub says: Vec<String>,
    pub pointer: Option<String>,
    pub schema: SchemaVerdict,
}

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad-cases")
}

/// Every fixture, sorted by name; panics on a fixture without a well-formed `.expect`.
pub fn all() -> Vec<BadCase> {
    let dir = fixture_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the fixture directory exists")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|n| n.strip_suffix(".expect").map(str::to_string))
        .collect();
    names.sort();
    names.iter().map(|name| read(&dir, name)).collect()
}

fn read(dir: &Path, name: &str) -> BadCase {
    let expect = std::fs::read_to_string(dir.join(format!("{name}.expect"))).unwrap();
    let as_dir = dir.join(name);
    let (sources, default_file) = if as_dir.is_dir() {
        (dir_sources(&as_dir).unwrap(), None)
    } else {
        let path = dir.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{name}.expect has no {name}.json or {name}/: {e}"));
        let source = Source {
            name: path.display().to_string(),
            text,
        };
        (vec![source], Some(format!("{name}.json")))
    };
    let mut case = BadCase {
        name: name.to_string(),
        sources,
        blamed_file: default_file.unwrap_or_default(),
        line: 0,
        column: 0,
        says: Vec::new(),
        pointer: None,
        schema: SchemaVerdict::Accept,
    };
    let mut schema = None;
    for line in expect.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{name}.expect: not `key: value`: {line}"));
        match key {
            "at" => {
                let (l, c) = value.split_once(':').expect("at: LINE:COL");
                case.line = l.parse().expect("a line number");
                case.column = c.parse().expect("a column number");
            }
            "says" => case.says.push(value.to_string()),
            "pointer" => case.pointer = Some(value.to_string()),
            "file" => case.blamed_file = value.to_string(),
            "schema" => {
                schema = Some(match value {
                    "reject" => SchemaVerdict::Reject,
                    "accept" => SchemaVerdict::Accept,
                    "not-json" => SchemaVerdict::NotJson,
                    other => panic!("{name}.expect: unknown schema verdict {other}"),
                })
            }
            other => panic!("{name}.expect: unknown key {other}"),
        }
    }
    assert!(case.line > 0, "{name}.expect has no `at:`");
    assert!(!case.says.is_empty(), "{name}.expect has no `says:`");
    assert!(!case.blamed_file.is_empty(), "{name}.expect needs `file:`");
    case.schema = schema.unwrap_or_else(|| panic!("{name}.expect has no `schema:`"));
    case
}
