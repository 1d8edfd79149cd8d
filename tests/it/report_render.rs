//! The file reporters as pure functions: JUnit XML, JSON and HTML from synthetic outcomes,
//! without a socket. Checks well-formedness with real parsers, escaping (control
//! characters too), the failure text with its diff and `curl`, and that a known token
//! never appears.

use std::time::Duration;

use cts_conform::auth::Redactor;
use cts_conform::check::{Finding, FindingKind, JsonDiff};
use cts_conform::http::exchange::{Exchange, ReceivedResponse, SentRequest};
use cts_conform::outcome::{CaseOutcome, CaseStatus, StepOutcome, Verdict};
use cts_conform::report::failure::{render_case, Reproduce};
use cts_conform::report::{self, CaseResult, RunSummary};
use serde_json::json;
use time::macros::datetime;

const TOKEN: &str = "tok-SECRET-0123456789";

fn summary() -> RunSummary {
    RunSummary {
        tool_version: "0.1.0".into(),
        target: "http://127.0.0.1:9000".into(),
        target_kind: "url".into(),
        project_id: "p1".into(),
        run_id: "abcd1234".into(),
        profile: "documented".into(),
        partition: Some("hash:1/2".into()),
        baseline: None,
        fingerprint: "00".repeat(32),
        started: datetime!(2025-01-02 03:04:05 UTC),
        finished: datetime!(2025-01-02 03:04:06.5 UTC),
        interrupted: false,
        leftovers: Default::default(),
        plan: Vec::new(),
        merged_from: Vec::new(),
        faults: Vec::new(),
        reproduce: Reproduce::Run("cts-conform --target http://127.0.0.1:9000".into()),
    }
}

fn outcome(id: &str, status: CaseStatus, steps: Vec<StepOutcome>) -> CaseOutcome {
    CaseOutcome {
        id: id.into(),
        doc: "query-trackers: Table 4 <TrackerResponseBody> & \"obs_info\"".into(),
        file: "cases/q.json".into(),
        planned_steps: steps.len().max(1),
        steps,
        cleanup: Vec::new(),
        status,
        interrupted: false,
        duration: Duration::from_millis(1234),
    }
}

/// A failed ListTrackers step: a body diff with markup and a control character, a token
/// in the request header and echoed in the response body.
fn failed_step() -> StepOutcome {
    let mut finding = Finding::new(FindingKind::Body, "1 difference at /name (bell \u{7} here)");
    finding.details = vec!["/name: expected \"<a>\", found \"b\u{1}\"".into()];
    finding.diff = Some(JsonDiff {
        expected: json!({"name": "<a>&"}),
        actual: json!({"name": "b\u{1}"}),
    });
    StepOutcome {
        label: "ListTrackers".into(),
        operation: "ListTrackers".into(),
        exchange: Some(Exchange {
            request: SentRequest {
                method: "GET".into(),
                url: "http://127.0.0.1:9000/v3/p1/trackers?tracker_name=a&b".into(),
                headers: vec![("X-Auth-Token".into(), TOKEN.into())],
                body: None,
            },
            response: Ok(ReceivedResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: format!("{{\"echo\":\"{TOKEN}\",\"pad\":\"{}\"}}", "x".repeat(6000))
                    .into_bytes(),
                elapsed: Duration::from_millis(7),
            }),
        }),
        findings: vec![finding],
        skipped: None,
        retries: Vec::new(),
    }
}

fn results() -> Vec<CaseResult> {
    let result = |suite: &str, outcome: CaseOutcome, verdict| CaseResult {
        suite: suite.into(),
        operations: vec!["ListTrackers".into()],
        outcome,
        verdict,
    };
    vec![
        result(
            "query",
            outcome("query::fails", CaseStatus::Failed, vec![failed_step()]),
            Verdict::Failed,
        ),
        result(
            "query",
            outcome("query::passes", CaseStatus::Passed, Vec::new()),
            Verdict::Passed,
        ),
        result(
            "query",
            outcome("query::known", CaseStatus::Failed, vec![failed_step()]),
            Verdict::ExpectedFailure("bug <12>".into()),
        ),
        result(
            "other",
            outcome(
                "other::skipped",
                CaseStatus::Ignored("x".into()),
                Vec::new(),
            ),
            Verdict::Ignored("needs \"system\" tracker\u{2}".into()),
        ),
        result(
            "other",
            outcome("other::fixed", CaseStatus::Passed, Vec::new()),
            Verdict::UnexpectedPass("was broken".into()),
        ),
    ]
}

