//! A sequence as a case file of the project's own format (docs/case-format.md): what
//! `explore` runs, and what it writes when a sequence fails, so that
//! `cts-conform --cases DIR` replays it. Pure but for [`write`].
//!
//! Each [`Op`] is one step. A value the contract refuses expects one of the documented
//! refusals (as the derived cases do: docs/contract.md); every other answer is judged by
//! the automatic checks (documented status, response schema) and the run's model. Names
//! are `${prefix}-NAME` (the replaying run's own), the tracked bucket `${data_bucket}`;
//! a create says what it `creates`, so the run removes it whatever happens, and the
//! case's cleanup deletes every name the sequence created.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::generator::{Op, Setting, NAMES};

/// The suite of every case `explore` writes.
pub const SUITE: &str = "explore";

/// The statuses a refused create or update may have in the documented profile (any
/// documented 4xx but 401: the documents do not say which).
const REFUSED_CHANGE: [u16; 3] = [400, 403, 404];
/// The same for a listing with a bad filter.
const REFUSED_LISTING: [u16; 2] = [400, 403];

/// The case name of sequence `index` of the exploration `seed`.
pub fn case_name(seed: u64, index: u64) -> String {
    format!("seed_{seed}_sequence_{index}")
}

/// The case file of one sequence: suite [`SUITE`], one case named `name` checking `doc`.
pub fn case_file(name: &str, doc: &str, ops: &[Op]) -> Value {
    let steps: Vec<Value> = ops.iter().map(step).collect();
    let created: BTreeSet<usize> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Create { name, .. } => Some(*name),
            _ => None,
        })
        .collect();
    let cleanup: Vec<Value> = created
        .into_iter()
        .map(|name| {
            json!({
                "operation": "DeleteTracker",
                "query": {"tracker_name": tracker_name(name), "tracker_type": "data"},
                "expect": {"status": [204, 404]},
            })
        })
        .collect();
    json!({
        "suite": SUITE,
        "description": "A sequence found by `cts-conform explore`, shrunk (README: explore)",
        "cases": [{
            "name": name,
            "doc": doc,
            "steps": steps,
            "cleanup": cleanup,
        }],
    })
}

/// Writes `file` (a case file) as `DIR/NAME.json`, pretty, and gives its path.
pub fn write(dir: &Path, name: &str, file: &Value) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{name}.json"));
    let mut text = serde_json::to_string_pretty(file).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(&path, text)?;
    Ok(path)
}

fn tracker_name(name: usize) -> String {
    format!("${{prefix}}-{}", NAMES.get(name).copied().unwrap_or("x"))
}

fn step(op: &Op) -> Value {
    let mut step = Map::new();
    let refused = |codes: &[u16]| json!({"status": codes});
    match op {
        Op::Create {
            name,
            event,
            settings,
        } => {
            let mut body = json!({
                "tracker_type": "data",
                "tracker_name": tracker_name(*name),
                "data_bucket": {"data_bucket_name": "${data_bucket}", "data_event": [event]},
            });
            apply(&mut body, settings);
            step.insert("name".into(), json!(label("create", *name, settings)));
            step.insert("operation".into(), json!("CreateTracker"));
            step.insert("body".into(), body);
            step.insert(
                "creates".into(),
                json!({"tracker_name": tracker_name(*name), "tracker_type": "data"}),
            );
        }
        Op::Update {
            name,
            status,
            settings,
        } => {
            let mut body = json!({
                "tracker_type": "data",
                "tracker_name": tracker_name(*name),
                "data_bucket": {"data_bucket_name": "${data_bucket}"},
            });
            let all: Vec<Setting> = settings.iter().chain(status).cloned().collect();
            apply(&mut body, &all);
            step.insert("name".into(), json!(label("update", *name, &all)));
            step.insert("operation".into(), json!("UpdateTracker"));
            step.insert("body".into(), body);
        }
        Op::List { name, tracker_type } => {
            let mut query = Map::new();
            if let Some(name) = name {
                query.insert("tracker_name".into(), json!(tracker_name(*name)));
            }
            if let Some(tracker_type) = tracker_type {
                query.insert("tracker_type".into(), json!(tracker_type.as_str()));
            }
            step.insert("operation".into(), json!("ListTrackers"));
            step.insert("query".into(), Value::Object(query));
        }
        Op::Delete { name, tracker_type } => {
            step.insert("operation".into(), json!("DeleteTracker"));
            step.insert(
                "query".into(),
                json!({"tracker_name": tracker_name(*name), "tracker_type": tracker_type.as_str()}),
            );
        }
        Op::Quotas => {
            step.insert("operation".into(), json!("ListQuotas"));
        }
    }
    if op.invalid() {
        let codes: &[u16] = match op {
            Op::List { .. } => &REFUSED_LISTING,
            _ => &REFUSED_CHANGE,
        };
        step.insert("expect".into(), refused(codes));
    }
    Value::Object(step)
}

/// `create xa (obs_info.file_prefix_name len_64)`.
fn label(verb: &str, name: usize, settings: &[Setting]) -> String {
    let name = NAMES.get(name).copied().unwrap_or("x");
    match settings {
        [] => format!("{verb} {name}"),
        _ => {
            let labels: Vec<&str> = settings.iter().map(|s| s.label.as_str()).collect();
            format!("{verb} {name} ({})", labels.join(", "))
        }
    }
}

/// Sets each setting's value at its path, making objects on the way.
fn apply(body: &mut Value, settings: &[Setting]) {
    for setting in settings {
        let Some((last, parents)) = setting.path.split_last() else {
            continue;
        };
        let mut node = &mut *body;
        for key in parents {
            if !node.get(key).is_some_and(Value::is_object) {
                node[key.as_str()] = Value::Object(Map::new());
            }
            node = &mut node[key.as_str()];
        }
        node[last.as_str()] = setting.value.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::super::generator::TypeArg;
    use super::*;
    use crate::case::{load, Source};
    use crate::contract::Contract;

    #[test]
    fn a_written_sequence_loads_as_a_case_file() {
        let ops = vec![
            Op::Create {
                name: 0,
                event: "READ",
                settings: vec![Setting {
                    path: vec!["obs_info".into(), "file_prefix_name".into()],
                    value: json!("a:b"),
                    valid: false,
                    label: "obs_info.file_prefix_name pattern_colon".into(),
                }],
            },
            Op::List {
                name: Some(1),
                tracker_type: Some(TypeArg::Bogus),
            },
            Op::Delete {
                name: 0,
                tracker_type: TypeArg::System,
            },
            Op::Quotas,
        ];
        let file = case_file("seed_1_sequence_2", "a rule", &ops);
        let source = Source {
            name: "x.json".into(),
            text: serde_json::to_string_pretty(&file).unwrap(),
        };
        let cases = load(&[source], Contract::embedded(), &crate::cts::CASE_RULES).expect("loads");
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].id, "explore::seed_1_sequence_2");
        assert_eq!(cases[0].spec.steps.len(), 4);
        assert_eq!(cases[0].spec.cleanup.len(), 1);
        assert!(cases[0].spec.steps[0].expect.status.is_some());
        assert!(cases[0].spec.steps[2].expect.status.is_none());
    }
}
