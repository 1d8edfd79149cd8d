//! The main job: the suite against a target (the embedded emulator by default). Flags
//! become a [`RunSpec`] for the library's runner ([`cts_conform::runner`]); its outcome
//! becomes libtest output, reports and an exit code. `replay` goes through
//! [`execute`] too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cts_conform::contract::Contract;
use cts_conform::options::args::RunArgs;
use cts_conform::options::checks::{check_run_args, check_selection, NoCaseSelected};
use cts_conform::options::spec::{filters, ledger_spec, rerun_command, target_config};
use cts_conform::options::suite::{Outputs, RunEnd, Suite, SuiteError};
use cts_conform::report::failure::Reproduce;
use cts_conform::run::{self, RunConfig};
use cts_conform::runner::{self, RunSpec, Target};
use cts_conform::terminal::{self, Terminal};

use super::exit::{exit_now, not_started, runtime, usage, Exit};

/// Quits at once on the second signal (`first`, e.g. [`run::signals::watch_session`],
/// handles the first), naming the command that removes what was left behind.
pub(crate) async fn quit_on_second_signal(
    first: impl std::future::Future<Output = run::signals::StopSignal>,
    ledger: Option<PathBuf>,
) {
    let second = first.await;
    match ledger {
        Some(path) => eprintln!(
            "quitting now; remove leftovers with: {}",
            run::sweep::command(&path)
        ),
        None => eprintln!("quitting now"),
    }
    exit_now(Exit::from(second));
}

pub(crate) fn run_suite(args: RunArgs, libtest: libtest_mimic::Arguments) -> Exit {
    let contract = Contract::embedded();
    if let Some(problem) = check_run_args(&args, &libtest, contract) {
        return usage(problem);
    }
    let url_target = args.target != "embedded";
    let baseline = args.outputs.baseline.as_deref();
    let partition = args.outputs.partition;
    let notice = &mut |warning: String| eprintln!("{warning}");
    let mut suite = match Suite::load(&args.plan, baseline, partition, url_target, notice) {
        Ok(suite) => suite,
        Err(error) => return refused(error),
    };
    if libtest.list {
        return match args.explain {
            true => explain(&args, &libtest, suite),
            false => {
                terminal::list(&libtest, &suite.cases);
                Exit::Passed
            }
        };
    }
    // The response schemas compile on another core while the run gets ready (the
    // target's check, the emulator), not on the way of the first answers; if no thread
    // can be had, each compiles when first needed. Not during the load: the two would add
    // up at a large plan's peak of memory.
    let _ = std::thread::Builder::new()
        .name("cts-conform-schemas".into())
        .spawn(|| contract.compile_response_schemas());
    match check_selection(&suite.cases, &libtest, args.no_tests) {
        Ok(warning) => warning.iter().for_each(|w| eprintln!("{w}")),
        Err(NoCaseSelected::Mistyped(message)) => return usage(message),
        Err(NoCaseSelected::Refused(line)) => {
            eprintln!("{line}");
            return Exit::NoTests;
        }
    }
    let outputs = match args.outputs() {
        Ok(outputs) => outputs,
        Err(message) => return usage(message),
    };
    let fingerprint = suite.take_fingerprint(outputs.fingerprinted());
    let (target, config) = match cli_target_config(&args) {
        Ok(target) => target,
        Err(exit) => return exit,
    };
    let spec = RunSpec {
        ledger: ledger_spec(&args),
        record: outputs.record.clone(),
        record_overwrite: args.record_overwrite,
        keep_results: outputs.keeps_results(),
        filters: Some(filters(&libtest, args.plan.no_derived)),
        fingerprint,
        reproduce: Reproduce::Run(rerun_command(&args)),
        ..suite.into_spec(&libtest, target, config)
    };
    execute(spec, &libtest, outputs)
}

/// The suite could not be had: case-file errors as they are, else one line (exit 2).
pub(crate) fn refused(error: SuiteError) -> Exit {
    match error {
        SuiteError::CaseFiles(errors) => {
            eprintln!("{errors}");
            Exit::Usage
        }
        SuiteError::Usage(message) => usage(message),
    }
}

