//! Merging the JSON reports of a partitioned run's shards into one report, refusing what
//! it cannot vouch for: shards of another run (fingerprint, profile, tool version, target,
//! project, plan), shards that overlap (a case ran in two), a case id not in the plan, a
//! case status that contradicts its own steps, an interrupted shard, and a missing shard
//! (each report carries the plan's full case list, so a case no shard has is seen).
//! With `allow_partial`, a missing or interrupted shard is merged anyway: the missing
//! cases become `not-run` and the result is incomplete ([`super::completeness`]).
//! A case one shard filtered out (`not-run`) and another ran counts as run. Totals and
//! coverage are counted again over the merged cases, so they equal an unsharded run's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::json::{status_against_steps, FORMAT};
use crate::outcome::Verdict;

/// Why shard reports cannot be merged (each message is one line).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("no shard report given")]
    NoShards,
    #[error("{file} is not a JSON report of format {FORMAT}")]
    NotAReport { file: String },
    #[error("{file} has no plan (the case ids of the whole run): it was written by an older cts-conform; run the shard again")]
    NoPlan { file: String },
    /// The shards differ in `key`; the values as JSON.
    #[error("{file} and {first_file} are not shards of one run: {key} {value} vs {first_value}")]
    NotOneRun {
        file: String,
        first_file: String,
        key: &'static str,
        value: String,
        first_value: String,
    },
    #[error("case {case} ran in two shards ({first_file} and {file}): the shards overlap")]
    Overlap {
        case: String,
        first_file: String,
        file: String,
    },
    #[error("{file} and {first_file} both claim partition {partition}")]
    SamePartition {
        file: String,
        first_file: String,
        partition: String,
    },
    #[error("{file} lists {listed} cases but its totals say {counted}: the report was edited")]
    Totals {
        file: String,
        listed: usize,
        counted: String,
    },
    #[error("{file}: case {case} is not in the run's plan")]
    NotInPlan { file: String, case: String },
    #[error("{file}: {problem}")]
    Contradiction { file: String, problem: String },
    /// The report cannot be read back as a run's (a time, a status, the cases array).
    #[error("{file}: {problem}")]
    Unreadable { file: String, problem: String },
    #[error("{file} is of an interrupted run ({not_run} of its cases did not run); run the shard again, or pass --allow-partial")]
    Interrupted { file: String, not_run: usize },
    #[error("{missing} of {planned} planned cases are in no shard report (first: {first}; shards given: {given}): a shard is missing; pass every shard, or --allow-partial")]
    Missing {
        missing: usize,
        planned: usize,
        first: String,
        given: String,
    },
}

/// A merged report, and what `allow_partial` let through (one line each).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub report: Value,
    pub partial: Vec<String>,
}

/// The reason of a planned case that no shard report has.
pub const MISSING_REASON: &str = "not run: in no merged shard report (a shard is missing)";

/// The identity of the run a shard belongs to: (key, value). The URL of an embedded
/// target is left out: each shard starts its own emulator on its own port.
fn run_identity(shard: &Value) -> Vec<(&'static str, Value)> {
    let mut identity = vec![
        ("fingerprint_sha256", shard["fingerprint_sha256"].clone()),
        ("profile", shard["profile"].clone()),
        ("tool version", shard["tool"]["version"].clone()),
        ("target kind", shard["target"]["kind"].clone()),
        ("project", shard["target"]["project_id"].clone()),
        ("plan", shard["plan"]["ids"].clone()),
    ];
    if shard["target"]["kind"] != "embedded" {
        identity.push(("target", shard["target"]["url"].clone()));
    }
    identity
}

