//! `cts-conform replay DIR`: the recorded answers judged again with today's contract and
//! cases, with no network (the embedded emulator is not started): the run's own pipeline
//! ([`super::run::execute`]) with a recording as the target.

use cts_conform::options::args::ReplayArgs;
use cts_conform::options::checks::{check_explain, check_libtest_args};
use cts_conform::options::spec::{replay_command, replay_target};
use cts_conform::options::suite::{Outputs, Suite};
use cts_conform::record::Recording;
use cts_conform::report::failure::Reproduce;
use cts_conform::runner::RunSpec;
use cts_conform::terminal;

use super::exit::{usage, Exit};

pub(crate) fn replay(args: ReplayArgs) -> Exit {
    let reproduce = Reproduce::Replay(replay_command(&args));
    // The same flag checks as a run's, before the recording is read.
    let explain = check_explain(args.explain, &args.libtest);
    if let Some(problem) = check_libtest_args(&args.libtest).or(explain) {
        return usage(problem);
    }
    let recording = match Recording::load(&args.dir) {
        Ok(recording) => recording,
        Err(e) => return usage(e.to_string()),
    };
    let meta = recording.meta.clone();
    let partition = match args.partition(&meta) {
        Ok(partition) => partition,
        Err(message) => return usage(message),
    };
    let baseline = args.outputs.baseline.as_deref();
    let notice = &mut |warning: String| eprintln!("{warning}");
    let mut suite = match Suite::load(&args.plan(&meta), baseline, partition, false, notice) {
        Ok(suite) => suite,
        Err(error) => return super::run::refused(error),
    };
    let libtest = &args.libtest;
    let config = meta.replay_config(suite.profile);
    if libtest.list && args.explain {
        let spec = suite.into_spec(libtest, replay_target(recording), config);
        return super::run::explain_spec(spec);
    }
    if libtest.list {
        terminal::list(libtest, &suite.cases);
        return Exit::Passed;
    }
    let reports = match args.outputs.reports() {
        Ok(reports) => reports,
        Err(message) => return usage(message),
    };
    let fingerprint = suite.take_fingerprint(true);
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
    let spec = RunSpec {
        fingerprint,
        reproduce,
        ..suite.into_spec(libtest, replay_target(recording), config)
    };
    let outputs = Outputs {
        reports,
        ..Outputs::default()
    };
    super::run::execute(spec, libtest, outputs)
}
