//! Record, replay, parity and report merge, end to end through the binary: a recording
//! of the embedded run replays with the target gone to the same verdicts; an edited
//! expectation changes exactly its case; a changed request is "not replayable";
//! recordings hold no secret; three shards merge into the unsharded totals. (Parity:
//! tests/parity.rs.)

use crate::cli_run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// Case id -> status, from a JSON report.
fn verdicts(report: &Value) -> BTreeMap<String, String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Records the embedded run into `dir/rec` (with its JSON report in `dir/run.json`).
fn record(dir: &Path, extra: &[&str]) -> (PathBuf, Value) {
    let rec = dir.join("rec");
    let report = dir.join("report.json");
    let mut args = vec![
        "--record",
        rec.to_str().unwrap(),
        "--report-json",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = cli_run::run(&args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    (rec, read_json(&report))
}

fn replay(rec: &Path, dir: &Path, extra: &[&str]) -> (cli_run::Run, Value) {
    let report = dir.join("replay.json");
    let mut args = vec![
        "replay",
        rec.to_str().unwrap(),
        "--report-json",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = cli_run::run(&args);
    let value = read_json(&report);
    (run, value)
}

/// A copy of the built-in case files with `from` replaced by `to` once in `file`.
fn edited_cases(dir: &Path, file: &str, from: &str, to: &str) -> PathBuf {
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == file {
            assert_eq!(text.matches(from).count(), 1, "{from} once in {file}");
            text = text.replace(from, to);
        }
        std::fs::write(cases.join(path.file_name().unwrap()), text).unwrap();
    }
    cases
}

#[test]
fn a_replay_with_the_target_gone_gives_the_recorded_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, recorded) = record(dir.path(), &[]);
    let meta = read_json(&rec.join("run.json"));
    assert_eq!(meta["format"], 1);
    assert!(meta["finished"].is_string());
    // The embedded emulator is gone with its run: nothing listens on the recorded URL.
    let url = meta["target"]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(url).is_err(),
        "{url} still answers"
    );
    let (run, replayed) = replay(&rec, dir.path(), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no request is sent"), "{}", run.stdout);
    assert_eq!(replayed["totals"], recorded["totals"]);
    assert_eq!(verdicts(&replayed), verdicts(&recorded));
    assert!(
        verdicts(&recorded)
            .values()
            .filter(|s| *s == "passed")
            .count()
            > 50
    );
}