/// Merges `shards` (file name, parsed report).
pub fn merge(shards: &[(String, Value)], allow_partial: bool) -> Result<Merged, MergeError> {
    let Some((first_name, first)) = shards.first() else {
        return Err(MergeError::NoShards);
    };
    let mut partial = Vec::new();
    let first_identity = run_identity(first);
    let plan: Vec<String> = first["plan"]["ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(String::from))
        .collect();
    let planned: BTreeSet<&str> = plan.iter().map(String::as_str).collect();
    let mut cases: BTreeMap<String, (String, Value)> = BTreeMap::new();
    let mut partitions: BTreeMap<String, String> = BTreeMap::new();
    for (name, shard) in shards {
        if shard["format"].as_u64() != Some(u64::from(FORMAT)) {
            return Err(MergeError::NotAReport { file: name.clone() });
        }
        if !shard["plan"]["ids"].is_array() {
            return Err(MergeError::NoPlan { file: name.clone() });
        }
        // What the merged report is read back as, checked in each shard, so that a
        // problem names its file.
        if let Err(e) = super::load::summary(shard).and_then(|_| super::load::results(shard)) {
            return Err(MergeError::Unreadable {
                file: name.clone(),
                problem: e.to_string(),
            });
        }
        for ((key, value), (_, first_value)) in run_identity(shard).into_iter().zip(&first_identity)
        {
            if value != *first_value {
                let show = |v: &Value| match key {
                    "plan" => format!("of {} cases", v.as_array().map_or(0, Vec::len)),
                    _ => v.to_string(),
                };
                return Err(MergeError::NotOneRun {
                    file: name.clone(),
                    first_file: first_name.clone(),
                    key,
                    value: show(&value),
                    first_value: show(first_value),
                });
            }
        }
        let shard_cases: Vec<&Value> = shard["cases"].as_array().into_iter().flatten().collect();
        if shard["totals"]["cases"].as_u64() != Some(shard_cases.len() as u64) {
            return Err(MergeError::Totals {
                file: name.clone(),
                listed: shard_cases.len(),
                counted: shard["totals"]["cases"].to_string(),
            });
        }
        if shard["interrupted"] == true {
            let error = MergeError::Interrupted {
                file: name.clone(),
                not_run: shard_cases
                    .iter()
                    .filter(|c| c["status"] == "ignored" || c["status"] == "not-run")
                    .count(),
            };
            if !allow_partial {
                return Err(error);
            }
            partial.push(error.to_string());
        }
        for case in shard_cases {
            let id = case["id"].as_str().unwrap_or_default().to_string();
            if !planned.contains(id.as_str()) {
                return Err(MergeError::NotInPlan {
                    file: name.clone(),
                    case: id,
                });
            }
            if let Some(problem) = status_against_steps(case) {
                return Err(MergeError::Contradiction {
                    file: name.clone(),
                    problem,
                });
            }
            let ran = case["status"] != "not-run";
            match cases.get(&id) {
                Some((other, kept)) if ran && kept["status"] != "not-run" => {
                    return Err(MergeError::Overlap {
                        case: id,
                        first_file: other.clone(),
                        file: name.clone(),
                    });
                }
                Some(_) if !ran => {}
                _ => {
                    cases.insert(id, (name.clone(), case.clone()));
                }
            }
        }
        // After its cases: the same report twice is an overlap, first.
        if let Some(partition) = shard["partition"].as_str() {
            if let Some(first_file) = partitions.insert(partition.to_string(), name.clone()) {
                return Err(MergeError::SamePartition {
                    file: name.clone(),
                    first_file,
                    partition: partition.to_string(),
                });
            }
        }
    }
    let missing: Vec<&String> = plan.iter().filter(|id| !cases.contains_key(*id)).collect();
    if let Some(first_missing) = missing.first() {
        let error = MergeError::Missing {
            missing: missing.len(),
            planned: plan.len(),
            first: first_missing.to_string(),
            given: shards
                .iter()
                .map(|(_, s)| s["partition"].as_str().unwrap_or("none").to_string())
                .collect::<Vec<_>>()
                .join(", "),
        };
        if !allow_partial {
            return Err(error);
        }
        partial.push(error.to_string());
        for id in missing {
            let suite = id.split("::").next().unwrap_or_default();
            let case = json!({"id": id, "suite": suite,
                "name": id.strip_prefix(&format!("{suite}::")).unwrap_or(id),
                "file": "", "doc": "", "operations": [], "status": "not-run",
                "reason": MISSING_REASON, "duration_ms": 0, "interrupted": false,
                "findings": [], "steps": [], "failure_text": null});
            cases.insert(id.clone(), (String::new(), case));
        }
    }
    // Plan order, as a run's report has it.
    let order: BTreeMap<&str, usize> = plan
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut cases: Vec<Value> = cases.into_values().map(|(_, case)| case).collect();
    cases.sort_by_key(|c| order.get(c["id"].as_str().unwrap_or_default()).copied());
    let mut totals = json!({"cases": cases.len()});
    for name in Verdict::NAMES {
        totals[name] = json!(cases.iter().filter(|c| c["status"] == name).count());
    }
    totals["retries"] = json!(cases
        .iter()
        .flat_map(|c| c["steps"].as_array().into_iter().flatten())
        .map(|s| s["retries"].as_array().map_or(0, Vec::len))
        .sum::<usize>());
    let interrupted = shards.iter().any(|(_, s)| s["interrupted"] == true);
    let ok = !interrupted
        && cases
            .iter()
            .all(|c| c["status"] != "failed" && c["status"] != "unexpected-pass");
    let times = |key: &str| -> Vec<String> {
        let mut t: Vec<String> = shards
            .iter()
            .filter_map(|(_, s)| s[key].as_str().map(String::from))
            .collect();
        t.sort();
        t
    };
    let mut merged = first.clone();
    merged["run_id"] = json!(shards
        .iter()
        .filter_map(|(_, s)| s["run_id"].as_str())
        .collect::<Vec<_>>()
        .join(","));
    merged["partition"] = Value::Null;
    merged["merged_from"] = shards
        .iter()
        .map(
            |(name, s)| json!({"report": name, "partition": s["partition"], "run_id": s["run_id"], "target": s["target"]["url"]}),
        )
        .collect();
    merged["started"] = json!(times("started").first());
    merged["finished"] = json!(times("finished").last());
    merged["duration_ms"] = json!(shards
        .iter()
        .filter_map(|(_, s)| s["duration_ms"].as_u64())
        .max()
        .unwrap_or(0));
    merged["interrupted"] = json!(interrupted);
    // Each shard's leftovers, with the commands (one per ledger) that remove them.
    let left: Vec<Value> = shards
        .iter()
        .flat_map(|(_, s)| {
            s["leftovers"]["trackers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let mut sweeps: Vec<&str> = shards
        .iter()
        .filter(|(_, s)| {
            s["leftovers"]["trackers"]
                .as_array()
                .is_some_and(|t| !t.is_empty())
        })
        .filter_map(|(_, s)| s["leftovers"]["sweep"].as_str())
        .collect();
    sweeps.dedup();
    let ok = ok && left.is_empty();
    let sweep = (!sweeps.is_empty()).then(|| sweeps.join(" && "));
    merged["leftovers"] = json!({"trackers": left, "sweep": sweep});
    merged["ok"] = json!(ok);
    merged["totals"] = totals;
    merged["coverage_rows"] = coverage_rows(shards);
    merged["cases"] = json!(cases);
    // Counted again by the caller over the merged cases (completeness::assess).
    merged["complete"] = Value::Null;
    merged["completeness"] = Value::Null;
    Ok(Merged {
        report: merged,
        partial,
    })
}

/// The shards' coverage rows, each row's cases joined (rows in the first shard's order).
fn coverage_rows(shards: &[(String, Value)]) -> Value {
    let key = |row: &Value| {
        (
            row["operation"].to_string(),
            row["kind"].to_string(),
            row["name"].to_string(),
        )
    };
    let mut rows: Vec<Value> = Vec::new();
    for (_, shard) in shards {
        for row in shard["coverage_rows"].as_array().into_iter().flatten() {
            let cases = row["cases"].as_array().cloned().unwrap_or_default();
            match rows.iter_mut().find(|r| key(r) == key(row)) {
                Some(kept) => {
                    if let Some(list) = kept["cases"].as_array_mut() {
                        list.extend(cases);
                    }
                }
                None => rows.push(row.clone()),
            }
        }
    }
    json!(rows)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A shard report of partition `partition` holding `cases`, of a plan of three cases.
    pub(crate) fn shard(partition: &str, cases: Value) -> (String, Value) {
        (
            format!("{partition}.json"),
            json!({"format": 1, "fingerprint_sha256": "f", "profile": "documented",
                   "tool": {"version": "1"}, "target": {"kind": "embedded", "url": partition},
                   "plan": {"ids": ["s::a", "s::b", "s::c"]},
                   "run_id": partition, "partition": partition, "started": "2026-01-01T00:00:00Z",
                   "finished": "2026-01-01T00:00:01Z",
                   "totals": {"cases": cases.as_array().map_or(0, Vec::len)}, "cases": cases}),
        )
    }

    const FAILED_STEP: &str = r#"[{"position": "step 1 of 1", "failed": true}]"#;

    /// One failed step, as a failed case's report has it.
    pub(crate) fn failed_steps() -> Value {
        serde_json::from_str(FAILED_STEP).expect("steps")
    }

    #[test]
    fn merges_and_counts_again() {
        let merged = merge(
            &[
                shard(
                    "1",
                    json!([{"id": "s::a", "status": "passed", "steps": []},
                           {"id": "s::c", "status": "not-run", "steps": []}]),
                ),
                shard(
                    "2",
                    json!([{"id": "s::b", "status": "failed", "steps": failed_steps()},
                           {"id": "s::c", "status": "ignored", "steps": []}]),
                ),
            ],
            false,
        )
        .expect("merged")
        .report;
        assert_eq!(merged["totals"]["cases"], 3);
        assert_eq!(merged["totals"]["passed"], 1);
        assert_eq!(merged["totals"]["failed"], 1);
        assert_eq!(merged["totals"]["ignored"], 1);
        assert_eq!(merged["totals"]["not-run"], 0);
        assert_eq!(merged["ok"], false);
    }

    #[test]
    fn refuses_overlap_other_fingerprints_and_missing_shards() {
        let a = shard(
            "1",
            json!([{"id": "s::a", "status": "passed"}, {"id": "s::c", "status": "passed"}]),
        );
        let b = shard(
            "2",
            json!([{"id": "s::a", "status": "failed", "steps": failed_steps()}]),
        );
        assert_eq!(
            merge(&[a.clone(), b], false).expect_err("overlap"),
            MergeError::Overlap {
                case: "s::a".into(),
                first_file: "1.json".into(),
                file: "2.json".into()
            }
        );
        let mut c = shard("3", json!([]));
        c.1["fingerprint_sha256"] = json!("g");
        assert_eq!(
            merge(&[a.clone(), c], false)
                .expect_err("fingerprint")
                .to_string(),
            "3.json and 1.json are not shards of one run: fingerprint_sha256 \"g\" vs \"f\""
        );
        assert_eq!(merge(&[], false), Err(MergeError::NoShards));
        assert!(matches!(
            merge(std::slice::from_ref(&a), false),
            Err(MergeError::Missing { missing: 1, .. })
        ));
        let partial = merge(&[a], true).expect("partial");
        assert_eq!(partial.partial.len(), 1);
        assert_eq!(partial.report["totals"]["not-run"], 1);
    }
}
