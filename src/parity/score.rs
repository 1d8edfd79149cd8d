//! The fidelity score: per operation, the share of compared steps whose answers are the
//! same at each tier. Core: status, error code, documented fields (and the step sent on
//! both sides); Complete: also undocumented fields, the headers that matter and array
//! order; Strict: also message text. Every difference counts, accepted or not (a rule
//! changes the verdict, not how alike the answers are); a normaliser's values are equal.
//! The score is always shown with the number of steps it is of.

use std::collections::BTreeMap;

use serde::Serialize;

use super::CaseParity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Core,
    Complete,
    Strict,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Core, Tier::Complete, Tier::Strict];

    pub fn name(self) -> &'static str {
        match self {
            Tier::Core => "Core",
            Tier::Complete => "Complete",
            Tier::Strict => "Strict",
        }
    }
}

/// Steps compared and, per tier, how many are the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Score {
    pub steps: usize,
    pub core: usize,
    pub complete: usize,
    pub strict: usize,
}

impl Score {
    pub fn same(&self, tier: Tier) -> usize {
        match tier {
            Tier::Core => self.core,
            Tier::Complete => self.complete,
            Tier::Strict => self.strict,
        }
    }

    /// The share in percent, one decimal (`-` when no step was compared).
    pub fn percent(&self, tier: Tier) -> String {
        if self.steps == 0 {
            return "-".into();
        }
        let share = self.same(tier) as f64 * 100.0 / self.steps as f64;
        format!("{share:.1}%")
    }

    /// `Core 97.0% · Complete 80.1% · Strict 41.4% of 412 steps`.
    pub fn line(&self) -> String {
        format!(
            "Core {} · Complete {} · Strict {} of {} step{}",
            self.percent(Tier::Core),
            self.percent(Tier::Complete),
            self.percent(Tier::Strict),
            self.steps,
            if self.steps == 1 { "" } else { "s" }
        )
    }
}

/// The overall score and each operation's, by operation id.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    pub overall: Score,
    pub operations: BTreeMap<String, Score>,
}

/// Scores every compared step of `cases`.
pub fn scores(cases: &[CaseParity]) -> Scores {
    let mut scores = Scores::default();
    for step in cases.iter().flat_map(|c| &c.compared) {
        let worst = step.classes.iter().map(|c| c.tier()).min();
        let operation = scores.operations.entry(step.operation.clone()).or_default();
        for score in [&mut scores.overall, operation] {
            score.steps += 1;
            // Same at a tier when no difference counts there (a class counts from its
            // tier upwards).
            for tier in Tier::ALL {
                if worst.is_none_or(|w| w > tier) {
                    match tier {
                        Tier::Core => score.core += 1,
                        Tier::Complete => score.complete += 1,
                        Tier::Strict => score.strict += 1,
                    }
                }
            }
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parity::{Class, Compared};

    fn step(classes: &[Class]) -> Compared {
        Compared {
            operation: "ListTrackers".into(),
            classes: classes.iter().copied().collect(),
        }
    }

    #[test]
    fn a_class_counts_from_its_tier_up() {
        let case = CaseParity {
            id: "s::a".into(),
            differences: vec![],
            compared: vec![
                step(&[]),
                step(&[Class::Message]),
                step(&[Class::Undocumented, Class::Message]),
                step(&[Class::Status]),
            ],
        };
        let scores = scores(&[case]);
        assert_eq!(
            scores.overall,
            Score {
                steps: 4,
                core: 3,
                complete: 2,
                strict: 1
            }
        );
        assert_eq!(
            scores.overall.line(),
            "Core 75.0% · Complete 50.0% · Strict 25.0% of 4 steps"
        );
        assert_eq!(scores.operations["ListTrackers"], scores.overall);
    }
}