fn redactor() -> Redactor {
    Redactor::new([TOKEN])
}

#[test]
fn junit_is_well_formed_and_complete() {
    let xml = report::junit::render(&summary(), &results(), &[], &redactor());
    assert!(!xml.contains(TOKEN) && !xml.contains("SECRET"));
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML 1.0");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("5"));
    assert_eq!(root.attribute("failures"), Some("2"));
    assert_eq!(root.attribute("skipped"), Some("2"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[0].attribute("name"), Some("query"));
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .expect(name)
    };
    let fails = case("fails");
    assert_eq!(fails.attribute("classname"), Some("query"));
    assert_eq!(fails.attribute("time"), Some("1.234"));
    let failure = fails
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("failure");
    assert_eq!(
        failure.attribute("message"),
        Some("expected body: 1 difference at /name (bell \\u{7} here)")
    );
    let text = failure.text().expect("failure text");
    assert!(text.contains("-  \"name\": \"<a>&\""), "{text}");
    assert!(text.contains("+  \"name\": \"b\\u0001\""), "{text}");
    assert!(text.contains("reproduce: curl -X GET 'http://127.0.0.1:9000/v3/p1/trackers?tracker_name=a&b' -H \"X-Auth-Token: ${CTS_AUTH_TOKEN}\""), "{text}");
    let skipped = case("skipped")
        .children()
        .find(|n| n.has_tag_name("skipped"));
    assert_eq!(
        skipped.and_then(|n| n.attribute("message")),
        Some("needs \"system\" tracker\\u{2}")
    );
    let known = case("known");
    assert_eq!(
        known
            .children()
            .find(|n| n.has_tag_name("skipped"))
            .and_then(|n| n.attribute("message")),
        Some("expected failure: bug <12>")
    );
    assert!(known.children().any(|n| n.has_tag_name("system-out")));
    let fixed = case("fixed").children().find(|n| n.has_tag_name("failure"));
    assert!(fixed
        .and_then(|n| n.attribute("message"))
        .is_some_and(|m| m.starts_with("unexpected pass: remove it from the baseline")));
}