/// `--list --explain`: each case and whether this run would run it, and if not why, from
/// the runner's own decisions ([`runner::explain`]); sends nothing but the check before
/// the run.
fn explain(args: &RunArgs, libtest: &libtest_mimic::Arguments, suite: Suite) -> Exit {
    let (target, config) = match cli_target_config(args) {
        Ok(target) => target,
        Err(exit) => return exit,
    };
    let spec = RunSpec {
        // Only read: explaining writes no ledger (runner::explain).
        ledger: ledger_spec(args),
        keep_results: false,
        ..suite.into_spec(libtest, target, config)
    };
    explain_spec(spec)
}

/// Prints what a run (or replay) of `spec` would do with each case ([`runner::explain`]).
pub(crate) fn explain_spec(spec: RunSpec) -> Exit {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(exit) => return exit,
    };
    match runner::explain::explain(spec, runtime.handle()) {
        Ok((explained, warnings)) => {
            for warning in &warnings {
                eprintln!("{warning}");
            }
            print!("{}", runner::explain::render(&explained));
            Exit::Passed
        }
        Err(error) => not_started(error),
    }
}

/// The target and configuration of `args` ([`target_config`]), its warnings printed; a
/// problem is a usage error.
pub(crate) fn cli_target_config(args: &RunArgs) -> Result<(Target, RunConfig), Exit> {
    target_config(args, &mut |warning| eprintln!("{warning}")).map_err(usage)
}

/// Runs `spec` with the terminal as its printer, writes the reports, and gives the exit
/// code: the one pipeline of `run` and `replay`.
pub(crate) fn execute(
    mut spec: RunSpec,
    libtest: &libtest_mimic::Arguments,
    outputs: Outputs,
) -> Exit {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(exit) => return exit,
    };
    let terminal = Terminal::attach(&mut spec, libtest);
    let unmet = outputs.print_critical_path.then(|| {
        let unmet = Arc::new(run::bound::UnmetPreconditions::default());
        spec.reporters
            .push(Arc::clone(&unmet) as Arc<dyn run::event::Reporter>);
        unmet
    });
    let ledger_path = spec.ledger.written_file().map(Path::to_path_buf);
    // Before the first request: a signal stops the run gracefully from now on.
    let sends = spec
        .selection
        .iter()
        .any(|s| matches!(s, runner::Selection::Run));
    let signals = sends.then(|| run::signals::Listeners::install(runtime.handle()));
    let prepared = match runner::prepare(spec, runtime.handle()) {
        Ok(prepared) => prepared,
        Err(error) => return not_started(error),
    };
    for warning in &prepared.warnings {
        eprintln!("{warning}");
    }
    if let Some(listeners) = signals {
        let session = Arc::clone(prepared.session());
        let watch = run::signals::watch_session(listeners, session);
        runtime.spawn(quit_on_second_signal(watch, ledger_path));
    }
    let conclusion = terminal.print_while(&prepared);
    let signal = prepared.session().stop_signal();
    let bound = unmet.map(|unmet| prepared.critical_path(&unmet));
    let finished = prepared.finish();
    let leftovers = &finished.summary.leftovers;
    if let Some(notice) = leftovers.notice() {
        eprintln!("error: {notice}");
    }
    let mut written = true;
    if let Some(error) = &finished.recording_error {
        eprintln!("error: {error}");
        written = false;
    }
    let summary = &finished.summary;
    if let Some(reports) = &outputs.reports {
        written &= super::reports::write_reports(
            reports,
            summary,
            &finished.results,
            &finished.coverage,
            &finished.redactor,
        );
    }
    terminal.print_closing(&finished);
    if let Some(bound) = bound {
        println!("{bound}");
    }
    let end = RunEnd {
        signal,
        libtest_failed: conclusion.has_failed(),
        written,
    };
    let (exit, why) = outputs.exit(&finished, &end);
    why.iter().for_each(|line| eprintln!("{line}"));
    let exit = match &outputs.bundle {
        Some(dir) => super::reports::write_bundle(dir, &finished, exit),
        None => exit,
    };
    // The process ends next: freeing every result one by one would only cost time.
    std::mem::forget(finished);
    exit
}
