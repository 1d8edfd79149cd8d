//! What the model finds: a broken rule, the document row it comes from, the tracker
//! and one line of what was wrong; convertible to a [`Finding`] of the checks.

use std::fmt;

use crate::check::{Finding, FindingKind};

/// A rule the model checks of the run's own trackers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A tracker the run created and did not remove is listed (when the filter matches).
    ListedWhilePresent,
    /// A tracker the run removed, or whose create was refused, is not listed.
    AbsentAfterRemoval,
    /// A documented field the run sent is shown with the value sent.
    FieldAsSent,
    /// `tracker_name` and `tracker_type` filters return exactly the matching trackers.
    FilterExact,
    /// A delete removes exactly the named tracker of the named type.
    DeleteExact,
    /// `id` does not change between answers.
    IdStable,
    /// `create_time` is epoch milliseconds within the run's window, and stable.
    CreateTime,
    /// ListQuotas' `data_tracker` `used` counts the data trackers present (the run the
    /// project's only writer).
    QuotaUsed,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 8] = [
        Rule::ListedWhilePresent,
        Rule::AbsentAfterRemoval,
        Rule::FieldAsSent,
        Rule::FilterExact,
        Rule::DeleteExact,
        Rule::IdStable,
        Rule::CreateTime,
        Rule::QuotaUsed,
    ];

    /// Its name in findings.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ListedWhilePresent => "listed-while-present",
            Rule::AbsentAfterRemoval => "absent-after-removal",
            Rule::FieldAsSent => "field-as-sent",
            Rule::FilterExact => "filter-exact",
            Rule::DeleteExact => "delete-exact",
            Rule::IdStable => "id-stable",
            Rule::CreateTime => "create-time",
            Rule::QuotaUsed => "quota-used",
        }
    }

    /// The document row (or api-facts item) the rule comes from; [`Rule::FieldAsSent`]
    /// findings name their field's own row instead.
    pub fn doc(self) -> &'static str {
        match self {
            Rule::ListedWhilePresent => {
                "query-trackers: Table 3 Response body parameters / trackers (every tracker \
                 of the project that matches the filters)"
            }
            Rule::AbsentAfterRemoval => {
                "api-facts: DeleteTracker removes the named tracker; a refused CreateTracker \
                 creates nothing"
            }
            Rule::FieldAsSent => "query-trackers: Table 4 TrackerResponseBody",
            Rule::FilterExact => {
                "query-trackers: Table 2 Query parameters / tracker_name, tracker_type"
            }
            Rule::DeleteExact => {
                "api-facts: DeleteTracker tracker_name, tracker_type (the named tracker of the \
                 named type)"
            }
            Rule::IdStable => "query-trackers: Table 4 TrackerResponseBody / id",
            Rule::CreateTime => {
                "create-tracker: Response 201 / create_time (Long; epoch milliseconds in the \
                 documents' examples: docs/contract.md C27)"
            }
            Rule::QuotaUsed => {
                "api-facts: ListQuotas resources / used (the data trackers of the project; \
                 docs/contract.md C29)"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule, about one of the run's trackers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFinding {
    pub rule: Rule,
    /// The document row: the rule's, or the field's for [`Rule::FieldAsSent`].
    pub doc: &'static str,
    /// `type/name` of the tracker.
    pub tracker: String,
    /// One line: what the answer showed against what the run did.
    pub message: String,
}

impl ModelFinding {
    pub(crate) fn new(rule: Rule, tracker: &str, message: String) -> Self {
        Self {
            rule,
            doc: rule.doc(),
            tracker: tracker.to_owned(),
            message,
        }
    }

    /// As a finding of the checks (kind [`FindingKind::Body`]): the summary names the
    /// rule and the tracker, the detail the document row.
    pub fn to_finding(&self) -> Finding {
        let mut finding = Finding::new(
            FindingKind::Body,
            format!("model: {} ({}): {}", self.rule, self.tracker, self.message),
        );
        finding.details.push(format!("rule: {}", self.doc));
        finding
    }
}

impl fmt::Display for ModelFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {} [{}]",
            self.rule, self.tracker, self.message, self.doc
        )
    }
}
