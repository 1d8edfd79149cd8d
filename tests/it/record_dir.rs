//! `--record DIR` never mixes two runs, through the binary: a used directory is refused
//! before any request (exit 2, one line naming it); `--record-overwrite` replaces an
//! earlier recording and nothing else (a directory that is not a recording is refused,
//! its files kept).

use crate::cli_run;

use std::path::Path;

/// One quick case, so that each recording is small.
const ONE_CASE: [&str; 2] = ["auth::unsigned_query_is_401", "--exact"];

fn record_into(dir: &Path, extra: &[&str]) -> cli_run::Run {
    let mut args = vec!["--color", "never", "--record", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&ONE_CASE);
    cli_run::run(&args)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_used_record_directory_is_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let used = dir.path().join("used");
    std::fs::create_dir_all(&used).unwrap();
    std::fs::write(used.join("old.txt"), "from before").unwrap();
    let probe = cli_run::Probe::new();
    let url = probe.url();
    let target = ["--target", url.as_str(), "--project-id", "p"];
    let run = record_into(&used, &target);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(used.to_str().unwrap()) && run.stderr.contains("not empty"),
        "{}",
        run.stderr
    );
    assert!(!probe.was_connected(), "nothing is sent");
    assert_eq!(names(&used), ["old.txt"]);

    // --record-overwrite does not empty what is not a recording.
    let mut overwrite = target.to_vec();
    overwrite.push("--record-overwrite");
    let run = record_into(&used, &overwrite);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("is not a recording") && run.stderr.contains("old.txt"),
        "{}",
        run.stderr
    );
    assert!(!probe.was_connected(), "nothing is sent");
    assert_eq!(names(&used), ["old.txt"]);

    // --record-overwrite alone is a usage error.
    let run = cli_run::run(&["--record-overwrite"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn an_earlier_recording_is_replaced_only_with_record_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    let run = record_into(&rec, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(names(&rec), ["cases", "run.json"]);
    // A case of another run left beside it (as a used directory would keep it).
    std::fs::write(rec.join("cases/other__old.json"), "{}").unwrap();
    let first = std::fs::read_to_string(rec.join("run.json")).unwrap();

    let run = record_into(&rec, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--record-overwrite"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(rec.join("run.json")).unwrap(),
        first
    );

    let run = record_into(&rec, &["--record-overwrite"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_ne!(
        std::fs::read_to_string(rec.join("run.json")).unwrap(),
        first
    );
    assert_eq!(
        names(&rec.join("cases")),
        ["auth__unsigned_query_is_401.json"],
        "the old run's case is gone"
    );
    let replay = cli_run::run(&["replay", rec.to_str().unwrap(), "--color", "never"]);
    assert_eq!(replay.code, 0, "{}\n{}", replay.stdout, replay.stderr);
    assert!(replay.stdout.contains("1 passed"), "{}", replay.stdout);
}
