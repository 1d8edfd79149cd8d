//! `cts-conform parity` without its files and exit codes: the rules file read, the two
//! recordings loaded, and refused when they cannot vouch for anything (a recording with no
//! case file) or the rules name what neither has (a case id, an operation the contract
//! does not know); then compared ([`super::compare`]), the rules applied
//! ([`super::rules::apply`]), grouped and scored. A [`Pair`] owns all of it and is shown as
//! a [`render::Outcome`]. Every refusal is a [`ParityError`], one line each.

use std::path::Path;

use crate::contract::Contract;
use crate::cts::Service;
use crate::record::{Recording, ReplayError};

use super::documented::Documented;
use super::explain::{self, Explanation};
use super::group::{self, Group};
use super::render;
use super::rules::{self, Rule, Rules, RulesError};
use super::score::{self, Scores};
use super::{compare, CaseParity, Compare, Comparison};

/// Why two recordings are not compared (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ParityError {
    #[error("cannot read the rules file {file}: {source}")]
    RulesUnreadable {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// One or both recordings cannot be read: one line each ([`ParityError::lines`]).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Recordings(Vec<ReplayError>),
    #[error(
        "{dir} holds no case file: nothing to compare (a run that selected no case, or a \
         recording whose case files were removed)"
    )]
    NoCase { dir: String },
    /// The rules file names case ids neither recording has or operations the contract
    /// does not know.
    #[error("{file}: {}", .unknown.join("; "))]
    Unknown { file: String, unknown: Vec<String> },
}

impl ParityError {
    /// The error as lines to show, each a whole message: one per unreadable recording,
    /// otherwise one.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ParityError::Recordings(errors) => errors.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// What to compare, as the command line gives it.
#[derive(Debug, Clone, Copy)]
pub struct PairSpec<'a> {
    /// The two recordings' directories; they are named as given.
    pub a: &'a Path,
    pub b: &'a Path,
    /// The rules file (`--baseline`), if any.
    pub rules: Option<&'a Path>,
    /// Which differences the verdict judges (`--compare`).
    pub compare: Compare,
}

/// Two recordings compared: the recordings, the rules, and what came of them.
#[derive(Debug)]
pub struct Pair {
    names: (String, String),
    a: Recording,
    b: Recording,
    rules: Rules,
    compare: Compare,
    explanation: Explanation,
    cases: Vec<CaseParity>,
    groups: Vec<Group>,
    scores: Scores,
    /// The accepted rules that matched no difference.
    unused_rules: Vec<Rule>,
}

