//! How much a run checked: cases selected, run, passed and failed, the ignored ones by
//! reason, the documented rows and statuses covered by cases that actually ran, and the
//! conformance score of the run's tier. Every report states it ([`Completeness::line`]),
//! and `--fail-on-ignored` / `--min-coverage` turn an incomplete run into a non-zero exit.
//!
//! A run is **complete** when it was not interrupted and every selected case ran, except
//! cases ignored for a reason inherent to the target ([`Gap::Inapplicable`]: a
//! precondition the target's own state rules out, such as the management tracker a real
//! account already has, or a boundary only a loopback target can prove). A case ignored
//! for lack of configuration (a bucket, `--allow-mutations`, credentials), filtered out by
//! name, marked `ignore` in its case file, not replayable, or not run because of an
//! interrupt or a missing shard leaves the run incomplete. Pure: no I/O.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::coverage::{self, Row, RowKind};

use super::results::CaseResult;
use crate::outcome::Verdict;

/// Why a case that did not run left (or did not leave) a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gap {
    /// Inherent to the target: the case cannot apply to it. Does not make a run incomplete.
    Inapplicable,
    /// Anything else: configuration, filters, interrupts, case files, replay.
    Missing,
}

/// Reasons (prefixes) that are inherent to the target; every other reason is a gap.
const INAPPLICABLE: [&str; 2] = [
    // A step marked `precondition` found the target in a state the case cannot start
    // from (run::case): e.g. a real account's management tracker already exists.
    "precondition not met: ",
    // `${bucket_3}` on a non-loopback target (run::session): the answer proves nothing.
    "${bucket_3} ",
];

/// How many reasons the completeness line names; the rest are summed up.
const SHOWN_REASONS: usize = 5;

/// Classifies the reason a case did not run.
pub fn gap(reason: &str) -> Gap {
    if INAPPLICABLE.iter().any(|prefix| reason.starts_with(prefix)) {
        Gap::Inapplicable
    } else {
        Gap::Missing
    }
}

/// Covered and provokable documented rows of one kind, over the cases that ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Covered {
    pub covered: usize,
    pub of: usize,
}

/// One reason cases were ignored, with how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub reason: String,
    pub count: usize,
    pub gap: Gap,
}

