//! What `explore` says: the lines before the first sequence (the seed, the command that
//! repeats the exploration, what the run cannot do) and after the last (nothing found,
//! or the failure, the case written and the command that replays it). Pure.

use super::{Abilities, Budget, Explored};

/// The lines printed before exploring. `flags`: the run's target flags as a command
/// line after `cts-conform` (each with its leading space).
pub fn opening(budget: &Budget, abilities: Abilities, flags: &str) -> Vec<String> {
    let mut lines = vec![
        format!(
            "exploring: seed {}, {} sequences of at most {} steps",
            budget.seed, budget.sequences, budget.max_steps
        ),
        format!(
            "repeat with: cts-conform explore --seed {} --sequences {} --max-steps {}{flags}",
            budget.seed, budget.sequences, budget.max_steps
        ),
    ];
    if !abilities.mutate {
        lines.push(
            "note: the target is not on loopback and --allow-mutations was not given: only \
             listings and quotas are sent"
                .into(),
        );
    } else if !abilities.data_bucket {
        lines.push(
            "note: no --data-bucket: nothing is created (creates and updates need a bucket \
             to track)"
                .into(),
        );
    }
    lines
}

/// The lines printed after exploring; `sent` counts the runs and requests, `out` is the
/// `--out` directory as the replay command names it (quoted).
pub fn closing(explored: &Explored, sent: &str, out: &str, flags: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(reason) = &explored.not_run_reason {
        lines.push(format!(
            "{} of {} sequences not run: {reason}",
            explored.not_run, explored.sequences
        ));
    }
    let Some(found) = &explored.found else {
        lines.push(format!(
            "explored {} sequences ({sent}): nothing found",
            explored.sequences
        ));
        return lines;
    };
    lines.push(format!(
        "sequence {} failed: {}",
        found.index, found.failure.message
    ));
    lines.push(format!(
        "shrunk from {} to {} steps ({sent}); written to {}",
        found.steps_before,
        found.ops.len(),
        found.path.display()
    ));
    lines.push(format!(
        "replay with: cts-conform --cases {out} --no-derived{flags} --exact {}",
        found.case_id
    ));
    lines
}

/// A seed from the clock, for an exploration that names none (it is printed).
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64 % 1_000_000_000)
}
