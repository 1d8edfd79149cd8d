//! Every tracker a run may create is named `cc-<run id>-...`, built-in and derived cases
//! alike, so that a ledger's intent alone (a create in flight when the process was killed)
//! lets `cts-conform sweep` prove the run made it and remove it (issue 26).
//!
//! The only names that cannot carry the prefix are those a case sends to have them
//! refused (an empty name, a reserved one, one starting with `_`): such a step must not
//! expect a 2xx. And the management tracker `system`, which is no data tracker.

use cts_conform::case::model::{Expect, StepSpec};
use cts_conform::case::vars::{expand_text, Vars};
use cts_conform::case::{builtin_sources, load};
use cts_conform::contract::Contract;
use cts_conform::cts::boundary::derived_cases;
use cts_conform::cts::{made_by_run, run_prefix};
use serde_json::Value;

const RUN_ID: &str = "0123abcd";

/// The run's variables as a run gives them (the bucket names are not trackers).
fn vars() -> Vars {
    let text = |s: &str| Value::String(s.to_string());
    Vars::from([
        ("prefix".to_string(), text(&run_prefix(RUN_ID))),
        ("run_id".to_string(), text(RUN_ID)),
        ("project_id".to_string(), text("p")),
        ("other_project_id".to_string(), text("q")),
        ("data_bucket".to_string(), text("cc-0123abcd-src1")),
        ("obs_bucket".to_string(), text("cc-0123abcd-obs")),
        ("absent_bucket".to_string(), text("cc-0123abcd-absent")),
        ("bucket_3".to_string(), text("a0a")),
    ])
}

/// Whether an expectation admits a 2xx answer (a created tracker).
fn admits_success(expect: &Expect) -> bool {
    let own = match &expect.status {
        None => expect.any_of.is_empty(),
        Some(set) => set.codes().iter().any(|s| (200..300).contains(s)),
    };
    own || expect.any_of.iter().any(admits_success)
}

fn step_may_create(step: &StepSpec) -> bool {
    admits_success(&step.expect) || step.expect_strict.as_deref().is_some_and(admits_success)
}

#[test]
fn every_tracker_a_built_in_or_derived_case_creates_is_named_by_the_run() {
    let contract = Contract::embedded();
    let mut cases = load(&builtin_sources(), contract, &cts_conform::cts::CASE_RULES)
        .expect("the built-in cases load");
    cases.extend(derived_cases(contract));
    let vars = vars();
    let mut checked = 0;
    let mut derived_checked = 0;
    let mut problems = Vec::new();
    for case in &cases {
        for step in &case.spec.steps {
            let Some(creates) = &step.creates else {
                continue;
            };
            let kind = creates.get("tracker_type").unwrap_or("data");
            if kind == "system" {
                continue;
            }
            let template = creates.get("tracker_name").unwrap_or("");
            let name = match expand_text(template, &vars) {
                Ok(name) => name,
                Err(e) => {
                    problems.push(format!("{}: {template:?}: {e}", case.id));
                    continue;
                }
            };
            checked += 1;
            if case.id.starts_with("derived::") {
                derived_checked += 1;
            }
            if made_by_run(&name, RUN_ID) {
                continue;
            }
            if step_may_create(step) {
                problems.push(format!(
                    "{}: creates {name:?} (from {template:?}), not named cc-{RUN_ID}-...",
                    case.id
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Not vacuous: the suite's creates were all looked at, derived ones included.
    assert!(checked > 50, "only {checked} creates found");
    assert!(
        derived_checked > 20,
        "only {derived_checked} derived creates"
    );
}

#[test]
fn the_derived_tracker_name_boundaries_carry_the_dash() {
    // The longest valid data tracker name (32) is the run's prefix, a dash, and filler.
    let cases = derived_cases(Contract::embedded());
    let case = cases
        .iter()
        .find(|c| c.id == "derived::create_tracker::tracker_name::len_32")
        .expect("the len_32 case");
    let creates = case.spec.steps[0].creates.as_ref().expect("creates");
    let name = expand_text(creates.get("tracker_name").expect("a name"), &vars()).unwrap();
    assert_eq!(name.len(), 32);
    assert!(made_by_run(&name, RUN_ID), "{name}");
}
