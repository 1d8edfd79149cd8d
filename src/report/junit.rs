//! The JUnit XML report (`--junit FILE`), in the shape GitLab, Jenkins and GitHub test
//! reporters read: `<testsuites>` with one `<testsuite>` per case suite and one
//! `<testcase name classname time file>` per planned case. A failure carries the first
//! finding as `message` and the same text as the terminal (diffs, `curl` reproduction);
//! ignored, filtered and expected-failure cases are `<skipped message="...">`, the latter
//! with its failure text in `<system-out>`. Text is redacted, then escaped by hand
//! ([`super::escape`]: control characters included, which XML 1.0 cannot carry).

use std::fmt::Write;
use std::time::Duration;

use time::format_description::well_known::Rfc3339;

use crate::auth::Redactor;
use crate::coverage::Row;

use super::completeness::{self, Completeness};
use super::escape::{attr, text};
use super::failure::{render_case, Reproduce};
use super::results::{CaseResult, RunSummary};
use crate::outcome::Verdict;

/// Renders the JUnit XML document. `rows` is the coverage of the run's plan.
pub fn render(
    summary: &RunSummary,
    results: &[CaseResult],
    rows: &[Row],
    redactor: &Redactor,
) -> String {
    let completeness = completeness::assess(results, rows, &summary.profile, summary.interrupted);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let timestamp = summary.started.format(&Rfc3339).unwrap_or_default();
    let leftovers = summary.leftovers.notice();
    let mut totals = counts(results.iter());
    if leftovers.is_some() {
        totals.tests += 1;
        totals.failures += 1;
    }
    let _ = writeln!(
        out,
        "<testsuites name=\"cts-conform\" {totals} timestamp=\"{}\">",
        attr(&timestamp, redactor)
    );
    let mut suites: Vec<&str> = Vec::new();
    for result in results {
        if !suites.contains(&result.suite.as_str()) {
            suites.push(&result.suite);
        }
    }
    for suite in suites {
        let members = || results.iter().filter(move |r| r.suite == suite);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" {} timestamp=\"{}\">",
            attr(suite, redactor),
            counts(members()),
            attr(&timestamp, redactor)
        );
        properties(&mut out, summary, &completeness, redactor);
        for result in members() {
            testcase(&mut out, result, &summary.reproduce, redactor);
        }
        out.push_str("  </testsuite>\n");
    }
    if let Some(notice) = leftovers {
        // A failed test of its own, so every CI reporter shows what the run left.
        let _ = writeln!(
            out,
            "  <testsuite name=\"cts-conform\" tests=\"1\" failures=\"1\" errors=\"0\" \
             skipped=\"0\" time=\"0.000\" timestamp=\"{}\">",
            attr(&timestamp, redactor)
        );
        properties(&mut out, summary, &completeness, redactor);
        let first = notice.lines().next().unwrap_or_default();
        let _ = writeln!(
            out,
            "    <testcase name=\"nothing left behind\" classname=\"cts-conform\" time=\"0.000\">\n\
             \x20     <failure message=\"{}\" type=\"leftovers\">{}</failure>\n    </testcase>",
            attr(first, redactor),
            text(&notice, redactor)
        );
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Whether a failed case is an `<error>` (its first finding is a transport, harness or
/// configuration problem) rather than a `<failure>` (a contract or expectation finding).
fn is_error(result: &CaseResult) -> bool {
    result.verdict == Verdict::Failed
        && result
            .outcome
            .findings()
            .next()
            .is_some_and(|f| f.kind.is_error())
}

/// The counts of some results, written as `tests=".." failures=".." errors=".."
/// skipped=".." time=".."`.
#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    time: Duration,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\"",
            self.tests,
            self.failures,
            self.errors,
            self.skipped,
            seconds(self.time)
        )
    }
}

fn counts<'a>(results: impl Iterator<Item = &'a CaseResult>) -> Counts {
    let mut counts = Counts::default();
    for result in results {
        counts.tests += 1;
        counts.time += result.outcome.duration;
        if is_error(result) {
            counts.errors += 1;
        } else if result.verdict.fails_run() {
            counts.failures += 1;
        } else if result.verdict != Verdict::Passed {
            counts.skipped += 1;
        }
    }
    counts
}

fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

fn properties(
    out: &mut String,
    summary: &RunSummary,
    completeness: &Completeness,
    redactor: &Redactor,
) {
    out.push_str("    <properties>\n");
    let mut property = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            attr(value, redactor)
        );
    };
    property("tool_version", &summary.tool_version);
    property("target", &summary.target);
    property("project_id", &summary.project_id);
    property("run_id", &summary.run_id);
    property("profile", &summary.profile);
    property("fingerprint_sha256", &summary.fingerprint);
    if let Some(partition) = &summary.partition {
        property("partition", partition);
    }
    if let Some(baseline) = &summary.baseline {
        property("baseline", baseline);
    }
    for shard in &summary.merged_from {
        property("merged_from", shard);
    }
    for fault in &summary.faults {
        property("emulator_fault", fault);
    }
    // What the run checked (the same for every suite: it is the run's).
    property("completeness", &completeness.line());
    property("complete", &completeness.complete().to_string());
    property("interrupted", &summary.interrupted.to_string());
    property("cases_selected", &completeness.selected.to_string());
    property("cases_run", &completeness.ran().to_string());
    property("cases_passed", &completeness.passed.to_string());
    property("cases_failed", &completeness.failed.to_string());
    for ignored in &completeness.ignored {
        property(
            "cases_ignored",
            &format!("{} {}", ignored.count, ignored.reason),
        );
    }
    property("summary", &completeness.details());
    out.push_str("    </properties>\n");
}

fn testcase(out: &mut String, result: &CaseResult, reproduce: &Reproduce, redactor: &Redactor) {
    let outcome = &result.outcome;
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\" file=\"{}\"",
        attr(result.name(), redactor),
        attr(&result.suite, redactor),
        seconds(outcome.duration),
        attr(&outcome.file, redactor)
    );
    let message = result.verdict.message().unwrap_or_default();
    match &result.verdict {
        Verdict::Passed => out.push_str("/>\n"),
        Verdict::Failed => {
            let (kind, first) = outcome
                .findings()
                .next()
                .map(|f| (f.kind.label(), f.line()))
                .unwrap_or(("failed", "failed".into()));
            let element = if is_error(result) { "error" } else { "failure" };
            let _ = write!(
                out,
                ">\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>\n",
                attr(&first, redactor),
                attr(kind, redactor),
                text(&render_case(outcome, redactor, reproduce, false), redactor)
            );
        }
        Verdict::UnexpectedPass(_) => {
            let _ = write!(
                out,
                ">\n      <failure message=\"{}\" type=\"unexpected-pass\">{}</failure>\n    </testcase>\n",
                attr(&message, redactor),
                text(&message, redactor)
            );
        }
        Verdict::ExpectedFailure(_) => {
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>\n",
                attr(&message, redactor),
                text(&render_case(outcome, redactor, reproduce, false), redactor)
            );
        }
        Verdict::Ignored(_) | Verdict::NotRun(_) => {
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                attr(&message, redactor)
            );
        }
    }
}
