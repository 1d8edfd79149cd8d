//! The command's report flags, baseline and partition end to end, against the embedded
//! emulator, with the exit codes docs/ci.md documents: 0 passed, 101 a case failed (or
//! passed unexpectedly), 2 usage/configuration (checked before any request), 3 unreachable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOKEN: &str = "tok-SECRET-cli-0123456789";

/// One case that passes, one that fails with a body diff, one ignored.
const CASES: &str = r#"{
  "suite": "cli",
  "cases": [
    {"name": "passes", "doc": "query-trackers: Table 2 / tracker_name",
     "steps": [{"operation": "ListTrackers", "query": {"tracker_name": "${prefix}-none"},
                "expect": {"status": 200, "body": {"trackers": []}}}]},
    {"name": "fails", "doc": "query-trackers: Table 3 / trackers",
     "steps": [{"operation": "ListTrackers", "query": {"tracker_name": "${prefix}-none"},
                "expect": {"status": 200, "body": {"trackers": [{"tracker_name": "x"}]}}}]},
    {"name": "ignored", "doc": "query-trackers: Table 2", "ignore": "not yet",
     "steps": [{"operation": "ListTrackers", "expect": {"status": 200}}]}
  ]
}"#;

fn cts(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cts-conform"))
        .args(args)
        .env_remove("CTS_TARGET")
        .env_remove("CTS_AUTH_TOKEN")
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
        .output()
        .expect("the binary runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn case_dir(dir: &Path) -> String {
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).expect("mkdir");
    std::fs::write(cases.join("cli.json"), CASES).expect("write cases");
    cases.display().to_string()
}

fn path(dir: &Path, name: &str) -> (PathBuf, String) {
    let p = dir.join(name);
    let s = p.display().to_string();
    (p, s)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).expect("report written")
}

#[test]
fn failures_give_101_and_every_report_without_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = case_dir(dir.path());
    let (junit, junit_s) = path(dir.path(), "junit.xml");
    let (json, json_s) = path(dir.path(), "report.json");
    let (html, html_s) = path(dir.path(), "report.html");
    let out = cts(&[
        "--cases",
        &cases,
        "--token",
        TOKEN,
        "--junit",
        &junit_s,
        "--report-json",
        &json_s,
        "--report-html",
        &html_s,
        "cli::",
    ]);
    assert_eq!(code(&out), 101, "{}", stderr(&out));
    for report in [&junit, &json, &html] {
        let text = read(report);
        assert!(!text.contains(TOKEN), "token in {}", report.display());
        assert!(
            text.contains("X-Auth-Token: ${CTS_AUTH_TOKEN}"),
            "no curl reading the token from the environment in {}",
            report.display()
        );
    }
    let xml = read(&junit);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    assert_eq!(doc.root_element().attribute("failures"), Some("1"));
    // Filtered-out cases of the plan are listed as skipped, in their own suites.
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("cli"))
        .expect("the cli suite");
    assert_eq!(suite.attribute("tests"), Some("3"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    assert_eq!(suite.attribute("skipped"), Some("1"));
    let report: serde_json::Value = serde_json::from_str(&read(&json)).expect("JSON");
    // The derived cases are in the plan but filtered out by `cli::`.
    assert_eq!(report["totals"]["failed"], 1);
    assert_eq!(report["totals"]["passed"], 1);
    assert_eq!(report["totals"]["ignored"], 1);
    assert!(report["totals"]["not-run"].as_u64().is_some_and(|n| n > 10));
    assert_eq!(report["target"]["kind"], "embedded");
    assert_eq!(
        report["fingerprint_sha256"].as_str().map(str::len),
        Some(64)
    );
    assert!(read(&html).contains("FAILED: 1 of"));
}

#[test]
fn all_passed_gives_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (junit, junit_s) = path(dir.path(), "junit.xml");
    let out = cts(&["--junit", &junit_s]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let xml = read(&junit);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
}

#[test]
fn baseline_turns_failures_into_expected_ones_and_passes_into_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = case_dir(dir.path());
    let (baseline, baseline_s) = path(dir.path(), "baseline.json");
    let (json, json_s) = path(dir.path(), "report.json");
    std::fs::write(
        &baseline,
        r#"{"expected_failures": [{"case": "cli::fails", "reason": "bug 7"}]}"#,
    )
    .expect("write");
    let args = [
        "--cases",
        &cases,
        "--baseline",
        &baseline_s,
        "--report-json",
        &json_s,
        "cli::",
    ];
    let out = cts(&args);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("expected failure: bug 7"),
        "{}",
        stdout(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&read(&json)).expect("JSON");
    assert_eq!(report["cases"][1]["status"], "expected-failure");

    std::fs::write(
        &baseline,
        r#"{"expected_failures": [{"case": "cli::fails", "reason": "bug 7"}, {"case": "cli::passes", "reason": "old"}]}"#,
    )
    .expect("write");
    let out = cts(&args);
    assert_eq!(code(&out), 101);
    assert!(stdout(&out).contains("unexpected pass: remove it from the baseline"));
}