/// What a run checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Completeness {
    pub selected: usize,
    pub passed: usize,
    pub failed: usize,
    pub expected_failures: usize,
    pub unexpected_passes: usize,
    /// Ignored and not-run cases, by reason, most frequent first.
    pub ignored: Vec<Ignored>,
    pub interrupted: bool,
    /// Request fields, query parameters and statuses of the documents covered by cases
    /// that ran (see [`crate::coverage`]).
    pub coverage: [(&'static str, Covered); 3],
    /// `Core` (documented profile) or `Strict`.
    pub tier: &'static str,
}

impl Completeness {
    /// Cases that got a verdict from the target (passed or failed, baseline or not).
    pub fn ran(&self) -> usize {
        self.passed + self.failed + self.expected_failures + self.unexpected_passes
    }

    /// Cases that did not run (ignored or not run), whatever the reason.
    pub fn not_ran(&self) -> usize {
        self.ignored.iter().map(|i| i.count).sum()
    }

    /// Whether the run was not interrupted and only inapplicable cases are missing.
    pub fn complete(&self) -> bool {
        !self.interrupted && self.ignored.iter().all(|i| i.gap == Gap::Inapplicable)
    }

    /// All documented rows covered, over all provokable ones.
    pub fn covered(&self) -> Covered {
        self.coverage
            .iter()
            .fold(Covered::default(), |sum, (_, c)| Covered {
                covered: sum.covered + c.covered,
                of: sum.of + c.of,
            })
    }

    /// The coverage of this run in percent (100 when there is nothing to cover).
    pub fn coverage_percent(&self) -> f64 {
        let total = self.covered();
        if total.of == 0 {
            100.0
        } else {
            100.0 * total.covered as f64 / total.of as f64
        }
    }

    /// The conformance score of the tier: passed / (passed + failed) over the cases that
    /// ran (an expected failure failed, an unexpected pass passed); ignored cases never
    /// count. `None` when no case ran.
    pub fn score(&self) -> Option<f64> {
        let judged = self.ran();
        (judged > 0).then(|| 100.0 * (self.passed + self.unexpected_passes) as f64 / judged as f64)
    }

    /// The line no reader can miss: `COMPLETE: ...` or `INCOMPLETE: ...`.
    pub fn line(&self) -> String {
        // The most frequent reasons; the rest summed up (the JSON report lists them all).
        let reasons = |gaps: &[Gap]| -> Vec<String> {
            let all: Vec<&Ignored> = self
                .ignored
                .iter()
                .filter(|i| gaps.contains(&i.gap))
                .collect();
            let mut shown: Vec<String> = all
                .iter()
                .take(SHOWN_REASONS)
                .map(|i| format!("{} {}", i.count, i.reason))
                .collect();
            let rest = &all[all.len().min(SHOWN_REASONS)..];
            if !rest.is_empty() {
                shown.push(format!(
                    "{} for {} other reasons",
                    rest.iter().map(|i| i.count).sum::<usize>(),
                    rest.len()
                ));
            }
            shown
        };
        let cases = |n: usize| if n == 1 { "case" } else { "cases" };
        if self.complete() {
            let inapplicable = reasons(&[Gap::Inapplicable]);
            return if inapplicable.is_empty() {
                format!(
                    "COMPLETE: all {} selected {} ran",
                    self.selected,
                    cases(self.selected)
                )
            } else {
                format!(
                    "COMPLETE: {} of {} selected cases ran; {} inapplicable to this target: {}",
                    self.ran(),
                    self.selected,
                    self.not_ran(),
                    inapplicable.join("; ")
                )
            };
        }
        let mut line = String::from("INCOMPLETE: ");
        if self.interrupted {
            line.push_str("the run was interrupted; ");
        }
        let _ = std::fmt::Write::write_fmt(
            &mut line,
            format_args!(
                "{} of {} {} did not run",
                self.not_ran(),
                self.selected,
                cases(self.selected)
            ),
        );
        let all = reasons(&[Gap::Missing, Gap::Inapplicable]);
        if !all.is_empty() {
            line.push_str(": ");
            line.push_str(&all.join("; "));
        }
        line
    }

    /// What ran and what it scored: counts, the tier's score and the run's coverage.
    pub fn details(&self) -> String {
        let total = self.covered();
        let score = match self.score() {
            Some(score) => format!(
                "{} conformance {score:.1}% ({} of {} cases that ran passed)",
                self.tier,
                self.passed + self.unexpected_passes,
                self.ran()
            ),
            None => format!("{} conformance: no case ran", self.tier),
        };
        let parts: Vec<String> = self
            .coverage
            .iter()
            .map(|(label, c)| format!("{}/{} {label}", c.covered, c.of))
            .collect();
        format!(
            "{} selected, {} ran: {} passed, {} failed, {} expected failures, {} unexpected passes; \
             {} ignored or not run. {score}; coverage of this run: {} ({}/{} documented rows and \
             statuses, {:.1}%)",
            self.selected,
            self.ran(),
            self.passed,
            self.failed,
            self.expected_failures,
            self.unexpected_passes,
            self.not_ran(),
            parts.join(", "),
            total.covered,
            total.of,
            self.coverage_percent()
        )
    }

    /// The `completeness` member of the JSON report.
    pub fn to_json(&self) -> Value {
        let coverage: serde_json::Map<String, Value> = self
            .coverage
            .iter()
            .map(|(label, c)| {
                (
                    label.replace(' ', "_"),
                    json!({"covered": c.covered, "of": c.of}),
                )
            })
            .collect();
        let total = self.covered();
        json!({
            "complete": self.complete(),
            "line": self.line(),
            "selected": self.selected,
            "ran": self.ran(),
            "passed": self.passed,
            "failed": self.failed,
            "expected_failures": self.expected_failures,
            "unexpected_passes": self.unexpected_passes,
            "interrupted": self.interrupted,
            "ignored": self.ignored.iter().map(|i| json!({
                "reason": i.reason,
                "count": i.count,
                "inapplicable": i.gap == Gap::Inapplicable,
            })).collect::<Vec<_>>(),
            "coverage": {
                "rows": coverage,
                "covered": total.covered,
                "of": total.of,
                "percent": round(self.coverage_percent()),
            },
            "score": {
                "tier": self.tier,
                "passed": self.passed + self.unexpected_passes,
                "judged": self.ran(),
                "percent": self.score().map(round),
            },
        })
    }
}

fn round(percent: f64) -> f64 {
    (percent * 10.0).round() / 10.0
}

/// The tier a profile certifies: `documented` is Core, `strict` is Strict.
pub fn tier(profile: &str) -> &'static str {
    if profile == "strict" {
        "Strict"
    } else {
        "Core"
    }
}

