//! The documents-only target (issue 27, docs/contract.md C28): the documented profile
//! asserts only what the two documents (and api-facts' required items) require, so it
//! passes an emulator that follows the documents alone (`--emulator-documents-only`:
//! no account rule of api-facts, CTS.0003 for every refused input) with 0 failures;
//! the strict profile, which holds a target to the emulator's choices, fails it.

use crate::cli_run;

use cli_run::run;

/// The `test NAME ... FAILED` names of libtest output.
fn failed(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(str::trim)
        .collect()
}

#[test]
fn the_documented_suite_passes_a_target_that_follows_the_documents_only() {
    let outcome = run(&["--color", "never", "--emulator-documents-only"]);
    assert_eq!(
        (outcome.code, failed(&outcome.stdout)),
        (0, Vec::new()),
        "{}\n{}",
        outcome.stdout,
        outcome.stderr
    );
    assert!(
        outcome.stdout.contains(" 0 failed;"),
        "no result line:\n{}",
        outcome.stdout
    );
}

#[test]
fn the_strict_profile_fails_the_documents_only_target_on_the_emulators_choices() {
    let outcome = run(&[
        "--color",
        "never",
        "--emulator-documents-only",
        "--profile",
        "strict",
    ]);
    assert_eq!(outcome.code, 101, "{}", outcome.stdout);
    let failed = failed(&outcome.stdout);
    for expected in [
        // An account rule of api-facts the documents-only target does not apply.
        "account_rules::second_tracker_on_a_bucket_operation_is_refused",
        "account_rules::tracked_bucket_as_transfer_bucket_is_refused",
        "account_rules::data_tracker_status_change_without_data_bucket_is_refused",
        // An exact error code (CTS.0231) where it answers CTS.0003.
        "derived::create_tracker::obs_info.bucket_name::pattern_upper_case",
    ] {
        assert!(
            failed.contains(&expected),
            "{expected} did not fail; failed: {failed:?}\n{}",
            outcome.stdout
        );
    }
}

#[test]
fn documents_only_needs_the_embedded_target() {
    let outcome = run(&[
        "--target",
        "http://127.0.0.1:9",
        "--project-id",
        "p",
        "--emulator-documents-only",
    ]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("--emulator-documents-only needs the embedded target"),
        "{}",
        outcome.stderr
    );
}
