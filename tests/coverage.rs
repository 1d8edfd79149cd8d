//! Coverage of the built-in suite: every request field, query parameter and provokable
//! status of the two documented operations is exercised by at least one case, and a gap
//! shows up as NOT COVERED.

use cts_conform::case::{builtin_sources, load};
use cts_conform::contract::Contract;
use cts_conform::coverage::{compute, render, totals};
use cts_conform::derive::derived_cases;

fn plan() -> Vec<cts_conform::case::LoadedCase> {
    let contract = Contract::embedded();
    let mut cases = load(&builtin_sources(), contract).expect("the built-in cases load");
    cases.extend(derived_cases(contract));
    cases
}

#[test]
fn the_builtin_suite_covers_every_documented_row() {
    let contract = Contract::embedded();
    let cases = plan();
    let rows = compute(contract, &cases);
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
    let rows = compute(contract, &without_query_cases);
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
