//! Merging the JSON reports of a partitioned run's shards into one report: refused when
//! the shards' fingerprints (contract and cases) or profiles differ, or when a case ran in
//! two shards. A case one shard filtered out (`not-run`) and another ran counts as run.
//! Totals are counted again over the merged cases, so they equal an unsharded run's.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::json::FORMAT;
use crate::outcome::Verdict;

/// Why shard reports cannot be merged (each message is one line).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("no shard report given")]
    NoShards,
    #[error("{file} is not a JSON report of format {FORMAT}")]
    NotAReport { file: String },
    /// The shards differ in `key` (the fingerprint or the profile); the values as JSON.
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
}

/// Merges `shards` (file name, parsed report).
pub fn merge(shards: &[(String, Value)]) -> Result<Value, MergeError> {
    let Some((first_name, first)) = shards.first() else {
        return Err(MergeError::NoShards);
    };
    let mut cases: BTreeMap<String, (String, Value)> = BTreeMap::new();
    for (name, shard) in shards {
        if shard["format"].as_u64() != Some(u64::from(FORMAT)) {
            return Err(MergeError::NotAReport { file: name.clone() });
        }
        for key in ["fingerprint_sha256", "profile"] {
            if shard[key] != first[key] {
                return Err(MergeError::NotOneRun {
                    file: name.clone(),
                    first_file: first_name.clone(),
                    key,
                    value: shard[key].to_string(),
                    first_value: first[key].to_string(),
                });
            }
        }
        for case in shard["cases"].as_array().into_iter().flatten() {
            let id = case["id"].as_str().unwrap_or_default().to_string();
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
    }
    let cases: Vec<Value> = cases.into_values().map(|(_, case)| case).collect();
    let mut totals = json!({"cases": cases.len()});
    for name in Verdict::NAMES {
        totals[name] = json!(cases.iter().filter(|c| c["status"] == name).count());
    }
    totals["retries"] = json!(cases
        .iter()
        .flat_map(|c| c["steps"].as_array().into_iter().flatten())
        .map(|s| s["retries"].as_array().map_or(0, Vec::len))
        .sum::<usize>());
    let ok = cases
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
            |(name, s)| json!({"report": name, "partition": s["partition"], "run_id": s["run_id"]}),
        )
        .collect();
    merged["started"] = json!(times("started").first());
    merged["finished"] = json!(times("finished").last());
    merged["duration_ms"] = json!(shards
        .iter()
        .filter_map(|(_, s)| s["duration_ms"].as_u64())
        .max()
        .unwrap_or(0));
    merged["interrupted"] = json!(shards.iter().any(|(_, s)| s["interrupted"] == true));
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
    merged["cases"] = json!(cases);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(partition: &str, cases: Value) -> (String, Value) {
        (
            format!("{partition}.json"),
            json!({"format": 1, "fingerprint_sha256": "f", "profile": "documented",
                   "run_id": partition, "partition": partition, "started": "2026-01-01T00:00:00Z",
                   "finished": "2026-01-01T00:00:01Z", "cases": cases}),
        )
    }

    #[test]
    fn merges_and_counts_again() {
        let merged = merge(&[
            shard(
                "1",
                json!([{"id": "s::a", "status": "passed", "steps": []},
                              {"id": "s::c", "status": "not-run", "steps": []}]),
            ),
            shard(
                "2",
                json!([{"id": "s::b", "status": "failed", "steps": []},
                              {"id": "s::c", "status": "ignored", "steps": []}]),
            ),
        ])
        .expect("merged");
        assert_eq!(merged["totals"]["cases"], 3);
        assert_eq!(merged["totals"]["passed"], 1);
        assert_eq!(merged["totals"]["failed"], 1);
        assert_eq!(merged["totals"]["ignored"], 1);
        assert_eq!(merged["totals"]["not-run"], 0);
        assert_eq!(merged["ok"], false);
    }

    #[test]
    fn refuses_overlap_and_other_fingerprints() {
        let a = shard("1", json!([{"id": "s::a", "status": "passed"}]));
        let b = shard("2", json!([{"id": "s::a", "status": "failed"}]));
        assert_eq!(
            merge(&[a.clone(), b]).expect_err("overlap"),
            MergeError::Overlap {
                case: "s::a".into(),
                first_file: "1.json".into(),
                file: "2.json".into()
            }
        );
        let mut c = shard("3", json!([]));
        c.1["fingerprint_sha256"] = json!("g");
        assert_eq!(
            merge(&[a, c]).expect_err("fingerprint").to_string(),
            "3.json and 1.json are not shards of one run: fingerprint_sha256 \"g\" vs \"f\""
        );
        assert_eq!(merge(&[]), Err(MergeError::NoShards));
    }
}
