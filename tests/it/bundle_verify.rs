//! Certification bundles (issue 24, item 2): `--bundle DIR` writes manifest, reports,
//! recording and SHA256SUMS; `cts-conform verify DIR` exits 0 only for an intact,
//! consistent, complete, green bundle, and refuses (exit 2, one line naming the file) a
//! changed byte, a removed case file and a status flipped against its steps.

use crate::cli_run;

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of `bundle` in `dir/name`.
fn copy_of(bundle: &Path, dir: &Path, name: &str) -> PathBuf {
    let copy = dir.join(name);
    copy_dir(bundle, &copy);
    copy
}

fn verify(bundle: &Path) -> cli_run::Run {
    cli_run::run(&["verify", bundle.to_str().unwrap()])
}

/// Rewrites `file`'s line in SHA256SUMS for its current content (what a forger would do).
fn rehash(bundle: &Path, file: &str) {
    let sums = bundle.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums).unwrap();
    let hash = hex::encode(Sha256::digest(std::fs::read(bundle.join(file)).unwrap()));
    let rewritten: String = text
        .lines()
        .map(|line| {
            if line.ends_with(&format!("  {file}")) {
                format!("{hash}  {file}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert_ne!(text, rewritten, "{file} is listed");
    std::fs::write(sums, rewritten).unwrap();
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn verify_accepts_an_intact_bundle_and_refuses_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let run = cli_run::run(&["--bundle", bundle.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for file in [
        "manifest.json",
        "report.json",
        "junit.xml",
        "report.html",
        "recording/run.json",
        "SHA256SUMS",
    ] {
        assert!(bundle.join(file).is_file(), "{file} is in the bundle");
    }
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["exit_code"], 0);
    assert_eq!(
        manifest["selected"].as_array().unwrap().len() as u64,
        read_json(&bundle.join("report.json"))["totals"]["cases"]
            .as_u64()
            .unwrap()
    );
    assert_eq!(manifest["contract_sha256"].as_str().unwrap().len(), 64);
    let ok = verify(&bundle);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.starts_with("COMPLETE: "), "{}", ok.stdout);

    // One byte changed.
    let changed = copy_of(&bundle, dir.path(), "changed");
    let html = changed.join("report.html");
    let mut bytes = std::fs::read(&html).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&html, bytes).unwrap();
    let run = verify(&changed);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("report.html: changed"),
        "{}",
        run.stderr
    );

    // One case file removed.
    let removed = copy_of(&bundle, dir.path(), "removed");
    let cases = removed.join("recording/cases");
    let first = std::fs::read_dir(&cases)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&first).unwrap();
    let run = verify(&removed);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let name = first.file_name().unwrap().to_str().unwrap();
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains(name) && l.contains("missing")),
        "{}",
        run.stderr
    );

    // A passed case said to have failed, the sums rewritten to match: its steps and its
    // recording say otherwise.
    let flipped = copy_of(&bundle, dir.path(), "flipped");
    let path = flipped.join("report.json");
    let mut report = read_json(&path);
    let case = report["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["status"] == "passed")
        .unwrap();
    case["status"] = "failed".into();
    let id = case["id"].as_str().unwrap().to_string();
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    rehash(&flipped, "report.json");
    let run = verify(&flipped);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("case {id} is failed but none of its steps failed")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bundle_with_a_failure_verifies_as_failed_and_a_flipped_failure_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let run = cli_run::run(&[
        "--bundle",
        bundle.to_str().unwrap(),
        "--emulator-fault",
        "create-status-200",
    ]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let run = verify(&bundle);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);

    // A failed case edited to `passed` (sums rewritten): its failed step refuses it.
    let path = bundle.join("report.json");
    let mut report = read_json(&path);
    for case in report["cases"].as_array_mut().unwrap() {
        if case["status"] == "failed" {
            case["status"] = "passed".into();
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    rehash(&bundle, "report.json");
    let run = verify(&bundle);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("is passed but its step"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_incomplete_bundle_does_not_verify_and_a_used_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let run = cli_run::run(&[
        "--bundle",
        bundle.to_str().unwrap(),
        "--exact",
        "auth::unsigned_query_is_401",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = verify(&bundle);
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("INCOMPLETE: "), "{}", run.stdout);

    // One shard of the plan is not the suite, however green.
    let shard = dir.path().join("shard");
    let run = cli_run::run(&[
        "--bundle",
        shard.to_str().unwrap(),
        "--partition",
        "hash:1/3",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = verify(&shard);
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("it certifies one shard, not the suite"),
        "{}",
        run.stdout
    );

    // The same directory again: refused before anything runs.
    let run = cli_run::run(&["--bundle", bundle.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("not empty"), "{}", run.stderr);
}
