//! The main job: the suite against a target (the embedded emulator by default). Flags
//! become a [`RunSpec`] for the library's runner ([`cts_conform::runner`]); its outcome
//! becomes libtest output, reports and an exit code. `replay` goes through
//! [`execute`] too.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use cts_conform::contract::Contract;
use cts_conform::options::args::RunArgs;
use cts_conform::options::checks::{check_run_args, check_selection, NoCaseSelected};
use cts_conform::options::spec::{cts_run, filters, ledger_spec, rerun_command, target_config};
use cts_conform::report;
use cts_conform::report::failure::Reproduce;
use cts_conform::report::files::Reports;
use cts_conform::run::reorder::ReorderBuffer;
use cts_conform::run::{self, RunConfig, Session};
use cts_conform::runner::{self, LedgerSpec, RunSpec, Target};
use cts_conform::terminal;
use libtest_mimic::ColorSetting;

use super::exit::{exit_now, runtime, usage, Exit};
use super::plan::{load_baseline, load_plan};
use super::reports::plan_reports;

/// Quits at once on the second signal ([`run::signals::watch`] handles the first),
/// naming the command that removes what the run left.
async fn quit_on_second_signal(
    listeners: run::signals::Listeners,
    session: Arc<Session>,
    ledger: Option<PathBuf>,
) {
    let second = run::signals::watch(listeners, session).await;
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
    let mut plan = match load_plan(&args.plan, contract) {
        Ok(plan) => plan,
        Err(exit) => return exit,
    };
    if !libtest.list {
        // The response schemas compile on another core while the run gets ready (the
        // target's check, the emulator), not on the way of the first answers; if no
        // thread can be had, each compiles when first needed. Not during the load: the
        // two would add up at a large plan's peak of memory.
        let _ = std::thread::Builder::new()
            .name("cts-conform-schemas".into())
            .spawn(|| contract.compile_response_schemas());
    }
    let embedded = args.target == "embedded";
    if !embedded {
        if let Err(errors) =
            cts_conform::cts::case_files::check_created_names(&plan.cases, &plan.sources)
        {
            eprintln!("{errors}");
            return Exit::Usage;
        }
    }
    let baseline = match load_baseline(&args.outputs.baseline, &plan, contract) {
        Ok(baseline) => baseline,
        Err(exit) => return exit,
    };
    let planned = std::mem::take(&mut plan.cases);
    // The whole plan's ids (before any partition): a shard's report carries them, so
    // that `report merge` sees a missing shard.
    let plan_ids: Vec<String> = planned.iter().map(|case| case.id.clone()).collect();
    let cases = match args.outputs.partition {
        Some(partition) => partition.select(planned),
        None => planned,
    };
    if libtest.list && args.explain {
        return explain(&args, &libtest, cases, baseline, plan_ids);
    }
    if libtest.list {
        terminal::list(&libtest, &cases);
        return Exit::Passed;
    }
    match check_selection(&cases, &libtest, args.no_tests) {
        Ok(warning) => warning.iter().for_each(|w| eprintln!("{w}")),
        Err(NoCaseSelected::Mistyped(message)) => return usage(message),
        Err(NoCaseSelected::Refused(line)) => {
            eprintln!("{line}");
            return Exit::NoTests;
        }
    }
    let reports = match plan_reports(&args.outputs) {
        Ok(reports) => reports,
        Err(exit) => return exit,
    };
    // --bundle DIR: refused unless new or empty, before anything is sent.
    let bundle = match &args.bundle {
        Some(dir) => match cts_conform::bundle::prepare(dir) {
            Ok(()) => Some(dir.clone()),
            Err(e) => return usage(e.to_string()),
        },
        None => None,
    };
    let record = args.record.clone().or_else(|| {
        bundle
            .as_ref()
            .map(|dir| dir.join(cts_conform::bundle::RECORDING))
    });
    // The case files' texts are needed no more than for their fingerprint, and that only
    // for a recording or a report (it is left empty otherwise): a large suite's text is
    // not kept for the whole run.
    let sources = std::mem::take(&mut plan.sources);
    let fingerprint = if record.is_some() || reports.is_some() || bundle.is_some() {
        report::results::fingerprint(cts_conform::contract::EMBEDDED_OPENAPI, &sources)
    } else {
        String::new()
    };
    drop(sources);
    let (target, config) = match cli_target_config(&args) {
        Ok(target) => target,
        Err(exit) => return exit,
    };
    let selection = terminal::selection(&libtest, &cases);
    let spec = RunSpec {
        selection,
        concurrency: libtest
            .test_threads
            .unwrap_or(terminal::DEFAULT_CONCURRENCY),
        baseline,
        ledger: ledger_spec(&args),
        record,
        record_overwrite: args.record_overwrite,
        keep_results: reports.is_some() || bundle.is_some(),
        plan_ids,
        filters: Some(filters(&libtest, args.plan.no_derived)),
        profile: plan.profile_name(),
        partition: args.outputs.partition.map(|p| p.to_string()),
        baseline_file: args
            .outputs
            .baseline
            .as_ref()
            .map(|p| p.display().to_string()),
        fingerprint,
        reproduce: Reproduce::Run(rerun_command(&args)),
        ..cts_run(target, config, cases)
    };
    let outputs = Outputs {
        reports,
        bundle,
        fail_on_ignored: args.fail_on_ignored,
        min_coverage: args.min_coverage,
        print_critical_path: args.print_critical_path,
    };
    execute(spec, &libtest, outputs)
}

