//! The check after an automatic removal asks only whether the removed tracker is gone,
//! through the binary: under `ignore-name-filter` the list by name holds the case's other
//! tracker too (deterministically here; in a full run, whatever other cases hold at that
//! moment), and that is not a leftover of the removal. Under `delete-keeps` the removed
//! tracker is still listed, and that stays a failure.

use crate::cli_run;

const CASES: &str = r#"{
  "suite": "cleanup",
  "cases": [
    {
      "name": "two_trackers_removed_by_the_harness",
      "doc": "create-tracker: two data trackers on one bucket with disjoint operations",
      "steps": [
        {"operation": "CreateTracker",
         "body": {"tracker_type": "data", "tracker_name": "${prefix}-ca",
                  "data_bucket": {"data_bucket_name": "${data_bucket}", "data_event": ["READ"]}},
         "creates": {"tracker_name": "${prefix}-ca", "tracker_type": "data"},
         "expect": {"status": 201}},
        {"operation": "CreateTracker",
         "body": {"tracker_type": "data", "tracker_name": "${prefix}-cb",
                  "data_bucket": {"data_bucket_name": "${data_bucket}", "data_event": ["WRITE"]}},
         "creates": {"tracker_name": "${prefix}-cb", "tracker_type": "data"},
         "expect": {"status": 201}}
      ]
    }
  ]
}"#;

fn run_with(fault: &str) -> cli_run::Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cleanup.json"), CASES).unwrap();
    cli_run::run(&[
        "--color",
        "never",
        "--emulator-fault",
        fault,
        "--cases",
        dir.path().to_str().unwrap(),
        "--no-derived",
    ])
}

#[test]
fn other_trackers_in_the_list_are_not_a_leftover_but_the_removed_one_is() {
    let run = run_with("ignore-name-filter");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = run_with("delete-keeps");
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("is still listed after DeleteTracker answered 204"),
        "{}",
        run.stdout
    );
}
