//! `cts-conform explore`: the run's flags make the target (as a run's), the budget flags
//! a [`Budget`]; [`cts_conform::explore`] does the rest. Prints the seed, the command
//! that repeats the exploration, and, when a sequence failed, the shrunk case and the
//! command that replays it. Exit 0 nothing found, 101 a sequence failed, 2 a bad flag.

use std::path::Path;

use cts_conform::contract::Contract;
use cts_conform::explore::{self, summary, Budget, Executor, ExploreError};
use cts_conform::run;

use cts_conform::options::args::ExploreArgs;
use cts_conform::options::checks::check_explore_args;
use cts_conform::options::spec::{ledger_spec, rerun_command};

use super::exit::{runtime, usage, Exit};
use super::run::{cli_target_config, quit_on_second_signal};

pub(crate) fn explore(args: ExploreArgs) -> Exit {
    if let Some(problem) = check_explore_args(&args, Contract::embedded()) {
        return usage(problem);
    }
    let (target, config) = match cli_target_config(&args.run) {
        Ok(target) => target,
        Err(exit) => return exit,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(exit) => return exit,
    };
    let seed = args.seed.unwrap_or_else(summary::clock_seed);
    let budget = Budget {
        seed,
        sequences: args.sequences,
        max_steps: args.max_steps,
        shrink_runs: explore::SHRINK_RUNS,
    };
    let profile = format!("{:?}", config.profile).to_lowercase();
    let ledger = ledger_spec(&args.run);
    let ledger_file = ledger.written_file().map(Path::to_path_buf);
    let mut executor = Executor::new(
        Contract::embedded_shared(),
        cts_conform::cts::Cts::shared(),
        target,
        config,
        ledger,
        runtime.handle().clone(),
        &profile,
    );
    let flags = rerun_command(&args.run);
    let flags = flags.strip_prefix("cts-conform").unwrap_or_default();
    let abilities = explore::abilities(executor.config());
    // Before the first request: a signal stops the exploration gracefully from now on
    // (the run in progress ends its step and cleans up), a second quits at once.
    let listeners = run::signals::Listeners::install(runtime.handle());
    let stop = executor.stop_handle();
    let watch = run::signals::watch(listeners, move |signal| stop.stop(signal));
    runtime.spawn(quit_on_second_signal(watch, ledger_file));
    for line in summary::opening(&budget, abilities, flags) {
        println!("{line}");
    }
    let explored = match explore::explore(&mut executor, &budget, &args.out) {
        Ok(explored) => explored,
        Err(ExploreError::Config(message)) => return usage(message),
        Err(ExploreError::Unreachable(message)) => {
            eprintln!("error: {message}");
            return Exit::Unreachable;
        }
        Err(ExploreError::Harness(message)) => {
            eprintln!("error: {message}");
            return Exit::Failed;
        }
        // explore() reports a stop in what it returns; a stop found elsewhere still ends.
        Err(ExploreError::Stopped(signal)) => return Exit::from(signal),
    };
    let sent = format!("{} runs, {} requests", executor.runs, executor.requests);
    let out = cts_conform::report::failure::quote(&args.out.display().to_string());
    for line in summary::closing(&explored, &sent, &out, flags) {
        println!("{line}");
    }
    match explored.found {
        _ if explored.stopped.is_some() => explored.stopped.map_or(Exit::Interrupted, Exit::from),
        Some(_) => Exit::Failed,
        None if explored.not_run == explored.sequences => {
            eprintln!("error: no sequence ran");
            Exit::NoTests
        }
        None => Exit::Passed,
    }
}
