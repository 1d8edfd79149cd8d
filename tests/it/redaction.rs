//! No secret reaches the output: the built `cts-conform` binary runs cases that fail
//! (so that the failure report prints each request as a `curl` command) with known
//! AK/SK or token, and everything it prints - and everything `cts-conform serve
//! --verbose` prints while answering it - is scanned for the SK, the token, the AK
//! and any `Signature=<64 hex digits>`, as is every file the run writes (its ledger).
//! None may appear; the mask `***` must.

use crate::cli_run;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use regex::Regex;

const BINARY: &str = env!("CARGO_BIN_EXE_cts-conform");
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const AK: &str = "AKREDACTIONTEST00001";
const SK: &str = "SKredactionSKredactionSKredactionSKred01";
const TOKEN: &str = "MIIredaction-token_with/slash+plus==";

/// Two failing cases: one with credentials, one signed with a wrong key.
const FAILING_CASES: &str = r#"{
  "suite": "redaction",
  "cases": [
    {
      "name": "wrong_expectation",
      "doc": "redaction test: a failure prints the request",
      "steps": [{
        "operation": "ListTrackers",
        "query": {"tracker_name": "${prefix}-absent"},
        "expect": {"status": 200, "body": {"trackers": [{"tracker_name": "not-there"}]}}
      }]
    },
    {
      "name": "wrong_key_expected_to_pass",
      "doc": "redaction test: a refused request is printed too",
      "steps": [{
        "operation": "ListTrackers",
        "auth": "wrong-key",
        "expect": {"status": 200}
      }]
    }
  ]
}"#;

/// A directory holding the failing cases.
fn case_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("redaction.json"), FAILING_CASES).expect("case file");
    dir
}

/// Runs the harness with `args` on the failing cases in `dir`, its ledger in `dir`
/// too; it must report failures (101). Returns its output and every file in `dir`.
fn run_failing(dir: &Path, args: &[&str]) -> String {
    let cases = dir.display().to_string();
    let ledger = dir.join("run.ledger").display().to_string();
    let mut all = args.to_vec();
    all.extend(["--cases", &cases, "--ledger", &ledger]);
    all.extend(["--project-id", PROJECT, "--color", "never"]);
    let run = cli_run::run(&all);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, 101, "expected failures:\n{text}");
    assert!(text.contains("FAILED"), "{text}");
    text
}

/// Panics if `text` holds a secret or a signature, or no mask at all.
fn assert_redacted(what: &str, text: &str, masked_somewhere: bool) {
    for secret in [SK, TOKEN, AK] {
        assert!(!text.contains(secret), "{what} prints a secret:\n{text}");
    }
    let signature = Regex::new(r"(?i)Signature=[0-9a-f]{64}").expect("regex");
    assert!(
        !signature.is_match(text),
        "{what} prints a signature:\n{text}"
    );
    if masked_somewhere {
        assert!(text.contains("***"), "{what} shows no `***`:\n{text}");
    }
}

#[test]
fn ak_sk_never_printed_by_the_embedded_run() {
    let cases = case_dir();
    let text = run_failing(cases.path(), &["--ak", AK, "--sk", SK]);
    // The signed request is printed, masked.
    assert!(
        text.contains("Authorization: SDK-HMAC-SHA256 Access=***"),
        "{text}"
    );
    assert_redacted("the embedded run with --ak/--sk", &text, true);
}

#[test]
fn token_never_printed_by_the_embedded_run() {
    let cases = case_dir();
    let text = run_failing(cases.path(), &["--token", TOKEN]);
    // The reproduction reads the token from the environment: it runs, and shows nothing.
    assert!(
        text.contains("-H \"X-Auth-Token: ${CTS_AUTH_TOKEN}\""),
        "{text}"
    );
    assert_redacted("the embedded run with --token", &text, false);
}

/// `cts-conform serve` on a free port; its stderr is collected until it is stopped.
struct Server {
    child: Child,
    url: String,
    log: JoinHandle<String>,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--verbose"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts cts-conform serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let (address, announced) = mpsc::channel();
        let log = thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = address.send(url.to_owned());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let url = announced
            .recv_timeout(Duration::from_secs(20))
            .expect("serve announces its address");
        Self { child, url, log }
    }

    /// Stops the server and returns all it printed.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log.join().expect("log reader")
    }
}

#[test]
fn ak_sk_and_token_never_printed_against_serve() {
    let token_grant = format!("{TOKEN}:{PROJECT}");
    let server = Server::start(&[
        "--ak",
        AK,
        "--sk",
        SK,
        "--project-id",
        PROJECT,
        "--token",
        &token_grant,
    ]);
    let cases = case_dir();
    let signed = run_failing(
        cases.path(),
        &["--target", &server.url, "--ak", AK, "--sk", SK],
    );
    let with_token = run_failing(cases.path(), &["--target", &server.url, "--token", TOKEN]);
    let served = server.stop();
    assert!(served.contains("authentication is on"), "{served}");
    assert!(
        served.contains(" 401 "),
        "the wrong-key step was refused:\n{served}"
    );
    assert_redacted("the run with --ak/--sk against serve", &signed, true);
    assert!(
        with_token.contains("X-Auth-Token: ${CTS_AUTH_TOKEN}"),
        "{with_token}"
    );
    assert_redacted("the run with --token against serve", &with_token, false);
    assert_redacted("serve --verbose", &served, false);
}
