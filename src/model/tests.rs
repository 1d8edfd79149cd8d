//! Each rule of the model broken by a hand-made exchange, and a clean sequence that
//! breaks none.

use serde_json::{json, Value};

use super::*;

const RUN: &str = "1a2b3c4d";
const PROJECT: &str = "p1";
const STARTED: i64 = 1_800_000_000_000;
const NOW: i64 = STARTED + 5_000;

fn name(suffix: &str) -> String {
    format!("cc-{RUN}-{suffix}")
}

fn request(op: Op) -> Request {
    Request {
        project_id: PROJECT.into(),
        op,
    }
}

fn create_body(suffix: &str) -> Value {
    json!({"tracker_type": "data", "tracker_name": name(suffix),
           "data_bucket": {"data_bucket_name": "b-1", "data_event": ["READ", "WRITE"]},
           "obs_info": {"bucket_name": "t-1", "file_prefix_name": "p".repeat(64)},
           "is_lts_enabled": true})
}

/// The tracker as a correct target shows it after [`create_body`].
fn shown(suffix: &str, id: &str) -> Value {
    json!({"id": id, "create_time": STARTED + 1_000, "tracker_type": "data",
           "tracker_name": name(suffix), "status": "enabled",
           "data_bucket": {"data_bucket_name": "b-1", "data_event": ["WRITE", "READ"]},
           "obs_info": {"bucket_name": "t-1", "file_prefix_name": "p".repeat(64),
                        "compress_type": "gzip", "is_sort_by_service": true},
           "lts": {"is_lts_enabled": true}})
}

fn list(tracker_name: Option<&str>, tracker_type: Option<&str>) -> Request {
    request(Op::List {
        tracker_name: tracker_name.map(str::to_owned),
        tracker_type: tracker_type.map(str::to_owned),
    })
}

fn listing(trackers: Vec<Value>) -> Answer {
    Answer::new(200, json!({ "trackers": trackers }))
}

/// A model where the run created tracker `a` (answered as [`shown`]).
fn with_a() -> Model {
    let mut model = Model::new(RUN, STARTED);
    let found = model.exchange(
        request(Op::Create(create_body("a"))),
        &Answer::new(201, shown("a", "id-a")),
        NOW,
    );
    assert_eq!(found, []);
    model
}

fn rules(found: &[ModelFinding]) -> Vec<Rule> {
    found.iter().map(|finding| finding.rule).collect()
}

#[test]
fn a_correct_sequence_breaks_no_rule() {
    let mut model = with_a();
    assert_eq!(model.present(PROJECT), [format!("data/{}", name("a"))]);
    // Listed by name, by type, and unfiltered among others' trackers.
    let other = json!({"tracker_name": "theirs", "tracker_type": "data", "id": "x"});
    for (filter, answer) in [
        (
            list(Some(&name("a")), Some("data")),
            listing(vec![shown("a", "id-a")]),
        ),
        (
            list(None, Some("data")),
            listing(vec![other.clone(), shown("a", "id-a")]),
        ),
        (list(None, None), listing(vec![shown("a", "id-a"), other])),
    ] {
        assert_eq!(model.exchange(filter, &answer, NOW), []);
    }
    // An update, then the listing shows the new values.
    let update = json!({"tracker_type": "data", "tracker_name": name("a"), "status": "disabled",
                        "data_bucket": {"data_bucket_name": "b-1", "data_event": ["READ"]}});
    assert_eq!(
        model.exchange(
            request(Op::Update(update)),
            &Answer::new(200, Value::Null),
            NOW
        ),
        []
    );
    let mut after = shown("a", "id-a");
    after["status"] = json!("disabled");
    after["data_bucket"]["data_event"] = json!(["READ"]);
    assert_eq!(
        model.exchange(list(Some(&name("a")), None), &listing(vec![after]), NOW),
        []
    );
    // Deleted, then not listed; a refused create is not listed either.
    let delete = request(Op::Delete {
        tracker_name: Some(name("a")),
        tracker_type: Some("data".into()),
    });
    assert_eq!(
        model.exchange(delete, &Answer::new(204, Value::Null), NOW),
        []
    );
    let refused = Answer::new(400, json!({"error_code": "CTS.0203", "error_msg": "m"}));
    assert_eq!(
        model.exchange(request(Op::Create(create_body("b"))), &refused, NOW),
        []
    );
    assert_eq!(model.exchange(list(None, None), &listing(vec![]), NOW), []);
    assert!(model.present(PROJECT).is_empty());
}

