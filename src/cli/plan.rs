//! A command's plan from its flags ([`cts_conform::runner::plan`]), and `cts-conform
//! coverage`, which shows what the plan exercises.

use cts_conform::contract::Contract;
use cts_conform::options::args::{CoverageArgs, PlanArgs};
use cts_conform::runner::plan::Plan;

use super::exit::Exit;

/// The plan of `args`; case-file errors printed with their positions (exit 2).
pub(crate) fn load_plan(args: &PlanArgs, contract: &Contract) -> Result<Plan, Exit> {
    for warning in args.warnings() {
        eprintln!("{warning}");
    }
    Plan::load(&args.spec(), contract, &cts_conform::cts::Cts).map_err(|errors| {
        eprintln!("{errors}");
        Exit::Usage
    })
}

pub(crate) fn coverage(args: CoverageArgs) -> Exit {
    let contract = Contract::embedded();
    let cases = match load_plan(&args.plan, contract) {
        Ok(plan) => plan.cases,
        Err(exit) => return exit,
    };
    let rows = cts_conform::coverage::compute(contract, &cts_conform::cts::Cts, &cases);
    print!("{}", cts_conform::coverage::render(&rows, cases.len()));
    Exit::Passed
}
