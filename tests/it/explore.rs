//! `cts-conform explore` (issue 27, item 2): from a fixed seed it finds each fault of the
//! classes the run's model is for, within the default budget (200 sequences), and writes
//! a shrunk case that `--cases` replays: failing on the faulty emulator, passing on the
//! correct one. Against the correct emulator (and the documents-only one) it finds
//! nothing in 1,000 sequences; a shrunk sequence is minimal; bad flags exit 2.

use std::path::Path;

use cts_conform::contract::Contract;
use cts_conform::emulator::Fault;
use cts_conform::explore::{self, Budget, Executor, Explored, Outcome};
use cts_conform::run::RunConfig;
use cts_conform::runner::{self, LedgerSpec, Target};

use crate::cli_run;

/// The faults of the model's classes (time units, filter exactness, delete ignoring
/// type, value not kept, truncation, configuration not persisted, delete without effect,
/// usage not kept).
const MODEL_FAULTS: [&str; 8] = [
    "create-time-seconds",
    "name-filter-contains",
    "delete-ignores-type",
    "lts-not-kept",
    "file-prefix-cut",
    "obs-info-not-persisted",
    "delete-keeps",
    "quota-used-counts-deleted",
];

/// The seed every test explores from.
const SEED: &str = "1";

/// The words after `prefix` on the line of `text` that starts with it.
fn line_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().find_map(|line| line.strip_prefix(prefix))
}

#[test]
fn each_model_fault_is_found_and_its_shrunk_case_replays() {
    for fault in MODEL_FAULTS {
        let out = tempfile::tempdir().unwrap();
        let out = out.path().to_str().unwrap();
        let run = cli_run::run(&[
            "explore",
            "--seed",
            SEED,
            "--emulator-fault",
            fault,
            "--out",
            out,
        ]);
        assert_eq!(run.code, 101, "{fault}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains(&format!(
                "repeat with: cts-conform explore --seed {SEED} --sequences 200 --max-steps 12 \
                 --emulator-fault {fault}"
            )),
            "{fault}: {}",
            run.stdout
        );
        let replay = line_after(&run.stdout, "replay with: cts-conform ")
            .unwrap_or_else(|| panic!("{fault}: no replay line in {}", run.stdout));
        let args: Vec<&str> = replay.split_whitespace().collect();
        let faulty = cli_run::run(&args);
        assert_eq!(
            faulty.code, 101,
            "{fault}: the written case passes on the faulty emulator: {}\n{}",
            faulty.stdout, faulty.stderr
        );
        assert!(
            faulty.stdout.contains("1 failed"),
            "{fault}: {}",
            faulty.stdout
        );
        let correct: Vec<&str> = args
            .iter()
            .copied()
            .filter(|arg| *arg != "--emulator-fault" && *arg != fault)
            .collect();
        let passed = cli_run::run(&correct);
        assert_eq!(
            passed.code, 0,
            "{fault}: the written case fails on the correct emulator: {}\n{}",
            passed.stdout, passed.stderr
        );
        assert!(
            passed.stdout.contains("1 passed"),
            "{fault}: {}",
            passed.stdout
        );
    }
}

/// An embedded target as a run makes it (generated credentials, made-up buckets).
fn executor(
    faults: Vec<Fault>,
    documents_only: bool,
    runtime: &tokio::runtime::Runtime,
) -> Executor {
    let mut config: RunConfig = runner::embedded_config("0123456789abcdef0123456789abcdef");
    let (data, obs) = cts_conform::cts::made_up_buckets(&config.run_id);
    config.data_buckets = data;
    config.obs_buckets = obs;
    config.credentials = runner::generated_credentials();
    Executor::new(
        Contract::embedded_shared(),
        cts_conform::cts::Cts::shared(),
        Target::Embedded {
            faults,
            documents_only,
        },
        config,
        LedgerSpec::InMemory,
        runtime.handle().clone(),
        "documented",
    )
}

