//! Matcher evaluation: each rule and matcher, the diff views, and `$contains` /
//! `$unordered` on lists large and hostile enough to hang a backtracking assignment.

use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use super::*;

fn pattern(value: Value) -> Pattern {
    match Pattern::compile(value) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn is_match(expected: Value, actual: &Value) -> bool {
    let pattern = pattern(expected);
    let fast = matches(&pattern, actual);
    // The slow path (views) agrees with the fast one.
    assert_eq!(
        fast,
        reconcile(&pattern, actual).mismatches.is_empty(),
        "{pattern:?} on {actual}"
    );
    fast
}

fn reasons(expected: Value, actual: Value) -> Vec<String> {
    reconcile(&pattern(expected), &actual)
        .mismatches
        .into_iter()
        .map(|m| format!("{} {}", m.path, m.reason))
        .collect()
}

#[test]
fn subset_of_objects_ignores_extra_keys() {
    assert!(is_match(json!({"a": 1}), &json!({"a": 1, "b": 2})));
    assert_eq!(
        reasons(json!({"a": 1, "c": 3}), json!({"a": 2})),
        ["/a expected 1, found 2", "/c missing"]
    );
}

#[test]
fn keys_are_escaped_in_mismatch_paths() {
    assert_eq!(
        reasons(json!({"a/b": {"c~d": 1}}), json!({"a/b": {"c~d": 2}})),
        ["/a~1b/c~0d expected 1, found 2"]
    );
}

#[test]
fn arrays_match_in_order_and_length() {
    assert!(is_match(
        json!([1, {"x": 1}]),
        &json!([1, {"x": 1, "y": 2}])
    ));
    assert_eq!(
        reasons(json!([1, 2]), json!([2, 1, 3])),
        [
            "/ expected an array of 2 elements, found 3",
            "/0 expected 1, found 2",
            "/1 expected 2, found 1"
        ]
    );
}

#[test]
fn numbers_compare_by_value() {
    assert!(is_match(json!(1), &json!(1.0)));
    assert!(!is_match(json!(1), &json!("1")));
}

#[test]
fn type_matcher() {
    assert!(is_match(
        json!({"$type": "integer"}),
        &json!(1587958482923u64)
    ));
    assert!(!is_match(json!({"$type": "integer"}), &json!("1")));
    assert!(is_match(json!({"$type": "null"}), &json!(null)));
    assert_eq!(
        reasons(json!({"id": {"$type": "string"}}), json!({"id": 7})),
        ["/id expected any string, found 7"]
    );
}

#[test]
fn regex_matcher() {
    assert!(is_match(
        json!({"$regex": "^CTS\\.[0-9]{4}$"}),
        &json!("CTS.0003")
    ));
    assert!(!is_match(json!({"$regex": "^CTS\\."}), &json!("ERR.1")));
    assert!(!is_match(json!({"$regex": "x"}), &json!(1)));
    assert_eq!(
        reasons(json!({"$regex": "^CTS\\."}), json!("ERR.1")),
        ["/ expected a string matching /^CTS\\./, found \"ERR.1\""]
    );
}

#[test]
fn one_of_matcher() {
    let m = json!({"$oneOf": ["gzip", "json"]});
    assert!(is_match(m.clone(), &json!("json")));
    assert!(!is_match(m.clone(), &json!("zip")));
    assert_eq!(
        reasons(m, json!("zip")),
        ["/ expected one of [\"gzip\",\"json\"], found \"zip\""]
    );
}

#[test]
fn contains_and_unordered_matchers() {
    let have = json!([{"n": "a", "t": 1}, {"n": "b"}, {"n": "c"}]);
    assert!(is_match(
        json!({"$contains": [{"n": "c"}, {"n": "a"}]}),
        &have
    ));
    assert!(!is_match(json!({"$contains": [{"n": "d"}]}), &have));
    // Two wanted items cannot both take the same element.
    assert!(!is_match(
        json!({"$contains": [{"n": "a"}, {"n": "a"}]}),
        &have
    ));
    assert!(is_match(json!({"$contains": []}), &have));
    assert!(!is_match(json!({"$contains": []}), &json!({})));
    assert!(is_match(
        json!({"$unordered": ["WRITE", "READ"]}),
        &json!(["READ", "WRITE"])
    ));
    assert!(!is_match(
        json!({"$unordered": ["READ"]}),
        &json!(["READ", "WRITE"])
    ));
    assert!(!is_match(
        json!({"$unordered": ["READ", "READ"]}),
        &json!(["READ", "WRITE"])
    ));
}

#[test]
fn a_greedy_first_choice_is_undone_when_a_later_item_needs_it() {
    // Item 0 matches both elements; taking element 0 first would starve item 1.
    let have = json!([{"a": 1, "b": 1}, {"a": 1}]);
    assert!(is_match(json!({"$unordered": [{"a": 1}, {"b": 1}]}), &have));
    assert!(is_match(json!({"$contains": [{"a": 1}, {"b": 1}]}), &have));
}

#[test]
fn array_matcher_failures_say_which_item_let_them_down() {
    let have = json!([{"n": "a"}, {"n": "b"}]);
    assert_eq!(
        reasons(json!({"$contains": [{"n": "a"}, {"n": "z"}]}), have.clone()),
        ["/ expected an array containing [{\"n\":\"a\"},{\"n\":\"z\"}], found [{\"n\":\"a\"},{\"n\":\"b\"}] (no element matches item 1, {\"n\":\"z\"})"]
    );
    assert_eq!(
        reasons(json!({"$contains": [{"n": "a"}, {"n": "a"}]}), have.clone()),
        ["/ expected an array containing [{\"n\":\"a\"},{\"n\":\"a\"}], found [{\"n\":\"a\"},{\"n\":\"b\"}] (every item matches some element, but only 1 of the 2 items can have distinct ones)"]
    );
    assert_eq!(
        reasons(json!({"$unordered": ["READ"]}), json!(["READ", "WRITE"])),
        ["/ expected [\"READ\"] in any order, found [\"READ\",\"WRITE\"] (2 elements for 1 items)"]
    );
    assert_eq!(
        reasons(json!({"$every": {"n": "a"}}), have),
        ["/ expected an array whose every element matches {\"n\":\"a\"}, found [{\"n\":\"a\"},{\"n\":\"b\"}] (element 1 does not match)"]
    );
    assert_eq!(
        reasons(json!({"$contains": [1]}), json!({"x": 1})),
        ["/ expected an array containing [1], found {\"x\":1}"]
    );
}

#[test]
fn range_matcher_takes_numbers_between_its_bounds() {
    let m = json!({"create_time": {"$range": [1500000000000_i64, 4102444800000_i64]}});
    assert!(is_match(
        m.clone(),
        &json!({"create_time": 1587958482923_i64})
    ));
    assert!(is_match(
        m.clone(),
        &json!({"create_time": 1500000000000_i64})
    ));
    assert!(is_match(
        m.clone(),
        &json!({"create_time": 4102444800000_i64})
    ));
    // Seconds instead of milliseconds, a string of digits, a missing key.
    assert!(!is_match(m.clone(), &json!({"create_time": 1587958482})));
    assert!(!is_match(
        m.clone(),
        &json!({"create_time": "1587958482923"})
    ));
    assert!(!is_match(m.clone(), &json!({})));
    assert_eq!(
        reasons(m, json!({"create_time": 1587958482})),
        ["/create_time expected a number from 1500000000000 to 4102444800000, found 1587958482"]
    );
    assert!(is_match(json!({"$range": [-1.5, 0.5]}), &json!(0)));
    assert!(!is_match(json!({"$range": [-1.5, 0.5]}), &json!(0.75)));
}

#[test]
fn every_matcher() {
    let m = json!({"$every": {"tracker_type": "data"}});
    assert!(is_match(
        m.clone(),
        &json!([{"tracker_type": "data", "n": 1}, {"tracker_type": "data"}])
    ));
    assert!(is_match(m.clone(), &json!([])));
    assert!(!is_match(
        m.clone(),
        &json!([{"tracker_type": "data"}, {"tracker_type": "system"}])
    ));
    assert!(!is_match(m, &json!({"tracker_type": "data"})));
}

#[test]
fn one_of_with_absent_allows_a_missing_key() {
    let want = json!({"compress_type": {"$oneOf": [{"$absent": true}, "gzip"]}});
    assert!(reasons(want.clone(), json!({})).is_empty());
    assert!(is_match(want.clone(), &json!({})));
    assert!(reasons(want.clone(), json!({"compress_type": "gzip"})).is_empty());
    assert_eq!(reasons(want, json!({"compress_type": "json"})).len(), 1);
    let strict = json!({"compress_type": {"$oneOf": ["gzip", "json"]}});
    assert_eq!(reasons(strict, json!({})), ["/compress_type missing"]);
}

#[test]
fn absent_and_any_matchers() {
    assert!(is_match(
        json!({"detail": {"$absent": true}}),
        &json!({"status": "enabled"})
    ));
    assert_eq!(
        reasons(json!({"detail": {"$absent": true}}), json!({"detail": "x"})),
        ["/detail expected no such key, but it is present"]
    );
    assert!(is_match(json!({"x": {"$any": true}}), &json!({})));
    assert!(member_matches(pattern(json!({"$any": true})).root(), None));
    assert!(!member_matches(pattern(json!("x")).root(), None));
}

#[test]
fn views_show_only_real_differences() {
    let r = reconcile(
        &pattern(json!({"id": {"$type": "string"}, "name": "a", "obs": {"b": "x"}})),
        &json!({"id": "1", "name": "b", "obs": {"b": "x", "extra": 1}, "more": true}),
    );
    assert_eq!(
        r.expected_view,
        json!({"id": "1", "name": "a", "obs": {"b": "x"}})
    );
    assert_eq!(
        r.actual_view,
        json!({"id": "1", "name": "b", "obs": {"b": "x"}})
    );
}

#[test]
fn evaluate_builds_views_only_for_a_mismatch() {
    let p = pattern(json!({"name": "a"}));
    assert!(evaluate(&p, &json!({"name": "a", "x": 1})).is_none());
    let failed = evaluate(&p, &json!({"name": "b"})).map(|r| r.expected_view);
    assert_eq!(failed, Some(json!({"name": "a"})));
}

#[test]
fn an_invalid_or_unexpanded_part_never_matches_and_says_why() {
    let invalid = Pattern::new(json!({"a": {"$typo": 1}}));
    assert!(!matches(&invalid, &json!({"a": {"$typo": 1}})));
    let found = reconcile(&invalid, &json!({"a": 1})).mismatches;
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .reason
            .starts_with("invalid matcher: unknown matcher $typo"),
        "{found:?}"
    );
    let unexpanded = pattern(json!({"a": "${prefix}"}));
    assert!(!matches(&unexpanded, &json!({"a": "${prefix}"})));
}

