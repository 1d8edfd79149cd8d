//! The HTML certification report (`--report-html FILE`): one self-contained page (inline
//! CSS, no scripts, no external resources) for a person: the verdict, the run (target,
//! tool version, SHA-256 fingerprint of contract and cases, times), pass/fail per
//! operation and per document row (cases grouped by their `doc` reference), every
//! failure with its CSS-coloured diff and `curl` reproduction, the coverage of the
//! documents' rows, and every case. Every text is redacted, then HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use time::format_description::well_known::Rfc3339;

use crate::auth::Redactor;
use crate::coverage::{self, Row};

use super::completeness::{self, Completeness};
use super::diff::Style;
use super::escape::{attr, text};
use super::failure::{case_lines, Reproduce};
use super::results::{totals, CaseResult, RunSummary};
use crate::outcome::Verdict;

const CSS: &str = include_str!("report.css");

/// Renders the report page.
pub fn render(
    summary: &RunSummary,
    results: &[CaseResult],
    coverage: &[Row],
    redactor: &Redactor,
) -> String {
    let page = Page {
        redactor,
        reproduce: &summary.reproduce,
    };
    let failing = results.iter().filter(|r| r.verdict.fails_run()).count();
    let completeness =
        completeness::assess(results, coverage, &summary.profile, summary.interrupted);
    // Never a pass unless complete: a failure, an interrupt or a gap says so first.
    let verdict = if failing > 0 || !summary.leftovers.is_empty() {
        "fail"
    } else if summary.interrupted {
        "interrupted"
    } else if !completeness.complete() {
        "incomplete"
    } else {
        "pass"
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>CTS conformance: {} - {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        verdict.to_uppercase(),
        page.t(&summary.target)
    );
    page.banner(&mut out, summary, results, failing, &completeness);
    page.leftovers(&mut out, summary);
    page.run_table(&mut out, summary);
    page.grouped(
        &mut out,
        "operations",
        "By operation",
        "Operation",
        by_operation(results),
    );
    page.failures(&mut out, results);
    let mut documents = with_verdicts(group(results, |r| vec![r.outcome.doc.clone()]));
    // Rows with failures first, then expected failures; otherwise in plan order.
    documents.sort_by_key(|(_, members)| {
        (
            !members.iter().any(Verdict::fails_run),
            !members.iter().any(Verdict::has_failure_text),
        )
    });
    page.grouped(
        &mut out,
        "documents",
        "By document row",
        "Document reference",
        documents,
    );
    page.coverage(&mut out, coverage, results);
    page.cases(&mut out, results);
    let _ = write!(
        out,
        "<footer>cts-conform {} &middot; run {} &middot; {}</footer>\n</body>\n</html>\n",
        page.t(&summary.tool_version),
        page.t(&summary.run_id),
        page.t(&summary.finished.format(&Rfc3339).unwrap_or_default())
    );
    out
}

/// Results grouped by a key (a case may fall in several groups), keys in first-seen order.
fn group(
    results: &[CaseResult],
    keys: impl Fn(&CaseResult) -> Vec<String>,
) -> Vec<(String, Vec<&CaseResult>)> {
    let mut groups: Vec<(String, Vec<&CaseResult>)> = Vec::new();
    for result in results {
        for key in keys(result) {
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(result),
                None => groups.push((key, vec![result])),
            }
        }
    }
    groups
}

/// Each group with its members' verdicts.
fn with_verdicts(groups: Vec<(String, Vec<&CaseResult>)>) -> Vec<(String, Vec<Verdict>)> {
    groups
        .into_iter()
        .map(|(key, members)| (key, members.iter().map(|r| r.verdict.clone()).collect()))
        .collect()
}

/// Cases by the operations their steps call. A failed case counts as failed only under
/// the operation whose step failed; under its other operations it counts as passed
/// (their steps were answered as expected). When no failed step names one of the
/// case's operations (a harness problem, a cleanup), every operation gets the blame.
fn by_operation(results: &[CaseResult]) -> Vec<(String, Vec<Verdict>)> {
    let mut groups: Vec<(String, Vec<Verdict>)> = Vec::new();
    for result in results {
        let failed_ops: Vec<&str> = result
            .outcome
            .steps
            .iter()
            .filter(|step| step.failed())
            .map(|step| step.operation.as_str())
            .filter(|op| result.operations.iter().any(|o| o == op))
            .collect();
        let blamed = result.verdict.has_failure_text() && !failed_ops.is_empty();
        for operation in &result.operations {
            let verdict = if blamed && !failed_ops.contains(&operation.as_str()) {
                Verdict::Passed
            } else {
                result.verdict.clone()
            };
            match groups.iter_mut().find(|(k, _)| k == operation) {
                Some((_, verdicts)) => verdicts.push(verdict),
                None => groups.push((operation.clone(), vec![verdict])),
            }
        }
    }
    groups
}