fn budget(sequences: u64) -> Budget {
    Budget {
        seed: 1,
        sequences,
        max_steps: explore::DEFAULT_MAX_STEPS,
        shrink_runs: explore::SHRINK_RUNS,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn explore_into(executor: &mut Executor, sequences: u64, out: &Path) -> Explored {
    explore::explore(executor, &budget(sequences), out).expect("explores")
}

/// 1,000 sequences against the emulator (documents-only or not), none failing.
fn nothing_found_in_1000_sequences(documents_only: bool) {
    let runtime = runtime();
    let out = tempfile::tempdir().unwrap();
    let mut executor = executor(Vec::new(), documents_only, &runtime);
    let explored = explore_into(&mut executor, 1000, out.path());
    assert!(explored.found.is_none(), "{:?}", explored.found);
    assert_eq!(explored.sequences, 1000);
    assert_eq!(explored.not_run, 0, "{:?}", explored.not_run_reason);
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

/// About 30 s in a debug build on a shared 2-core machine (9,062 requests); the
/// documents-only one as long.
#[test]
fn nothing_is_found_on_the_correct_emulator_in_1000_sequences() {
    nothing_found_in_1000_sequences(false);
}

#[test]
fn nothing_is_found_on_the_documents_only_emulator_in_1000_sequences() {
    nothing_found_in_1000_sequences(true);
}

#[test]
fn a_shrunk_sequence_is_minimal() {
    let runtime = runtime();
    for fault in [Fault::DeleteKeeps, Fault::NameFilterContains] {
        let out = tempfile::tempdir().unwrap();
        let mut executor = executor(vec![fault], false, &runtime);
        let found = explore_into(&mut executor, 200, out.path())
            .found
            .unwrap_or_else(|| panic!("{fault:?} not found"));
        assert!(found.ops.len() >= 2, "{fault:?}: {:?}", found.ops);
        assert!(
            found.ops.len() < found.steps_before,
            "{fault:?}: not shrunk"
        );
        let file = |ops: &[explore::Op]| explore::case_writer::case_file("minimal", "minimal", ops);
        match executor.run(&file(&found.ops)).unwrap() {
            Outcome::Failed(failure) => assert_eq!(failure.signature, found.failure.signature),
            other => panic!("{fault:?}: the shrunk sequence does not fail again: {other:?}"),
        }
        for index in 0..found.ops.len() {
            let mut fewer = found.ops.clone();
            fewer.remove(index);
            let outcome = executor.run(&file(&fewer)).unwrap();
            let same =
                matches!(&outcome, Outcome::Failed(f) if f.signature == found.failure.signature);
            assert!(
                !same,
                "{fault:?}: without step {index} it still fails the same way: {fewer:?}"
            );
        }
    }
}

#[test]
fn bad_flags_exit_2_before_anything_runs() {
    for (args, message) in [
        (&["--sequences", "0"][..], "--sequences"),
        (&["--max-steps", "0"][..], "--max-steps"),
        (&["--max-steps", "101"][..], "--max-steps"),
        (&["--seed", "x"][..], "--seed"),
        (
            &["--emulator-fault", "no-such-fault"][..],
            "--emulator-fault",
        ),
        (
            &["--junit", "x.xml"][..],
            "--junit does not apply to explore",
        ),
        (&["--cases", "."][..], "--cases does not apply to explore"),
        (
            &[
                "--target",
                "http://127.0.0.1:9",
                "--emulator-fault",
                "lts-not-kept",
            ][..],
            "--emulator-fault needs the embedded target",
        ),
        (
            &["--target", "http://127.0.0.1:9"][..],
            "a URL target needs --project-id",
        ),
    ] {
        let mut all = vec!["explore"];
        all.extend_from_slice(args);
        let run = cli_run::run(&all);
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "{args:?}: {}", run.stderr);
        assert!(first.contains(message), "{args:?}: {}", run.stderr);
        // One line of ours; clap adds only its "try --help" hint after a blank line.
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(lines.len() <= 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stdout.is_empty(),
            "{args:?}: nothing explored: {}",
            run.stdout
        );
    }
}

#[test]
fn help_says_the_defaults() {
    let run = cli_run::run(&["explore", "--help"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for text in [
        "--seed",
        "[default: 200]",
        "[default: 12]",
        "[default: explore-cases]",
        "--emulator-fault",
        "--ledger",
    ] {
        assert!(run.stdout.contains(text), "{text} in:\n{}", run.stdout);
    }
    for hidden in ["--junit", "--record", "--bundle", "--partition"] {
        assert!(!run.stdout.contains(hidden), "{hidden} in:\n{}", run.stdout);
    }
}

/// On a URL target, explore removes everything it created and touches nothing else: a
/// tracker that was there before is listed unchanged afterwards, and no tracker of the
/// exploration is left.
#[test]
fn on_a_url_target_what_explore_created_is_removed_and_nothing_else_touched() {
    const PROJECT: &str = "0123456789abcdef0123456789abcdef";
    let serve = crate::serve::Serve::start(&[]);
    let runtime = runtime();
    let client = cts_conform::http::client::http_client_builder()
        .build()
        .unwrap();
    // Somebody else's tracker, there before the exploration.
    runtime.block_on(async {
        let theirs = serde_json::json!({"tracker_type": "data", "tracker_name": "xa",
            "data_bucket": {"data_bucket_name": "their-bucket", "data_event": ["READ"]}});
        let url = format!("{}/v3/{PROJECT}/tracker", serve.base_url);
        let answer = client
            .post(url)
            .header("content-type", "application/json")
            .body(theirs.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
    });
    let listed = || -> serde_json::Value {
        runtime.block_on(async {
            let url = format!("{}/v3/{PROJECT}/trackers", serve.base_url);
            let body = client.get(url).send().await.unwrap().bytes().await.unwrap();
            serde_json::from_slice(&body).unwrap()
        })
    };
    let before = listed();
    let workdir = tempfile::tempdir().unwrap();
    let ledger = workdir.path().join("ledger.jsonl");
    let run = cli_run::run(&[
        "explore",
        "--target",
        &serve.base_url,
        "--project-id",
        PROJECT,
        "--data-bucket",
        "src-bucket-1",
        "--obs-bucket",
        "obs-bucket-1",
        "--seed",
        "5",
        "--sequences",
        "30",
        "--ledger",
        ledger.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let ledger = std::fs::read_to_string(&ledger).unwrap();
    assert!(
        ledger.contains("\"created\""),
        "explore created trackers: {ledger}"
    );
    assert_eq!(
        listed(),
        before,
        "only the tracker that was there before is listed"
    );
}
