//! The default run is authenticated: the embedded emulator accepts only the run's own
//! credentials (generated AK/SK, or the `--ak/--sk` or `--token` given), so a step
//! sent without credentials, with a wrong key or a tampered signature gets 401, and
//! one on another project's path gets 403.

use crate::cli_run;

/// Every auth mode, each with the status the embedded emulator must answer.
const AUTH_CASES: &str = r#"{
  "suite": "auth",
  "cases": [{
    "name": "each_auth_mode",
    "doc": "api-facts: Request signing",
    "steps": [
      {"operation": "ListTrackers", "expect": {"status": 200}},
      {"operation": "ListTrackers", "auth": "none",
       "expect": {"status": 401, "body": {"error_code": "CTS.0002"}}},
      {"operation": "ListTrackers", "auth": "wrong-key",
       "expect": {"status": 401, "body": {"error_code": "CTS.0002"}}},
      {"operation": "ListTrackers", "auth": "tampered-signature",
       "expect": {"status": 401, "body": {"error_code": "CTS.0002"}}},
      {"operation": "ListTrackers", "path": {"project_id": "${other_project_id}"},
       "expect": {"status": 403, "body": {"error_code": "CTS.0013"}}}
    ]
  }]
}"#;

/// Runs the auth cases on the embedded target with `args`; returns the exit code and output.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("auth.json"), AUTH_CASES).expect("case file");
    let cases = dir.path().display().to_string();
    let mut all = args.to_vec();
    all.extend(["--cases", &cases, "--color", "never"]);
    let run = cli_run::run(&all);
    (Some(run.code), format!("{}{}", run.stdout, run.stderr))
}

#[test]
fn the_default_run_signs_with_generated_credentials() {
    let (code, text) = run(&[]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn given_ak_sk_configure_the_embedded_emulator() {
    let (code, text) = run(&[
        "--ak",
        "AKGIVENGIVENGIVEN001",
        "--sk",
        "SKgivenSKgivenSKgiven",
    ]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_given_token_configures_the_embedded_emulator() {
    let (code, text) = run(&["--token", "MIIgiven-token-value"]);
    assert_eq!(code, Some(0), "{text}");
}
