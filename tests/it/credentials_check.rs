//! The check before the run (a signed ListTrackers): credentials the target refuses end the
//! run at once with exit code 3 and one line naming the answer, before any case; and a
//! precondition the target refuses fails its case instead of turning it into "ignored".

use crate::cli_run;

use std::net::SocketAddr;

use cts_conform::auth::Credentials;
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, RunningEmulator};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const AK: &str = "AKCHECKCHECKCHECK001";
const SK: &str = "SKcheckSKcheckSKcheckSKcheckSKcheck00001";

/// An emulator that accepts only `AK`/`SK` for `PROJECT`, on its own runtime.
fn target() -> (tokio::runtime::Runtime, RunningEmulator) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let policy = AuthPolicy::new(
        vec![Account {
            credentials: Credentials::new(AK, SK),
            project_id: PROJECT.into(),
        }],
        Vec::new(),
    )
    .unwrap();
    let config = EmulatorConfig {
        auth: Some(policy),
        ..EmulatorConfig::default()
    };
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let running = runtime.block_on(emulator::start(config, listen)).unwrap();
    (runtime, running)
}

#[test]
fn wrong_credentials_end_the_run_before_any_case() {
    let (_runtime, running) = target();
    let url = running.base_url();
    let wrong_sk = "SKwrongSKwrongSKwrongSKwrongSKwrong00001";
    let run = cli_run::run(&[
        "--target",
        &url,
        "--project-id",
        PROJECT,
        "--ak",
        AK,
        "--sk",
        wrong_sk,
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one message: {:?}", run.stderr);
    assert!(
        lines[0].starts_with(&format!("error: credentials rejected by {url}: 401")),
        "{}",
        lines[0]
    );
    assert!(!run.stdout.contains("test "), "no case ran: {}", run.stdout);
    assert!(!run.stderr.contains(wrong_sk) && !run.stderr.contains(AK));
}

#[test]
fn no_credentials_on_a_target_that_needs_them_say_how_to_pass_them() {
    let (_runtime, running) = target();
    let run = cli_run::run(&["--target", &running.base_url(), "--project-id", PROJECT]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("credentials rejected"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--ak/--sk"), "{}", run.stderr);
}

#[test]
fn a_precondition_answered_401_fails_its_case() {
    let run = cli_run::run(&["--cases", &cli_run::cases("precondition-401")]);
    assert_eq!(run.code, 101, "{run:?}");
    assert!(
        run.stdout
            .contains("precondition::refused_precondition_fails")
            && run.stdout.contains("FAILED"),
        "{}",
        run.stdout
    );
}
