//! Detection power: the default suite, run by the built binary against the embedded
//! emulator once per fault mode (`--emulator-fault NAME`), must fail (exit 101) with at
//! least one failing case whose failure message contains every text the fault declares
//! as its evidence (`FaultInfo::evidence`: the broken rule, named); once with no fault
//! it must pass (exit 0).
//!
//! The faults of the account rules (buckets that exist, one tracker per bucket
//! operation, ...) are run instead against an emulator that lists its buckets, with
//! `cases/account_rules.json` alone, one case at a time ([`run_account_rules`]): they
//! need buckets that exist and a data bucket no other case uses at the same time.
//!
//! The detection table (fault -> the cases that caught it) is printed (see it with
//! `cargo test --test it detection -- --nocapture`) and written to
//! `target/detection-table.md`. With `CTS_UPDATE_FAULT_DOCS=1` the test also rewrites
//! `docs/faults.md` from the fault table and these results.

use crate::cli_run;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;

use cli_run::run;
use cts_conform::emulator::fault::{listing, Fault, FaultInfo, TABLE};
use cts_conform::emulator::{self, EmulatorConfig, FaultSet};

/// Suite runs at the same time (each is one process with its own emulator).
const PARALLEL_RUNS: usize = 4;

/// Case names listed per fault in the table before "and N more".
const NAMES_SHOWN: usize = 3;

/// One run of the default suite.
struct SuiteRun {
    code: i32,
    /// Failed case -> its failure message (the `---- NAME ----` block).
    failures: BTreeMap<String, String>,
    /// The whole output, for assertion messages.
    output: String,
}

/// The failed cases of libtest output: the names of the `test NAME ... FAILED` lines,
/// each with the text of its `---- NAME ----` block (empty if it has none).
fn failed_cases(stdout: &str) -> BTreeMap<String, String> {
    let mut failures: BTreeMap<String, String> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(|name| (name.trim().to_string(), String::new()))
        .collect();
    let mut current: Option<String> = None;
    for line in stdout.lines() {
        let header = line
            .strip_prefix("---- ")
            .and_then(|rest| rest.strip_suffix(" ----"));
        if let Some(name) = header {
            current = Some(name.to_string());
            continue;
        }
        if line == "failures:" {
            current = None;
            continue;
        }
        if let Some(message) = current.as_ref().and_then(|name| failures.get_mut(name)) {
            message.push_str(line);
            message.push('\n');
        }
    }
    failures
}

/// Runs the default suite with `fault` switched on (or none).
fn run_suite(fault: Option<Fault>) -> SuiteRun {
    let mut args = vec!["--color", "never"];
    if let Some(fault) = fault {
        args.extend(["--emulator-fault", fault.name()]);
    }
    let outcome = run(&args);
    SuiteRun {
        code: outcome.code,
        failures: failed_cases(&outcome.stdout),
        output: format!("{}\n{}", outcome.stdout, outcome.stderr),
    }
}

/// The faults of the account rules, which need an emulator that lists its buckets.
const ACCOUNT_RULE_FAULTS: [Fault; 4] = [
    Fault::ExclusivityIgnored,
    Fault::MissingBucketAccepted,
    Fault::TransferEqualsTrackedAccepted,
    Fault::StatusChangeWithoutDataBucketAccepted,
];

