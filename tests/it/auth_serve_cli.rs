//! `cts-conform serve`'s credential flags: what turns authentication on, what is a
//! usage error (exit 2), and that neither the messages nor the startup lines show a
//! secret.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_cts-conform");
const SK: &str = "SKserveSKserveSKserveSKserve01";
const TOKEN: &str = "MIIserve-cli-token";

/// Starts `serve` with `args` on a free port and returns what it printed up to its
/// `listening on` line; then stops it.
fn startup_lines(args: &[&str]) -> String {
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut printed = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("listening on") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        printed.contains("listening on http://127.0.0.1:"),
        "{printed}"
    );
    printed
}

/// Runs `serve` with `args`, which must be refused as a usage error; returns stderr.
fn refused(args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains(SK) && !stderr.contains(TOKEN), "{stderr}");
    stderr
}

#[test]
fn without_credentials_auth_is_off_with_a_warning() {
    let printed = startup_lines(&[]);
    assert!(
        printed.contains("warning: authentication is off"),
        "{printed}"
    );
}

#[test]
fn accounts_and_tokens_turn_auth_on() {
    let printed = startup_lines(&[
        "--ak",
        "AK1",
        "--sk",
        SK,
        "--project-id",
        "p1",
        "--ak",
        "AK2",
        "--sk",
        SK,
        "--project-id",
        "p2",
        "--token",
        TOKEN,
        "--token",
        &format!("{TOKEN}:p2"),
    ]);
    assert!(
        printed.contains("authentication is on: 2 account(s), 2 token(s)"),
        "{printed}"
    );
    assert!(
        !printed.contains(SK) && !printed.contains(TOKEN),
        "{printed}"
    );
}

#[test]
fn a_credentials_file_turns_auth_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("credentials.json");
    let text = format!(
        r#"{{"accounts": [{{"ak": "AK1", "sk": "{SK}", "project_id": "p1"}}],
            "tokens": [{{"token": "{TOKEN}", "project_id": "p1"}}]}}"#
    );
    std::fs::write(&file, text).expect("writes");
    let path = file.to_str().expect("utf-8 path");
    let printed = startup_lines(&["--credentials", path]);
    assert!(
        printed.contains("authentication is on: 1 account(s), 1 token(s)"),
        "{printed}"
    );
}

#[test]
fn inconsistent_flags_are_usage_errors() {
    let uneven = refused(&[
        "--ak",
        "AK1",
        "--sk",
        SK,
        "--project-id",
        "p1",
        "--project-id",
        "p2",
    ]);
    assert!(uneven.contains("equally often"), "{uneven}");
    let lonely_token = refused(&["--token", TOKEN]);
    assert!(lonely_token.contains("--project-id"), "{lonely_token}");
    refused(&["--project-id", "p1"]);
    refused(&["--ak", "AK1", "--sk", " ", "--project-id", "p1"]);
    refused(&[
        "--ak",
        "AK1",
        "--sk",
        SK,
        "--project-id",
        "p1",
        "--ak",
        "AK1",
        "--sk",
        "other-sk",
        "--project-id",
        "p2",
    ]);
}

#[test]
fn a_bad_credentials_file_is_a_usage_error_that_quotes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("credentials.json");
    std::fs::write(
        &file,
        format!(r#"{{"accounts": "{SK}", "tokens": ["{TOKEN}"]}}"#),
    )
    .expect("writes");
    let message = refused(&["--credentials", file.to_str().expect("utf-8 path")]);
    assert!(message.contains("line 1"), "{message}");
    // Every problem names the file (issue 32, item 5).
    assert!(message.contains(&file.display().to_string()), "{message}");
    let empty_ak = dir.path().join("empty_ak.json");
    std::fs::write(
        &empty_ak,
        r#"{"accounts": [{"ak": " ", "sk": "s", "project_id": "p1"}]}"#,
    )
    .expect("writes");
    let message = refused(&["--credentials", empty_ak.to_str().expect("utf-8 path")]);
    assert!(
        message.contains(&empty_ak.display().to_string()) && message.contains("is empty"),
        "{message}"
    );
    let missing = dir.path().join("absent.json");
    let message = refused(&["--credentials", missing.to_str().expect("utf-8 path")]);
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
}
