//! `--print-critical-path` (issue 30, item 1; hidden, read by bench/run.sh): after the run,
//! one line with the plan's critical-path bound in round trips, counting each case's
//! requests as it passes, one that ended at an unmet precondition to its precondition, and
//! the check before the run.

use crate::cli_run;

/// The `critical path: N round trips` line's N, if the run printed one.
fn round_trips(run: &cli_run::Run) -> Option<u64> {
    run.stdout
        .lines()
        .find_map(|line| line.strip_prefix("critical path: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
}

#[test]
fn the_bound_is_the_longest_case_plus_the_check_and_an_unmet_precondition_ends_a_case() {
    // Four requests (create, two lists, delete) on a fresh emulator, and the check.
    let met = cli_run::run(&[
        "--print-critical-path",
        "--exact",
        "management_tracker::documented_example_request_creates_the_management_tracker",
    ]);
    assert_eq!(met.code, 0, "{}{}", met.stdout, met.stderr);
    assert_eq!(round_trips(&met), Some(5), "{}", met.stdout);
    // Needs a management tracker, which a fresh emulator lacks: it ends at its first step
    // (it would send five requests if met).
    let unmet = cli_run::run(&[
        "--print-critical-path",
        "--exact",
        "management_tracker::existing_management_tracker_is_listed_by_type_and_by_name",
    ]);
    assert!(
        unmet.stdout.contains("precondition not met"),
        "{}",
        unmet.stdout
    );
    assert_eq!(round_trips(&unmet), Some(2), "{}", unmet.stdout);
    // Without the flag, no such line.
    let plain = cli_run::run(&[
        "--exact",
        "management_tracker::documented_example_request_creates_the_management_tracker",
    ]);
    assert_eq!(round_trips(&plain), None, "{}", plain.stdout);
}
