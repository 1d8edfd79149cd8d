//! `--partition`: across K = 1..N every case lands in exactly one shard, the same one every
//! time, and cases that share a serial group (directly or through another case) stay in
//! one shard.

use std::collections::BTreeMap;

use cts_conform::case::{self, LoadedCase};
use cts_conform::contract::Contract;
use cts_conform::partition::{Partition, Strategy};
use serde_json::json;

fn case(id: usize, serial: &[&str]) -> LoadedCase {
    LoadedCase::new(
        format!("synthetic::case_{id}"),
        "synthetic".into(),
        "synthetic.json".into(),
        serde_json::from_value(json!({
            "name": format!("case_{id}"), "doc": "test", "serial": serial, "steps": []
        }))
        .expect("a valid case spec"),
    )
}

/// The built-in and derived cases, and synthetic ones with serial groups: `a` alone,
/// `b`+`c` joined through one case, and many without.
/// The number of cases in the largest serial group of `cases`.
fn largest_serial_group(cases: &[LoadedCase]) -> usize {
    let mut sizes = std::collections::BTreeMap::<&str, usize>::new();
    for case in cases {
        for group in &case.spec.serial {
            *sizes.entry(group.as_str()).or_default() += 1;
        }
    }
    sizes.into_values().max().unwrap_or(1)
}

fn plan() -> Vec<LoadedCase> {
    let contract = Contract::embedded();
    let mut cases = case::load(
        &case::builtin_sources(),
        contract,
        &cts_conform::cts::CASE_RULES,
    )
    .expect("built-in cases load");
    cases.extend(cts_conform::cts::boundary::derived_cases(contract));
    let serials: [&[&str]; 6] = [&["a"], &["a"], &["c"], &["b", "c"], &["b"], &["a"]];
    for (i, serial) in serials.iter().enumerate() {
        cases.push(case(i, serial));
    }
    for i in serials.len()..serials.len() + 40 {
        cases.push(case(i, &[]));
    }
    cases
}

fn shard_of(strategy: Strategy, total: usize, cases: &[LoadedCase]) -> BTreeMap<String, usize> {
    let mut shard_of = BTreeMap::new();
    for index in 1..=total {
        let partition = Partition {
            strategy,
            index,
            total,
        };
        for case in partition.select(cases.to_vec()) {
            assert!(
                shard_of.insert(case.id.clone(), index).is_none(),
                "{} is in two shards of {total}",
                case.id
            );
        }
    }
    shard_of
}

#[test]
fn every_case_in_exactly_one_shard_and_serial_groups_together() {
    let cases = plan();
    for strategy in [Strategy::Hash, Strategy::Count] {
        for total in 1..=6 {
            let shards = shard_of(strategy, total, &cases);
            assert_eq!(
                shards.len(),
                cases.len(),
                "{strategy:?} {total}: a case is in no shard"
            );
            let together = |ids: &[usize]| {
                let of: Vec<usize> = ids
                    .iter()
                    .map(|i| shards[&format!("synthetic::case_{i}")])
                    .collect();
                assert!(
                    of.windows(2).all(|w| w[0] == w[1]),
                    "{strategy:?} {total}: {ids:?} -> {of:?}"
                );
            };
            together(&[0, 1, 5]);
            together(&[2, 3, 4]);
            // Deterministic: the same partition again gives the same shards.
            assert_eq!(shards, shard_of(strategy, total, &cases));
        }
    }
}

#[test]
fn count_deals_round_robin_and_hash_spreads() {
    let cases = plan();
    for (strategy, slack) in [(Strategy::Count, 1), (Strategy::Hash, cases.len() / 3)] {
        let shards = shard_of(strategy, 3, &cases);
        let mut sizes = [0usize; 3];
        for shard in shards.values() {
            sizes[shard - 1] += 1;
        }
        let (min, max) = (sizes.iter().min().copied(), sizes.iter().max().copied());
        assert!(min > Some(0), "{strategy:?}: an empty shard {sizes:?}");
        // A serial group is dealt as one unit, so it can unbalance `count` by its size.
        let largest_group = largest_serial_group(&cases);
        assert!(
            max.zip(min)
                .is_some_and(|(max, min)| max - min <= slack + largest_group),
            "{strategy:?}: {sizes:?}"
        );
    }
}

#[test]
fn parses_and_rejects() {
    let p: Partition = "hash:2/3".parse().expect("valid");
    assert_eq!((p.strategy, p.index, p.total), (Strategy::Hash, 2, 3));
    assert_eq!(p.to_string(), "hash:2/3");
    assert_eq!(
        "count:1/1".parse::<Partition>().map(|p| p.to_string()),
        Ok("count:1/1".into())
    );
    for bad in [
        "hash:0/3", "hash:4/3", "hash:1/0", "mod:1/2", "hash:1", "1/2", "hash:a/b",
    ] {
        assert!(bad.parse::<Partition>().is_err(), "{bad}");
    }
}