/// `--list --explain`: each case and whether this run would run it, and if not why, from
/// the runner's own decisions ([`runner::explain`]); sends nothing but the check before
/// the run.
fn explain(
    args: &RunArgs,
    libtest: &libtest_mimic::Arguments,
    cases: Vec<cts_conform::case::LoadedCase>,
    baseline: cts_conform::outcome::Baseline,
    plan_ids: Vec<String>,
) -> Exit {
    let (target, config) = match cli_target_config(args) {
        Ok(target) => target,
        Err(exit) => return exit,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(exit) => return exit,
    };
    let selection = terminal::selection(libtest, &cases);
    let spec = RunSpec {
        selection,
        baseline,
        // Only read: explaining writes no ledger (runner::explain).
        ledger: ledger_spec(args),
        keep_results: false,
        plan_ids,
        ..cts_run(target, config, cases)
    };
    match runner::explain::explain(spec, runtime.handle()) {
        Ok((explained, warnings)) => {
            for warning in &warnings {
                eprintln!("{warning}");
            }
            print!("{}", runner::explain::render(&explained));
            Exit::Passed
        }
        Err(error) => Exit::from(error),
    }
}

/// The target and configuration of `args` ([`target_config`]), its warnings printed; a
/// problem is a usage error.
pub(crate) fn cli_target_config(args: &RunArgs) -> Result<(Target, RunConfig), Exit> {
    target_config(args, &mut |warning| eprintln!("{warning}")).map_err(usage)
}

/// What a run writes and how its completeness gates its exit code.
pub(crate) struct Outputs {
    pub(crate) reports: Option<Reports>,
    /// `--bundle DIR` (the recording goes in it too).
    pub(crate) bundle: Option<PathBuf>,
    pub(crate) fail_on_ignored: bool,
    pub(crate) min_coverage: Option<f64>,
    /// `--print-critical-path`: the run's bound, printed after it.
    pub(crate) print_critical_path: bool,
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
    let color = match libtest.color {
        Some(ColorSetting::Always) => true,
        Some(ColorSetting::Never) => false,
        _ => std::io::stdout().is_terminal(),
    };
    let buffer = Arc::new(ReorderBuffer::default());
    spec.reporters
        .push(Arc::clone(&buffer) as Arc<dyn run::event::Reporter>);
    spec.pace = Some(Arc::clone(&buffer));
    let unmet = outputs.print_critical_path.then(|| {
        let unmet = Arc::new(run::bound::UnmetPreconditions::default());
        spec.reporters
            .push(Arc::clone(&unmet) as Arc<dyn run::event::Reporter>);
        unmet
    });
    let ledger_path = match &spec.ledger {
        LedgerSpec::File(path) => Some(path.clone()),
        LedgerSpec::InMemory | LedgerSpec::ReadOnly(_) => None,
    };
    // Before the first request: a signal stops the run gracefully from now on.
    let sends = spec
        .selection
        .iter()
        .any(|s| matches!(s, runner::Selection::Run));
    let signals = sends.then(|| run::signals::Listeners::install(runtime.handle()));
    let reproduce = spec.reproduce.clone();
    let prepared = match runner::prepare(spec, runtime.handle()) {
        Ok(prepared) => prepared,
        Err(error) => return Exit::from(error),
    };
    for warning in &prepared.warnings {
        eprintln!("{warning}");
    }
    if let Some(listeners) = signals {
        runtime.spawn(quit_on_second_signal(
            listeners,
            Arc::clone(prepared.session()),
            ledger_path,
        ));
    }
    let conclusion = terminal::print_while(
        libtest,
        prepared.cases(),
        &buffer,
        prepared.redactor(),
        reproduce,
        color,
        || prepared.execute(),
    );
    let interrupted = prepared.session().interrupted();
    let stop_signal = prepared.session().stop_signal();
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
    if let Some(reports) = outputs.reports {
        written &= super::reports::write_reports(
            &reports,
            summary,
            &finished.results,
            &finished.coverage,
            &finished.redactor,
        );
    }
    let completeness = &finished.completeness;
    terminal::print_completeness(libtest, completeness);
    let traffic = match summary.target_kind.as_str() {
        "replay" => format!(
            "requests answered from the recording (none sent): {}",
            finished.traffic.line()
        ),
        _ => format!("requests sent: {}", finished.traffic.line()),
    };
    terminal::print_summary_line(libtest, &traffic);
    if let Some(bound) = bound {
        println!("{bound}");
    }
    let exit = if let Some(why) = &finished.configuration_error {
        eprintln!("error: {why}");
        Exit::Unreachable
    } else if interrupted {
        eprintln!("interrupted: cases that had started stopped after their current step and cleaned up; the rest did not run");
        stop_signal.map_or(Exit::Interrupted, Exit::from)
    } else {
        super::reports::gated(
            verdict(
                conclusion.has_failed() || !leftovers.is_empty(),
                &finished.results,
                written,
            ),
            completeness,
            outputs.fail_on_ignored,
            outputs.min_coverage,
        )
    };
    let exit = match &outputs.bundle {
        Some(dir) => super::reports::write_bundle(dir, &finished, exit),
        None => exit,
    };
    // The process ends next: freeing every result one by one would only cost time.
    std::mem::forget(finished);
    exit
}

/// The exit code of a run that ran: a report that could not be written first (CI would
/// otherwise judge without it), then a failure seen by libtest or by the reports (they
/// never disagree: a case the reports count as failed fails the run).
pub(crate) fn verdict(libtest_failed: bool, results: &[report::CaseResult], written: bool) -> Exit {
    if !written {
        eprintln!("error: the run finished but a report could not be written (exit 5)");
        return Exit::ReportNotWritten;
    }
    if libtest_failed || results.iter().any(|r| r.verdict.fails_run()) {
        Exit::Failed
    } else {
        Exit::Passed
    }
}