/// Rendering helpers that share the redactor.
struct Page<'a> {
    redactor: &'a Redactor,
    reproduce: &'a Reproduce,
}

impl Page<'_> {
    /// Element text, redacted and escaped.
    fn t(&self, s: &str) -> String {
        text(s, self.redactor)
    }

    /// Attribute value, redacted and escaped.
    fn a(&self, s: &str) -> String {
        attr(s, self.redactor)
    }

    fn badge(&self, verdict: &Verdict) -> String {
        format!(
            "<span class=\"badge {}\">{}</span>",
            verdict.name(),
            verdict.name().replace('-', " ")
        )
    }

    fn banner(
        &self,
        out: &mut String,
        summary: &RunSummary,
        results: &[CaseResult],
        failing: usize,
        completeness: &Completeness,
    ) {
        let left = summary.leftovers.trackers.len();
        let (class, headline) = if failing == 0 && left > 0 {
            (
                "fail",
                format!("FAILED: {left} tracker(s) left on the target"),
            )
        } else if failing > 0 {
            (
                "fail",
                format!(
                    "FAILED: {failing} of {} case{} failed{}",
                    results.len(),
                    if results.len() == 1 { "" } else { "s" },
                    if summary.interrupted {
                        " (interrupted)"
                    } else {
                        ""
                    }
                ),
            )
        } else if summary.interrupted {
            ("incomplete", "INTERRUPTED: not a pass".to_string())
        } else if !completeness.complete() {
            ("incomplete", "INCOMPLETE: not a pass".to_string())
        } else {
            ("pass", "PASSED".to_string())
        };
        let _ = write!(
            out,
            "<header class=\"banner {class}\">\n<h1>CTS v3 tracker API conformance</h1>\n\
             <p class=\"target\">{}</p>\n<p class=\"headline\">{headline}</p>\n\
             <p class=\"completeness\"><b>{}</b></p>\n<p class=\"details\">{}</p>\n",
            self.t(&summary.target),
            self.t(&completeness.line()),
            self.t(&completeness.details())
        );
        if !summary.merged_from.is_empty() {
            let shards: Vec<String> = summary.merged_from.iter().map(|s| self.t(s)).collect();
            let _ = writeln!(
                out,
                "<p class=\"details\">Merged from {} shard report{}: {}</p>",
                shards.len(),
                if shards.len() == 1 { "" } else { "s" },
                shards.join("; ")
            );
        }
        out.push_str("<div class=\"tiles\">\n");
        let totals = totals(results);
        for name in Verdict::NAMES {
            let count = totals.get(name).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "<div class=\"tile {name}{}\"><b>{count}</b>{}</div>",
                if count == 0 { " zero" } else { "" },
                name.replace('-', " ")
            );
        }
        out.push_str("</div>\n</header>\n<main>\n");
    }

    /// What the run could not remove, first thing after the banner.
    fn leftovers(&self, out: &mut String, summary: &RunSummary) {
        let left = &summary.leftovers;
        if left.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "<section id=\"leftovers\" class=\"fail\">\n<h2>Left on the target</h2>\n\
             <p>{} tracker(s) this run created could not be removed and are still on the target:</p>\n<ul>",
            left.trackers.len()
        );
        for tracker in &left.trackers {
            let _ = writeln!(out, "<li><code>{}</code></li>", self.t(tracker));
        }
        out.push_str("</ul>\n");
        let _ = match &left.sweep {
            Some(command) => writeln!(
                out,
                "<p>Remove them with: <code>{}</code></p>",
                self.t(command)
            ),
            None => writeln!(
                out,
                "<p>The run kept no ledger file: remove them by hand.</p>"
            ),
        };
        out.push_str("</section>\n");
    }

    fn run_table(&self, out: &mut String, summary: &RunSummary) {
        let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        let mut rows: Vec<(&str, String)> = vec![
            (
                "Target",
                format!("{} ({})", summary.target, summary.target_kind),
            ),
            ("Project", summary.project_id.clone()),
            ("Tool", format!("cts-conform {}", summary.tool_version)),
            ("Profile", summary.profile.clone()),
            ("Run id", summary.run_id.clone()),
            ("Contract and cases (SHA-256)", summary.fingerprint.clone()),
            ("Started", time(summary.started)),
            ("Finished", time(summary.finished)),
            (
                "Duration",
                format!("{:.3} s", summary.duration().as_secs_f64()),
            ),
        ];
        if let Some(partition) = &summary.partition {
            rows.push(("Partition", partition.clone()));
        }
        if let Some(baseline) = &summary.baseline {
            rows.push(("Baseline", baseline.clone()));
        }
        if !summary.faults.is_empty() {
            rows.push((
                "Emulator faults (switched on: not a certification)",
                summary.faults.join(", "),
            ));
        }
        out.push_str("<section id=\"run\">\n<h2>Run</h2>\n<table class=\"meta\">\n");
        for (name, value) in rows {
            let _ = writeln!(
                out,
                "<tr><th>{name}</th><td><code>{}</code></td></tr>",
                self.t(&value)
            );
        }
        out.push_str("</table>\n</section>\n");
    }

    fn grouped(
        &self,
        out: &mut String,
        id: &str,
        title: &str,
        column: &str,
        groups: Vec<(String, Vec<Verdict>)>,
    ) {
        let _ = write!(
            out,
            "<section id=\"{id}\">\n<h2>{title}</h2>\n<table class=\"grid\">\n<thead><tr><th>{column}</th>\
             <th class=\"num\">cases</th><th class=\"num\">passed</th><th class=\"num\">failed</th>\
             <th class=\"num\">expected failures</th><th class=\"num\">ignored / not run</th><th>result</th></tr></thead>\n<tbody>\n"
        );
        for (key, members) in groups {
            let count = |f: &dyn Fn(&Verdict) -> bool| members.iter().filter(|v| f(v)).count();
            let passed = count(&|v| *v == Verdict::Passed);
            let failed = count(&Verdict::fails_run);
            let expected = count(&|v| matches!(v, Verdict::ExpectedFailure(_)));
            let other = members.len() - passed - failed - expected;
            let result = if failed > 0 {
                Verdict::Failed
            } else if expected > 0 {
                Verdict::ExpectedFailure(String::new())
            } else if passed > 0 {
                Verdict::Passed
            } else {
                Verdict::NotRun(String::new())
            };
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{passed}</td>\
                 <td class=\"num\">{failed}</td><td class=\"num\">{expected}</td><td class=\"num\">{other}</td><td>{}</td></tr>",
                result.name(),
                self.t(&key),
                members.len(),
                self.badge(&result)
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    /// The failures that fail the run (as the banner counts them), then the expected
    /// failures apart (the baseline's), each section counting what its title says.
    fn failures(&self, out: &mut String, results: &[CaseResult]) {
        let failing: Vec<&CaseResult> = results.iter().filter(|r| r.verdict.fails_run()).collect();
        let expected: Vec<&CaseResult> = results
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::ExpectedFailure(_)))
            .collect();
        let _ = writeln!(
            out,
            "<section id=\"failures\">\n<h2>Failures ({})</h2>",
            failing.len()
        );
        if failing.is_empty() {
            out.push_str("<p class=\"none\">No case failed.</p>\n");
        }
        self.failure_articles(out, &failing);
        out.push_str("</section>\n");
        if !expected.is_empty() {
            let _ = writeln!(
                out,
                "<section id=\"expected-failures\">\n<h2>Expected failures ({})</h2>",
                expected.len()
            );
            self.failure_articles(out, &expected);
            out.push_str("</section>\n");
        }
    }

    /// One article per case: its verdict, reason and failure text.
    fn failure_articles(&self, out: &mut String, shown: &[&CaseResult]) {
        for result in shown {
            let outcome = &result.outcome;
            let _ = write!(
                out,
                "<article class=\"failure {}\" id=\"{}\">\n<h3>{} {}</h3>\n<p class=\"doc\">{} &middot; <code>{}</code></p>\n",
                result.verdict.name(),
                self.a(&anchor(&outcome.id)),
                self.badge(&result.verdict),
                self.t(&outcome.id),
                self.t(&outcome.doc),
                self.t(&outcome.file)
            );
            if let Some(message) = result.verdict.message() {
                let _ = writeln!(out, "<p class=\"reason\">{}</p>", self.t(&message));
            }
            if result.verdict.has_failure_text() {
                out.push_str("<pre class=\"log\">");
                for (style, line) in case_lines(outcome, self.redactor, self.reproduce) {
                    let class = match style {
                        Style::Removed => "del",
                        Style::Added => "add",
                        Style::Hunk => "hunk",
                        Style::Plain if line.starts_with("  reproduce: ") => "repro",
                        Style::Plain if line.starts_with("checks: ") => "checks",
                        Style::Plain if !line.starts_with(' ') => "step",
                        Style::Plain => "ln",
                    };
                    // Block spans, no newlines between them: one line each, copyable.
                    let _ = write!(out, "<span class=\"{class}\">{}</span>", self.t(&line));
                }
                out.push_str("</pre>\n");
            }
            out.push_str("</article>\n");
        }
    }

    fn coverage(&self, out: &mut String, rows: &[Row], results: &[CaseResult]) {
        let verdicts: BTreeMap<&str, &Verdict> = results
            .iter()
            .map(|r| (r.outcome.id.as_str(), &r.verdict))
            .collect();
        out.push_str("<section id=\"coverage\">\n<h2>Coverage of the documents</h2>\n");
        let parts: Vec<String> = coverage::summary(rows)
            .iter()
            .map(|(label, covered, all)| {
                format!("<span class=\"stat\"><b>{covered}/{all}</b> {label}</span>")
            })
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"summary\">Rows of the two documents that a case can provoke: {}</p>",
            parts.join(" ")
        );
        out.push_str(
            "<table class=\"grid\">\n<thead><tr><th>Operation</th><th>Kind</th><th>Row</th>\
             <th>Source</th><th class=\"num\">cases</th><th>in this run</th></tr></thead>\n<tbody>\n",
        );
        for row in rows {
            let kind = coverage::kind_name(row.kind);
            let ran: Vec<&Verdict> = row
                .cases
                .iter()
                .filter_map(|id| verdicts.get(id.as_str()).copied())
                .collect();
            let failed = ran.iter().filter(|v| v.fails_run()).count();
            let passed = ran.iter().filter(|v| ***v == Verdict::Passed).count();
            let (class, state) = match (row.cases.len(), row.provokable, failed) {
                (0, false, _) => (
                    "not-run",
                    "not provokable: schema-checked whenever sent".to_string(),
                ),
                (0, true, _) => ("failed", "NOT COVERED".to_string()),
                (_, _, 0) => ("passed", format!("{passed} passed")),
                (_, _, n) => ("failed", format!("{n} failed, {passed} passed")),
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td class=\"nowrap\">{}</td><td class=\"nowrap\">{kind}</td><td><code>{}</code></td><td class=\"src\">{}</td>\
                 <td class=\"num\">{}</td><td><span class=\"state {class}\">{}</span></td></tr>",
                self.t(&row.operation),
                self.t(&row.name),
                self.t(&row.doc),
                row.cases.len(),
                self.t(&state)
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    fn cases(&self, out: &mut String, results: &[CaseResult]) {
        out.push_str(
            "<section id=\"cases\">\n<h2>All cases</h2>\n<table class=\"grid\">\n<thead><tr><th>Case</th>\
             <th>Result</th><th class=\"num\">ms</th><th>Document reference</th></tr></thead>\n<tbody>\n",
        );
        for result in results {
            let outcome = &result.outcome;
            let name = if result.verdict.fails_run() || result.verdict.has_failure_text() {
                format!(
                    "<a href=\"#{}\">{}</a>",
                    self.a(&anchor(&outcome.id)),
                    self.t(&outcome.id)
                )
            } else {
                self.t(&outcome.id)
            };
            let note = result
                .verdict
                .message()
                .map(|m| format!("<div class=\"note\">{}</div>", self.t(&m)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td><code>{name}</code>{note}</td><td>{}</td><td class=\"num\">{}</td><td class=\"src\">{}</td></tr>",
                result.verdict.name(),
                self.badge(&result.verdict),
                outcome.duration.as_millis(),
                self.t(&outcome.doc)
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n</main>\n");
    }
}

/// An element id for a case: `case-` and the id with anything but `[A-Za-z0-9_-]` as `-`.
fn anchor(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("case-{safe}")
}