#[test]
fn an_edited_expectation_changes_exactly_its_case_and_a_changed_request_is_not_replayable() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, recorded) = record(dir.path(), &[]);
    let before = verdicts(&recorded);

    let expect = dir.path().join("expect");
    let cases = edited_cases(
        &expect,
        "lifecycle.json",
        r#"{"type": "system_tracker", "used": {"$oneOf": [0, 1]}, "quota": 1}"#,
        r#"{"type": "system_tracker", "used": {"$oneOf": [0, 1]}, "quota": 7}"#,
    );
    let (run, replayed) = replay(&rec, &expect, &["--cases", cases.to_str().unwrap()]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let after = verdicts(&replayed);
    let changed: Vec<_> = before
        .iter()
        .filter(|(id, s)| after.get(*id) != Some(s))
        .collect();
    assert_eq!(
        changed,
        vec![(
            &"lifecycle::quotas_list_both_tracker_kinds".to_string(),
            &"passed".to_string()
        )]
    );
    assert_eq!(after["lifecycle::quotas_list_both_tracker_kinds"], "failed");

    let request = dir.path().join("request");
    let cases = edited_cases(
        &request,
        "auth.json",
        r#""body": {"tracker_type": "data", "tracker_name": "${prefix}-x1","#,
        r#""body": {"tracker_type": "data", "tracker_name": "${prefix}-x9","#,
    );
    let (run, replayed) = replay(&rec, &request, &["--cases", cases.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let id = "auth::unsigned_create_is_401_and_creates_nothing";
    let case = replayed["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(case["status"], "ignored");
    let reason = case["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("not replayable: ") && reason.contains("x9"),
        "{reason}"
    );
    assert!(reason.contains("neither passed nor failed"), "{reason}");
    assert!(run.stdout.contains("not replayable"), "{}", run.stdout);
    let after = verdicts(&replayed);
    let changed: Vec<_> = before
        .iter()
        .filter(|(id, s)| after.get(*id) != Some(s))
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(changed, vec![id]);
}

#[test]
fn a_recorded_answer_that_now_fails_fails_the_replay_whatever_the_cleanup_does() {
    // The create's answer becomes a 400: step 0 fails on its recorded answer; the case
    // then goes to its cleanup, whose DELETE is not the request the recording has next
    // (the list). Before: "not replayable", exit 0, the failure lost.
    let dir = tempfile::tempdir().unwrap();
    let (rec, _) = record(dir.path(), &[]);
    let id = "query_trackers::data_tracker_is_listed_with_what_was_sent";
    let path = rec
        .join("cases")
        .join("query_trackers__data_tracker_is_listed_with_what_was_sent.json");
    let mut file = read_json(&path);
    assert_eq!(file["steps"][0]["response"]["status"], 201);
    file["steps"][0]["response"]["status"] = json!(400);
    write_json(&path, &file);
    let (run, replayed) = replay(&rec, dir.path(), &[]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(verdicts(&replayed)[id], "failed");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with(&format!("test {id} ")) && l.ends_with("FAILED")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_recording_missing_a_selected_case_file_is_never_green() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, _) = record(dir.path(), &[]);
    let meta = read_json(&rec.join("run.json"));
    let selected = meta["selected"].as_array().unwrap();
    assert!(selected.len() > 100, "run.json lists the selected cases");
    let gone = "lifecycle__data_tracker_create_query_update_query_delete_query.json";
    std::fs::remove_file(rec.join("cases").join(gone)).unwrap();
    let (run, replayed) = replay(&rec, dir.path(), &[]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let id = "lifecycle::data_tracker_create_query_update_query_delete_query";
    assert_eq!(verdicts(&replayed)[id], "failed");
    assert!(run.stdout.contains("has no file for it"), "{}", run.stdout);
    // Every case file removed: nothing passes, and the run fails (was 0 passed; 133
    // ignored, exit 0).
    for entry in std::fs::read_dir(rec.join("cases")).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let (run, replayed) = replay(&rec, dir.path(), &[]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(replayed["totals"]["passed"], 0);
}

/// Every file under `dir`, as text.
fn all_text(dir: &Path) -> String {
    let mut text = std::fs::read_to_string(dir.join("run.json")).unwrap();
    for entry in std::fs::read_dir(dir.join("cases")).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    text
}

#[test]
fn no_recording_holds_a_secret() {
    let ak = "AKRECORDTEST00000001";
    let sk = "skrecordtest0000000000000000000000000001";
    let token = "token-recorded-run-must-not-keep-this-0001";
    let signed = tempfile::tempdir().unwrap();
    let (rec, _) = record(signed.path(), &["--ak", ak, "--sk", sk]);
    let text = all_text(&rec);
    assert!(
        text.contains("Signature=***"),
        "the signed requests are recorded"
    );
    let with_token = tempfile::tempdir().unwrap();
    let (rec, _) = record(with_token.path(), &["--token", token]);
    let token_text = all_text(&rec);
    assert!(
        token_text.to_ascii_lowercase().contains("x-auth-token"),
        "token requests are recorded"
    );
    // Every signature and access key written is masked.
    let exposed = regex::Regex::new(r"(?i)(signature|access)=([^*\\]|\*[^*]|\*\*[^*])").unwrap();
    for text in [&text, &token_text] {
        for secret in [ak, sk, token] {
            assert!(!text.contains(secret), "{secret} is in a recording");
        }
        assert!(!exposed.is_match(text), "{:?}", exposed.find(text));
    }
}

#[test]
fn three_shards_merge_into_the_unsharded_totals() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.json");
    let run = cli_run::run(&["--report-json", whole.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut shards = Vec::new();
    for k in 1..=3 {
        let path = dir.path().join(format!("shard{k}.json"));
        let partition = format!("hash:{k}/3");
        let run = cli_run::run(&[
            "--partition",
            &partition,
            "--report-json",
            path.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        shards.push(path.to_str().unwrap().to_string());
    }
    let (junit, json_out, html) = (
        dir.path().join("merged.xml"),
        dir.path().join("merged.json"),
        dir.path().join("merged.html"),
    );
    let mut args = vec!["report", "merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend([
        "--junit",
        junit.to_str().unwrap(),
        "--report-json",
        json_out.to_str().unwrap(),
        "--report-html",
        html.to_str().unwrap(),
    ]);
    let run = cli_run::run(&args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let merged = read_json(&json_out);
    let whole = read_json(&whole);
    assert_eq!(merged["totals"], whole["totals"]);
    assert_eq!(verdicts(&merged), verdicts(&whole));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("valid JUnit XML");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases as u64, whole["totals"]["cases"].as_u64().unwrap());
    let page = scraper::Html::parse_document(&std::fs::read_to_string(&html).unwrap());
    assert!(page.errors.is_empty(), "{:?}", page.errors);

    // The same shard twice overlaps: refused, exit 2, one line.
    let run = cli_run::run(&["report", "merge", &shards[0], &shards[0]]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("overlap"), "{}", run.stderr);
}

/// A replay's `reproduce:` line replays the case from the recording (issue 32, item 1),
/// and shows the request as recorded: its X-Sdk-Date is the recorded one, its secrets
/// masked as the recording has them.
#[test]
fn a_replays_reproduce_line_replays_the_case_and_shows_the_recorded_request() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    let fail = cli_run::cases("fail");
    let recorded = cli_run::run(&[
        "--cases",
        &fail,
        "--no-derived",
        "--record",
        rec.to_str().unwrap(),
    ]);
    assert_eq!(
        recorded.code, 101,
        "{}\n{}",
        recorded.stdout, recorded.stderr
    );
    let case = read_json(&rec.join("cases/cli_fail__wrong_status_field.json"));
    let recorded_date = case["steps"][0]["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("x-sdk-date"))
        .and_then(|h| h[1].as_str())
        .expect("the recorded request is signed")
        .to_string();

    let replayed = cli_run::run(&[
        "replay",
        rec.to_str().unwrap(),
        "--cases",
        &fail,
        "--no-derived",
    ]);
    assert_eq!(
        replayed.code, 101,
        "{}\n{}",
        replayed.stdout, replayed.stderr
    );
    let reproduce = replayed
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("  reproduce: "))
        .unwrap_or_else(|| panic!("no reproduce line:\n{}", replayed.stdout));
    assert_eq!(
        reproduce,
        format!(
            "cts-conform replay {} --cases {fail} --exact cli_fail::wrong_status_field",
            rec.display()
        )
    );
    let shown = replayed
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("  recorded: curl "))
        .unwrap_or_else(|| panic!("no recorded request:\n{}", replayed.stdout));
    assert!(
        shown.contains(&format!("-H 'X-Sdk-Date: {recorded_date}'")),
        "not the recorded date {recorded_date}: {shown}"
    );
    assert!(shown.contains("Signature=***"), "{shown}");

    // The line does what it says: that one case, from the recording.
    let words: Vec<&str> = reproduce.split_whitespace().skip(1).collect();
    let again = cli_run::run(&words);
    assert_eq!(again.code, 101, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.starts_with("replaying "), "{}", again.stdout);
    assert!(
        again.stdout.contains("running 1 test") && again.stdout.contains("1 failed"),
        "{}",
        again.stdout
    );
}

/// `replay --list --explain` says what the replay itself will do with each case: judged
/// from the recording ("runs"), not replayable (the recorded run did not select it), or
/// failing (selected, its file gone); and the replay then does exactly that.
#[test]
fn replay_list_explain_says_what_the_replay_will_do_with_each_case() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, _) = record(dir.path(), &["lifecycle::"]);
    let gone = "lifecycle__data_tracker_create_query_update_query_delete_query.json";
    std::fs::remove_file(rec.join("cases").join(gone)).unwrap();
    let missing = "lifecycle::data_tracker_create_query_update_query_delete_query";
    let unrecorded = "derived::create_tracker::tracker_type::missing";
    let rec_arg = rec.to_str().unwrap();
    let explained = cli_run::run(&["replay", rec_arg, "--list", "--explain"]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    let line = |id: &str| {
        explained
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{id}: ")))
            .unwrap_or_else(|| panic!("no line for {id}:\n{}", explained.stdout))
            .to_string()
    };
    assert!(
        line(missing).starts_with(
            "fails: the recorded run selected this case but the recording has no file for it"
        ),
        "{}",
        line(missing)
    );
    assert_eq!(
        line(unrecorded),
        "ignored: not replayable: the recording has no such case (neither passed nor failed)"
    );
    let recorded = explained
        .stdout
        .lines()
        .filter(|l| l.starts_with("lifecycle::") && l.contains(": runs"))
        .count();
    assert!(recorded > 0, "{}", explained.stdout);
    assert!(
        explained.stdout.contains(", 1 would fail\n"),
        "{}",
        explained.stdout
    );
    // The replay does what was said.
    let (run, replayed) = replay(&rec, dir.path(), &[]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let verdicts = verdicts(&replayed);
    assert_eq!(verdicts[missing], "failed");
    assert_eq!(verdicts[unrecorded], "ignored");
    let judged = verdicts
        .iter()
        .filter(|(id, status)| id.starts_with("lifecycle::") && *status == "passed")
        .count();
    assert_eq!(judged, recorded);
    // --explain is --list's: alone it is refused before the recording is read.
    let alone = cli_run::run(&["replay", rec_arg, "--explain"]);
    assert_eq!(alone.code, 2, "{}", alone.stderr);
    assert!(alone.stderr.contains("--explain only goes with --list"));
}
