//! Green means complete (issue 24, item 1): every output (terminal, JSON, JUnit, HTML)
//! states what ran and what was ignored and why; an incomplete run says INCOMPLETE and,
//! under `--fail-on-ignored` or `--min-coverage`, exits 6. The incomplete run here is the
//! issue's: a URL target (`cts-conform serve`) whose only data bucket is already tracked
//! by a preloaded tracker, so every case that tracks a bucket is ignored.

use crate::cli_run;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const AK: &str = "AKCOMPLETENESS000001";
const SK: &str = "SKcompletenessSKcompletenessSKcomplete01";

/// A `serve` process on a free port; killed when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cts-conform"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("serve stopped before listening");
                }
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Serve { child, url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A target whose one data bucket is tracked by a tracker the run did not create.
fn tracked_bucket_target(dir: &Path) -> Serve {
    let preload = dir.join("preload.json");
    let tracker = serde_json::json!({PROJECT: {"trackers": [{
        "id": "5a0e6c2e-1111-4c3f-9a6b-0f0e0d0c0b0a", "create_time": 1700000000000_u64,
        "tracker_type": "data", "tracker_name": "users-own", "status": "enabled",
        "domain_id": "c7f0e5a1d2b34c6f8e9a0b1c2d3e4f5a", "project_id": PROJECT,
        "data_bucket": {"data_bucket_name": "cc-data-one", "data_event": ["READ", "WRITE"]}}]}});
    std::fs::write(&preload, tracker.to_string()).unwrap();
    Serve::start(&[
        "--bucket",
        "cc-data-one",
        "--bucket",
        "cc-obs-one",
        "--preload",
        preload.to_str().unwrap(),
        "--ak",
        AK,
        "--sk",
        SK,
        "--project-id",
        PROJECT,
    ])
}

fn run_against(serve: &Serve, extra: &[&str]) -> cli_run::Run {
    let mut args = vec![
        "--target",
        &serve.url,
        "--project-id",
        PROJECT,
        "--ak",
        AK,
        "--sk",
        SK,
        "--data-bucket",
        "cc-data-one",
        "--obs-bucket",
        "cc-obs-one",
    ];
    args.extend(extra);
    cli_run::run(&args)
}

#[test]
fn a_run_with_most_cases_ignored_is_incomplete_in_every_output_and_fails_on_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let serve = tracked_bucket_target(dir.path());
    let (junit, json, html) = (
        dir.path().join("junit.xml"),
        dir.path().join("report.json"),
        dir.path().join("report.html"),
    );
    let run = run_against(
        &serve,
        &[
            "--fail-on-ignored",
            "--junit",
            junit.to_str().unwrap(),
            "--report-json",
            json.to_str().unwrap(),
            "--report-html",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--fail-on-ignored"), "{}", run.stderr);

    // Terminal: the line, with the reason and its count.
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("INCOMPLETE: "))
        .unwrap_or_else(|| panic!("no INCOMPLETE line:\n{}", run.stdout));
    assert!(
        line.contains("every --data-bucket is already tracked"),
        "{line}"
    );
    assert!(run.stdout.contains("Core conformance"), "{}", run.stdout);
    assert!(
        run.stdout.contains("coverage of this run"),
        "{}",
        run.stdout
    );

    // JSON: the same line, counts that add up, ignored by reason.
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let completeness = &report["completeness"];
    assert_eq!(completeness["complete"], false);
    assert_eq!(report["complete"], false);
    assert_eq!(completeness["line"], line);
    let selected = completeness["selected"].as_u64().unwrap();
    let ran = completeness["ran"].as_u64().unwrap();
    let ignored: u64 = completeness["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["count"].as_u64().unwrap())
        .sum();
    assert_eq!(selected, report["totals"]["cases"].as_u64().unwrap());
    assert_eq!(ran + ignored, selected);
    assert!(ignored > ran, "most cases are ignored: {completeness}");
    assert_eq!(completeness["score"]["tier"], "Core");
    // The run's coverage counts only cases that ran: less than the suite's.
    assert!(
        completeness["coverage"]["covered"].as_u64() < completeness["coverage"]["of"].as_u64(),
        "{completeness}"
    );

    // JUnit: the line as a property.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let property = doc
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("completeness"))
        .expect("a completeness property");
    assert_eq!(property.attribute("value"), Some(line));

    // HTML: not a green banner, and the line in it.
    let page = std::fs::read_to_string(&html).unwrap();
    let banner = &page[page.find("<header").unwrap()..page.find("</header>").unwrap()];
    assert!(banner.contains("banner incomplete"), "{banner}");
    assert!(banner.contains("INCOMPLETE"), "{banner}");
    assert!(!banner.contains("PASSED"), "{banner}");

    // The same run without a gate exits 0, still saying INCOMPLETE; --min-coverage 100
    // fails it too.
    let plain = run_against(&serve, &[]);
    assert_eq!(plain.code, 0, "{}\n{}", plain.stdout, plain.stderr);
    assert!(plain.stdout.contains("INCOMPLETE: "), "{}", plain.stdout);
    let covered = run_against(&serve, &["--min-coverage", "100"]);
    assert_eq!(covered.code, 6, "{}\n{}", covered.stdout, covered.stderr);
    assert!(
        covered.stderr.contains("--min-coverage 100"),
        "{}",
        covered.stderr
    );
}

#[test]
fn a_full_embedded_run_is_complete_and_a_filtered_one_is_not() {
    let run = cli_run::run(&["--fail-on-ignored", "--min-coverage", "90"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("COMPLETE: "), "{}", run.stdout);
    assert!(!run.stdout.contains("INCOMPLETE"), "{}", run.stdout);

    let filtered = cli_run::run(&[
        "--fail-on-ignored",
        "--exact",
        "auth::unsigned_query_is_401",
    ]);
    assert_eq!(filtered.code, 6, "{}\n{}", filtered.stdout, filtered.stderr);
    assert!(
        filtered.stdout.contains("not run: filtered out"),
        "{}",
        filtered.stdout
    );
}

#[test]
fn a_bad_min_coverage_is_a_usage_error() {
    let run = cli_run::run(&["--min-coverage", "101"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--min-coverage"), "{}", run.stderr);
}
