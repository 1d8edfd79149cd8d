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
    match (explored.stopped, &explored.found) {
        (Some(signal), None) => lines.push(format!(
            "stopped by {} after {} sequences: the run in progress stopped after its current \
             step and cleaned up; the rest did not run",
            signal.name(),
            explored.sequences
        )),
        (Some(signal), Some(_)) => lines.push(format!(
            "stopped by {} while shrinking: the shortest failing sequence seen so far is written",
            signal.name()
        )),
        (None, _) => {}
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget {
            seed: 9,
            sequences: 5,
            max_steps: 3,
            shrink_runs: 10,
        }
    }

    #[test]
    fn the_opening_names_the_seed_and_what_the_run_cannot_do() {
        let all = Abilities {
            mutate: true,
            data_bucket: true,
            obs_bucket: true,
        };
        let lines = opening(&budget(), all, " --target http://t");
        assert_eq!(
            lines,
            [
                "exploring: seed 9, 5 sequences of at most 3 steps",
                "repeat with: cts-conform explore --seed 9 --sequences 5 --max-steps 3 --target http://t",
            ]
        );
        let read_only = opening(
            &budget(),
            Abilities {
                mutate: false,
                ..all
            },
            "",
        );
        assert!(
            read_only[2].contains("only listings and quotas"),
            "{read_only:?}"
        );
        let no_bucket = opening(
            &budget(),
            Abilities {
                data_bucket: false,
                ..all
            },
            "",
        );
        assert!(no_bucket[2].contains("nothing is created"), "{no_bucket:?}");
    }

    #[test]
    fn the_closing_says_nothing_found_or_how_to_replay() {
        let mut explored = Explored {
            sequences: 5,
            not_run: 0,
            not_run_reason: None,
            found: None,
            stopped: None,
        };
        assert_eq!(
            closing(&explored, "5 runs", "out", ""),
            ["explored 5 sequences (5 runs): nothing found"]
        );
        explored.found = Some(super::super::Found {
            index: 2,
            steps_before: 7,
            ops: vec![super::super::Op::Quotas],
            failure: super::super::Failure {
                signature: "s".into(),
                message: "ListQuotas: wrong".into(),
                doc: None,
            },
            path: "out/seed_9_sequence_2.json".into(),
            case_id: "explore::seed_9_sequence_2".into(),
        });
        assert_eq!(
            closing(&explored, "9 runs", "out", " --emulator-fault f"),
            [
                "sequence 2 failed: ListQuotas: wrong",
                "shrunk from 7 to 1 steps (9 runs); written to out/seed_9_sequence_2.json",
                "replay with: cts-conform --cases out --no-derived --emulator-fault f --exact explore::seed_9_sequence_2",
            ]
        );
    }

    #[test]
    fn a_stopped_exploration_says_by_what_and_where_it_stopped() {
        use crate::run::signals::StopSignal;
        let explored = Explored {
            sequences: 7,
            not_run: 0,
            not_run_reason: None,
            found: None,
            stopped: Some(StopSignal::Interrupt),
        };
        let lines = closing(&explored, "7 runs", "out", "");
        assert!(
            lines[0].starts_with("stopped by SIGINT after 7 sequences: the run in progress"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "explored 7 sequences (7 runs): nothing found");
    }
}
