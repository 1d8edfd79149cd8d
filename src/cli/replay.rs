//! `cts-conform replay DIR`: the recorded answers judged again with today's contract and
//! cases, with no network (the embedded emulator is not started): the run's own pipeline
//! ([`super::run::execute`]) with a recording as the target.

use cts_conform::contract::Contract;
use cts_conform::options::args::{PlanArgs, ProfileArg, ReplayArgs};
use cts_conform::options::spec::{cts_run, replay_command, replay_target};
use cts_conform::partition::Partition;
use cts_conform::record::Recording;
use cts_conform::report;
use cts_conform::report::failure::Reproduce;
use cts_conform::runner::RunSpec;
use cts_conform::terminal;

use super::exit::{usage, Exit};
use super::plan::{load_baseline, load_plan};
use super::reports::plan_reports;

pub(crate) fn replay(args: ReplayArgs) -> Exit {
    let reproduce = Reproduce::Replay(replay_command(&args));
    let libtest = args.libtest;
    // The same flag checks as a run's, before the recording is read.
    if libtest.bench {
        return usage(
            "--bench is not supported: cts-conform has no benchmarks (run without it)".into(),
        );
    }
    if libtest.test_threads == Some(0) {
        return usage("--test-threads must be at least 1".into());
    }
    let recording = match Recording::load(&args.dir) {
        Ok(recording) => recording,
        Err(e) => return usage(e.to_string()),
    };
    let meta = recording.meta.clone();
    let contract = Contract::embedded();
    let profile = args.profile.unwrap_or(if meta.profile == "strict" {
        ProfileArg::Strict
    } else {
        ProfileArg::Documented
    });
    let plan_args = PlanArgs {
        cases: args.cases.clone(),
        with_builtin: args.with_builtin,
        profile,
        no_derived: args.no_derived,
    };
    let mut plan = match load_plan(&plan_args, contract) {
        Ok(plan) => plan,
        Err(exit) => return exit,
    };
    let baseline = match load_baseline(&args.outputs.baseline, &plan, contract) {
        Ok(baseline) => baseline,
        Err(exit) => return exit,
    };
    let partition = match (&args.outputs.partition, &meta.partition) {
        (Some(p), _) => Some(*p),
        (None, Some(text)) => match text.parse::<Partition>() {
            Ok(p) => Some(p),
            Err(e) => return usage(format!("the recording's partition {text:?}: {e}")),
        },
        (None, None) => None,
    };
    let planned = std::mem::take(&mut plan.cases);
    let plan_ids: Vec<String> = planned.iter().map(|case| case.id.clone()).collect();
    let cases = match partition {
        Some(partition) => partition.select(planned),
        None => planned,
    };
    if libtest.list {
        terminal::list(&libtest, &cases);
        return Exit::Passed;
    }
    let reports = match plan_reports(&args.outputs) {
        Ok(reports) => reports,
        Err(exit) => return exit,
    };
    let config = meta.replay_config(plan.profile);
    let fingerprint =
        report::results::fingerprint(cts_conform::contract::EMBEDDED_OPENAPI, &plan.sources);
    println!(
        "replaying {}: recorded {} against {} (run {}); no request is sent",
        args.dir.display(),
        meta.started,
        meta.target.url,
        meta.run_id
    );
    if fingerprint != meta.fingerprint_sha256 {
        println!(
            "note: the contract or the cases changed since the recording: verdicts may change"
        );
    }
    let selection = terminal::selection(&libtest, &cases);
    let spec = RunSpec {
        selection,
        concurrency: libtest
            .test_threads
            .unwrap_or(terminal::DEFAULT_CONCURRENCY),
        baseline,
        plan_ids,
        profile: plan.profile_name(),
        partition: partition.map(|p| p.to_string()),
        baseline_file: args
            .outputs
            .baseline
            .as_ref()
            .map(|p| p.display().to_string()),
        fingerprint,
        reproduce,
        ..cts_run(replay_target(recording), config, cases)
    };
    let outputs = super::run::Outputs {
        reports,
        bundle: None,
        fail_on_ignored: false,
        min_coverage: None,
        print_critical_path: false,
    };
    super::run::execute(spec, &libtest, outputs)
}