/// Runs `cases/account_rules.json` alone, one case at a time (they share the one data
/// bucket), against an in-process emulator where only a data and a transfer bucket
/// exist, with `fault` switched on (or none).
fn run_account_rules(fault: Option<Fault>) -> SuiteRun {
    let (data_bucket, obs_bucket) = ("detection-data", "detection-obs");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let config = EmulatorConfig {
        buckets: Some([data_bucket.to_owned(), obs_bucket.to_owned()].into()),
        faults: fault.into_iter().collect::<FaultSet>(),
        ..EmulatorConfig::default()
    };
    let running = runtime
        .block_on(emulator::start(
            config,
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("the emulator starts");
    let cases = tempfile::tempdir().expect("a case directory");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/account_rules.json");
    std::fs::copy(&source, cases.path().join("account_rules.json")).expect("copied");
    let url = running.base_url();
    let case_dir = cases.path().to_str().expect("UTF-8 path").to_owned();
    let outcome = run(&[
        "--color",
        "never",
        "--target",
        &url,
        "--project-id",
        "detection-project",
        "--data-bucket",
        data_bucket,
        "--obs-bucket",
        obs_bucket,
        "--cases",
        &case_dir,
        "--no-derived",
        "--profile",
        "strict",
        "--test-threads",
        "1",
    ]);
    runtime.block_on(running.shutdown());
    SuiteRun {
        code: outcome.code,
        failures: failed_cases(&outcome.stdout),
        output: format!("{}\n{}", outcome.stdout, outcome.stderr),
    }
}

/// Runs every item of `jobs` through `work` on `PARALLEL_RUNS` threads; results in order.
fn parallel<T: Sync, R: Send>(jobs: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(jobs.iter().map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..PARALLEL_RUNS {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap();
                    let index = *next;
                    *next += 1;
                    index
                };
                let Some(job) = jobs.get(index) else { break };
                let result = work(job);
                results.lock().unwrap()[index] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|result| result.expect("every job ran"))
        .collect()
}

/// What one fault's run showed.
struct Detection {
    info: &'static FaultInfo,
    run: SuiteRun,
    /// Failed cases whose message holds every evidence text.
    caught_by: Vec<String>,
}

impl Detection {
    fn of(info: &'static FaultInfo, run: SuiteRun) -> Self {
        let mut caught_by: Vec<String> = run
            .failures
            .iter()
            .filter(|(_, message)| info.evidence.iter().all(|text| message.contains(text)))
            .map(|(name, _)| name.clone())
            .collect();
        // Hand-written cases first: they name the rule in their own words.
        caught_by.sort_by_key(|name| name.starts_with("derived::"));
        Self {
            info,
            run,
            caught_by,
        }
    }

    /// Why this fault counts as not detected, if it does not.
    fn problem(&self) -> Option<String> {
        let name = self.info.name;
        if self.run.code != 101 {
            return Some(format!(
                "{name}: the run exited {} instead of 101\n{}",
                self.run.code, self.run.output
            ));
        }
        if self.caught_by.is_empty() {
            let failed: Vec<&String> = self.run.failures.keys().collect();
            return Some(format!(
                "{name}: no failing case's message contains all of {:?} (failed: {failed:?})",
                self.info.evidence
            ));
        }
        None
    }

    /// `a, b, c and N more`.
    fn cases_cell(&self) -> String {
        let shown: Vec<String> = self
            .caught_by
            .iter()
            .take(NAMES_SHOWN)
            .map(|name| format!("`{name}`"))
            .collect();
        let more = self.caught_by.len().saturating_sub(NAMES_SHOWN);
        match (shown.is_empty(), more) {
            (true, _) => "**not caught**".into(),
            (false, 0) => shown.join(", "),
            (false, more) => format!("{} and {more} more", shown.join(", ")),
        }
    }
}

/// The detection table in Markdown; `with_rule` adds the class and rule columns.
fn table(detections: &[Detection], with_rule: bool) -> String {
    let mut out = String::new();
    if with_rule {
        out.push_str("| fault | class | contract rule it breaks | caught by | cases |\n");
        out.push_str("|---|---|---|---|---|\n");
    } else {
        out.push_str("| fault | caught by | cases (failed) |\n|---|---|---|\n");
    }
    for detection in detections {
        let info = detection.info;
        let count = detection.caught_by.len();
        let failed = detection.run.failures.len();
        let _ = if with_rule {
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {count} |",
                info.name,
                info.class,
                info.rule,
                detection.cases_cell()
            )
        } else {
            writeln!(
                out,
                "| `{}` | {} | {count} ({failed}) |",
                info.name,
                detection.cases_cell()
            )
        };
    }
    out
}

fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// docs/faults.md, generated.
fn faults_doc(detections: &[Detection]) -> String {
    format!(
        "# Emulator fault modes\n\n\
         Each fault mode makes the reference emulator break the contract in one known way, \
         so the suite's power to catch a broken target is itself tested.\n\n\
         - `cts-conform serve --list-faults` lists them; `cts-conform serve --fault NAME` \
         runs a broken standalone emulator (repeatable).\n\
         - `cts-conform --emulator-fault NAME` runs the suite against a broken embedded \
         emulator (embedded target only; repeatable). It must fail.\n\
         - `tests/it/detection.rs` runs the default suite once per fault and once without; \
         each fault must fail the run with a failing case whose message contains the \
         fault's evidence texts (`src/emulator/fault.rs`, `TABLE`), and the clean run must \
         pass. `cargo test --test it detection -- --nocapture` prints the table below; \
         `CTS_UPDATE_FAULT_DOCS=1 cargo test --test it detection` regenerates this file.\n\
         - The account-rule faults ({}) are run against an emulator where only the run's \
         data and transfer buckets exist, with `cases/account_rules.json` alone, one case at \
         a time.\n\n\
         Faults are switched where the behaviour lives: `render.rs` (tracker fields), \
         `validate.rs` (input rules), `store.rs` (state), `account.rs` (bucket rules), \
         `handlers.rs` (success \
         statuses), `mod.rs` (authentication) and `fault.rs::wire` (content type and \
         error bodies of every response).\n\n\
         ## Faults and the cases that catch them\n\n\
         \"caught by\" lists failing cases whose message names the broken rule (the first \
         {NAMES_SHOWN}, by name); \"cases\" counts them.\n\n{}",
        ACCOUNT_RULE_FAULTS
            .iter()
            .map(|fault| format!("`{}`", fault.name()))
            .collect::<Vec<_>>()
            .join(", "),
        table(detections, true)
    )
}

#[test]
fn every_fault_is_caught_and_the_clean_run_passes() {
    let started = std::time::Instant::now();
    let mut jobs: Vec<Option<Fault>> = vec![None];
    jobs.extend(Fault::all().map(Some));
    let mut runs = parallel(&jobs, |fault| match fault {
        Some(fault) if ACCOUNT_RULE_FAULTS.contains(fault) => run_account_rules(Some(*fault)),
        _ => run_suite(*fault),
    })
    .into_iter();
    let clean = runs.next().expect("the clean run");
    let detections: Vec<Detection> = TABLE
        .iter()
        .zip(runs)
        .map(|(info, run)| Detection::of(info, run))
        .collect();

    let mut report = table(&detections, false);
    let _ = writeln!(
        report,
        "\n{} faults, {} caught; {} suite runs in {:.1} s",
        detections.len(),
        detections.iter().filter(|d| d.problem().is_none()).count(),
        jobs.len(),
        started.elapsed().as_secs_f64()
    );
    println!("\nDetection table\n\n{report}");
    let table_path = target_dir().join("detection-table.md");
    std::fs::write(&table_path, format!("# Detection table\n\n{report}"))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", table_path.display()));
    if std::env::var_os("CTS_UPDATE_FAULT_DOCS").is_some() {
        let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/faults.md");
        std::fs::write(&doc, faults_doc(&detections)).expect("docs/faults.md is writable");
    }

    assert_eq!(
        clean.code,
        0,
        "the default suite must pass against the clean emulator; failed: {:?}\n{}",
        clean.failures.keys().collect::<Vec<_>>(),
        clean.output
    );
    let problems: Vec<String> = detections.iter().filter_map(Detection::problem).collect();
    assert!(
        problems.is_empty(),
        "faults not detected:\n{}",
        problems.join("\n\n")
    );
}

#[test]
fn account_rule_faults_are_caught_where_buckets_are_listed() {
    let mut jobs: Vec<Option<Fault>> = vec![None];
    jobs.extend(ACCOUNT_RULE_FAULTS.map(Some));
    let mut runs = parallel(&jobs, |fault| run_account_rules(*fault)).into_iter();
    let clean = runs.next().expect("the clean run");
    assert_eq!(
        clean.code, 0,
        "account_rules must pass against a clean emulator that lists its buckets:\n{}",
        clean.output
    );
    let problems: Vec<String> = ACCOUNT_RULE_FAULTS
        .iter()
        .zip(runs)
        .map(|(fault, run)| Detection::of(fault.info(), run))
        .filter_map(|detection| detection.problem())
        .collect();
    assert!(
        problems.is_empty(),
        "faults not detected:\n{}",
        problems.join("\n\n")
    );
}

#[test]
fn list_faults_prints_every_fault_one_a_line() {
    let outcome = run(&["serve", "--list-faults"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.stdout, listing());
    assert!(TABLE.len() >= 15, "at least 15 fault modes");
    for (line, info) in outcome.stdout.lines().zip(TABLE.iter()) {
        let (name, description) = line.split_once("  ").expect("NAME  description");
        assert_eq!(name, info.name);
        assert_eq!(description.trim_start(), info.description);
    }
}

#[test]
fn emulator_fault_needs_the_embedded_target() {
    let outcome = run(&[
        "--target",
        "http://127.0.0.1:9",
        "--project-id",
        "p",
        "--emulator-fault",
        "missing-id",
    ]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("--emulator-fault needs the embedded target"),
        "{}",
        outcome.stderr
    );
    let unknown = run(&["--emulator-fault", "no-such-fault", "--list"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown fault"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn docs_name_every_fault() {
    if std::env::var_os("CTS_UPDATE_FAULT_DOCS").is_some() {
        return; // being regenerated by the detection test right now
    }
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/faults.md"))
        .expect("docs/faults.md exists");
    for info in &TABLE {
        assert!(
            doc.contains(&format!("`{}`", info.name)),
            "docs/faults.md does not describe {} (regenerate it: CTS_UPDATE_FAULT_DOCS=1 cargo test --test it detection)",
            info.name
        );
    }
}

#[test]
fn failed_cases_are_parsed_from_libtest_output() {
    let stdout = "running 2 tests\ntest a::one ... ok\ntest a::two ... FAILED\n\nfailures:\n\n\
                  ---- a::two ----\nstep 1 of 1: X\n  expected status 201, got 200\n\n\nfailures:\n    a::two\n\n\
                  test result: FAILED. 1 passed; 1 failed\n";
    let failed = failed_cases(stdout);
    assert_eq!(failed.keys().collect::<Vec<_>>(), ["a::two"]);
    assert!(failed["a::two"].contains("expected status 201, got 200"));
    assert!(!failed["a::two"].contains("test result"));
}

/// Suite runs per fault in the determinism check.
const REPEATS: usize = 5;

/// The case a fault run once judged by what other cases had created at that moment
/// (issue 24: it failed in 9 of 12 full runs with a fault on, and passed alone).
const LISTING_CASE: &str = "detection::listed_trackers_belong_to_the_project";

/// The listing case gives one verdict in `REPEATS` full runs per fault (and without one):
/// it lists only what no other case changes meanwhile. Other cases whose verdicts
/// differed between the runs are printed (known, see the report of issue 24), not judged.
#[test]
fn the_listing_case_gives_one_verdict_in_repeated_runs_per_fault() {
    let faults: Vec<Option<Fault>> = std::iter::once(None)
        .chain(
            Fault::all()
                .filter(|f| !ACCOUNT_RULE_FAULTS.contains(f))
                .map(Some),
        )
        .collect();
    let jobs: Vec<Option<Fault>> = faults
        .iter()
        .flat_map(|fault| std::iter::repeat_n(*fault, REPEATS))
        .collect();
    let runs = parallel(&jobs, |fault| run_suite(*fault));
    let mut problems = Vec::new();
    for (fault, runs) in faults.iter().zip(runs.chunks(REPEATS)) {
        let name = fault.map_or("no fault", |f| f.name());
        let listing: Vec<bool> = runs
            .iter()
            .map(|run| run.failures.contains_key(LISTING_CASE))
            .collect();
        if listing.iter().any(|failed| *failed != listing[0]) {
            problems.push(format!("{name}: {LISTING_CASE} failed in runs {listing:?}"));
        }
        let mut varied: Vec<&String> = runs
            .iter()
            .flat_map(|run| run.failures.keys())
            .filter(|case| !runs.iter().all(|run| run.failures.contains_key(*case)))
            .collect();
        varied.sort();
        varied.dedup();
        if !varied.is_empty() {
            println!("{name}: verdicts that differed between {REPEATS} runs: {varied:?}");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