#[test]
fn unknown_baseline_id_gives_2_naming_file_and_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (baseline, baseline_s) = path(dir.path(), "baseline.json");
    std::fs::write(
        &baseline,
        r#"{"expected_failures": [{"case": "nope::missing", "reason": "x"}]}"#,
    )
    .expect("write");
    let out = cts(&["--baseline", &baseline_s]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&baseline_s) && stderr(&out).contains("\"nope::missing\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unwritable_report_gives_2_before_any_request() {
    // The target is unreachable: a request (even the reachability check) would give 3.
    for flag in ["--junit", "--report-json", "--report-html"] {
        let out = cts(&[
            "--target",
            "http://127.0.0.1:9",
            "--project-id",
            "p",
            flag,
            "/nonexistent-dir/report.out",
        ]);
        assert_eq!(code(&out), 2, "{flag}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(flag) && stderr(&out).contains("/nonexistent-dir/report.out")
        );
    }
}

#[test]
fn unreachable_target_gives_3_with_one_message() {
    let out = cts(&["--target", "http://127.0.0.1:9", "--project-id", "p"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(
        stderr(&out)
            .lines()
            .filter(|l| l.contains("unreachable"))
            .count(),
        1
    );
}

#[test]
fn bad_partition_gives_2() {
    let out = cts(&["--partition", "hash:3/2", "--list"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("hash:K/N"), "{}", stderr(&out));
}

#[test]
fn list_shows_each_shard_and_the_shards_cover_the_suite() {
    let names = |args: &[&str]| -> Vec<String> {
        let out = cts(args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let mut names: Vec<String> = stdout(&out)
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(String::from)
            .collect();
        names.sort();
        names
    };
    let all = names(&["--list"]);
    let mut shards: Vec<String> = (1..=3)
        .flat_map(|k| names(&["--list", "--partition", &format!("count:{k}/3")]))
        .collect();
    shards.sort();
    assert_eq!(shards, all);
    assert!(names(&["--list", "--partition", "hash:1/3"]).len() < all.len());
}

#[test]
fn a_baseline_may_name_a_derived_case_with_no_derived() {
    // With --no-derived no derived case is made, yet a baseline naming one is valid (the
    // same baseline serves runs with and without them); a misspelt one is still refused.
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = case_dir(dir.path());
    let (baseline, baseline_s) = path(dir.path(), "baseline.json");
    let with_expected_failure = |case: &str| {
        let text = format!(r#"{{"expected_failures": [{{"case": "{case}", "reason": "x"}}]}}"#);
        std::fs::write(&baseline, text).expect("write");
        cts(&[
            "--cases",
            &cases,
            "--no-derived",
            "--baseline",
            &baseline_s,
            "cli::passes",
        ])
    };
    let derived = "derived::list_trackers::tracker_type::enum_bogus";
    let out = with_expected_failure(derived);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let out = with_expected_failure(&format!("{derived}x"));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn ignored_runs_only_the_ignored_cases_and_include_ignored_all() {
    // `--ignored` once said "no case matched" (exit 4): the selection check asked libtest
    // about a trial without its ignore flag.
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = case_dir(dir.path());
    let out = cts(&[
        "--cases",
        &cases,
        "--no-derived",
        "--ignored",
        "--format",
        "terse",
    ]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("1 passed; 0 failed; 0 ignored"),
        "{}",
        stdout(&out)
    );
    let out = cts(&[
        "--cases",
        &cases,
        "--no-derived",
        "--include-ignored",
        "cli::ignored",
    ]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("cli::ignored ... ok"),
        "{}",
        stdout(&out)
    );
}

/// A filter (or shard) that selects no case, allowed by `--no-tests=pass`, runs nothing and
/// sends nothing, not even the check before the run: the target below accepts connections
/// but never answers, and sees none.
#[test]
fn a_run_that_selects_no_case_sends_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = case_dir(dir.path());
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let target = format!("http://{}", silent.local_addr().expect("addr"));
    let output = cts(&[
        "--target",
        &target,
        "--project-id",
        "p",
        "--cases",
        &cases,
        "--timeout",
        "1",
        "--no-tests=pass",
        "no-such-case",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    silent.set_nonblocking(true).expect("nonblocking");
    assert!(
        matches!(silent.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the run connected to the target"
    );
}

/// The run's last line counts the requests it sent, by operation, with the retries
/// (issue 32, items 2 and 4): the same count as the JSON report's steps.
#[test]
fn the_run_counts_its_requests_as_the_json_report_does() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    let run = crate::cli_run::run(&["--report-json", json.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let line = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("requests sent: "))
        .unwrap_or_else(|| panic!("no request count:\n{}", run.stdout));
    let printed: usize = line
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let counted: usize = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["steps"].as_array().cloned().unwrap_or_default())
        .filter(|s| s.get("request").is_some())
        .map(|s| 1 + s["retries"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(printed, counted, "{line}");
    assert!(counted > 100, "{counted}");
    assert!(
        line.contains("CreateTracker ") && line.contains("no retry"),
        "{line}"
    );
}

/// A run with an emulator fault switched on names the fault in every report (issue 32,
/// item 6): it breaks its own target on purpose and certifies nothing.
#[test]
fn a_fault_run_names_its_fault_in_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let (json, junit, html) = (
        dir.path().join("r.json"),
        dir.path().join("r.xml"),
        dir.path().join("r.html"),
    );
    let run = crate::cli_run::run(&[
        "--emulator-fault",
        "create-status-200",
        "--report-json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--report-html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["emulator_faults"],
        serde_json::json!(["create-status-200"])
    );
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit.contains("<property name=\"emulator_fault\" value=\"create-status-200\"/>"),
        "{junit}"
    );
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains("Emulator faults (switched on: not a certification)")
            && html.contains("create-status-200"),
        "the HTML does not name the fault"
    );
}