#[test]
fn expanded_variables_are_compared_as_data() {
    let vars = crate::case::vars::Vars::from([
        ("n".to_string(), json!(5)),
        ("obj".to_string(), json!({"$type": "string"})),
    ]);
    let p = pattern(json!({"n": "${n}", "o": "${obj}", "s": "n=${n}"}))
        .expand(&vars)
        .unwrap();
    assert!(matches(
        &p,
        &json!({"n": 5.0, "o": {"$type": "string"}, "s": "n=5"})
    ));
    // The variable's object is data, not a matcher.
    assert!(!matches(&p, &json!({"n": 5, "o": "text", "s": "n=5"})));
}

/// `n` trackers, all of type data, named `t0`..`t{n-1}`.
fn trackers(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"tracker_name": format!("t{i}"), "tracker_type": "data", "status": "enabled"}))
            .collect(),
    )
}

/// Runs `f` on a thread and waits at most 30 s: a regression to an exponential
/// assignment fails here instead of hanging the test run (a hang guard, not a timing test).
fn within_hang_guard<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(value) => value,
        Err(e) => panic!("the match did not finish: {e}"),
    }
}

#[test]
fn a_hostile_contains_on_a_thousand_trackers_is_decided() {
    let (matched, reasons) = within_hang_guard(|| {
        let p = pattern(json!({"trackers": {"$contains": [
            {"tracker_type": "data"}, {"tracker_type": "data"}, {"tracker_name": "missing"}
        ]}}));
        let body = json!({"trackers": trackers(1_000)});
        let reasons: Vec<String> = evaluate(&p, &body)
            .map(|r| {
                r.mismatches
                    .into_iter()
                    .map(|m| format!("{} {}", m.path, m.reason))
                    .collect()
            })
            .unwrap_or_default();
        (matches(&p, &body), reasons)
    });
    assert!(!matched);
    let [reason] = reasons.as_slice() else {
        panic!("{reasons:#?}")
    };
    assert!(
        reason.starts_with("/trackers expected an array containing [{\"tracker_type\":\"data\"},{\"tracker_type\":\"data\"},{\"tracker_name\":\"missing\"}], found [{"),
        "{reason}"
    );
    assert!(
        reason.ends_with("(no element matches item 2, {\"tracker_name\":\"missing\"})"),
        "{reason}"
    );
}

