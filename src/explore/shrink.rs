//! Greedy shrinking of a failing sequence (proptest's way, without its value trees):
//! first drop steps, then simplify the values of the steps left, keeping each candidate
//! that still fails the same way, until no candidate does. Pure: whether a candidate
//! fails is the caller's (`explore` re-runs it against a fresh target state).
//!
//! The result is 1-minimal in its steps: removing any one step no longer fails (each
//! removal was tried last against the final sequence).

use serde_json::Value;

use super::generator::{Op, Vocabulary};

/// Shrinks `ops`, which fail; `fails(candidate)` says whether a candidate fails the same
/// way. At most `budget` candidates are tried (each is a run).
pub fn shrink(
    ops: Vec<Op>,
    vocabulary: &Vocabulary,
    budget: usize,
    mut fails: impl FnMut(&[Op]) -> bool,
) -> Vec<Op> {
    let mut current = ops;
    let mut tries = 0;
    let mut try_candidate = |candidate: &[Op], tries: &mut usize| {
        *tries += 1;
        fails(candidate)
    };
    loop {
        let mut progressed = false;
        // Drop steps, from the end (later steps depend on earlier ones less often).
        let mut index = current.len();
        while index > 0 && tries < budget {
            index -= 1;
            if current.len() == 1 {
                break;
            }
            let mut candidate = current.clone();
            candidate.remove(index);
            if try_candidate(&candidate, &mut tries) {
                current = candidate;
                progressed = true;
            }
        }
        // Simplify the values of each step left.
        for index in 0..current.len() {
            for simpler in simpler_ops(&current[index], vocabulary) {
                if tries >= budget {
                    break;
                }
                let mut candidate = current.clone();
                candidate[index] = simpler;
                if try_candidate(&candidate, &mut tries) {
                    current = candidate;
                    progressed = true;
                    break;
                }
            }
        }
        if !progressed || tries >= budget {
            return current;
        }
    }
}

/// The simpler forms of one step, simplest change first: a setting or filter left out,
/// a shorter string.
pub fn simpler_ops(op: &Op, vocabulary: &Vocabulary) -> Vec<Op> {
    let mut out = Vec::new();
    match op {
        Op::Create { settings, .. } | Op::Update { settings, .. } => {
            for index in 0..settings.len() {
                let mut simpler = op.clone();
                if let Op::Create { settings, .. } | Op::Update { settings, .. } = &mut simpler {
                    settings.remove(index);
                }
                out.push(simpler);
            }
            for (index, setting) in settings.iter().enumerate() {
                let texts = setting
                    .value
                    .as_str()
                    .map_or_else(Vec::new, |text| vocabulary.shorter(&setting.path, text));
                for shorter in texts {
                    let mut simpler = op.clone();
                    if let Op::Create { settings, .. } | Op::Update { settings, .. } = &mut simpler
                    {
                        settings[index].label = format!(
                            "{} len_{}",
                            settings[index].path.join("."),
                            shorter.chars().count()
                        );
                        settings[index].value = Value::String(shorter);
                    }
                    out.push(simpler);
                }
            }
            if let Op::Update {
                status: Some(_), ..
            } = op
            {
                let mut simpler = op.clone();
                if let Op::Update { status, .. } = &mut simpler {
                    *status = None;
                }
                out.push(simpler);
            }
        }
        Op::List { name, tracker_type } => {
            if name.is_some() {
                out.push(Op::List {
                    name: None,
                    tracker_type: *tracker_type,
                });
            }
            if tracker_type.is_some() {
                out.push(Op::List {
                    name: *name,
                    tracker_type: None,
                });
            }
        }
        Op::Delete { .. } | Op::Quotas => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::generator::{Abilities, Setting, TypeArg};
    use super::*;
    use crate::contract::Contract;
    use serde_json::json;

    fn vocabulary() -> Vocabulary {
        Vocabulary::from_contract(
            Contract::embedded(),
            Abilities {
                mutate: true,
                data_bucket: true,
                obs_bucket: true,
            },
        )
    }

    fn create(name: usize, settings: Vec<Setting>) -> Op {
        Op::Create {
            name,
            event: "READ",
            settings,
        }
    }

    #[test]
    fn steps_that_do_not_matter_are_dropped_and_the_rest_kept() {
        // "Fails" when a create of 0 comes before a system delete of 0.
        let fails = |ops: &[Op]| {
            let created = ops
                .iter()
                .position(|op| matches!(op, Op::Create { name: 0, .. }));
            let deleted = ops.iter().position(|op| {
                matches!(
                    op,
                    Op::Delete {
                        name: 0,
                        tracker_type: TypeArg::System
                    }
                )
            });
            matches!((created, deleted), (Some(c), Some(d)) if c < d)
        };
        let ops = vec![
            Op::Quotas,
            create(1, Vec::new()),
            create(0, Vec::new()),
            Op::List {
                name: Some(0),
                tracker_type: None,
            },
            Op::Delete {
                name: 0,
                tracker_type: TypeArg::System,
            },
            Op::Quotas,
        ];
        let shrunk = shrink(ops, &vocabulary(), 100, fails);
        assert_eq!(
            shrunk,
            vec![
                create(0, Vec::new()),
                Op::Delete {
                    name: 0,
                    tracker_type: TypeArg::System
                }
            ]
        );
    }

    #[test]
    fn values_are_simplified_while_the_failure_stays() {
        let long = Setting {
            path: vec!["obs_info".into(), "file_prefix_name".into()],
            value: json!("a".repeat(60)),
            valid: true,
            label: "long".into(),
        };
        let lts = Setting {
            path: vec!["is_lts_enabled".into()],
            value: json!(true),
            valid: true,
            label: "lts".into(),
        };
        // "Fails" while the prefix is longer than 32.
        let fails = |ops: &[Op]| {
            ops.iter().any(|op| match op {
                Op::Create { settings, .. } => settings
                    .iter()
                    .any(|s| s.value.as_str().is_some_and(|t| t.len() > 32)),
                _ => false,
            })
        };
        let shrunk = shrink(vec![create(0, vec![lts, long])], &vocabulary(), 100, fails);
        let [Op::Create { settings, .. }] = shrunk.as_slice() else {
            panic!("{shrunk:?}");
        };
        assert_eq!(settings.len(), 1);
        let length = settings[0].value.as_str().unwrap().len();
        assert_eq!(length, 33, "one character less until the failure goes");
    }

    #[test]
    fn the_budget_bounds_the_tries() {
        let mut tries = 0;
        let ops = vec![Op::Quotas; 10];
        shrink(ops, &vocabulary(), 3, |_| {
            tries += 1;
            false
        });
        assert_eq!(tries, 3);
    }
}