/// What `results` checked. `rows` is the coverage of the run's plan
/// ([`crate::coverage::compute`]); only the cases that ran count towards it.
pub fn assess(
    results: &[CaseResult],
    rows: &[Row],
    profile: &str,
    interrupted: bool,
) -> Completeness {
    let mut ignored: BTreeMap<String, usize> = BTreeMap::new();
    let (mut passed, mut failed, mut expected, mut unexpected) = (0, 0, 0, 0);
    for result in results {
        match &result.verdict {
            Verdict::Passed => passed += 1,
            Verdict::Failed => failed += 1,
            Verdict::ExpectedFailure(_) => expected += 1,
            Verdict::UnexpectedPass(_) => unexpected += 1,
            Verdict::Ignored(reason) | Verdict::NotRun(reason) => {
                *ignored.entry(reason.clone()).or_default() += 1
            }
        }
    }
    let mut ignored: Vec<Ignored> = ignored
        .into_iter()
        .map(|(reason, count)| Ignored {
            gap: gap(&reason),
            reason,
            count,
        })
        .collect();
    ignored.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    let ran: std::collections::BTreeSet<&str> = results
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Ignored(_) | Verdict::NotRun(_)))
        .map(|r| r.outcome.id.as_str())
        .collect();
    let of_run = coverage::of_cases(rows, |id| ran.contains(id));
    let totals = coverage::totals(&of_run);
    let kind = |kind: RowKind| {
        let (covered, of) = totals.get(&kind).copied().unwrap_or((0, 0));
        Covered { covered, of }
    };
    Completeness {
        selected: results.len(),
        passed,
        failed,
        expected_failures: expected,
        unexpected_passes: unexpected,
        ignored,
        interrupted,
        coverage: [
            ("request fields", kind(RowKind::RequestField)),
            ("query parameters", kind(RowKind::QueryParameter)),
            ("statuses", kind(RowKind::Status)),
        ],
        tier: tier(profile),
    }
}

/// The exit a completeness gate asks for: why the run does not count as complete under
/// `--fail-on-ignored` (any gap) and `--min-coverage PCT`; `None` when it does.
pub fn gate(
    completeness: &Completeness,
    fail_on_ignored: bool,
    min_coverage: Option<f64>,
) -> Option<String> {
    if fail_on_ignored && !completeness.complete() {
        return Some(format!("--fail-on-ignored: {}", completeness.line()));
    }
    match min_coverage {
        Some(min) if completeness.coverage_percent() + 1e-9 < min => Some(format!(
            "--min-coverage {min}: the cases that ran covered {:.1}% of the documented rows and \
             statuses ({}/{})",
            completeness.coverage_percent(),
            completeness.covered().covered,
            completeness.covered().of
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored(reason: &str, count: usize) -> Ignored {
        Ignored {
            reason: reason.into(),
            count,
            gap: gap(reason),
        }
    }

    fn completeness(ignored: Vec<Ignored>, interrupted: bool) -> Completeness {
        Completeness {
            selected: 10 + ignored.iter().map(|i| i.count).sum::<usize>(),
            passed: 9,
            failed: 1,
            expected_failures: 0,
            unexpected_passes: 0,
            ignored,
            interrupted,
            coverage: [
                ("request fields", Covered { covered: 1, of: 2 }),
                ("query parameters", Covered { covered: 0, of: 0 }),
                ("statuses", Covered { covered: 2, of: 2 }),
            ],
            tier: "Core",
        }
    }

    #[test]
    fn the_line_says_complete_only_without_gaps_and_never_when_interrupted() {
        let inherent = completeness(vec![ignored("precondition not met: x", 2)], false);
        assert!(inherent.complete());
        assert_eq!(
            inherent.line(),
            "COMPLETE: 10 of 12 selected cases ran; 2 inapplicable to this target: 2 precondition not met: x"
        );
        assert_eq!(inherent.score(), Some(90.0));
        assert_eq!(inherent.coverage_percent(), 75.0);
        let interrupted = completeness(Vec::new(), true);
        assert!(!interrupted.complete());
        assert!(interrupted
            .line()
            .starts_with("INCOMPLETE: the run was interrupted; 0 of 10 cases did not run"));
        let many: Vec<Ignored> = (0..7).map(|n| ignored(&format!("r{n}"), 7 - n)).collect();
        assert_eq!(
            completeness(many, false).line(),
            "INCOMPLETE: 28 of 38 cases did not run: 7 r0; 6 r1; 5 r2; 4 r3; 3 r4; 3 for 2 other reasons"
        );
        assert_eq!(
            gate(&inherent, true, Some(80.0)).as_deref(),
            Some(
                "--min-coverage 80: the cases that ran covered 75.0% of the documented rows and \
                 statuses (3/4)"
            )
        );
        assert_eq!(gate(&inherent, true, Some(75.0)), None);
    }

    #[test]
    fn only_target_inherent_reasons_are_not_gaps() {
        assert_eq!(
            gap("precondition not met: a management tracker exists"),
            Gap::Inapplicable
        );
        assert_eq!(
            gap("${bucket_3} a 3-character bucket name ..."),
            Gap::Inapplicable
        );
        assert_eq!(
            gap("${data_bucket} needs an existing OBS bucket"),
            Gap::Missing
        );
        assert_eq!(gap("not run: filtered out"), Gap::Missing);
        assert_eq!(gap("not run: the run was interrupted"), Gap::Missing);
    }
}
