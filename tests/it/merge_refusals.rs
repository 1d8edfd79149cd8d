//! `report merge` refuses what it cannot vouch for (issue 24, item 3): a missing shard, a
//! deleted case, shards of other targets, projects, profiles, tool versions or
//! fingerprints, a case id not in the plan, a status that contradicts its steps, an
//! interrupted shard, two shards claiming one partition, a time or a status that cannot
//! be read back. Each is exit 2 with one line
//! naming the file; `--allow-partial` merges a missing or interrupted shard, INCOMPLETE.

use crate::cli_run;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The three shards' JSON reports of one embedded run.
fn shards(dir: &Path) -> Vec<PathBuf> {
    (1..=3)
        .map(|k| {
            let path = dir.join(format!("shard{k}.json"));
            let partition = format!("hash:{k}/3");
            let run = cli_run::run(&[
                "--partition",
                &partition,
                "--report-json",
                path.to_str().unwrap(),
            ]);
            assert_eq!(run.code, 0, "{}", run.stderr);
            path
        })
        .collect()
}

fn merge(paths: &[&Path], extra: &[&str]) -> cli_run::Run {
    let mut args = vec!["report", "merge"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend(extra);
    cli_run::run(&args)
}

/// Shard 2 edited by `edit`, written beside the others as `name`.
fn edited(shard: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut report = read_json(shard);
    edit(&mut report);
    let path = shard.with_file_name(name);
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    path
}

/// Merging shards 1, the edited 2, and 3 is refused with one line naming the edited file
/// and containing `why`.
fn refused(all: &[PathBuf], name: &str, why: &str, edit: impl FnOnce(&mut Value)) {
    let bad = edited(&all[1], name, edit);
    let run = merge(&[&all[0], &bad, &all[2]], &[]);
    assert_eq!(run.code, 2, "{name}: {}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{name}: {}", run.stderr);
    assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    assert!(run.stderr.contains(why), "{name}: {}", run.stderr);
}

#[test]
fn merge_refuses_every_shard_set_it_cannot_vouch_for() {
    let dir = tempfile::tempdir().unwrap();
    let all = shards(dir.path());
    let merged_html = dir.path().join("merged.html");
    let run = merge(
        &[&all[0], &all[1], &all[2]],
        &["--report-html", merged_html.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("COMPLETE: "), "{}", run.stdout);
    let page = std::fs::read_to_string(&merged_html).unwrap();
    assert!(page.contains("Merged from 3 shard reports"), "merged from");
    assert!(page.contains("shard3.json"), "names the shards");

    // A missing shard: refused; with --allow-partial, merged and INCOMPLETE (exit 6).
    let run = merge(&[&all[0], &all[1]], &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("a shard is missing"), "{}", run.stderr);
    let partial = dir.path().join("partial.json");
    let partial_html = dir.path().join("partial.html");
    let run = merge(
        &[&all[0], &all[1]],
        &[
            "--allow-partial",
            "--report-json",
            partial.to_str().unwrap(),
            "--report-html",
            partial_html.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("INCOMPLETE: "), "{}", run.stdout);
    let report = read_json(&partial);
    assert_eq!(report["complete"], false);
    assert!(report["totals"]["not-run"].as_u64().unwrap() > 0);
    let page = std::fs::read_to_string(&partial_html).unwrap();
    assert!(
        page.contains("banner incomplete"),
        "partial HTML is not green"
    );

    // A case deleted from a shard (a missing case, which the totals give away).
    refused(&all, "deleted.json", "totals", |r| {
        r["cases"].as_array_mut().unwrap().remove(0);
    });
    // ... and, totals edited to match, the plan does.
    let hidden = edited(&all[1], "hidden.json", |r| {
        r["cases"].as_array_mut().unwrap().remove(0);
        r["totals"]["cases"] = json!(r["cases"].as_array().unwrap().len());
    });
    let run = merge(&[&all[0], &hidden, &all[2]], &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("a shard is missing"), "{}", run.stderr);
    // Another run's shard.
    refused(&all, "target.json", "target kind", |r| {
        r["target"] = json!({"kind": "url", "url": "http://127.0.0.1:1", "project_id": r["target"]["project_id"]});
    });
    refused(&all, "project.json", "project", |r| {
        r["target"]["project_id"] = json!("ffffffffffffffffffffffffffffffff");
    });
    refused(&all, "profile.json", "profile", |r| {
        r["profile"] = json!("strict");
    });
    refused(&all, "version.json", "tool version", |r| {
        r["tool"]["version"] = json!("0.0.1");
    });
    refused(&all, "fingerprint.json", "fingerprint_sha256", |r| {
        r["fingerprint_sha256"] = json!("0".repeat(64));
    });
    // A made-up case id.
    refused(&all, "made_up.json", "is not in the run's plan", |r| {
        r["cases"][0]["id"] = json!("auth::made_up_case");
    });
    // A status that contradicts its steps: passed, with a failed step.
    refused(&all, "contradiction.json", "is passed but its", |r| {
        let case = r["cases"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|c| c["status"] == "passed" && !c["steps"].as_array().unwrap().is_empty())
            .unwrap();
        case["steps"][0]["failed"] = json!(true);
    });
    // An interrupted shard (its last cases not run).
    refused(&all, "interrupted.json", "interrupted", |r| {
        r["interrupted"] = json!(true);
    });
    // Two shards claiming one partition.
    refused(&all, "relabelled.json", "hash:1/3", |r| {
        r["partition"] = json!("hash:1/3");
    });
    // Content that cannot be read back as a run's (issue 32, item 5): named with its file.
    refused(
        &all,
        "bad_time.json",
        "started is not an RFC 3339 time",
        |r| {
            r["started"] = json!("yesterday");
        },
    );
    refused(&all, "bad_status.json", "unknown status", |r| {
        r["cases"][0]["status"] = json!("sort-of-passed");
    });
    // --allow-partial takes an interrupted shard, INCOMPLETE.
    let interrupted = all[1].with_file_name("interrupted.json");
    let run = merge(&[&all[0], &interrupted, &all[2]], &["--allow-partial"]);
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("INCOMPLETE: the run was interrupted"),
        "{}",
        run.stdout
    );
}