impl Pair {
    /// Reads the rules and both recordings of `spec` and compares them: bodies' fields
    /// judged documented by `contract`, run prefixes masked as `service` writes them.
    pub fn compare(
        spec: &PairSpec,
        contract: &Contract,
        service: &dyn Service,
    ) -> Result<Pair, ParityError> {
        let (rules, rules_file) = match spec.rules {
            None => (Rules::default(), String::new()),
            Some(path) => {
                let file = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|source| {
                    ParityError::RulesUnreadable {
                        file: file.clone(),
                        source,
                    }
                })?;
                (rules::parse(&file, &text)?, file)
            }
        };
        let (a, b) = match (Recording::load(spec.a), Recording::load(spec.b)) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                return Err(ParityError::Recordings(
                    [a.err(), b.err()].into_iter().flatten().collect(),
                ))
            }
        };
        // Two empty recordings are not "the same": there is nothing to vouch for.
        for (dir, recording) in [(spec.a, &a), (spec.b, &b)] {
            if recording.cases.is_empty() {
                return Err(ParityError::NoCase {
                    dir: dir.display().to_string(),
                });
            }
        }
        let unknown = rules.unknown(
            |id| a.cases.contains_key(id) || b.cases.contains_key(id),
            |op| contract.operation(op).is_some(),
        );
        if !unknown.is_empty() {
            return Err(ParityError::Unknown {
                file: rules_file,
                unknown,
            });
        }
        let names = (spec.a.display().to_string(), spec.b.display().to_string());
        let explanation = explain::explain(&a, &b, (&names.0, &names.1));
        let documented = Documented::new(contract);
        let how = Comparison {
            documented: &documented,
            service,
            normalisers: &rules.normalisers,
        };
        let mut cases = compare(&a, &b, &how, &explanation.not_selected);
        let unused_rules = rules::apply(&mut cases, &rules.accepted)
            .into_iter()
            .cloned()
            .collect();
        let groups = group::groups(&cases);
        let scores = score::scores(&cases);
        Ok(Pair {
            names,
            a,
            b,
            rules,
            compare: spec.compare,
            explanation,
            cases,
            groups,
            scores,
            unused_rules,
        })
    }

    /// What the reports show; [`render::Outcome::ok`] is the verdict.
    pub fn outcome(&self) -> render::Outcome<'_> {
        render::Outcome {
            sides: render::Sides {
                a: (&self.names.0, &self.a.meta),
                b: (&self.names.1, &self.b.meta),
            },
            compare: self.compare,
            explanation: &self.explanation,
            cases: &self.cases,
            groups: &self.groups,
            scores: &self.scores,
            unused_rules: self.unused_rules.iter().collect(),
            // The comparison is over: a normaliser that replaced nothing never will.
            unused_normalisers: self
                .rules
                .normalisers
                .iter()
                .filter(|n| n.matched() == 0)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::cts::Cts;
    use crate::record::{RecordedCase, FORMAT};

    /// A recording in `dir/name` whose run passed each case of `ids` (no steps).
    fn recording(dir: &Path, name: &str, ids: &[&str]) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.join("cases")).expect("dir");
        let meta = json!({
            "format": FORMAT, "tool": {"name": "t", "version": "0"},
            "target": {"url": "http://h:1", "kind": "url", "project_id": "p"},
            "run_id": name, "profile": "documented", "partition": null,
            "fingerprint_sha256": "f", "started": "s", "finished": null,
            "config": {"other_project_id": "o", "data_buckets": [], "obs_buckets": [],
                       "allow_mutations": false, "max_retries": 5, "timeout_ms": 1,
                       "max_response_bytes": 1, "credentials": "none"}
        });
        std::fs::write(path.join("run.json"), meta.to_string()).expect("run.json");
        for id in ids {
            let case = RecordedCase {
                format: FORMAT,
                id: id.to_string(),
                file: "s.json".into(),
                leased: BTreeMap::new(),
                verdict: "passed".into(),
                reason: None,
                interrupted: false,
                steps: Vec::new(),
                cleanup: Vec::new(),
            };
            let file = path.join("cases").join(crate::record::case_file_name(id));
            std::fs::write(file, serde_json::to_string(&case).expect("case")).expect("case");
        }
        path
    }

    fn spec<'a>(a: &'a Path, b: &'a Path, rules: Option<&'a Path>) -> PairSpec<'a> {
        PairSpec {
            a,
            b,
            rules,
            compare: Compare::Documented,
        }
    }

    fn compared(spec: &PairSpec) -> Result<Pair, ParityError> {
        Pair::compare(spec, Contract::embedded(), &Cts)
    }

    #[test]
    fn a_recording_without_a_case_is_refused_not_the_same() {
        let dir = tempfile::tempdir().expect("dir");
        let a = recording(dir.path(), "a", &["s::a"]);
        let b = recording(dir.path(), "b", &[]);
        let error = compared(&spec(&a, &b, None)).expect_err("refused");
        assert_eq!(
            error.to_string(),
            format!(
                "{} holds no case file: nothing to compare (a run that selected no case, or \
                 a recording whose case files were removed)",
                b.display()
            )
        );
    }

    #[test]
    fn each_unreadable_recording_is_one_line() {
        let dir = tempfile::tempdir().expect("dir");
        let (a, b) = (dir.path().join("no-a"), dir.path().join("no-b"));
        let error = compared(&spec(&a, &b, None)).expect_err("refused");
        let lines = error.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("no-a"), "{lines:?}");
        assert!(lines[1].contains("no-b"), "{lines:?}");
        let good = recording(dir.path(), "good", &["s::a"]);
        let error = compared(&spec(&good, &b, None)).expect_err("refused");
        assert_eq!(error.lines(), [error.to_string()]);
    }

    #[test]
    fn rules_naming_what_neither_recording_has_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let a = recording(dir.path(), "a", &["s::a"]);
        let rules = dir.path().join("rules.json");
        std::fs::write(
            &rules,
            r#"{"accepted": [{"pattern": "**", "cases": ["s::a", "s::nope"],
                              "operations": ["NoSuchOperation"], "reason": "x"}]}"#,
        )
        .expect("rules");
        let error = compared(&spec(&a, &a, Some(&rules))).expect_err("refused");
        assert_eq!(
            error.to_string(),
            format!(
                "{}: accepted[0]: unknown case \"s::nope\" (in neither recording); \
                 accepted[0]: unknown operation \"NoSuchOperation\" (not in the contract)",
                rules.display()
            )
        );
        let missing = dir.path().join("missing.json");
        let error = compared(&spec(&a, &a, Some(&missing))).expect_err("refused");
        assert!(error.to_string().starts_with(&format!(
            "cannot read the rules file {}: ",
            missing.display()
        )));
    }

    #[test]
    fn a_case_on_one_side_only_and_an_unused_rule_fail_the_comparison() {
        let dir = tempfile::tempdir().expect("dir");
        let a = recording(dir.path(), "a", &["s::a"]);
        let b = recording(dir.path(), "b", &["s::a"]);
        let same = compared(&spec(&a, &b, None)).expect("compared");
        assert!(same.outcome().ok());
        let more = recording(dir.path(), "more", &["s::a", "s::b"]);
        let differs = compared(&spec(&a, &more, None)).expect("compared");
        assert!(!differs.outcome().ok());
        assert_eq!(differs.outcome().cases.len(), 2);
        let rules = dir.path().join("rules.json");
        std::fs::write(
            &rules,
            r#"{"accepted": [{"pattern": "**/error_msg", "reason": "worded otherwise"}]}"#,
        )
        .expect("rules");
        let unused = compared(&spec(&a, &b, Some(&rules))).expect("compared");
        let outcome = unused.outcome();
        assert_eq!(outcome.unused_rules.len(), 1);
        assert!(!outcome.ok());
    }
}
