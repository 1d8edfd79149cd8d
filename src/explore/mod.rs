//! `cts-conform explore` (issue 27, item 2): seeded random sequences of tracker
//! operations, each run as a case against the target and judged by the contract and the
//! run's model; the first failing sequence is shrunk to a minimal one and written as a
//! case file that `cts-conform --cases DIR` replays.
//!
//! The parts: [`generator`] (the sequences, pure), [`case_writer`] (a sequence as a case
//! file, pure but for writing it), [`executor`] (a case file run through the runner:
//! target set up, checked and cleaned up as a run's), [`shrink`] (greedy shrinking, pure),
//! [`summary`] (what the command prints, pure).
//! Everything a sequence runs is the case file it is written as, so what is written is
//! exactly what failed.

pub mod case_writer;
pub mod executor;
pub mod generator;
pub mod shrink;
pub mod summary;

use std::path::{Path, PathBuf};

use crate::run::signals::StopSignal;

pub use executor::{Executor, ExploreError, Failure, Outcome, StopHandle};
pub use generator::{Abilities, Op, Vocabulary};

/// How much to explore.
#[derive(Debug, Clone)]
pub struct Budget {
    pub seed: u64,
    /// Sequences to run (unless one fails first).
    pub sequences: u64,
    /// Steps of a sequence, at most.
    pub max_steps: usize,
    /// Candidates the shrinker may run.
    pub shrink_runs: usize,
}

/// The default budget: 200 sequences, about 1,800 requests, 3 to 6 s against the
/// embedded emulator in a debug build (measured; README: explore).
pub const DEFAULT_SEQUENCES: u64 = 200;
/// Steps of a sequence, at most, by default.
pub const DEFAULT_MAX_STEPS: usize = 12;
/// Candidates the shrinker runs, at most.
pub const SHRINK_RUNS: usize = 300;

/// A failing sequence, shrunk and written.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its index in the exploration.
    pub index: u64,
    /// Steps before and after shrinking.
    pub steps_before: usize,
    pub ops: Vec<Op>,
    /// The shrunk sequence's failure.
    pub failure: Failure,
    /// The case file written, and the case's id in it.
    pub path: PathBuf,
    pub case_id: String,
}

/// What an exploration did.
#[derive(Debug, Clone)]
pub struct Explored {
    /// Sequences run (the failing one included).
    pub sequences: u64,
    /// Of them, not run (the reasons, first one kept).
    pub not_run: u64,
    pub not_run_reason: Option<String>,
    pub found: Option<Found>,
    /// A signal stopped the exploration (while exploring, or while shrinking: then
    /// `found` is the shortest failing sequence seen so far).
    pub stopped: Option<crate::run::signals::StopSignal>,
}

/// What a run lets sequences do: change the target (loopback or `--allow-mutations`),
/// track a bucket (a data bucket in the pool), transfer to one.
pub fn abilities(config: &crate::run::RunConfig) -> Abilities {
    Abilities {
        mutate: config.allow_mutations || crate::run::config::is_loopback(&config.base_url),
        data_bucket: !config.data_buckets.is_empty(),
        obs_bucket: !config.obs_buckets.is_empty(),
    }
}

/// Runs `budget.sequences` sequences (stopping at the first failing one, which is
/// shrunk and written into `out`).
pub fn explore(
    executor: &mut Executor,
    budget: &Budget,
    out: &Path,
) -> Result<Explored, ExploreError> {
    let abilities = abilities(executor.config());
    let vocabulary = Vocabulary::from_contract(executor.contract(), abilities);
    let mut explored = Explored {
        sequences: 0,
        not_run: 0,
        not_run_reason: None,
        found: None,
        stopped: None,
    };
    for index in 0..budget.sequences {
        let ops = generator::generate(&vocabulary, abilities, budget.seed, index, budget.max_steps);
        let name = case_writer::case_name(budget.seed, index);
        let outcome = match executor.run(&case_writer::case_file(&name, "explore", &ops)) {
            Ok(outcome) => outcome,
            Err(ExploreError::Stopped(signal)) => {
                explored.stopped = Some(signal);
                break;
            }
            Err(e) => return Err(e),
        };
        explored.sequences += 1;
        match outcome {
            Outcome::Passed => {}
            Outcome::NotRun(reason) => {
                explored.not_run += 1;
                explored.not_run_reason.get_or_insert(reason);
            }
            Outcome::Failed(failure) => {
                let steps_before = ops.len();
                let (ops, failure, stopped) =
                    shrink_failing(executor, &vocabulary, &name, ops, failure, budget)?;
                explored.stopped = stopped;
                let doc = doc_of(&failure);
                let file = case_writer::case_file(&name, &doc, &ops);
                let path = case_writer::write(out, &name, &file).map_err(|e| {
                    ExploreError::Config(format!("cannot write {}: {e}", out.join(&name).display()))
                })?;
                explored.found = Some(Found {
                    index,
                    steps_before,
                    ops,
                    failure,
                    path,
                    case_id: format!("{}::{name}", case_writer::SUITE),
                });
                break;
            }
        }
    }
    Ok(explored)
}

/// The case's `doc`: the document row the finding names, or the contract's checks.
fn doc_of(failure: &Failure) -> String {
    match &failure.doc {
        Some(doc) => doc.clone(),
        None => format!(
            "the contract's checks of every answer (documented status, response schema), \
             found by explore: {}",
            failure.signature
        ),
    }
}

/// Shrinks a failing sequence against fresh runs; gives the shrunk sequence and its
/// failure (the same signature as `failure`). A signal ends the shrinking with the
/// shortest sequence seen failing so far (every one kept was seen failing), and names
/// the signal.
fn shrink_failing(
    executor: &mut Executor,
    vocabulary: &Vocabulary,
    name: &str,
    ops: Vec<Op>,
    failure: Failure,
    budget: &Budget,
) -> Result<(Vec<Op>, Failure, Option<StopSignal>), ExploreError> {
    let mut error = None;
    let mut last = failure.clone();
    let shrunk = shrink::shrink(ops.clone(), vocabulary, budget.shrink_runs, |candidate| {
        if error.is_some() {
            return false;
        }
        match executor.run(&case_writer::case_file(name, "explore", candidate)) {
            Ok(Outcome::Failed(found)) if found.signature == failure.signature => {
                last = found;
                true
            }
            Ok(_) => false,
            Err(e) => {
                error = Some(e);
                false
            }
        }
    });
    let stopped = match error {
        Some(ExploreError::Stopped(signal)) => Some(signal),
        Some(e) => return Err(e),
        None => None,
    };
    match shrunk == ops {
        true => Ok((ops, failure, stopped)),
        false => Ok((shrunk, last, stopped)),
    }
}
