//! The plan of a run: case files (built in or `--cases`), derived cases, profile and
//! partition; and `cts-conform coverage`, which shows what the plan exercises.

use std::collections::BTreeSet;

use cts_conform::case::model::Profile;
use cts_conform::case::{self, LoadedCase, Source};
use cts_conform::contract::Contract;
use cts_conform::derive;

use super::args::{CoverageArgs, PlanArgs, ProfileArg};
use super::exit::Exit;

/// The cases of a run and where they come from.
pub(crate) struct Plan {
    /// The cases of the profile, in load order.
    pub(crate) cases: Vec<LoadedCase>,
    /// Every case id, whatever its profile (a baseline may list any).
    pub(crate) ids: BTreeSet<String>,
    /// The case files, for the fingerprint.
    pub(crate) sources: Vec<Source>,
    pub(crate) profile: Profile,
}

pub(crate) fn load_plan(args: &PlanArgs, contract: &Contract) -> Result<Plan, Exit> {
    let sources = match &args.cases {
        Some(dir) => case::dir_sources(dir),
        None => Ok(case::builtin_sources()),
    };
    let profile = match args.profile {
        ProfileArg::Documented => Profile::Documented,
        ProfileArg::Strict => Profile::Strict,
    };
    let loaded =
        sources.and_then(|sources| case::load(&sources, contract).map(|cases| (sources, cases)));
    match loaded {
        Ok((sources, cases)) => {
            let derived = derive::derived_cases(contract);
            // A baseline may list any case, whatever the profile or --no-derived.
            let ids = cases.iter().chain(&derived).map(|c| c.id.clone()).collect();
            let derived = if args.no_derived { Vec::new() } else { derived };
            Ok(Plan {
                ids,
                cases: cases
                    .into_iter()
                    .chain(derived)
                    .filter(|c| c.spec.profile <= profile)
                    .collect(),
                sources,
                profile,
            })
        }
        Err(errors) => {
            eprintln!("{errors}");
            Err(Exit::Usage)
        }
    }
}

fn load_cases(args: &PlanArgs, contract: &Contract) -> Result<Vec<LoadedCase>, Exit> {
    load_plan(args, contract).map(|plan| plan.cases)
}

pub(crate) fn coverage(args: CoverageArgs) -> Exit {
    let contract = Contract::embedded();
    let cases = match load_cases(&args.plan, contract) {
        Ok(cases) => cases,
        Err(exit) => return exit,
    };
    let rows = cts_conform::coverage::compute(contract, &cases);
    print!("{}", cts_conform::coverage::render(&rows, cases.len()));
    Exit::Passed
}
