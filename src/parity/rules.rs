//! Accepted differences (`parity --baseline FILE`): rules that accept differences known
//! between two targets, each with a reason, and value normalisers ([`super::normalise`]).
//! An accepted difference does not fail the comparison; a rule or a normaliser that
//! matches nothing is reported and fails it (the list shrinks as the targets converge).
//!
//! ```json
//! {"accepted": [
//!   {"pattern": "**/error_msg", "class": "message", "reason": "the gateway words it otherwise"},
//!   {"pattern": "**/trackers/*/lts/*", "class": "undocumented", "operations": ["ListTrackers"],
//!    "cases": ["suite::name"], "reason": "..."},
//!   {"case": "suite::name", "pointer": "/steps/0/response/status", "reason": "..."}],
//!  "normalise": [{"pattern": "**/trackers/*/id", "name": "tracker-id"}]}
//! ```
//! `pattern` is a glob over the difference's pointer in the case's recording file
//! (`/steps/0/response/body/error_msg`): `*` is any text inside one segment, `**` any
//! number of segments. `class` (any when absent), `cases` and `operations` restrict it.
//! The earlier per-case entry (`case` and an exact `pointer`) is still read as it is: a
//! rule for one case and one pointer. A case id or operation no recording and no
//! contract knows is an error (the caller checks, [`Rules::unknown`]).

use serde::Deserialize;

use super::normalise::Normaliser;
use super::{CaseParity, Class};

/// Longest pattern read, in segments (a pointer in a recording is far shorter).
const MAX_SEGMENTS: usize = 64;

/// A glob over JSON pointers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    segments: Vec<String>,
}

impl Glob {
    pub fn new(text: &str) -> Result<Self, String> {
        let segments: Vec<String> = text
            .strip_prefix('/')
            .unwrap_or(text)
            .split('/')
            .map(str::to_string)
            .collect();
        if segments.len() > MAX_SEGMENTS {
            return Err(format!(
                "pattern {text:?} has more than {MAX_SEGMENTS} segments"
            ));
        }
        Ok(Glob {
            text: text.to_string(),
            segments,
        })
    }

