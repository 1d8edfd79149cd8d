//! Parity output: the terminal text (per case "same" or each difference with its
//! pointer, A value | B value), the JSON report and a self-contained HTML page.

use serde_json::{json, Value};

use crate::auth::Redactor;
use crate::record::RunMeta;
use crate::report::escape;

use super::baseline::Accepted;
use super::CaseParity;

/// The two sides, as named on the command line.
pub struct Sides<'a> {
    pub a: (&'a str, &'a RunMeta),
    pub b: (&'a str, &'a RunMeta),
}

/// Whether the comparison passes: no open difference and no stale baseline entry.
pub fn ok(cases: &[CaseParity], stale: &[Accepted]) -> bool {
    stale.is_empty() && cases.iter().all(|c| c.open().next().is_none())
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        format!("{}...", text.chars().take(117).collect::<String>())
    } else {
        text
    }
}

/// The terminal text.
pub fn text(sides: &Sides, cases: &[CaseParity], stale: &[Accepted]) -> String {
    let mut out = format!(
        "parity: A = {} ({}, run {}) | B = {} ({}, run {})\n\n",
        sides.a.0,
        sides.a.1.target.url,
        sides.a.1.run_id,
        sides.b.0,
        sides.b.1.target.url,
        sides.b.1.run_id
    );
    for case in cases {
        if case.differences.is_empty() {
            out.push_str(&format!("{} ... same\n", case.id));
            continue;
        }
        let open = case.open().count();
        out.push_str(&format!(
            "{} ... {} difference{}{}\n",
            case.id,
            case.differences.len(),
            if case.differences.len() == 1 { "" } else { "s" },
            if open < case.differences.len() {
                format!(" ({} accepted)", case.differences.len() - open)
            } else {
                String::new()
            }
        ));
        for d in &case.differences {
            out.push_str(&format!(
                "    {} [{}]: {} | {}{}\n",
                if d.pointer.is_empty() {
                    "(case)"
                } else {
                    &d.pointer
                },
                d.kind.label(),
                short(&d.a),
                short(&d.b),
                d.accepted
                    .as_ref()
                    .map(|r| format!("  (accepted: {r})"))
                    .unwrap_or_default()
            ));
        }
    }
    for entry in stale {
        out.push_str(&format!(
            "stale baseline entry: {} {} no longer differs (remove it; listed as: {})\n",
            entry.case, entry.pointer, entry.reason
        ));
    }
    let (same, total) = totals(cases);
    out.push_str(&format!(
        "\nparity result: {}. {} cases: {} same, {} different; {} differences ({} accepted)\n",
        if ok(cases, stale) {
            "same"
        } else {
            "DIFFERENT"
        },
        cases.len(),
        same,
        cases.len() - same,
        total.0,
        total.1
    ));
    out
}

/// (cases without difference, (differences, accepted ones)).
fn totals(cases: &[CaseParity]) -> (usize, (usize, usize)) {
    let same = cases.iter().filter(|c| c.differences.is_empty()).count();
    let all: usize = cases.iter().map(|c| c.differences.len()).sum();
    let open: usize = cases.iter().map(|c| c.open().count()).sum();
    (same, (all, all - open))
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
    })
}

/// The JSON report (format 1), every string redacted.
pub fn json_report(
    sides: &Sides,
    cases: &[CaseParity],
    stale: &[Accepted],
    redactor: &Redactor,
) -> String {
    let (same, (differences, accepted)) = totals(cases);
    let value = json!({
        "format": 1,
        "a": side(sides.a.0, sides.a.1),
        "b": side(sides.b.0, sides.b.1),
        "ok": ok(cases, stale),
        "totals": {
            "cases": cases.len(),
            "same": same,
            "different": cases.len() - same,
            "differences": differences,
            "accepted": accepted,
            "stale_baseline": stale.len(),
        },
        "cases": cases.iter().map(|c| json!({
            "id": c.id,
            "same": c.differences.is_empty(),
            "differences": c.differences.iter().map(|d| json!({
                "pointer": d.pointer,
                "kind": d.kind,
                "label": d.kind.label(),
                "a": d.a,
                "b": d.b,
                "accepted": d.accepted,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "stale_baseline": stale,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text = redactor.redact(&text).into_owned();
    text.push('\n');
    text
}

/// A self-contained HTML page.
pub fn html_report(
    sides: &Sides,
    cases: &[CaseParity],
    stale: &[Accepted],
    redactor: &Redactor,
) -> String {
    let t = |s: &str| escape::text(s, redactor);
    let (same, (differences, accepted)) = totals(cases);
    let mut body = String::new();
    for case in cases {
        let class = if case.differences.is_empty() {
            "same"
        } else if case.open().next().is_none() {
            "accepted"
        } else {
            "different"
        };
        body.push_str(&format!(
            "<tr class=\"{class}\"><td>{}</td><td colspan=\"4\">{}</td></tr>\n",
            t(&case.id),
            if case.differences.is_empty() {
                "same".to_string()
            } else {
                format!("{} difference(s)", case.differences.len())
            }
        ));
        for d in &case.differences {
            body.push_str(&format!(
                "<tr class=\"{class}\"><td></td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code>{}</td></tr>\n",
                t(&d.pointer),
                t(d.kind.label()),
                t(&short(&d.a)),
                t(&short(&d.b)),
                d.accepted.as_ref().map(|r| format!("<br>accepted: {}", t(r))).unwrap_or_default()
            ));
        }
    }
    let stale_items: String = stale
        .iter()
        .map(|e| {
            format!(
                "<li>{} <code>{}</code>: {}</li>",
                t(&e.case),
                t(&e.pointer),
                t(&e.reason)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cts-conform parity</title>\n\
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}}\
tr.different td{{background:#fde8e8}}tr.accepted td{{background:#fff6db}}tr.same td{{background:#e9f7ec}}code{{white-space:pre-wrap}}</style></head>\n\
<body><h1>Parity: {}</h1>\n<p>A: {} ({}, run {})<br>B: {} ({}, run {})</p>\n\
<p>{} cases: {} same, {} different; {} differences ({} accepted).</p>\n\
<table><thead><tr><th>case</th><th>pointer</th><th>kind</th><th>A</th><th>B</th></tr></thead><tbody>\n{}</tbody></table>\n{}</body></html>\n",
        if ok(cases, stale) { "same" } else { "different" },
        t(sides.a.0), t(&sides.a.1.target.url), t(&sides.a.1.run_id),
        t(sides.b.0), t(&sides.b.1.target.url), t(&sides.b.1.run_id),
        cases.len(), same, cases.len() - same, differences, accepted,
        body,
        if stale.is_empty() { String::new() } else { format!("<h2>Stale baseline entries</h2><ul>{stale_items}</ul>") }
    )
}
