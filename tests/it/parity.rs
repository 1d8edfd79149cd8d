//! `cts-conform parity` end to end through the binary, on recordings of the embedded run:
//! a copy with one planted difference of each class gives exactly the expected groups and
//! scores; one glob rule accepts every `error_msg` difference; a rule that matches nothing
//! is reported; an unknown case id in the rules is a usage error; a shard against a full
//! recording names the shard; parallel recordings are explained; the HTML page fits 1280
//! px with the groups before the "same" cases (headless Chromium, when installed).

use crate::cli_run;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// Records the embedded run into `dir/NAME` with `extra` flags.
fn record(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let rec = dir.join(name);
    let mut args = vec!["--record", rec.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = cli_run::run(&args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    rec
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("cases")).unwrap();
    std::fs::copy(from.join("run.json"), to.join("run.json")).unwrap();
    for entry in std::fs::read_dir(from.join("cases")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join("cases").join(path.file_name().unwrap())).unwrap();
    }
}

/// Edits the recorded case file `case` of `rec` with `edit`.
fn edit_case(rec: &Path, case: &str, edit: impl FnOnce(&mut Value)) {
    let path = rec.join("cases").join(case);
    let mut file = read_json(&path);
    edit(&mut file);
    write_json(&path, &file);
}

/// Edits the response body of step `step` of `case` with `edit`.
fn edit_body(rec: &Path, case: &str, step: usize, edit: impl FnOnce(&mut Value)) {
    edit_case(rec, case, |file| {
        let text = file["steps"][step]["response"]["body"]["text"]
            .as_str()
            .unwrap()
            .to_string();
        let mut body: Value = serde_json::from_str(&text).unwrap();
        edit(&mut body);
        file["steps"][step]["response"]["body"]["text"] = json!(body.to_string());
    });
}

/// Two recordings of the embedded run, one case at a time (A, B); B with one planted
/// difference of each class (`planted`); a shard; a default (parallel) run.
struct Recordings {
    _dir: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    planted: PathBuf,
    shard: PathBuf,
    parallel: PathBuf,
}

const AUTH_CREATE: &str = "auth__unsigned_create_is_401_and_creates_nothing.json";
const QUOTAS: &str = "lifecycle__quotas_list_both_tracker_kinds.json";
const LIST_ALL: &str = "query_trackers__without_filters_all_trackers_are_listed.json";
const MALFORMED: &str = "create_tracker__malformed_json_body_is_refused.json";
const ECHOED: &str = "create_tracker__obs_info_is_echoed.json";
const EMPTY_PREFIX: &str = "create_tracker__empty_file_prefix_is_accepted.json";
const ALLOWED: &str = "create_tracker__allowed_characters_are_accepted.json";
const DEFAULTS: &str = "create_tracker__obs_info_defaults_are_gzip_and_sorted_by_service.json";
const UNSIGNED_QUERY: &str = "auth__unsigned_query_is_401.json";
const WRONG_KEY: &str = "auth__wrong_key_create_is_401.json";
const LONGEST: &str = "create_tracker__longest_data_tracker_name_is_accepted.json";
const TOO_LONG: &str = "create_tracker__too_long_data_tracker_name_is_refused.json";

fn recordings() -> &'static Recordings {
    static RECORDINGS: OnceLock<Recordings> = OnceLock::new();
    RECORDINGS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let a = record(dir.path(), "a", &["--test-threads", "1"]);
        let b = record(dir.path(), "b", &["--test-threads", "1"]);
        let shard = record(
            dir.path(),
            "shard",
            &["--test-threads", "1", "--partition", "hash:1/3"],
        );
        let parallel = record(dir.path(), "parallel", &[]);
        let planted = dir.path().join("planted");
        copy_dir(&b, &planted);
        plant(&planted);
        Recordings {
            _dir: dir,
            a,
            b,
            planted,
            shard,
            parallel,
        }
    })
}