#[test]
fn a_tracker_created_and_not_removed_must_be_listed() {
    let mut model = with_a();
    let found = model.exchange(list(None, Some("data")), &listing(vec![]), NOW);
    assert_eq!(rules(&found), [Rule::ListedWhilePresent]);
    assert!(found[0]
        .to_finding()
        .summary
        .contains("listed-while-present"));
    assert!(found[0].to_finding().details[0].contains("query-trackers: Table 3"));
}

#[test]
fn a_removed_or_refused_tracker_must_not_be_listed() {
    let mut model = with_a();
    let delete = request(Op::Delete {
        tracker_name: Some(name("a")),
        tracker_type: None,
    });
    assert_eq!(
        model.exchange(delete, &Answer::new(204, Value::Null), NOW),
        []
    );
    let found = model.exchange(list(None, None), &listing(vec![shown("a", "id-a")]), NOW);
    assert_eq!(rules(&found), [Rule::AbsentAfterRemoval]);
    let refused = Answer::new(400, json!({"error_code": "CTS.0218", "error_msg": "m"}));
    assert_eq!(
        model.exchange(request(Op::Create(create_body("b"))), &refused, NOW),
        []
    );
    let found = model.exchange(
        list(Some(&name("b")), None),
        &listing(vec![shown("b", "id-b")]),
        NOW,
    );
    assert_eq!(rules(&found), [Rule::AbsentAfterRemoval]);
}

#[test]
fn every_field_sent_is_shown_as_sent() {
    let mut model = with_a();
    // is_lts_enabled not kept, file_prefix_name cut, data_event changed.
    let mut wrong = shown("a", "id-a");
    wrong["lts"]["is_lts_enabled"] = json!(false);
    wrong["obs_info"]["file_prefix_name"] = json!("p".repeat(32));
    wrong["data_bucket"]["data_event"] = json!(["READ"]);
    let found = model.exchange(list(Some(&name("a")), None), &listing(vec![wrong]), NOW);
    let docs: Vec<&str> = found.iter().map(|finding| finding.doc).collect();
    assert_eq!(rules(&found), [Rule::FieldAsSent; 3]);
    assert_eq!(
        docs,
        [
            "query-trackers: Table 6 ObsInfo / file_prefix_name",
            "query-trackers: Table 7 DataBucketQuery / data_event",
            "query-trackers: Table 5 Lts / is_lts_enabled",
        ]
    );
    // In the 201 too; a missing field only passes when the value sent is the default.
    let mut model = Model::new(RUN, STARTED);
    let mut body = create_body("c");
    body["obs_info"]["compress_type"] = json!("GZIP");
    body["is_support_validate"] = json!(true);
    let mut answered = shown("c", "id-c");
    answered
        .as_object_mut()
        .map(|fields| fields.remove("is_support_validate"));
    answered["obs_info"]
        .as_object_mut()
        .map(|fields| fields.remove("compress_type"));
    let found = model.exchange(request(Op::Create(body)), &Answer::new(201, answered), NOW);
    assert_eq!(rules(&found), [Rule::FieldAsSent]);
    assert!(
        found[0]
            .message
            .contains("is_support_validate is missing in the 201"),
        "{found:?}"
    );
}

#[test]
fn filters_return_exactly_the_matching_trackers() {
    let mut model = with_a();
    let found = model.exchange(
        request(Op::Create(create_body("ab"))),
        &Answer::new(201, shown("ab", "id-ab")),
        NOW,
    );
    assert_eq!(found, []);
    let found = model.exchange(
        list(Some(&name("a")), None),
        &listing(vec![shown("a", "id-a"), shown("ab", "id-ab")]),
        NOW,
    );
    assert_eq!(rules(&found), [Rule::FilterExact]);
    assert!(found[0].message.contains(&format!(
        "tracker_name={} listed {}",
        name("a"),
        name("ab")
    )));
    let found = model.exchange(
        list(None, Some("system")),
        &listing(vec![shown("a", "id-a")]),
        NOW,
    );
    assert_eq!(rules(&found), [Rule::FilterExact]);
}

#[test]
fn a_delete_removes_only_the_named_type() {
    let mut model = with_a();
    let other_type = request(Op::Delete {
        tracker_name: Some(name("a")),
        tracker_type: Some("system".into()),
    });
    let found = model.exchange(other_type, &Answer::new(204, Value::Null), NOW);
    assert_eq!(rules(&found), [Rule::DeleteExact]);
    let found = model.exchange(list(Some(&name("a")), Some("data")), &listing(vec![]), NOW);
    assert_eq!(rules(&found), [Rule::DeleteExact]);
    assert!(found[0].message.contains("DeleteTracker of the other type"));
    // Refused as it should be: nothing found, and the tracker is still expected.
    let mut model = with_a();
    let other_type = request(Op::Delete {
        tracker_name: Some(name("a")),
        tracker_type: Some("system".into()),
    });
    let not_found = Answer::new(404, json!({"error_code": "CTS.0214", "error_msg": "m"}));
    assert_eq!(model.exchange(other_type, &not_found, NOW), []);
    let found = model.exchange(list(Some(&name("a")), None), &listing(vec![]), NOW);
    assert_eq!(rules(&found), [Rule::ListedWhilePresent]);
}

