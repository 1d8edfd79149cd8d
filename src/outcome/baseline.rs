//! The known-failure baseline (`--baseline FILE`): cases known to fail on a target, each
//! with a reason. A listed case that fails is an expected failure and does not fail the
//! run; a listed case that passes fails it ("unexpected pass"), so the baseline shrinks as
//! the target gets fixed. Every listed id must be a case of the suite.
//!
//! ```json
//! {"expected_failures": [{"case": "suite::name", "reason": "why it fails here"}]}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{CaseOutcome, CaseStatus};

use super::Verdict;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    expected_failures: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    case: String,
    reason: String,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not JSON, or not of the baseline's shape.
    #[error(
        "{file}:{}:{}: not a baseline ({source}); expected {{\"expected_failures\": [{{\"case\": \"suite::name\", \"reason\": \"...\"}}]}}",
        source.line(),
        source.column()
    )]
    Malformed {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    /// Entries that name no case of the suite, or a case twice: each on its own line.
    #[error("{}", lines(file, problems))]
    Entries {
        file: String,
        problems: Vec<EntryProblem>,
    },
}

/// What is wrong with one entry of a baseline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("unknown case id {0:?} (see --list for the ids)")]
    UnknownCase(String),
    #[error("case id {0:?} is listed twice")]
    ListedTwice(String),
}

/// One line per problem, each naming the file.
fn lines(file: &str, problems: &[EntryProblem]) -> String {
    problems
        .iter()
        .map(|problem| format!("{file}: {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Case id -> why it is known to fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    expected: BTreeMap<String, String>,
}

impl Baseline {
    /// Parses the baseline `text` of `file`; every id must satisfy `is_case`. The error
    /// names the file and what is wrong (every unknown or repeated id).
    pub fn parse(
        file: &str,
        text: &str,
        is_case: impl Fn(&str) -> bool,
    ) -> Result<Self, BaselineError> {
        let parsed: BaselineFile =
            serde_json::from_str(text).map_err(|source| BaselineError::Malformed {
                file: file.to_string(),
                source,
            })?;
        let mut expected = BTreeMap::new();
        let mut problems = Vec::new();
        for entry in parsed.expected_failures {
            if !is_case(&entry.case) {
                problems.push(EntryProblem::UnknownCase(entry.case));
            } else if expected.insert(entry.case.clone(), entry.reason).is_some() {
                problems.push(EntryProblem::ListedTwice(entry.case));
            }
        }
        if problems.is_empty() {
            Ok(Baseline { expected })
        } else {
            Err(BaselineError::Entries {
                file: file.to_string(),
                problems,
            })
        }
    }

    /// Why `id` is known to fail, if it is listed.
    pub fn reason(&self, id: &str) -> Option<&str> {
        self.expected.get(id).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.expected.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expected.is_empty()
    }

    /// The verdict on a case that ran.
    pub fn judge(&self, outcome: &CaseOutcome) -> Verdict {
        match (&outcome.status, self.reason(&outcome.id)) {
            (CaseStatus::Passed, None) => Verdict::Passed,
            (CaseStatus::Failed, None) => Verdict::Failed,
            (CaseStatus::Passed, Some(reason)) => Verdict::UnexpectedPass(reason.into()),
            (CaseStatus::Failed, Some(reason)) => Verdict::ExpectedFailure(reason.into()),
            (CaseStatus::Ignored(reason), _) => Verdict::Ignored(reason.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{"expected_failures": [{"case": "s::a", "reason": "bug 1"}]}"#;

    #[test]
    fn parses_known_ids() {
        let baseline = Baseline::parse("b.json", TEXT, |id| id == "s::a").expect("valid");
        assert_eq!(baseline.reason("s::a"), Some("bug 1"));
        assert_eq!(baseline.reason("s::b"), None);
    }

    #[test]
    fn names_file_and_unknown_id() {
        let error = Baseline::parse("b.json", TEXT, |_| false)
            .expect_err("unknown id")
            .to_string();
        assert!(
            error.contains("b.json") && error.contains("\"s::a\""),
            "{error}"
        );
    }

    #[test]
    fn rejects_malformed_and_repeated() {
        let error = Baseline::parse("b.json", r#"{"expected": []}"#, |_| true).expect_err("bad");
        assert!(matches!(error, BaselineError::Malformed { .. }), "{error}");
        let error = error.to_string();
        assert!(error.starts_with("b.json:1:"), "{error}");
        let twice = r#"{"expected_failures": [{"case": "s::a", "reason": "x"}, {"case": "s::a", "reason": "y"}]}"#;
        let error = Baseline::parse("b.json", twice, |_| true).expect_err("twice");
        assert!(
            matches!(&error, BaselineError::Entries { problems, .. }
                if problems == &[EntryProblem::ListedTwice("s::a".into())]),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "b.json: case id \"s::a\" is listed twice"
        );
    }
}