#[test]
fn junit_snapshot_of_a_passing_suite() {
    let results: Vec<CaseResult> = results()
        .into_iter()
        .filter(|r| r.verdict == Verdict::Passed)
        .collect();
    insta::assert_snapshot!(report::junit::render(&summary(), &results, &[], &redactor()), @r#"
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="cts-conform" tests="1" failures="0" errors="0" skipped="0" time="1.234" timestamp="2025-01-02T03:04:05Z">
      <testsuite name="query" tests="1" failures="0" errors="0" skipped="0" time="1.234" timestamp="2025-01-02T03:04:05Z">
        <properties>
          <property name="tool_version" value="0.1.0"/>
          <property name="target" value="http://127.0.0.1:9000"/>
          <property name="project_id" value="p1"/>
          <property name="run_id" value="abcd1234"/>
          <property name="profile" value="documented"/>
          <property name="fingerprint_sha256" value="0000000000000000000000000000000000000000000000000000000000000000"/>
          <property name="partition" value="hash:1/2"/>
          <property name="completeness" value="COMPLETE: all 1 selected case ran"/>
          <property name="complete" value="true"/>
          <property name="interrupted" value="false"/>
          <property name="cases_selected" value="1"/>
          <property name="cases_run" value="1"/>
          <property name="cases_passed" value="1"/>
          <property name="cases_failed" value="0"/>
          <property name="summary" value="1 selected, 1 ran: 1 passed, 0 failed, 0 expected failures, 0 unexpected passes; 0 ignored or not run. Core conformance 100.0% (1 of 1 cases that ran passed); coverage of this run: 0/0 request fields, 0/0 query parameters, 0/0 statuses (0/0 documented rows and statuses, 100.0%)"/>
        </properties>
        <testcase name="passes" classname="query" time="1.234" file="cases/q.json"/>
      </testsuite>
    </testsuites>
    "#);
}

#[test]
fn json_report_has_the_documented_shape() {
    let text = report::json::render(&summary(), &results(), &[], &redactor());
    assert!(!text.contains(TOKEN) && !text.contains("SECRET"));
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(report["format"], 1);
    assert_eq!(report["tool"]["version"], "0.1.0");
    assert_eq!(report["target"]["url"], "http://127.0.0.1:9000");
    assert_eq!(report["run_id"], "abcd1234");
    assert_eq!(report["started"], "2025-01-02T03:04:05Z");
    assert_eq!(report["duration_ms"], 1500);
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["totals"],
        json!({"cases": 5, "passed": 1, "failed": 1, "expected-failure": 1,
               "unexpected-pass": 1, "ignored": 1, "not-run": 0, "retries": 0})
    );
    let cases = report["cases"].as_array().expect("cases");
    let statuses: Vec<&str> = cases.iter().filter_map(|c| c["status"].as_str()).collect();
    assert_eq!(
        statuses,
        [
            "failed",
            "passed",
            "expected-failure",
            "ignored",
            "unexpected-pass"
        ]
    );
    let failed = &cases[0];
    assert_eq!(failed["id"], "query::fails");
    assert_eq!(failed["suite"], "query");
    assert_eq!(failed["name"], "fails");
    assert_eq!(failed["duration_ms"], 1234);
    assert_eq!(failed["findings"][0]["kind"], "body");
    assert_eq!(
        failed["findings"][0]["diff"]["expected"],
        json!({"name": "<a>&"})
    );
    let step = &failed["steps"][0];
    assert_eq!(step["request"]["method"], "GET");
    assert_eq!(step["request"]["headers"], json!([["X-Auth-Token", "***"]]));
    assert!(step["request"]["curl"]
        .as_str()
        .is_some_and(|c| c.starts_with("curl -X GET ")));
    assert_eq!(step["response"]["status"], 200);
    assert_eq!(step["response"]["elapsed_ms"], 7);
    let body = &step["response"]["body"];
    assert_eq!(body["truncated"], true);
    assert!(body["bytes"].as_u64().is_some_and(|b| b > 6000));
    assert!(body["text"]
        .as_str()
        .is_some_and(|t| t.len() <= report::json::BODY_LIMIT_BYTES));
    assert!(failed["failure_text"]
        .as_str()
        .is_some_and(|t| t.contains("--- expected") && t.contains("reproduce: curl")));
    assert_eq!(cases[1]["failure_text"], serde_json::Value::Null);
    assert_eq!(cases[2]["reason"], "expected failure: bug <12>");
}

#[test]
fn html_report_shows_failures_diffs_coverage_and_no_secret() {
    let contract = cts_conform::contract::Contract::embedded();
    let cases = cts_conform::cts::boundary::derived_cases(contract);
    let coverage = cts_conform::coverage::compute(contract, &cts_conform::cts::Cts, &cases);
    let html = report::html::render(&summary(), &results(), &coverage, &redactor());
    assert!(!html.contains(TOKEN) && !html.contains("SECRET"));
    assert!(!html.contains("<script") && !html.contains("http://fonts") && !html.contains("<link"));
    let page = scraper::Html::parse_document(&html);
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    let select = |css: &str| {
        let selector = scraper::Selector::parse(css).expect("selector");
        page.select(&selector)
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    assert_eq!(select("header .headline"), ["FAILED: 2 of 5 cases failed"]);
    // Each section counts what its title says, as the banner does (issue 32, item 6):
    // the failed and the unexpected pass; the expected failure apart.
    assert_eq!(select("#failures h2"), ["Failures (2)"]);
    let failures = select("#failures article h3");
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0].contains("query::fails"));
    assert!(failures[1].contains("other::fixed"));
    assert_eq!(select("#expected-failures h2"), ["Expected failures (1)"]);
    let expected = select("#expected-failures article h3");
    assert_eq!(expected.len(), 1, "{expected:?}");
    assert!(expected[0].contains("query::known"));
    assert_eq!(select("#expected-failures pre.log").len(), 1);
    assert_eq!(select("#failures article.failed pre.log .del").len(), 2);
    assert!(select("#failures article.failed pre.log .add")
        .iter()
        .any(|l| l.contains("\"name\": \"b\\u0001\"")));
    assert!(select("#failures pre.log .repro")
        .iter()
        .all(|l| l.contains("X-Auth-Token: ${CTS_AUTH_TOKEN}")));
    assert!(select("#run td").iter().any(|t| t == &"00".repeat(32)));
    assert!(select("#operations td").iter().any(|t| t == "ListTrackers"));
    assert!(select("#documents td")
        .iter()
        .any(|t| t == "query-trackers: Table 4 <TrackerResponseBody> & \"obs_info\""));
    let coverage_rows = select("#coverage tbody tr");
    assert_eq!(coverage_rows.len(), coverage.len());
    assert!(coverage_rows.iter().any(|r| r.contains("tracker_name")));
    assert_eq!(select("#cases tbody tr").len(), 5);
    assert!(select("#cases .note")
        .iter()
        .any(|n| n == "needs \"system\" tracker\\u{2}"));
}

