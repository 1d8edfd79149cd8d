//! Parity output: the terminal text (how the runs differ, the fidelity score, then the
//! groups of differences: those in the verdict, then message text and the other classes
//! the verdict leaves out, then the accepted ones, then rules that matched nothing), the
//! JSON report (every difference of every case) and a self-contained HTML page in the
//! run report's style.

use std::fmt::Write;

use serde_json::{json, Value};

use crate::auth::Redactor;
use crate::record::RunMeta;
use crate::report::escape;

use super::explain::Explanation;
use super::group::Group;
use super::normalise::Normaliser;
use super::rules::Rule;
use super::score::{Scores, Tier};
use super::{CaseParity, Class, Compare};

const CSS: &str = include_str!("../report/report.css");
/// What the parity page adds to the run report's style.
const PARITY_CSS: &str = "
table.grid td.pattern { font-family: var(--mono); font-size: 12.5px; min-width: 220px; }
table.grid td.values { max-width: 360px; }
table.grid td.values code { display: block; max-height: 6em; overflow: auto; }
table.grid td.cases { max-width: 280px; font-size: 12.5px; }
details.same { margin: 16px 0; }
details.same summary { cursor: pointer; color: var(--muted); }
ul.notes li { margin: 2px 0; }
.badge.outside { color: var(--skip); background: var(--skip-bg); }
.badge.accepted { color: var(--xfail); background: var(--xfail-bg); }
.badge.open { color: var(--fail); background: var(--fail-bg); }
";

/// The two sides, as named on the command line.
pub struct Sides<'a> {
    pub a: (&'a str, &'a RunMeta),
    pub b: (&'a str, &'a RunMeta),
}

/// Everything a parity report shows.
pub struct Outcome<'a> {
    pub sides: Sides<'a>,
    pub compare: Compare,
    pub explanation: &'a Explanation,
    pub cases: &'a [CaseParity],
    pub groups: &'a [Group],
    pub scores: &'a Scores,
    pub unused_rules: Vec<&'a Rule>,
    pub unused_normalisers: Vec<&'a Normaliser>,
}

/// Difference counts: open (judged, not accepted), accepted, outside the comparison.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub all: usize,
    pub open: usize,
    pub accepted: usize,
    pub outside_message: usize,
    pub outside_other: usize,
}

impl Outcome<'_> {
    /// Whether the comparison passes: no open difference and no unused rule.
    pub fn ok(&self) -> bool {
        self.unused_rules.is_empty()
            && self.unused_normalisers.is_empty()
            && self
                .cases
                .iter()
                .all(|c| c.open(self.compare).next().is_none())
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for d in self.cases.iter().flat_map(|c| &c.differences) {
            counts.all += 1;
            if d.accepted.is_some() {
                counts.accepted += 1;
            } else if self.compare.judges(d.class) {
                counts.open += 1;
            } else if d.class == Class::Message {
                counts.outside_message += 1;
            } else {
                counts.outside_other += 1;
            }
        }
        counts
    }

    fn identical(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.differences.is_empty())
            .count()
    }

    fn comparison(&self) -> &'static str {
        match self.compare {
            Compare::Documented => "documented comparison",
            Compare::All => "--compare all",
        }
    }

    /// The groups of one section.
    fn section(&self, section: Section) -> Vec<&Group> {
        self.groups
            .iter()
            .filter(|g| section_of(g, self.compare) == section)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Verdict,
    Message,
    Other,
    Accepted,
}

const SECTIONS: [Section; 4] = [
    Section::Verdict,
    Section::Message,
    Section::Other,
    Section::Accepted,
];

fn section_of(group: &Group, compare: Compare) -> Section {
    if group.accepted == group.count {
        Section::Accepted
    } else if compare.judges(group.class) {
        Section::Verdict
    } else if group.class == Class::Message {
        Section::Message
    } else {
        Section::Other
    }
}

