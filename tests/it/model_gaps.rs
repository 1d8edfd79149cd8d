//! The model's two gaps of issue 27, item 1, each closed and proven by a fault that breaks
//! exactly it: a derived create's accepted value is read back (`file-prefix-cut`: a
//! 64-character `file_prefix_name` accepted, echoed whole, listed cut), and ListQuotas'
//! `used` is checked against the model where the run is the only writer
//! (`quota-used-counts-deleted`: `used` never lowered by a delete).

use crate::cli_run;

const LEN_64: &str = "derived::create_tracker::obs_info.file_prefix_name::len_64";

#[test]
fn a_derived_boundary_value_is_read_back() {
    let faulty = cli_run::run(&[
        "--color",
        "never",
        "--emulator-fault",
        "file-prefix-cut",
        "--exact",
        LEN_64,
    ]);
    assert_eq!(faulty.code, 101, "{}\n{}", faulty.stdout, faulty.stderr);
    assert!(
        faulty.stdout.contains("model: field-as-sent (data/cc-"),
        "{}",
        faulty.stdout
    );
    assert!(
        faulty.stdout.contains("obs_info.file_prefix_name is"),
        "{}",
        faulty.stdout
    );
    let correct = cli_run::run(&["--color", "never", "--exact", LEN_64]);
    assert_eq!(correct.code, 0, "{}\n{}", correct.stdout, correct.stderr);
    assert!(correct.stdout.contains("1 passed"), "{}", correct.stdout);
}

#[test]
fn quotas_used_is_checked_against_the_model_on_the_embedded_target() {
    let faulty = cli_run::run(&[
        "--color",
        "never",
        "--emulator-fault",
        "quota-used-counts-deleted",
        "--test-threads",
        "1",
        "lifecycle::",
    ]);
    assert_eq!(faulty.code, 101, "{}\n{}", faulty.stdout, faulty.stderr);
    assert!(
        faulty.stdout.contains("model: quota-used (data trackers)"),
        "{}",
        faulty.stdout
    );
    // One case at a time, in plan order: the quota cases come after the lifecycle case's
    // delete, whose tracker the faulty count keeps. Only the cases that list quotas fail:
    // the fault breaks nothing else.
    for line in faulty.stdout.lines().filter(|l| l.ends_with("FAILED")) {
        assert!(line.contains("quota"), "{line}\n{}", faulty.stdout);
    }
    let correct = cli_run::run(&["--color", "never", "lifecycle::"]);
    assert_eq!(correct.code, 0, "{}\n{}", correct.stdout, correct.stderr);
}