#[test]
fn the_id_stays_the_same() {
    let mut model = with_a();
    let found = model.exchange(
        list(None, None),
        &listing(vec![shown("a", "id-other")]),
        NOW,
    );
    assert_eq!(rules(&found), [Rule::IdStable]);
}

#[test]
fn create_time_is_epoch_milliseconds_within_the_run() {
    for (create_time, fine) in [
        (json!(STARTED + 1_000), true),
        (json!(STARTED - CLOCK_SKEW_MS), true),
        (json!(NOW + CLOCK_SKEW_MS), true),
        (json!((STARTED + 1_000) / 1000), false), // seconds
        (json!(STARTED - CLOCK_SKEW_MS - 1), false),
        (json!(NOW + CLOCK_SKEW_MS + 1), false),
        (json!("1800000001000"), false),
    ] {
        let mut model = Model::new(RUN, STARTED);
        let mut answered = shown("a", "id-a");
        answered["create_time"] = create_time.clone();
        let found = model.exchange(
            request(Op::Create(create_body("a"))),
            &Answer::new(201, answered),
            NOW,
        );
        let expected = if fine { vec![] } else { vec![Rule::CreateTime] };
        assert_eq!(rules(&found), expected, "{create_time}");
    }
    // And it does not change between answers.
    let mut model = with_a();
    let mut later = shown("a", "id-a");
    later["create_time"] = json!(STARTED + 2_000);
    let found = model.exchange(list(None, None), &listing(vec![later]), NOW);
    assert_eq!(rules(&found), [Rule::CreateTime]);
}

#[test]
fn a_change_in_flight_is_not_judged_by_a_listing_sent_meanwhile() {
    let mut model = with_a();
    // A listing is sent; a delete is sent and answered before the listing's answer.
    let listing_ticket = model.begin(list(None, None));
    let delete = request(Op::Delete {
        tracker_name: Some(name("a")),
        tracker_type: None,
    });
    let delete_ticket = model.begin(delete);
    // While the delete is in flight, a listing without the tracker is no finding.
    let other_listing = model.begin(list(None, None));
    assert_eq!(model.observe(other_listing, &listing(vec![]), NOW), []);
    assert_eq!(
        model.observe(delete_ticket, &Answer::new(204, Value::Null), NOW),
        []
    );
    // The first listing may show it or not: the delete changed it after it was sent.
    assert_eq!(
        model.observe(listing_ticket, &listing(vec![shown("a", "id-a")]), NOW),
        []
    );
    // A listing sent after the delete's answer judges it.
    let found = model.exchange(list(None, None), &listing(vec![shown("a", "id-a")]), NOW);
    assert_eq!(rules(&found), [Rule::AbsentAfterRemoval]);
}

#[test]
fn an_answer_the_model_cannot_read_makes_the_tracker_unknown() {
    let mut model = with_a();
    let delete = request(Op::Delete {
        tracker_name: Some(name("a")),
        tracker_type: None,
    });
    assert_eq!(model.exchange(delete, &Answer::none(), NOW), []);
    for answer in [listing(vec![]), listing(vec![shown("a", "id-a")])] {
        assert_eq!(model.exchange(list(None, None), &answer, NOW), []);
    }
}

#[test]
fn other_trackers_are_not_judged() {
    let mut model = Model::new(RUN, STARTED);
    let theirs = json!({"tracker_type": "data", "tracker_name": "cc-ffffffff-a"});
    assert_eq!(
        model.exchange(
            request(Op::Create(theirs)),
            &Answer::new(201, json!({"create_time": 1})),
            NOW
        ),
        []
    );
    let found = model.exchange(
        list(Some("x"), None),
        &listing(vec![
            json!({"tracker_name": "system", "tracker_type": "system"}),
        ]),
        NOW,
    );
    assert_eq!(found, []);
    assert!(model.present(PROJECT).is_empty());
}

#[test]
fn every_rule_is_tested_above() {
    // Keeps this file in step with the rules: each has a name and a document row.
    for rule in Rule::ALL {
        assert!(!rule.name().is_empty() && !rule.doc().is_empty());
    }
    assert_eq!(FIELDS[STATUS_FIELD].sent, ["status"]);
}