fn section_title(section: Section, compare: Compare) -> String {
    match section {
        Section::Verdict => format!(
            "differences in the verdict ({})",
            match compare {
                Compare::Documented => "status, error code, documented fields, steps, cases",
                Compare::All => "every class",
            }
        ),
        Section::Message => "message text (not in the verdict; --compare all judges it)".into(),
        Section::Other => {
            "undocumented fields, headers, order (not in the verdict; --compare all judges them)"
                .into()
        }
        Section::Accepted => "accepted by a rule".into(),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}...", text.chars().take(77).collect::<String>())
    } else {
        text
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The cases of a group: the first three, then how many more.
fn case_list(cases: &[String]) -> String {
    let mut text = cases.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if cases.len() > 3 {
        text.push_str(&format!(" +{} more", cases.len() - 3));
    }
    text
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The score line: `fidelity: Core 97.0% · Complete ... of 412 steps (130 cases compared)`.
pub fn score_line(outcome: &Outcome) -> String {
    format!(
        "fidelity: {} ({} compared)",
        outcome.scores.overall.line(),
        plural(outcome.cases.len(), "case")
    )
}

/// The terminal text (ANSI colours with `color`).
pub fn text(outcome: &Outcome, color: bool) -> String {
    let sides = &outcome.sides;
    let mut out = format!(
        "parity: A = {} ({}, run {}) | B = {} ({}, run {})\n",
        sides.a.0,
        sides.a.1.target.url,
        sides.a.1.run_id,
        sides.b.0,
        sides.b.1.target.url,
        sides.b.1.run_id
    );
    if !outcome.explanation.notes.is_empty() {
        out.push_str("\nhow the runs differ:\n");
        for note in &outcome.explanation.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    let _ = writeln!(out, "\n{}", score_line(outcome));
    for (operation, score) in &outcome.scores.operations {
        let _ = writeln!(
            out,
            "  {operation:<15} Core {:>6}  Complete {:>6}  Strict {:>6}  of {}",
            score.percent(Tier::Core),
            score.percent(Tier::Complete),
            score.percent(Tier::Strict),
            plural(score.steps, "step")
        );
    }
    for section in SECTIONS {
        let groups = outcome.section(section);
        if groups.is_empty() {
            continue;
        }
        let count: usize = groups.iter().map(|g| g.count).sum();
        let _ = writeln!(
            out,
            "\n{}: {}, {}",
            paint(color, "1", &section_title(section, outcome.compare)),
            plural(groups.len(), "group"),
            plural(count, "difference")
        );
        for g in groups {
            let label = format!("[{}]", g.class.label());
            let label = if section == Section::Verdict {
                paint(color, "31", &label)
            } else {
                label
            };
            let _ = write!(
                out,
                "  {label} {}{} {} x{}: {} | {}",
                g.operation.as_deref().unwrap_or(""),
                if g.operation.is_some() { "" } else { "(case)" },
                g.pattern,
                g.count,
                short(&g.a),
                short(&g.b),
            );
            if g.kind.label() != g.class.label() {
                let _ = write!(out, " ({})", g.kind.label());
            }
            let _ = write!(out, "; cases: {}", case_list(&g.cases));
            if g.accepted > 0 {
                let _ = write!(
                    out,
                    "; accepted{}: {}",
                    if g.accepted < g.count {
                        format!(" {} of {}", g.accepted, g.count)
                    } else {
                        String::new()
                    },
                    g.reasons.join("; ")
                );
            }
            out.push('\n');
        }
    }
    for rule in &outcome.unused_rules {
        let _ = writeln!(
            out,
            "{}: {} (remove it, or check its pattern)",
            paint(color, "31", "rule that matches nothing"),
            rule.describe()
        );
    }
    for normaliser in &outcome.unused_normalisers {
        let _ = writeln!(
            out,
            "{}: {} (remove it, or check its pattern)",
            paint(color, "31", "normaliser that matches nothing"),
            normaliser.describe()
        );
    }
    let counts = outcome.counts();
    let identical = outcome.identical();
    let verdict = if outcome.ok() {
        paint(color, "32", "same")
    } else {
        paint(color, "31", "DIFFERENT")
    };
    let _ = writeln!(
        out,
        "\nparity result: {verdict} ({}): {} open. {} compared: {} identical, {} with \
         differences; {}: {} accepted, {} outside the comparison ({} message text, {} \
         undocumented fields, headers, order)",
        outcome.comparison(),
        plural(counts.open, "difference"),
        plural(outcome.cases.len(), "case"),
        identical,
        outcome.cases.len() - identical,
        plural(counts.all, "difference"),
        counts.accepted,
        counts.outside_message + counts.outside_other,
        counts.outside_message,
        counts.outside_other,
    );
    let _ = writeln!(out, "{}", score_line(outcome));
    out
}

fn side(name: &str, meta: &RunMeta) -> Value {
    json!({
        "recording": name,
        "url": meta.target.url,
        "kind": meta.target.kind,
        "run_id": meta.run_id,
        "started": meta.started,
        "tool_version": meta.tool.version,
        "fingerprint_sha256": meta.fingerprint_sha256,
        "profile": meta.profile,
        "partition": meta.partition,
        "threads": meta.threads,
        "filters": meta.filters,
    })
}

/// The JSON report (format 2), every string redacted.
pub fn json_report(outcome: &Outcome, redactor: &Redactor) -> String {
    let counts = outcome.counts();
    let identical = outcome.identical();
    let value = json!({
        "format": 2,
        "a": side(outcome.sides.a.0, outcome.sides.a.1),
        "b": side(outcome.sides.b.0, outcome.sides.b.1),
        "compare": match outcome.compare { Compare::Documented => "documented", Compare::All => "all" },
        "ok": outcome.ok(),
        "runs_differ": outcome.explanation.notes,
        "scores": outcome.scores,
        "totals": {
            "cases": outcome.cases.len(),
            "identical": identical,
            "different": outcome.cases.len() - identical,
            "differences": counts.all,
            "open": counts.open,
            "accepted": counts.accepted,
            "outside_message": counts.outside_message,
            "outside_other": counts.outside_other,
        },
        "groups": outcome.groups.iter().map(|g| {
            let mut value = json!(g);
            value["in_verdict"] = json!(outcome.compare.judges(g.class));
            value
        }).collect::<Vec<_>>(),
        "unused_rules": outcome.unused_rules.iter().map(|r| r.describe()).collect::<Vec<_>>(),
        "unused_normalisers": outcome.unused_normalisers.iter().map(|n| n.describe()).collect::<Vec<_>>(),
        "cases": outcome.cases.iter().map(|c| json!({
            "id": c.id,
            "same": c.differences.is_empty(),
            "differences": c.differences.iter().map(|d| json!({
                "pointer": d.pointer,
                "operation": d.operation,
                "class": d.class,
                "kind": d.kind,
                "label": d.kind.label(),
                "a": d.a,
                "b": d.b,
                "accepted": d.accepted,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text = redactor.redact(&text).into_owned();
    text.push('\n');
    text
}

/// A self-contained HTML page: the verdict and score first, how the runs differ, the
/// score per operation, the groups, then the cases that differ and, collapsed, the same.
pub fn html_report(outcome: &Outcome, redactor: &Redactor) -> String {
    let t = |s: &str| escape::text(s, redactor);
    let counts = outcome.counts();
    let ok = outcome.ok();
    let sides = &outcome.sides;
    let overall = &outcome.scores.overall;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>cts-conform parity: {}</title>\n<style>\n{CSS}{PARITY_CSS}</style>\n</head>\n<body>\n\
         <header class=\"banner {}\"><h1>Parity</h1>\
         <p class=\"target\">A = {} ({}) &middot; B = {} ({})</p>\
         <p class=\"headline\">{} &middot; Core {}</p><div class=\"tiles\">",
        if ok { "same" } else { "different" },
        if ok { "pass" } else { "fail" },
        t(sides.a.0),
        t(&sides.a.1.target.url),
        t(sides.b.0),
        t(&sides.b.1.target.url),
        if ok { "SAME" } else { "DIFFERENT" },
        overall.percent(Tier::Core),
    );
    for tier in Tier::ALL {
        let _ = write!(
            out,
            "<div class=\"tile\">{}<b>{}</b></div>",
            tier.name(),
            overall.percent(tier)
        );
    }
    for (label, n) in [
        ("steps compared", overall.steps),
        ("cases compared", outcome.cases.len()),
        ("open differences", counts.open),
        ("accepted", counts.accepted),
        ("message text", counts.outside_message),
        ("undocumented, headers, order", counts.outside_other),
    ] {
        let _ = write!(
            out,
            "<div class=\"tile{}\">{label}<b>{n}</b></div>",
            if n == 0 { " zero" } else { "" }
        );
    }
    out.push_str("</div></header>\n<main>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">{} ({}). Core: status, error code, documented fields; Complete: also \
         undocumented fields, headers, order; Strict: also message text. Every difference \
         counts in the score, accepted or not.</p>",
        t(&score_line(outcome)),
        outcome.comparison()
    );
    if !outcome.explanation.notes.is_empty() {
        out.push_str("<h2>How the runs differ</h2>\n<ul class=\"notes\">");
        for note in &outcome.explanation.notes {
            let _ = write!(out, "<li>{}</li>", t(note));
        }
        out.push_str("</ul>\n");
    }
    for section in SECTIONS {
        let groups = outcome.section(section);
        if groups.is_empty() {
            continue;
        }
        let badge = match section {
            Section::Verdict => "open",
            Section::Accepted => "accepted",
            _ => "outside",
        };
        let _ = write!(
            out,
            "<h2>{}</h2>\n<table class=\"grid\"><thead><tr><th>Class</th><th>Operation</th>\
             <th>Pointer</th><th class=\"num\">Count</th><th>A | B (first)</th><th>Cases</th>\
             </tr></thead><tbody>",
            t(&section_title(section, outcome.compare))
        );
        for g in groups {
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td class=\"nowrap\"><span class=\"badge {badge}\">{}</span>\
                 <br><span class=\"note\">{}</span></td>\
                 <td class=\"nowrap\"><code>{}</code></td><td class=\"pattern\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"values\"><code>A: {}</code><code>B: {}</code></td><td class=\"cases\">{}{}</td></tr>",
                if section == Section::Verdict { "failed" } else { "" },
                t(g.class.label()),
                t(g.kind.label()),
                t(g.operation.as_deref().unwrap_or("(case)")),
                t(&g.pattern),
                g.count,
                t(&short(&g.a)),
                t(&short(&g.b)),
                t(&case_list(&g.cases)),
                if g.reasons.is_empty() {
                    String::new()
                } else {
                    format!("<br><span class=\"note\">accepted: {}</span>", t(&g.reasons.join("; ")))
                }
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(
        "<h2>By operation</h2>\n<table class=\"grid\"><thead><tr><th>Operation</th>\
         <th class=\"num\">Core</th><th class=\"num\">Complete</th><th class=\"num\">Strict</th>\
         <th class=\"num\">Steps</th></tr></thead><tbody>",
    );
    for (operation, score) in &outcome.scores.operations {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            t(operation),
            score.percent(Tier::Core),
            score.percent(Tier::Complete),
            score.percent(Tier::Strict),
            score.steps
        );
    }
    out.push_str("</tbody></table>\n");
    let unused: Vec<String> = outcome
        .unused_rules
        .iter()
        .map(|r| format!("rule {}", r.describe()))
        .chain(
            outcome
                .unused_normalisers
                .iter()
                .map(|n| format!("normaliser {}", n.describe())),
        )
        .collect();
    if !unused.is_empty() {
        out.push_str("<h2>Rules that match nothing</h2>\n<ul class=\"notes\">");
        for line in unused {
            let _ = write!(out, "<li><code>{}</code></li>", t(&line));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(
        "<h2>Cases that differ</h2>\n<table class=\"grid\"><thead><tr><th>Case</th><th>Pointer</th>\
         <th>Class</th><th>A</th><th>B</th></tr></thead><tbody>",
    );
    for case in outcome.cases.iter().filter(|c| !c.differences.is_empty()) {
        for (i, d) in case.differences.iter().enumerate() {
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td>{}</td><td class=\"pattern\">{}</td><td>{}{}</td>\
                 <td class=\"values\"><code>{}</code></td><td class=\"values\"><code>{}</code></td></tr>",
                if d.accepted.is_none() && outcome.compare.judges(d.class) { "failed" } else { "" },
                if i == 0 { t(&case.id) } else { String::new() },
                t(if d.pointer.is_empty() { "(case)" } else { &d.pointer }),
                t(d.class.label()),
                d.accepted.as_ref().map(|r| format!("<br><span class=\"note\">accepted: {}</span>", t(r))).unwrap_or_default(),
                t(&short(&d.a)),
                t(&short(&d.b)),
            );
        }
    }
    out.push_str("</tbody></table>\n");
    let same: Vec<&CaseParity> = outcome
        .cases
        .iter()
        .filter(|c| c.differences.is_empty())
        .collect();
    let _ = write!(
        out,
        "<details class=\"same\"><summary>{} the same</summary><ul>",
        plural(same.len(), "case")
    );
    for case in same {
        let _ = write!(out, "<li><code>{}</code></li>", t(&case.id));
    }
    let _ = write!(
        out,
        "</ul></details>\n</main>\n<footer>cts-conform parity &middot; A run {} &middot; B run {}</footer>\n</body>\n</html>\n",
        t(&sides.a.1.run_id),
        t(&sides.b.1.run_id)
    );
    out
}
