//! Differences grouped: the same class, the same operation, the same kind and the same
//! folded pointer (array indexes as `*`: `/trackers/*/obs_info/bucket_lifecycle`) are
//! one row with a count and the cases it occurs in.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{CaseParity, Class, Compare, Kind};

/// A pointer with every array index (an all-digit segment) written `*`.
pub fn fold(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One row: every difference of one class, kind and operation at one folded pointer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub class: Class,
    pub kind: Kind,
    /// `None` for a whole case.
    pub operation: Option<String>,
    /// The folded pointer inside the answer (`/trackers/*/id`, `status`, `header
    /// content-type`, `step`, `case`).
    pub pattern: String,
    pub count: usize,
    /// How many of them a rule accepts.
    pub accepted: usize,
    /// The cases, in id order, each once.
    pub cases: Vec<String>,
    /// The first difference's values, as an example.
    pub a: Value,
    pub b: Value,
    /// The reasons of the rules that accept them, each once.
    pub reasons: Vec<String>,
}

impl Group {
    /// Whether some difference of the group is open in the verdict.
    pub fn open(&self, compare: Compare) -> bool {
        self.accepted < self.count && compare.judges(self.class)
    }
}

/// The groups of all differences, ordered by class (status first), then by count
/// (largest first), then by operation and pattern.
pub fn groups(cases: &[CaseParity]) -> Vec<Group> {
    type Key = (Class, Kind, Option<String>, String);
    let mut rows: BTreeMap<Key, Group> = BTreeMap::new();
    for case in cases {
        for d in &case.differences {
            let pattern = fold(&d.local());
            let key = (d.class, d.kind, d.operation.clone(), pattern.clone());
            let row = rows.entry(key).or_insert_with(|| Group {
                class: d.class,
                kind: d.kind,
                operation: d.operation.clone(),
                pattern,
                count: 0,
                accepted: 0,
                cases: Vec::new(),
                a: d.a.clone(),
                b: d.b.clone(),
                reasons: Vec::new(),
            });
            row.count += 1;
            if let Some(reason) = &d.accepted {
                row.accepted += 1;
                if !row.reasons.contains(reason) {
                    row.reasons.push(reason.clone());
                }
            }
            if row.cases.last() != Some(&case.id) {
                row.cases.push(case.id.clone());
            }
        }
    }
    let mut rows: Vec<Group> = rows.into_values().collect();
    rows.sort_by(|x, y| {
        (
            x.class,
            std::cmp::Reverse(x.count),
            &x.operation,
            &x.pattern,
        )
            .cmp(&(
                y.class,
                std::cmp::Reverse(y.count),
                &y.operation,
                &y.pattern,
            ))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_fold() {
        assert_eq!(
            fold("/trackers/12/obs_info/bucket_lifecycle"),
            "/trackers/*/obs_info/bucket_lifecycle"
        );
        assert_eq!(fold("status"), "status");
        assert_eq!(fold("/resources/0"), "/resources/*");
    }
}