    /// A glob that matches `pointer` only (its `*` taken literally).
    fn exact(pointer: &str) -> Self {
        Glob {
            text: pointer.to_string(),
            segments: Vec::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, pointer: &str) -> bool {
        if self.segments.is_empty() {
            return self.text == pointer;
        }
        let parts: Vec<&str> = pointer
            .strip_prefix('/')
            .unwrap_or(pointer)
            .split('/')
            .collect();
        // reach[j]: the pattern's first i segments match the pointer's first j parts.
        let mut reach = vec![false; parts.len() + 1];
        reach[0] = true;
        for segment in &self.segments {
            let mut next = vec![false; parts.len() + 1];
            if segment == "**" {
                let mut any = false;
                for j in 0..=parts.len() {
                    any |= reach[j];
                    next[j] = any;
                }
            } else {
                for j in 0..parts.len() {
                    if reach[j] && wildcard(segment, parts[j]) {
                        next[j + 1] = true;
                    }
                }
            }
            reach = next;
        }
        reach[parts.len()]
    }
}

/// Whether `text` matches `pattern`, where `*` is any text.
fn wildcard(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    if pieces.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub pattern: Glob,
    pub class: Option<Class>,
    /// Only these cases (all when empty).
    pub cases: Vec<String>,
    /// Only these operations (all when empty).
    pub operations: Vec<String>,
    pub reason: String,
}

impl Rule {
    /// The rule as one line: `**/error_msg [message] (the reason)`.
    pub fn describe(&self) -> String {
        let mut text = self.pattern.text().to_string();
        if let Some(class) = self.class {
            text.push_str(&format!(" [{}]", class.name()));
        }
        if !self.operations.is_empty() {
            text.push_str(&format!(" in {}", self.operations.join(", ")));
        }
        if !self.cases.is_empty() {
            text.push_str(&format!(" for {}", self.cases.join(", ")));
        }
        format!("{text} ({})", self.reason)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    pattern: Option<String>,
    class: Option<Class>,
    #[serde(default)]
    cases: Vec<String>,
    #[serde(default)]
    operations: Vec<String>,
    /// The per-case format: one case ...
    case: Option<String>,
    /// ... and one exact pointer.
    pointer: Option<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormaliserEntry {
    pattern: String,
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    accepted: Vec<Entry>,
    #[serde(default)]
    normalise: Vec<NormaliserEntry>,
}

/// The rules file read.
#[derive(Debug, Default)]
pub struct Rules {
    pub accepted: Vec<Rule>,
    pub normalisers: Vec<Normaliser>,
}

/// Why a rules file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error(
        "{file}:{line}:{column}: not a parity rules file ({source}); expected {{\"accepted\": [{{\"pattern\": \"**/error_msg\", \"class\": \"message\", \"reason\": \"...\"}}], \"normalise\": [{{\"pattern\": \"**/trackers/*/id\", \"name\": \"tracker-id\"}}]}}",
        line = source.line(),
        column = source.column()
    )]
    Syntax {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{file}: {place}: {message}")]
    Entry {
        file: String,
        place: String,
        message: String,
    },
}

/// Parses the rules `text` of `file`.
pub fn parse(file: &str, text: &str) -> Result<Rules, RulesError> {
    let parsed: File = serde_json::from_str(text).map_err(|source| RulesError::Syntax {
        file: file.to_string(),
        source,
    })?;
    let entry_error = |place: String, message: String| RulesError::Entry {
        file: file.to_string(),
        place,
        message,
    };
    let mut rules = Rules::default();
    for (i, entry) in parsed.accepted.into_iter().enumerate() {
        let place = format!("accepted[{i}]");
        let rule = match (entry.pattern, entry.pointer, entry.case) {
            (Some(pattern), None, None) => Rule {
                pattern: Glob::new(&pattern).map_err(|m| entry_error(place.clone(), m))?,
                class: entry.class,
                cases: entry.cases,
                operations: entry.operations,
                reason: entry.reason,
            },
            (None, Some(pointer), Some(case)) if entry.cases.is_empty() => Rule {
                pattern: Glob::exact(&pointer),
                class: entry.class,
                cases: vec![case],
                operations: entry.operations,
                reason: entry.reason,
            },
            _ => {
                return Err(entry_error(
                    place,
                    "give either \"pattern\" (a glob, with \"cases\" optionally) or \"case\" and an exact \"pointer\"".into(),
                ))
            }
        };
        if rule.reason.trim().is_empty() {
            return Err(entry_error(place, "the reason is empty".into()));
        }
        rules.accepted.push(rule);
    }
    for (i, entry) in parsed.normalise.into_iter().enumerate() {
        let place = format!("normalise[{i}]");
        let valid_name = !entry.name.is_empty()
            && entry
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_name {
            return Err(entry_error(
                place,
                format!(
                    "name {:?}: use lower-case letters, digits and '-'",
                    entry.name
                ),
            ));
        }
        let pattern = Glob::new(&entry.pattern).map_err(|m| entry_error(place.clone(), m))?;
        rules.normalisers.push(Normaliser::new(pattern, entry.name));
    }
    Ok(rules)
}

impl Rules {
    /// The case ids and operations the rules name that `known_case` and
    /// `known_operation` do not know, each as `accepted[i]: unknown case "x"`.
    pub fn unknown(
        &self,
        known_case: impl Fn(&str) -> bool,
        known_operation: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut unknown = Vec::new();
        for (i, rule) in self.accepted.iter().enumerate() {
            for case in rule.cases.iter().filter(|c| !known_case(c)) {
                unknown.push(format!(
                    "accepted[{i}]: unknown case {case:?} (in neither recording)"
                ));
            }
            for operation in rule.operations.iter().filter(|o| !known_operation(o)) {
                unknown.push(format!(
                    "accepted[{i}]: unknown operation {operation:?} (not in the contract)"
                ));
            }
        }
        unknown
    }
}

/// Marks the differences the rules accept (the first rule that matches gives the
/// reason); gives back the rules that matched none.
pub fn apply<'r>(cases: &mut [CaseParity], rules: &'r [Rule]) -> Vec<&'r Rule> {
    let mut used = vec![false; rules.len()];
    for case in cases.iter_mut() {
        for difference in case.differences.iter_mut() {
            for (i, rule) in rules.iter().enumerate() {
                let matches = rule.pattern.matches(&difference.pointer)
                    && rule.class.is_none_or(|c| c == difference.class)
                    && (rule.cases.is_empty() || rule.cases.contains(&case.id))
                    && (rule.operations.is_empty()
                        || difference
                            .operation
                            .as_ref()
                            .is_some_and(|o| rule.operations.contains(o)));
                if matches {
                    used[i] = true;
                    if difference.accepted.is_none() {
                        difference.accepted = Some(rule.reason.clone());
                    }
                }
            }
        }
    }
    rules
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(rule, _)| rule)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parity::{Difference, Kind};
    use serde_json::json;

    #[test]
    fn globs() {
        let g = |p: &str, s: &str| Glob::new(p).expect("glob").matches(s);
        assert!(g("**/error_msg", "/steps/0/response/body/error_msg"));
        assert!(g("**/error_msg", "/error_msg"));
        assert!(!g("**/error_msg", "/steps/0/response/body/error_msg/x"));
        assert!(g(
            "/steps/*/response/body/trackers/*/id",
            "/steps/3/response/body/trackers/0/id"
        ));
        assert!(!g(
            "/steps/*/response/body/trackers/*/id",
            "/steps/3/response/body/trackers/id"
        ));
        assert!(g("**/obs_*", "/a/obs_info"));
        assert!(g("**/*_msg", "/a/error_msg"));
        assert!(!g("**/*_msg", "/a/error_code"));
        assert!(g("**", "/anything/at/all"));
    }

    fn message(case: &str) -> CaseParity {
        CaseParity {
            id: case.into(),
            differences: vec![Difference {
                pointer: "/steps/0/response/body/error_msg".into(),
                operation: Some("CreateTracker".into()),
                class: Class::Message,
                kind: Kind::Value,
                a: json!("x"),
                b: json!("y"),
                accepted: None,
            }],
            compared: vec![],
        }
    }

    #[test]
    fn a_glob_rule_accepts_across_cases_and_unused_rules_are_given_back() {
        let mut cases = vec![message("s::a"), message("s::b")];
        let text = r#"{"accepted": [
            {"pattern": "**/error_msg", "class": "message", "reason": "worded otherwise"},
            {"pattern": "**/error_msg", "class": "status", "reason": "never"},
            {"case": "s::a", "pointer": "/steps/9/response/status", "reason": "old format"}]}"#;
        let rules = parse("r.json", text).expect("valid");
        let unused = apply(&mut cases, &rules.accepted);
        assert!(cases
            .iter()
            .all(|c| c.differences[0].accepted.as_deref() == Some("worded otherwise")));
        assert_eq!(unused.len(), 2);
        assert_eq!(unused[1].cases, vec!["s::a".to_string()]);
        let unknown = rules.unknown(|c| c == "s::b", |_| true);
        assert_eq!(
            unknown,
            vec!["accepted[2]: unknown case \"s::a\" (in neither recording)"]
        );
    }

    #[test]
    fn bad_files_name_the_file() {
        let error = |text: &str| parse("r.json", text).expect_err("bad").to_string();
        assert!(error("{\"accepted\": 1}").starts_with("r.json:1:"));
        assert!(
            error(r#"{"accepted": [{"pattern": "**", "class": "nope", "reason": "x"}]}"#)
                .starts_with("r.json:1:")
        );
        assert!(error(r#"{"accepted": [{"reason": "x"}]}"#)
            .starts_with("r.json: accepted[0]: give either"));
        assert!(
            error(r#"{"normalise": [{"pattern": "**", "name": "Bad Name"}]}"#)
                .starts_with("r.json: normalise[0]: name")
        );
    }
}
