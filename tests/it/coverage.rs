//! Coverage of the built-in suite: every request field, query parameter and provokable
//! status of the two documented operations is exercised by at least one case, and a gap
//! shows up as NOT COVERED.

use cts_conform::case::{builtin_sources, load};
use cts_conform::contract::Contract;
use cts_conform::coverage::{compute, render, totals};
use cts_conform::cts::boundary::derived_cases;

fn plan() -> Vec<cts_conform::case::LoadedCase> {
    let contract = Contract::embedded();
    let mut cases = load(&builtin_sources(), contract, &cts_conform::cts::CASE_RULES)
        .expect("the built-in cases load");
    cases.extend(derived_cases(contract));
    cases
}

#[test]
fn the_builtin_suite_covers_every_documented_row() {
    let contract = Contract::embedded();
    let cases = plan();
    let rows = compute(contract, &cts_conform::cts::Cts, &cases);
    let gaps: Vec<String> = rows
        .iter()
        .filter(|r| r.provokable && r.cases.is_empty())
        .map(|r| format!("{} {:?} {}", r.operation, r.kind, r.name))
        .collect();
    assert!(
        gaps.is_empty(),
        "not covered: {gaps:#?}\n{}",
        render(&rows, cases.len())
    );
    for (kind, (covered, all)) in totals(&rows) {
        assert!(all > 0 && covered == all, "{kind:?}: {covered}/{all}");
    }
    let statuses: Vec<&str> = rows
        .iter()
        .filter(|r| {
            r.operation == "CreateTracker"
                && r.provokable
                && r.kind == cts_conform::coverage::RowKind::Status
        })
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(statuses, ["201", "400", "401", "403"]);
    // C14, C18: the api-facts statuses are listed, schema-checked, not provokable.
    for (operation, status) in [
        ("CreateTracker", "429"),
        ("ListTrackers", "429"),
        ("ListTrackers", "404"),
    ] {
        let row = rows
            .iter()
            .find(|r| r.operation == operation && r.name == status)
            .unwrap_or_else(|| panic!("no row {operation} {status}"));
        assert!(!row.provokable && !row.documented(), "{operation} {status}");
        assert_eq!(row.doc, "api-facts: status codes");
    }
    // CreateTracker's 404 is documented, but the documents name no cause for it (the
    // CTS service says so: Service::can_provoke).
    let row = rows
        .iter()
        .find(|r| r.operation == "CreateTracker" && r.name == "404")
        .expect("a row CreateTracker 404");
    assert!(!row.provokable && row.documented());
}

#[test]
fn a_missing_case_shows_as_a_gap() {
    let contract = Contract::embedded();
    let without_query_cases: Vec<_> = plan()
        .into_iter()
        .filter(|c| {
            !c.spec
                .steps
                .iter()
                .any(|s| s.query.contains_key("tracker_name") && s.operation == "ListTrackers")
        })
        .collect();
    let rows = compute(contract, &cts_conform::cts::Cts, &without_query_cases);
    let text = render(&rows, without_query_cases.len());
    let line = text
        .lines()
        .find(|l| l.contains("query") && l.contains("tracker_name"))
        .expect("a tracker_name row");
    assert!(line.contains("NOT COVERED"), "{line}");
    assert!(
        text.contains("not provokable on purpose"),
        "5xx rows are listed as schema-checked"
    );
}

/// Issue 16: coverage means checked. A body that merely carries a field (as the derived
/// cases' carrier body carries `tracker_type`) covers nothing; an echo or a refusal that
/// says it is about the field does.
#[test]
fn a_field_is_covered_only_where_a_case_checks_it() {
    use cts_conform::case::{load, Source};
    let contract = Contract::embedded();
    let file = |cases: &str| Source {
        name: "probe.json".into(),
        text: format!(r#"{{"suite": "probe", "cases": [{cases}]}}"#),
    };
    let covered_by = |cases: &str| {
        let loaded =
            load(&[file(cases)], contract, &cts_conform::cts::CASE_RULES).expect("the probe loads");
        compute(contract, &cts_conform::cts::Cts, &loaded)
            .into_iter()
            .find(|r| r.operation == "CreateTracker" && r.name == "obs_info.file_prefix_name")
            .map(|r| r.cases.len())
            .unwrap_or_default()
    };
    let carried = r#"{"name": "carried", "doc": "create-tracker: Request Parameters / tracker_name",
        "steps": [{"operation": "CreateTracker",
          "body": {"tracker_type": "data", "tracker_name": "${prefix}-p",
                   "obs_info": {"bucket_name": "${obs_bucket}", "file_prefix_name": "x"}},
          "creates": {"tracker_name": "${prefix}-p", "tracker_type": "data"},
          "expect": {"status": 201}}]}"#;
    assert_eq!(covered_by(carried), 0, "carrying the field checks nothing");
    let echoed = carried
        .replace(r#""name": "carried""#, r#""name": "echoed""#)
        .replace(
            r#""expect": {"status": 201}"#,
            r#""expect": {"status": 201, "body": {"obs_info": {"file_prefix_name": "x"}}}"#,
        );
    assert_eq!(covered_by(&echoed), 1, "an echo checks it");
    let refused = carried
        .replace(r#""name": "carried""#, r#""name": "refused""#)
        .replace(
            "Request Parameters / tracker_name",
            "TrackerObsInfo / file_prefix_name",
        )
        .replace(r#""file_prefix_name": "x""#, r#""file_prefix_name": "a b""#)
        .replace(
            r#""expect": {"status": 201}"#,
            r#""expect": {"status": [400, 403]}"#,
        );
    assert_eq!(
        covered_by(&refused),
        1,
        "a refusal about the field checks it"
    );
    let refused_elsewhere = refused.replace("TrackerObsInfo / file_prefix_name", "something else");
    assert_eq!(
        covered_by(&refused_elsewhere),
        0,
        "a refusal about something else does not"
    );
}