#[test]
fn a_hostile_unordered_of_many_interchangeable_items_is_decided() {
    let (all_data, one_short) = within_hang_guard(|| {
        let have = trackers(200);
        let mut items = vec![json!({"tracker_type": "data"}); 199];
        items.push(json!({"tracker_name": "t7"}));
        let all_data = matches(&pattern(json!({"$unordered": items.clone()})), &have);
        // Two items want t7: only 199 of the 200 can have distinct elements.
        items[0] = json!({"tracker_name": "t7"});
        let p = pattern(json!({"$unordered": items}));
        let reason = reconcile(&p, &have).mismatches.pop().map(|m| m.reason);
        (all_data, reason)
    });
    assert!(all_data);
    let reason = one_short.unwrap_or_default();
    assert!(
        reason.ends_with("(every item matches some element, but only 199 of the 200 items can have distinct ones)"),
        "{reason}"
    );
}

#[test]
fn a_two_item_contains_against_a_hundred_thousand_elements() {
    let (found, last_missing) = within_hang_guard(|| {
        let body = json!({"trackers": trackers(100_000)});
        let found = pattern(json!({"trackers": {"$contains": [
            {"tracker_name": "t99999"}, {"tracker_name": "t0", "tracker_type": "data"}
        ]}}));
        let missing = pattern(json!({"trackers": {"$contains": [
            {"tracker_type": "data"}, {"tracker_name": "t100000"}
        ]}}));
        let reasons: Vec<String> = evaluate(&missing, &body)
            .map(|r| r.mismatches.into_iter().map(|m| m.reason).collect())
            .unwrap_or_default();
        (evaluate(&found, &body).is_none(), reasons)
    });
    assert!(found);
    let [reason] = last_missing.as_slice() else {
        panic!("{last_missing:#?}")
    };
    assert!(
        reason.ends_with("(no element matches item 1, {\"tracker_name\":\"t100000\"})"),
        "{reason}"
    );
}
