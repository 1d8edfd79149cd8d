//! Deterministic shards of the plan (`--partition hash:K/N` or `count:K/N`, K 1-based), so
//! that N CI jobs run the suite between them, each case in exactly one job.
//!
//! Every case has a key: the name of its serial group when it has one, else its id. Cases
//! whose serial groups overlap are joined first, and all of them take the smallest group
//! name of the joined set as key, so cases that share a serial group (directly or through
//! another case) always land in the same shard. `hash:` puts a key in shard
//! `1 + sha256(key) mod N` (stable across runs, machines and versions); `count:` sorts the
//! distinct keys and deals them round-robin, which balances better when there are few.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::case::LoadedCase;

/// How keys are spread over shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Hash,
    Count,
}

/// One shard: `index` of `total`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub strategy: Strategy,
    pub index: usize,
    pub total: usize,
}

/// Why a text is not a partition: it is not `hash:K/N` or `count:K/N` with 1 <= K <= N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--partition wants hash:K/N or count:K/N with 1 <= K <= N, not {text:?}")]
pub struct PartitionError {
    pub text: String,
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(text: &str) -> Result<Self, PartitionError> {
        let bad = || PartitionError {
            text: text.to_string(),
        };
        let (strategy, shard) = text.split_once(':').ok_or_else(bad)?;
        let strategy = match strategy {
            "hash" => Strategy::Hash,
            "count" => Strategy::Count,
            _ => return Err(bad()),
        };
        let (k, n) = shard.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let total: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > total {
            return Err(bad());
        }
        Ok(Partition {
            strategy,
            index,
            total,
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let strategy = match self.strategy {
            Strategy::Hash => "hash",
            Strategy::Count => "count",
        };
        write!(f, "{strategy}:{}/{}", self.index, self.total)
    }
}

impl Partition {
    /// The cases of this shard, in their original order.
    pub fn select(&self, cases: Vec<LoadedCase>) -> Vec<LoadedCase> {
        let shards = self.shards(&cases);
        cases
            .into_iter()
            .zip(shards)
            .filter(|(_, shard)| *shard == self.index)
            .map(|(case, _)| case)
            .collect()
    }

    /// The shard (1-based) of each case, in order.
    pub fn shards(&self, cases: &[LoadedCase]) -> Vec<usize> {
        let keys = keys(cases);
        let order: BTreeMap<&str, usize> = keys
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .enumerate()
            .map(|(i, key)| (key, i))
            .collect();
        keys.iter()
            .map(|key| {
                let slot = match self.strategy {
                    Strategy::Hash => hash(key),
                    Strategy::Count => order[key.as_str()] as u64,
                };
                (slot % self.total as u64) as usize + 1
            })
            .collect()
    }
}

fn hash(key: &str) -> u64 {
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Each case's key: the smallest serial group name of its joined set of groups, else its id.
/// Group keys and case ids are kept apart (`serial:` / `case:` prefixes).
fn keys(cases: &[LoadedCase]) -> Vec<String> {
    // Union-find over group names: cases join all their groups.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn root(parent: &mut BTreeMap<String, String>, name: &str) -> String {
        let mut current = name.to_string();
        while let Some(up) = parent.get(&current).filter(|up| **up != current) {
            current = up.clone();
        }
        parent.insert(name.to_string(), current.clone());
        current
    }
    for case in cases {
        let mut groups = case.spec.serial.iter();
        let Some(first) = groups.next() else { continue };
        parent.entry(first.clone()).or_insert_with(|| first.clone());
        for group in groups {
            parent.entry(group.clone()).or_insert_with(|| group.clone());
            let (a, b) = (root(&mut parent, first), root(&mut parent, group));
            // The smaller name becomes the root, so the root is the set's smallest name.
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            parent.insert(high, low);
        }
    }
    cases
        .iter()
        .map(|case| match case.spec.serial.first() {
            Some(group) => format!("serial:{}", root(&mut parent, group)),
            None => format!("case:{}", case.id),
        })
        .collect()
}
