//! A verdict CI can trust, through the built binary (issue 15): flag values refused before
//! anything runs, only supported flags in `--help`, a closed stdout that ends nothing
//! early, exit 4 when no case is selected, reports written once at the end (none on exit
//! 2 or 3, their own exit code when they cannot be written), JUnit `<error>` apart from
//! `<failure>`, and the HTML "by operation" table blaming the failed step's operation.

use crate::cli_run;

use std::io::Read;
use std::net::SocketAddr;
use std::process::Stdio;

use cli_run::{cases, closed_url, command, run, Probe};

/// Runs the cases of `tests/fixtures/cli/DIR` (no derived cases) with `extra` arguments.
fn run_dir(dir: &str, extra: &[&str]) -> cli_run::Run {
    let dir = cases(dir);
    let mut args = vec!["--cases", dir.as_str(), "--skip", "derived::"];
    args.extend_from_slice(extra);
    run(&args)
}

/// Exit 2, one line on stderr containing `message`, nothing sent, no file written.
fn assert_refused(args: &[&str], message: &str) {
    let probe = Probe::new();
    let url = probe.url();
    let mut all = vec!["--target", url.as_str(), "--project-id", "p"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--junit", "junit.xml"]);
    let out = run(&all);
    assert_eq!(out.code, 2, "{args:?}: {out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    assert!(!probe.was_connected(), "{args:?} sent a request");
    assert!(
        out.files_left.is_empty(),
        "{args:?} left {:?}",
        out.files_left
    );
}

#[test]
fn bad_flag_values_are_refused_before_anything_runs() {
    assert_refused(
        &["--test-threads", "0"],
        "--test-threads must be at least 1",
    );
    assert_refused(&["--max-response-bytes", "0"], "--max-response-bytes");
    assert_refused(
        &["--data-bucket", "Not_A_Bucket"],
        "not a valid bucket name",
    );
    assert_refused(&["--obs-bucket", "ab"], "not a valid bucket name");
    assert_refused(
        &[
            "--data-bucket",
            "same-bucket",
            "--obs-bucket",
            "same-bucket",
        ],
        "both as --data-bucket and --obs-bucket",
    );
    assert_refused(&["--report-json", "./junit.xml"], "both write");
    assert_refused(&["--bench"], "--bench is not supported");
    assert_refused(&["--rate", "0"], "--rate must be a positive number");
    assert_refused(&["--rate", "NaN"], "--rate must be a positive number");
}

#[test]
fn a_target_with_a_path_is_refused_with_the_base_url() {
    let out = run(&[
        "--target",
        "https://cts.example.com/v3",
        "--project-id",
        "p",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("--target https://cts.example.com\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_shows_only_supported_flags_and_the_default_thread_count() {
    let out = run(&["--help"]);
    assert_eq!(out.code, 0, "{out:?}");
    for hidden in ["--bench", "--nocapture", "--show-output", "-Z"] {
        assert!(!out.stdout.contains(hidden), "{hidden} in\n{}", out.stdout);
    }
    assert!(out.stdout.contains("--test-threads"), "{}", out.stdout);
    assert!(out.stdout.contains("default 8"), "{}", out.stdout);
    let version = run(&["-V"]);
    assert_eq!(version.code, 0, "{version:?}");
    assert_eq!(
        version.stdout.trim(),
        format!("cts-conform {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Runs the binary with its stdout's reading end closed before it writes anything.
fn with_closed_stdout(args: &[&str]) -> (i32, String) {
    let workdir = tempfile::tempdir().unwrap();
    let mut command = command(args);
    command.current_dir(workdir.path()).stdout(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().expect("exited, not killed"), stderr)
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_exit_code_of_the_run() {
    let pass = cases("pass");
    let fail = cases("fail");
    let runs: [(&[&str], i32); 5] = [
        (&["--list"], 0),
        (&["--cases", &pass, "--skip", "derived::"], 0),
        (&["--cases", &fail, "--skip", "derived::"], 101),
        (&["coverage"], 0),
        (&["serve", "--list-faults"], 0),
    ];
    for (args, expected) in runs {
        let (code, stderr) = with_closed_stdout(args);
        assert_eq!(code, expected, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_run_that_selects_no_case_exits_4_unless_told_otherwise() {
    let out = run_dir("pass", &["no_such_case"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("no case matched"), "{}", out.stderr);
    let warned = run_dir("pass", &["no_such_case", "--no-tests=warn"]);
    assert_eq!(warned.code, 0, "{warned:?}");
    assert!(warned.stderr.contains("warning: no case matched"));
    let passed = run_dir("pass", &["no_such_case", "--no-tests=pass"]);
    assert_eq!(passed.code, 0, "{passed:?}");
    let listed = run_dir("pass", &["no_such_case", "--list"]);
    assert_eq!(listed.code, 0, "{listed:?}");
}

#[test]
fn a_mistyped_subcommand_gets_did_you_mean() {
    let out = run(&["covrage"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("did you mean `coverage`?"),
        "{}",
        out.stderr
    );
    // A filter that matches a case is a filter, however close to a subcommand.
    let out = run_dir("pass", &["unknown_name", "--list"]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn no_report_is_left_by_a_run_that_stops_early() {
    let url = closed_url();
    let reports = [
        "--junit",
        "j.xml",
        "--report-json",
        "r.json",
        "--report-html",
        "r.html",
    ];
    let mut args = vec!["--target", url.as_str(), "--project-id", "p"];
    args.extend_from_slice(&reports);
    let unreachable = run(&args);
    assert_eq!(unreachable.code, 3, "{unreachable:?}");
    assert!(unreachable.files_left.is_empty(), "{unreachable:?}");
    let mut args = vec!["--timeout", "0"];
    args.extend_from_slice(&reports);
    let usage = run(&args);
    assert_eq!(usage.code, 2, "{usage:?}");
    assert!(usage.files_left.is_empty(), "{usage:?}");
}

#[test]
fn reports_are_written_at_the_end_and_a_write_failure_exits_5() {
    let out = run_dir("pass", &["--junit", "j.xml", "--report-json", "r.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut left = out.files_left.clone();
    left.sort();
    assert_eq!(left, ["j.xml", "r.json"], "no temporary file left");
    // /proc/self is a directory in which no file can be created.
    let out = run_dir("pass", &["--junit", "/proc/self/junit.xml"]);
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr.contains("cannot write the --junit report"),
        "{}",
        out.stderr
    );
}

/// The emulator without authentication, in this process, on a loopback port.
struct Emulator {
    runtime: tokio::runtime::Runtime,
    running: Option<cts_conform::emulator::RunningEmulator>,
}

impl Emulator {
    fn start() -> Emulator {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let config = cts_conform::emulator::EmulatorConfig::default();
        let running = runtime
            .block_on(cts_conform::emulator::start(config, listen))
            .unwrap();
        Emulator {
            runtime,
            running: Some(running),
        }
    }

    fn url(&self) -> String {
        self.running.as_ref().unwrap().base_url()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.shutdown());
        }
    }
}

#[test]
fn junit_tells_a_harness_or_configuration_error_from_a_failure() {
    let emulator = Emulator::start();
    let url = emulator.url();
    let dir = std::env::temp_dir().join(format!("verdict-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("error.xml");
    let out = run_dir(
        "verdict_error",
        &[
            "--target",
            &url,
            "--project-id",
            "0123456789abcdef0123456789abcdef",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 101, "{out:?}");
    // A request that could not be sent is the harness's error, not the target's failure.
    assert!(out.stdout.contains("transport:"), "{}", out.stdout);
    assert!(out.stdout.contains("could not be built"), "{}", out.stdout);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert!(case.children().any(|n| n.has_tag_name("error")), "{xml}");
    assert!(!case.children().any(|n| n.has_tag_name("failure")), "{xml}");
    let root = doc.root_element();
    assert_eq!(root.attribute("errors"), Some("1"), "{xml}");
    assert_eq!(root.attribute("failures"), Some("0"), "{xml}");

    let failure = dir.join("failure.xml");
    let out = run_dir("fail", &["--junit", failure.to_str().unwrap()]);
    assert_eq!(out.code, 101, "{out:?}");
    let xml = std::fs::read_to_string(&failure).unwrap();
    assert!(
        xml.contains("<failure ") && !xml.contains("<error "),
        "{xml}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_by_operation_table_blames_only_the_failed_steps_operation() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let out = run_dir("verdict_ops", &["--report-html", html.to_str().unwrap()]);
    assert_eq!(out.code, 101, "{out:?}");
    let page = scraper::Html::parse_document(&std::fs::read_to_string(&html).unwrap());
    let rows = scraper::Selector::parse("#operations tbody tr").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    let class_of = |operation: &str| {
        page.select(&rows)
            .find(|row| row.select(&cell).next().map(|c| c.inner_html()) == Some(operation.into()))
            .and_then(|row| row.value().attr("class").map(str::to_string))
            .unwrap_or_else(|| panic!("no row for {operation}"))
    };
    assert_eq!(class_of("ListTrackers"), "failed");
    assert_eq!(class_of("CreateTracker"), "passed");
}

/// The `created` and `removed` lines of a ledger file that name `suffix`.
fn ledger_events(path: &std::path::Path, suffix: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|entry| {
            entry["tracker_name"]
                .as_str()
                .is_some_and(|n| n.ends_with(suffix))
        })
        .map(|entry| entry["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_create_without_creates_is_on_the_ledger_and_cleaned_up() {
    let emulator = Emulator::start();
    let url = emulator.url();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let out = run_dir(
        "verdict_nocreates",
        &[
            "--target",
            &url,
            "--project-id",
            "0123456789abcdef0123456789abcdef",
            "--ledger",
            ledger.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let events = ledger_events(&ledger, "-n");
    assert!(events.contains(&"created".to_string()), "{events:?}");
    assert!(events.contains(&"removed".to_string()), "{events:?}");
}

#[test]
fn an_unprefixed_data_tracker_is_a_case_file_error_against_a_url_target() {
    let probe = Probe::new();
    let url = probe.url();
    let out = run_dir(
        "verdict_unprefixed",
        &["--target", &url, "--project-id", "p"],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("cases.json:10:60: the data tracker \"my-own-tracker\" is not named with the run's prefix"),
        "{}",
        out.stderr
    );
    assert!(!probe.was_connected(), "a request was sent");
    // The embedded target vanishes with the run: no such rule there.
    let out = run_dir("verdict_unprefixed", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    // Every built-in case names its trackers with the prefix (the unreachable target
    // is found after the case files pass the rule).
    let closed = closed_url();
    let out = run(&["--target", &closed, "--project-id", "p"]);
    assert_eq!(out.code, 3, "{out:?}");
}

#[test]
fn cleanup_gets_a_captured_value_even_when_the_step_failed() {
    let out = run_dir("verdict_capture", &[]);
    assert_eq!(out.code, 101, "{out:?}");
    let cleanup = out
        .stdout
        .lines()
        .find(|l| l.starts_with("cleanup 1 of 1: DeleteTracker"))
        .unwrap_or_else(|| panic!("no cleanup line in\n{}", out.stdout));
    assert!(cleanup.contains("-> 204"), "{cleanup}");
}

#[test]
fn serve_listens_on_a_host_name() {
    use std::io::BufRead;
    let mut child = command(&["serve", "--listen", "localhost:0"])
        .spawn()
        .expect("serve starts");
    // serve says where it listens on stderr, after a warning that auth is off.
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let line = stderr
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("listening on ") || line.starts_with("error"));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.unwrap_or_default();
    assert!(line.starts_with("listening on http://"), "{line:?}");
}

#[test]
fn a_credentials_file_error_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials.json");
    std::fs::write(
        &file,
        r#"{"accounts": [{"ak": "AKSECRET1", "sk": "SKSECRET1", "projectid": "p"}]}"#,
    )
    .unwrap();
    let out = run(&["serve", "--credentials", file.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("unknown field `projectid`, expected one of `ak`, `sk`, `project_id`; did you mean `project_id`?"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("SECRET1"), "{}", out.stderr);
}

#[test]
fn typos_in_case_files_get_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    let write = |text: &str| std::fs::write(dir.path().join("c.json"), text).unwrap();
    let case = |step: &str| {
        format!(
            r#"{{"suite": "typo", "cases": [{{"name": "t",
                "doc": "query-trackers: Table 2 Query parameters / tracker_name",
                "steps": [{step}]}}]}}"#
        )
    };
    let dir_arg = dir.path().to_str().unwrap().to_string();
    for (step, hint) in [
        (
            r#"{"operation": "ListTrackers", "expct": {"status": 200}}"#,
            "unknown field `expct`, expected one of",
        ),
        (
            r#"{"operation": "ListTrackers", "expct": {"status": 200}}"#,
            "; did you mean `expect`?",
        ),
        (
            r#"{"operation": "ListTracker", "expect": {"status": 200}}"#,
            "did you mean `ListTrackers`?",
        ),
        (
            r#"{"operation": "ListTrackers", "query": {"tracker_name": "${prefx}-a"}}"#,
            "unknown variable ${prefx}; did you mean `prefix`?",
        ),
    ] {
        write(&case(step));
        let out = run(&["--cases", &dir_arg]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains(hint), "{hint:?} not in\n{}", out.stderr);
    }
}

/// A ledger line: `case` created the data tracker `name` on `target`.
fn ledger_line(target: &str, name: &str) -> String {
    serde_json::json!({
        "event": "created",
        "run_id": "r1",
        "case": "c",
        "target": target,
        "project_id": "0123456789abcdef0123456789abcdef",
        "tracker_name": name,
        "tracker_type": "data",
    })
    .to_string()
        + "\n"
}

#[test]
fn sweep_says_how_to_pass_credentials_and_what_was_already_gone() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    std::fs::write(&ledger, ledger_line(&emulator.url(), "cc-r1-never-made")).unwrap();
    let out = run(&["sweep", "--ledger", ledger.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("--ak AK --sk SK") && out.stderr.contains("--token TOKEN"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("already gone: data tracker cc-r1-never-made"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("0 removed, 1 already gone, 0 failed"),
        "{}",
        out.stdout
    );
}

/// A ledger as every version so far writes it (flat `tracker_name`/`tracker_type` members)
/// is swept as before, and the lines sweep appends keep that flat form, so an earlier
/// version still reads the ledger.
#[test]
fn a_ledger_of_flat_tracker_lines_is_swept_and_stays_flat() {
    const PROJECT: &str = "0123456789abcdef0123456789abcdef";
    let emulator = Emulator::start();
    let url = emulator.url();
    let create = cts_conform::http::exchange::SentRequest {
        method: "POST".into(),
        url: format!("{url}/v3/{PROJECT}/tracker"),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(
            br#"{"tracker_type": "data", "tracker_name": "cc-r1-made",
                 "data_bucket": {"data_bucket_name": "cc-r1-bucket"}}"#
                .to_vec(),
        ),
    };
    let client = cts_conform::http::client::HttpClient::for_target(&url).unwrap();
    let created =
        emulator
            .runtime
            .block_on(client.send(create, std::time::Duration::from_secs(10), 1 << 20));
    assert_eq!(created.response.as_ref().map(|r| r.status).ok(), Some(201));
    let line = |event: &str, name: &str, kind: &str| {
        serde_json::json!({
            "event": event, "run_id": "r1", "case": "c", "target": url,
            "project_id": PROJECT, "tracker_name": name, "tracker_type": kind,
        })
        .to_string()
            + "\n"
    };
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let written = [
        line("created", "cc-r1-made", "data"),
        line("intent", "cc-r1-never-made", "data"),
        line("intent", "system", "system"),
    ]
    .concat();
    std::fs::write(&ledger, &written).unwrap();
    let out = run(&["sweep", "--ledger", ledger.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    for expected in [
        format!("removed data tracker cc-r1-made (project {PROJECT}, {url})"),
        format!("already gone: data tracker cc-r1-never-made (project {PROJECT}, {url})"),
        format!(
            "not touched: a create of system tracker system (project {PROJECT}, {url}) was sent \
             but never answered"
        ),
        "1 removed, 1 already gone, 0 failed".to_string(),
    ] {
        assert!(out.stdout.contains(&expected), "{expected}\n{}", out.stdout);
    }
    let text = std::fs::read_to_string(&ledger).unwrap();
    let appended: Vec<serde_json::Value> = text[written.len()..]
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(appended.len(), 2, "{text}");
    for (entry, name) in appended.iter().zip(["cc-r1-made", "cc-r1-never-made"]) {
        let mut keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let flat = [
            "case",
            "event",
            "project_id",
            "run_id",
            "target",
            "tracker_name",
            "tracker_type",
        ];
        assert_eq!(keys, flat, "{entry}");
        assert_eq!(
            (
                &entry["event"],
                &entry["tracker_name"],
                &entry["tracker_type"]
            ),
            (&"removed".into(), &name.into(), &"data".into())
        );
    }
    let again = run(&["sweep", "--dry-run", "--ledger", ledger.to_str().unwrap()]);
    assert!(
        again.stdout.contains("0 tracker(s) outstanding"),
        "{}",
        again.stdout
    );
}

/// A ledger line that names no tracker is reported as not removable, not sent, and does
/// not keep the other lines from being swept.
#[test]
fn a_ledger_line_naming_no_tracker_fails_alone() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let nameless = serde_json::json!({
        "event": "created", "run_id": "r1", "case": "c", "target": closed_url(),
        "project_id": "p", "tracker_type": "data",
    })
    .to_string()
        + "\n";
    let lines = nameless + &ledger_line(&emulator.url(), "cc-r1-never-made");
    std::fs::write(&ledger, lines).unwrap();
    let out = run(&["sweep", "--ledger", ledger.to_str().unwrap()]);
    assert_eq!(out.code, 101, "{out:?}");
    assert!(
        out.stdout.contains(
            "FAILED to remove resource {tracker_type=\"data\"}: no tracker_name among its names"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("0 removed, 1 already gone, 1 failed"),
        "{}",
        out.stdout
    );
}

#[test]
fn reproduction_lines_can_be_run_and_show_no_secret() {
    let token = "tok-VERDICT-SECRET-1";
    let out = run_dir("fail", &["--token", token]);
    assert_eq!(out.code, 101, "{out:?}");
    assert!(
        out.stdout
            .contains("reproduce: curl -X POST 'http://127.0.0.1:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("-H \"X-Auth-Token: ${CTS_AUTH_TOKEN}\""),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(token));

    let (ak, sk) = (
        "AKVERDICTSECRET00001",
        "SKVERDICTSECRET0000000000000000000000001",
    );
    let out = run_dir(
        "fail",
        &["--ak", ak, "--sk", sk, "--emulator-fault", "status-active"],
    );
    assert_eq!(out.code, 101, "{out:?}");
    let expected = format!(
        "reproduce: cts-conform --cases {} --emulator-fault status-active --exact cli_fail::wrong_status_field\n",
        cases("fail")
    );
    assert!(
        out.stdout.contains(&expected),
        "{expected:?} not in\n{}",
        out.stdout
    );
    assert!(!out.stdout.contains(ak) && !out.stdout.contains(sk));
}