fn quotas(used: u64) -> Answer {
    Answer::new(
        200,
        json!({"resources": [{"type": "data_tracker", "used": used, "quota": 100},
                             {"type": "system_tracker", "used": 1, "quota": 1}]}),
    )
}

fn delete(suffix: &str) -> Request {
    request(Op::Delete {
        tracker_name: Some(name(suffix)),
        tracker_type: Some("data".into()),
    })
}

#[test]
fn quotas_used_is_judged_only_for_the_only_writer() {
    let mut model = with_a();
    // Not the only writer: any count goes.
    assert_eq!(model.exchange(request(Op::Quotas), &quotas(9), NOW), []);
    let mut model = with_a().only_writer();
    assert_eq!(model.exchange(request(Op::Quotas), &quotas(1), NOW), []);
    let found = model.exchange(request(Op::Quotas), &quotas(2), NOW);
    assert_eq!(rules(&found), [Rule::QuotaUsed], "{found:?}");
    assert!(found[0].message.contains("says 2"), "{}", found[0].message);
    // After the delete, a count that still holds the deleted tracker is wrong.
    assert_eq!(
        model.exchange(delete("a"), &Answer::new(204, Value::Null), NOW),
        []
    );
    assert_eq!(model.exchange(request(Op::Quotas), &quotas(0), NOW), []);
    let found = model.exchange(request(Op::Quotas), &quotas(1), NOW);
    assert_eq!(rules(&found), [Rule::QuotaUsed], "{found:?}");
}

#[test]
fn quotas_used_may_count_what_is_changing_and_no_more() {
    let mut model = with_a().only_writer();
    // A create of b in flight: 1 or 2 are both right, 3 is not.
    let create_b = model.begin(request(Op::Create(create_body("b"))));
    for (used, right) in [(1, true), (2, true), (3, false), (0, false)] {
        let ticket = model.begin(request(Op::Quotas));
        let found = model.observe(ticket, &quotas(used), NOW);
        assert_eq!(found.is_empty(), right, "used {used}: {found:?}");
    }
    let _ = model.observe(create_b, &Answer::new(201, shown("b", "id-b")), NOW);
    // A delete of a answered after the ListQuotas was sent: 1 or 2.
    let ticket = model.begin(request(Op::Quotas));
    assert_eq!(
        model.exchange(delete("a"), &Answer::new(204, Value::Null), NOW),
        []
    );
    assert_eq!(model.observe(ticket, &quotas(2), NOW), []);
}

#[test]
fn quotas_used_is_not_judged_after_a_tracker_the_model_does_not_follow() {
    let mut model = with_a().only_writer();
    let theirs = json!({"tracker_type": "data", "tracker_name": "theirs",
                        "data_bucket": {"data_bucket_name": "b-2"}});
    // Refused: still judged.
    let _ = model.exchange(
        request(Op::Create(theirs.clone())),
        &Answer::new(400, json!({})),
        NOW,
    );
    assert_eq!(
        rules(&model.exchange(request(Op::Quotas), &quotas(5), NOW)),
        [Rule::QuotaUsed]
    );
    // Accepted: the count is no longer known.
    let _ = model.exchange(
        request(Op::Create(theirs)),
        &Answer::new(201, json!({})),
        NOW,
    );
    assert_eq!(model.exchange(request(Op::Quotas), &quotas(5), NOW), []);
}

#[test]
fn a_removed_tracker_is_remembered_by_its_absence_alone() {
    let mut model = with_a();
    let key = Key {
        project: PROJECT.into(),
        tracker_type: TrackerType::Data,
        name: name("a"),
    };
    assert!(
        !model.trackers[&key].fields.is_empty(),
        "what was sent is kept"
    );
    let delete = request(Op::Delete {
        tracker_name: Some(name("a")),
        tracker_type: None,
    });
    assert_eq!(
        model.exchange(delete, &Answer::new(204, Value::Null), NOW),
        []
    );
    let known = &model.trackers[&key];
    assert_eq!(known.presence, Presence::Absent);
    assert!(
        known.fields.is_empty() && known.id.is_none() && known.create_time.is_none(),
        "a removed tracker keeps only its absence: {known:?}"
    );
    // Created again, it is judged afresh (a new id is no finding).
    let found = model.exchange(
        request(Op::Create(create_body("a"))),
        &Answer::new(201, shown("a", "id-a2")),
        NOW,
    );
    assert_eq!(found, []);
    let found = model.exchange(list(None, None), &listing(vec![shown("a", "id-a2")]), NOW);
    assert_eq!(found, []);
}