#[test]
fn an_interrupted_or_incomplete_run_is_never_shown_as_passed() {
    let passed: Vec<CaseResult> = results()
        .into_iter()
        .filter(|r| r.verdict == Verdict::Passed)
        .collect();
    let headline = |summary: &RunSummary, results: &[CaseResult]| {
        let html = report::html::render(summary, results, &[], &redactor());
        let page = scraper::Html::parse_document(&html);
        let selector = scraper::Selector::parse("header").expect("selector");
        let header = page.select(&selector).next().expect("a banner");
        (
            header.value().attr("class").unwrap_or_default().to_string(),
            header.text().collect::<String>(),
        )
    };
    let (class, text) = headline(&summary(), &passed);
    assert_eq!(class, "banner pass");
    assert!(text.contains("PASSED") && text.contains("COMPLETE: all 1 selected case ran"));
    let mut interrupted = summary();
    interrupted.interrupted = true;
    let (class, text) = headline(&interrupted, &passed);
    assert_eq!(class, "banner incomplete");
    assert!(text.contains("INTERRUPTED: not a pass"), "{text}");
    assert!(!text.contains("PASSED"), "{text}");
    // An ignored case (not inherent to the target) makes it incomplete.
    let ignored: Vec<CaseResult> = results()
        .into_iter()
        .filter(|r| matches!(r.verdict, Verdict::Passed | Verdict::Ignored(_)))
        .collect();
    let (class, text) = headline(&summary(), &ignored);
    assert_eq!(class, "banner incomplete");
    assert!(
        text.contains("INCOMPLETE: 1 of 2 cases did not run"),
        "{text}"
    );
}

/// Each run's reports say how to repeat its own cases: the reproduce line is the run's
/// summary's, not a process-wide setting (two runs in one process, as the library allows,
/// must not share one). A signed step is repeated by the run's command, and a replay's
/// every step by the replay's.
#[test]
fn each_run_reproduces_its_cases_with_its_own_command() {
    let mut signed = failed_step();
    if let Some(exchange) = &mut signed.exchange {
        exchange.request.headers = vec![(
            "Authorization".into(),
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=abc".into(),
        )];
    }
    let case = outcome("s::signed", CaseStatus::Failed, vec![signed]);
    let lines =
        |reproduce: &Reproduce| -> String { render_case(&case, &redactor(), reproduce, false) };
    let run_a = Reproduce::Run("cts-conform --target http://a.example".into());
    let run_b = Reproduce::Run("cts-conform --target http://b.example".into());
    let replay = Reproduce::Replay("cts-conform replay rec".into());
    assert!(lines(&run_a)
        .contains("reproduce: cts-conform --target http://a.example --exact s::signed"));
    assert!(lines(&run_b)
        .contains("reproduce: cts-conform --target http://b.example --exact s::signed"));
    assert!(
        lines(&run_a).contains("reproduce: cts-conform --target http://a.example"),
        "a third render keeps a's"
    );
    let replayed = lines(&replay);
    assert!(
        replayed.contains("reproduce: cts-conform replay rec --exact s::signed"),
        "{replayed}"
    );
    assert!(replayed.contains("  recorded: curl"), "{replayed}");
    // The reports take it from their summary.
    let mut summary = summary();
    summary.reproduce = run_b.clone();
    let results = vec![CaseResult {
        suite: "s".into(),
        operations: vec!["ListTrackers".into()],
        outcome: case.clone(),
        verdict: Verdict::Failed,
    }];
    let junit = report::junit::render(&summary, &results, &[], &redactor());
    assert!(
        junit.contains("http://b.example --exact s::signed"),
        "{junit}"
    );
}