/// One difference of each class (and kind) in `rec`.
fn plant(rec: &Path) {
    // Error code, message text, a documented field present on one side only.
    edit_body(rec, AUTH_CREATE, 0, |body| {
        *body = json!({"error_code": "APIGW.0301",
                       "error_msg": "Incorrect IAM authentication information",
                       "request_id": "4c6e3b1f0d2a4e8f9a7b6c5d4e3f2a1b"});
    });
    // Two more message texts (two operations).
    for case in [UNSIGNED_QUERY, WRONG_KEY] {
        edit_body(rec, case, 0, |body| {
            body["error_msg"] = json!("worded otherwise")
        });
    }
    // Documented: an element on one side only, and another JSON type.
    edit_body(rec, QUOTAS, 0, |body| {
        let resources = body["resources"].as_array_mut().unwrap();
        resources[0]["used"] = json!("0");
        resources.push(json!({"quota": 50, "type": "notification", "used": 0}));
    });
    // Documented: another value.
    edit_body(rec, DEFAULTS, 0, |body| {
        body["obs_info"]["compress_type"] = json!("json")
    });
    // Order, and an undocumented field.
    edit_body(rec, LIST_ALL, 2, |body| {
        body["trackers"].as_array_mut().unwrap().reverse()
    });
    edit_body(rec, LIST_ALL, 0, |body| body["extra_field"] = json!(true));
    // Status.
    edit_case(rec, MALFORMED, |file| {
        file["steps"][0]["response"]["status"] = json!(500)
    });
    // Headers: one missing, one of another media type.
    edit_case(rec, ECHOED, |file| {
        let headers = file["steps"][0]["response"]["headers"]
            .as_array_mut()
            .unwrap();
        headers.retain(|h| h[0] != "x-request-id");
    });
    edit_case(rec, EMPTY_PREFIX, |file| {
        for header in file["steps"][0]["response"]["headers"]
            .as_array_mut()
            .unwrap()
        {
            if header[0] == "content-type" {
                header[1] = json!("text/plain; charset=utf-8");
            }
        }
    });
    // A step sent on one side only.
    edit_case(rec, ALLOWED, |file| {
        let step = &mut file["steps"][0];
        step["request"] = Value::Null;
        step["response"] = Value::Null;
        step["skipped"] = json!("planted");
    });
    // A case on one side only, and a case ignored on one side.
    std::fs::remove_file(rec.join("cases").join(LONGEST)).unwrap();
    edit_case(rec, TOO_LONG, |file| {
        file["verdict"] = json!("ignored");
        file["reason"] = json!("not replayable: planted");
    });
}

fn parity(a: &Path, b: &Path, extra: &[&str]) -> (cli_run::Run, Value) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut args = vec![
        "parity",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--color",
        "never",
        "--report-json",
        report.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = cli_run::run(&args);
    let value = if run.code == 2 {
        Value::Null
    } else {
        read_json(report.path())
    };
    (run, value)
}

/// Steps A sent, over every case but `leave_out`.
fn sent_steps(rec: &Path, leave_out: &[&str]) -> u64 {
    let mut steps = 0;
    for entry in std::fs::read_dir(rec.join("cases")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if leave_out.contains(&name.as_str()) {
            continue;
        }
        let case = read_json(&path);
        for phase in ["steps", "cleanup"] {
            steps += case[phase]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| !s["request"].is_null())
                .count() as u64;
        }
    }
    steps
}

type GroupRow = (String, String, String, String, u64);

