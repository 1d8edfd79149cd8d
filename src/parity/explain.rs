//! How the two runs were made differently, said before the differences: cases run at once
//! (a list answer holds what other cases had created at that moment), a shard or a
//! filter against a fuller run (its missing cases are not compared, and said once),
//! another profile, other contract or cases. From each recording's `run.json`.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::record::{Recording, RunMeta};

/// What parity says about the runs, and the cases it leaves out for it.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// One sentence each.
    pub notes: Vec<String>,
    /// Cases recorded on one side only because the other side's run did not select them.
    #[serde(skip)]
    pub not_selected: BTreeSet<String>,
}

/// Whether a run selected fewer cases than a plain run: a shard or a narrowing filter.
fn narrowed(meta: &RunMeta) -> Option<String> {
    let mut why = Vec::new();
    if let Some(partition) = &meta.partition {
        why.push(format!("shard {partition} (--partition {partition})"));
    }
    if let Some(filters) = meta.filters.as_ref().filter(|f| f.narrows()) {
        why.push(format!("filtered ({})", filters.describe()));
    }
    (!why.is_empty()).then(|| why.join(", "))
}

/// The explanation of recordings `a` and `b` (named `names`).
pub fn explain(a: &Recording, b: &Recording, names: (&str, &str)) -> Explanation {
    let mut out = Explanation::default();
    let sides = [("A", names.0, a, b), ("B", names.1, b, a)];
    // Cases run at once.
    for (side, name, this, _) in sides {
        match this.meta.threads {
            None => out.notes.push(format!(
                "{side} ({name}): run.json does not say how many cases ran at once (recorded \
                 before cts-conform kept it); with several, list answers differ from run to run"
            )),
            Some(n) if n > 1 => out.notes.push(format!(
                "{side} ({name}) ran {n} cases at once: a ListTrackers answer holds what other \
                 cases had created at that moment, so list differences may come from that alone \
                 (record both with --test-threads 1)"
            )),
            Some(_) => {}
        }
    }
    // A shard or a filter: cases the other side ran that this one did not select.
    for (side, name, this, other) in sides {
        let Some(why) = narrowed(&this.meta) else {
            continue;
        };
        if narrowed(&other.meta).as_deref() == Some(why.as_str()) {
            continue;
        }
        let missing: Vec<&String> = other
            .cases
            .keys()
            .filter(|id| !this.cases.contains_key(*id))
            .collect();
        let other_side = if side == "A" { "B" } else { "A" };
        out.notes.push(format!(
            "{side} ({name}) is {why}: the {} case{} {other_side} ran that {side} did not \
             select {} not compared",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            if missing.len() == 1 { "is" } else { "are" },
        ));
        out.not_selected.extend(missing.into_iter().cloned());
    }
    if a.meta.filters.is_some()
        && b.meta.filters.is_some()
        && a.meta.filters != b.meta.filters
        && narrowed(&a.meta).is_none() == narrowed(&b.meta).is_none()
    {
        let describe = |m: &RunMeta| m.filters.as_ref().map(|f| f.describe()).unwrap_or_default();
        out.notes.push(format!(
            "the runs selected cases differently: A {}, B {}",
            describe(&a.meta),
            describe(&b.meta)
        ));
    }
    if a.meta.profile != b.meta.profile {
        out.notes.push(format!(
            "A ran the {} profile, B the {} one: which steps run and what is checked may differ",
            a.meta.profile, b.meta.profile
        ));
    }
    if a.meta.fingerprint_sha256 != b.meta.fingerprint_sha256 {
        out.notes.push(format!(
            "the runs had other contracts or cases (fingerprints {} and {}; tool {} and {})",
            short(&a.meta.fingerprint_sha256),
            short(&b.meta.fingerprint_sha256),
            a.meta.tool.version,
            b.meta.tool.version
        ));
    }
    out
}

fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}