fn groups(report: &Value) -> BTreeSet<GroupRow> {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["class"].as_str().unwrap().to_string(),
                g["kind"].as_str().unwrap().to_string(),
                g["operation"].as_str().unwrap_or("-").to_string(),
                g["pattern"].as_str().unwrap().to_string(),
                g["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn two_runs_one_case_at_a_time_are_the_same() {
    let r = recordings();
    let (run, report) = parity(&r.a, &r.b, &["--compare", "all"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("parity result: same (--compare all): 0 differences open"),
        "{}",
        run.stdout
    );
    assert_eq!(report["totals"]["differences"], 0);
    assert!(
        !run.stdout.contains("how the runs differ"),
        "{}",
        run.stdout
    );
}

#[test]
fn each_class_gives_exactly_the_expected_groups_and_scores() {
    let r = recordings();
    let (run, report) = parity(&r.a, &r.planted, &[]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let row = |class: &str, kind: &str, op: &str, pattern: &str, count: u64| {
        (
            class.to_string(),
            kind.to_string(),
            op.to_string(),
            pattern.to_string(),
            count,
        )
    };
    let expected: BTreeSet<GroupRow> = [
        row("case", "case", "-", "case", 1),
        row("case", "ignored", "-", "case", 1),
        row("step", "step", "CreateTracker", "step", 1),
        row("status", "status", "CreateTracker", "status", 1),
        row(
            "error-code",
            "error-code",
            "CreateTracker",
            "/error_code",
            1,
        ),
        row("documented", "missing", "CreateTracker", "/request_id", 1),
        row("documented", "missing", "ListQuotas", "/resources/*", 1),
        row("documented", "type", "ListQuotas", "/resources/*/used", 1),
        row(
            "documented",
            "value",
            "CreateTracker",
            "/obs_info/compress_type",
            1,
        ),
        row(
            "undocumented",
            "missing",
            "CreateTracker",
            "/extra_field",
            1,
        ),
        row("message", "value", "CreateTracker", "/error_msg", 2),
        row("message", "value", "ListTrackers", "/error_msg", 1),
        row(
            "header",
            "missing",
            "CreateTracker",
            "header x-request-id",
            1,
        ),
        row("header", "value", "CreateTracker", "header content-type", 1),
        row("order", "order", "ListTrackers", "/trackers", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(groups(&report), expected, "{}", run.stdout);
    // The verdict judges the Core classes only; the rest is counted apart.
    let totals = &report["totals"];
    assert_eq!(totals["open"], 9, "{totals}");
    assert_eq!(totals["outside_message"], 3, "{totals}");
    assert_eq!(totals["outside_other"], 4, "{totals}");
    assert!(run.stdout.contains("9 differences open"), "{}", run.stdout);
    // Scores: every step of the cases compared on both sides; 5 steps differ at Core,
    // 4 more at Complete, 2 more at Strict.
    let steps = sent_steps(&r.a, &[LONGEST, TOO_LONG]);
    let overall = &report["scores"]["overall"];
    assert_eq!(overall["steps"], steps);
    assert_eq!(overall["core"], steps - 5, "{overall}");
    assert_eq!(overall["complete"], steps - 9, "{overall}");
    assert_eq!(overall["strict"], steps - 11, "{overall}");
    let quotas = &report["scores"]["operations"]["ListQuotas"];
    assert_eq!(
        (
            quotas["core"].as_u64().unwrap() + 1,
            quotas["strict"].as_u64().unwrap() + 1
        ),
        (
            quotas["steps"].as_u64().unwrap(),
            quotas["steps"].as_u64().unwrap()
        ),
        "{quotas}"
    );
    // The score line, with the number of steps, is printed.
    let percent = |same: u64| format!("{:.1}%", same as f64 * 100.0 / steps as f64);
    let line = format!(
        "fidelity: Core {} · Complete {} · Strict {} of {steps} steps",
        percent(steps - 5),
        percent(steps - 9),
        percent(steps - 11)
    );
    assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    // A case ignored on one side is one line.
    assert_eq!(
        run.stdout
            .matches("create_tracker::too_long_data_tracker_name_is_refused")
            .count(),
        1,
        "{}",
        run.stdout
    );
    // --compare all judges message text too; accepted-nothing still fails.
    let (all, report) = parity(&r.a, &r.planted, &["--compare", "all"]);
    assert_eq!(all.code, 101);
    assert_eq!(report["totals"]["open"], 16, "{}", all.stdout);
}

#[test]
fn one_glob_rule_accepts_every_error_msg_difference_and_unused_rules_are_reported() {
    let r = recordings();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    write_json(
        &rules,
        &json!({"accepted": [
            {"pattern": "**/error_msg", "class": "message", "reason": "the gateway words it otherwise"}
        ]}),
    );
    let (run, report) = parity(
        &r.a,
        &r.planted,
        &["--compare", "all", "--baseline", rules.to_str().unwrap()],
    );
    assert_eq!(run.code, 101, "{}", run.stdout);
    assert_eq!(report["totals"]["accepted"], 3, "{}", run.stdout);
    assert_eq!(report["totals"]["open"], 13);
    for group in report["groups"].as_array().unwrap() {
        let accepted = group["accepted"].as_u64().unwrap();
        let expected = if group["class"] == "message" {
            group["count"].as_u64().unwrap()
        } else {
            0
        };
        assert_eq!(accepted, expected, "{group}");
    }
    // Rules for everything planted (one in the earlier per-case format): the same; plus
    // one that matches nothing, reported and failing.
    let everything = json!({"accepted": [
        {"pattern": "**/error_msg", "class": "message", "reason": "worded otherwise"},
        {"pattern": "**", "class": "case", "reason": "planted"},
        {"pattern": "/steps/*", "class": "step", "reason": "planted"},
        {"pattern": "**", "operations": ["CreateTracker", "ListQuotas", "ListTrackers"], "reason": "planted"},
        {"case": "create_tracker::malformed_json_body_is_refused",
         "pointer": "/steps/0/response/status", "reason": "per-case entry"}
    ]});
    write_json(&rules, &everything);
    let (run, report) = parity(
        &r.a,
        &r.planted,
        &["--compare", "all", "--baseline", rules.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(report["totals"]["open"], 0);
    let mut with_unused = everything.clone();
    with_unused["accepted"].as_array_mut().unwrap().push(
        json!({"pattern": "**/no_such_field", "class": "documented", "reason": "fixed long ago"}),
    );
    write_json(&rules, &with_unused);
    let (run, report) = parity(
        &r.a,
        &r.planted,
        &["--compare", "all", "--baseline", rules.to_str().unwrap()],
    );
    assert_eq!(run.code, 101, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rule that matches nothing: **/no_such_field [documented] (fixed long ago)"),
        "{}",
        run.stdout
    );
    assert_eq!(report["unused_rules"].as_array().unwrap().len(), 1);
    // An unknown case id is a usage error, before anything is compared.
    let mut unknown = everything.clone();
    unknown["accepted"]
        .as_array_mut()
        .unwrap()
        .push(json!({"case": "auth::no_such_case", "pointer": "/steps/0", "reason": "typo"}));
    write_json(&rules, &unknown);
    let (run, _) = parity(&r.a, &r.planted, &["--baseline", rules.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("unknown case \"auth::no_such_case\""),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_normaliser_makes_ids_references_across_steps() {
    let r = recordings();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    write_json(
        &rules,
        &json!({"normalise": [{"pattern": "/steps/*/response/body/id", "name": "tracker-id"},
                              {"pattern": "**/no_such_id", "name": "nothing"}]}),
    );
    let (run, report) = parity(&r.a, &r.b, &["--baseline", rules.to_str().unwrap()]);
    // The ids normalise equal; the normaliser that matches nothing fails the comparison.
    assert_eq!(report["totals"]["differences"], 0, "{}", run.stdout);
    assert_eq!(run.code, 101, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("normaliser that matches nothing: **/no_such_id -> <nothing:N>"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_shard_against_a_full_recording_names_the_shard() {
    let r = recordings();
    let (run, report) = parity(&r.a, &r.shard, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let shard_cases = std::fs::read_dir(r.shard.join("cases")).unwrap().count();
    let all_cases = std::fs::read_dir(r.a.join("cases")).unwrap().count();
    let note = format!(
        "B ({}) is shard hash:1/3 (--partition hash:1/3): the {} cases A ran that B did not select are not compared",
        r.shard.display(),
        all_cases - shard_cases
    );
    assert!(run.stdout.contains(&note), "{note}\n{}", run.stdout);
    assert!(
        run.stdout.find("how the runs differ") < run.stdout.find("fidelity"),
        "{}",
        run.stdout
    );
    assert_eq!(report["totals"]["cases"], shard_cases);
    assert_eq!(report["totals"]["differences"], 0);
}

#[test]
fn parallel_recordings_are_explained() {
    let r = recordings();
    let (run, report) = parity(&r.a, &r.parallel, &[]);
    let note = format!(
        "B ({}) ran 8 cases at once: a ListTrackers answer holds what other cases had created",
        r.parallel.display()
    );
    assert!(run.stdout.contains(&note), "{}", run.stdout);
    assert_eq!(report["b"]["threads"], 8);
    assert_eq!(report["a"]["threads"], 1);
    assert!(
        report["runs_differ"].as_array().unwrap().len() == 1,
        "{report}"
    );
    // A recording made before threads were kept says so.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    copy_dir(&r.a, &old);
    let mut meta = read_json(&old.join("run.json"));
    meta.as_object_mut().unwrap().remove("threads");
    meta.as_object_mut().unwrap().remove("filters");
    write_json(&old.join("run.json"), &meta);
    let (run, _) = parity(&old, &r.a, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("run.json does not say how many cases ran at once"),
        "{}",
        run.stdout
    );
}

#[test]
fn parity_takes_color() {
    let r = recordings();
    let run = cli_run::run(&[
        "parity",
        r.a.to_str().unwrap(),
        r.planted.to_str().unwrap(),
        "--color",
        "always",
    ]);
    assert_eq!(run.code, 101, "{}", run.stderr);
    assert!(
        run.stdout.contains("\x1b[31mDIFFERENT\x1b[0m"),
        "{}",
        run.stdout
    );
}

/// The page at 1280 px in headless Chromium: a screenshot is taken, nothing is wider
/// than the window, and the groups come before the cases (the same ones collapsed).
#[test]
fn the_html_page_fits_1280_px_in_headless_chromium() {
    let r = recordings();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("parity.html");
    let (run, _) = parity(&r.a, &r.planted, &["--report-html", html.to_str().unwrap()]);
    assert_eq!(run.code, 101, "{}", run.stderr);
    let page = std::fs::read_to_string(&html).unwrap();
    let document = scraper::Html::parse_document(&page);
    assert!(document.errors.is_empty(), "{:?}", document.errors);
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in the page"))
    };
    assert!(at("class=\"headline\"") < at("differences in the verdict"));
    assert!(at("differences in the verdict") < at("Cases that differ"));
    assert!(at("Cases that differ") < at("<details class=\"same\">"));
    assert!(!page.contains("<script"), "the page has no script");

    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("SKIPPED: the screenshot check needs headless Chromium (Debian package `chromium`; .ci/run installs it)");
        return;
    };
    let chrome = |extra: &[&str], target: &Path| {
        let profile = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", profile.path().display()),
            "--window-size=1280,900".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(format!("file://{}", target.display()));
        let output = std::process::Command::new(chromium)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let shot = dir.path().join("parity.png");
    chrome(&[&format!("--screenshot={}", shot.display())], &html);
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1280, 900));
    // The widest element, measured by a copy of the page with a script that writes it.
    let measured = dir.path().join("measured.html");
    std::fs::write(
        &measured,
        page.replace(
            "</body>",
            "<script>document.body.setAttribute('data-width', \
             String(document.documentElement.scrollWidth));</script></body>",
        ),
    )
    .unwrap();
    let dom = chrome(&["--dump-dom"], &measured);
    let width: u32 = dom
        .split("data-width=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no width in {}", &dom[..dom.len().min(500)]));
    assert!(
        width <= 1280,
        "the page is {width} px wide at a 1280 px window"
    );
}

#[test]
fn recordings_without_a_case_are_refused_not_the_same() {
    // Two recordings with every case file removed said "same" (issue 24): nothing was
    // compared, so nothing may be vouched for.
    let r = recordings();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    copy_dir(&r.a, &empty);
    for entry in std::fs::read_dir(empty.join("cases")).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let run = cli_run::run(&["parity", empty.to_str().unwrap(), empty.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("holds no case file"), "{}", run.stderr);
    let run = cli_run::run(&["parity", r.a.to_str().unwrap(), empty.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
}
