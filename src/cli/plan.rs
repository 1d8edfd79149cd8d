//! The plan of a run: case files (built in or `--cases`), derived cases, profile and
//! partition; and `cts-conform coverage`, which shows what the plan exercises.

use std::collections::{BTreeSet, HashSet};

use cts_conform::case::model::Profile;
use cts_conform::case::{self, LoadError, LoadErrors, LoadedCase, Source};
use cts_conform::contract::Contract;
use cts_conform::derive;

use super::args::{CoverageArgs, PlanArgs, ProfileArg};
use super::exit::Exit;

/// The cases of a run and where they come from.
pub(crate) struct Plan {
    /// The cases of the profile, in load order.
    pub(crate) cases: Vec<LoadedCase>,
    /// The ids of the cases loaded but left out of `cases` (another profile): with those
    /// of `cases` and the derived ones, every case a baseline may list.
    pub(crate) left_out: BTreeSet<String>,
    /// With --no-derived the derived cases are not made at all; a baseline may still name
    /// them ([`Plan::known_ids`] makes their ids then).
    pub(crate) derived_left_out: bool,
    /// The case files, for the fingerprint.
    pub(crate) sources: Vec<Source>,
    pub(crate) profile: Profile,
}

impl Plan {
    /// Every case id a baseline may name, whatever the profile or --no-derived (made when
    /// a baseline is read, so that a plan does not keep a second copy of its ids).
    pub(crate) fn known_ids(&self, contract: &Contract) -> HashSet<String> {
        let derived = match self.derived_left_out {
            true => derive::derived_cases(contract),
            false => Vec::new(),
        };
        self.cases
            .iter()
            .map(|c| c.id.clone())
            .chain(self.left_out.iter().cloned())
            .chain(derived.into_iter().map(|c| c.id))
            .collect()
    }
}

pub(crate) fn load_plan(args: &PlanArgs, contract: &Contract) -> Result<Plan, Exit> {
    let sources = case::plan_sources(&args.cases, args.with_builtin);
    let profile = match args.profile {
        ProfileArg::Documented => Profile::Documented,
        ProfileArg::Strict => Profile::Strict,
    };
    let loaded =
        sources.and_then(|sources| case::load(&sources, contract).map(|cases| (sources, cases)));
    match loaded {
        Ok((sources, mut cases)) => {
            // A baseline may list any case, whatever the profile or --no-derived: the
            // ids of those left out are kept (the plan's own are in its cases).
            let mut left_out = BTreeSet::new();
            if !args.no_derived {
                cases.extend(derive::derived_cases(contract));
            }
            // In place: a plan of many cases is not copied to be filtered.
            cases.retain(|c| {
                let planned = c.spec.profile <= profile;
                if !planned {
                    left_out.insert(c.id.clone());
                }
                planned
            });
            Ok(Plan {
                left_out,
                derived_left_out: args.no_derived,
                cases,
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

/// Against a URL target, every tracker a case file creates must be findable by `sweep`
/// and by eye: a data tracker is named with the run's prefix (`${prefix}-...`), and a
/// CreateTracker step must say what it creates. Each offender is a case-file error at
/// its file:line:col; nothing runs. Derived cases (not from a file) are exempt.
pub(crate) fn check_created_names(plan: &Plan) -> Result<(), Exit> {
    let mut errors = Vec::new();
    for case in &plan.cases {
        let Some(source) = plan.sources.iter().find(|s| *s.name == *case.file) else {
            continue;
        };
        for (j, step) in case.spec.steps.iter().enumerate() {
            if step.operation != "CreateTracker" {
                continue;
            }
            let at = |key: &str| step_pointer(source, &case.spec.name, j, key);
            let problem = match &step.creates {
                None => Some((
                    at("operation"),
                    "this CreateTracker step does not say what it creates".to_string(),
                    "add \"creates\": {\"tracker_name\": \"${prefix}-...\", \"tracker_type\": \"data\"}",
                )),
                Some(creates) => {
                    let name = creates.get("tracker_name").unwrap_or("");
                    let kind = creates.get("tracker_type").unwrap_or("data");
                    let prefixed =
                        name.starts_with("${prefix}-") || name.starts_with("cc-${run_id}-");
                    (kind != "system" && !prefixed).then(|| {
                        let pointer = if step_has_key(source, &case.spec.name, j, "creates") {
                            at("creates/tracker_name")
                        } else {
                            at("body/tracker_name")
                        };
                        (
                            pointer,
                            format!("the data tracker {name:?} is not named with the run's prefix"),
                            "against a URL target, name created trackers \"${prefix}-...\" so that \
                             the ledger and `cts-conform sweep` can find what the run left",
                        )
                    })
                }
            };
            if let Some((pointer, message, help)) = problem {
                errors.push(LoadError {
                    file: source.name.clone(),
                    position: case::locate::locate(&source.text, &pointer),
                    pointer: Some(pointer),
                    message,
                    help: Some(help.to_string()),
                });
            }
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    eprintln!("{}", LoadErrors(errors));
    Err(Exit::Usage)
}

/// The index of the case named `name` in a case file's `cases` array.
fn case_index(source: &Source, name: &str) -> Option<usize> {
    let file: serde_json::Value = serde_json::from_str(&source.text).ok()?;
    file.get("cases")?
        .as_array()?
        .iter()
        .position(|c| c.get("name").and_then(serde_json::Value::as_str) == Some(name))
}

/// `/cases/I/steps/J/KEY` for the case named `name`.
fn step_pointer(source: &Source, name: &str, step: usize, key: &str) -> String {
    let i = case_index(source, name).unwrap_or_default();
    format!("/cases/{i}/steps/{step}/{key}")
}

/// Whether step `step` of case `name` has `key` in the file.
fn step_has_key(source: &Source, name: &str, step: usize, key: &str) -> bool {
    let file: Option<serde_json::Value> = serde_json::from_str(&source.text).ok();
    let i = case_index(source, name).unwrap_or_default();
    file.as_ref()
        .and_then(|f| f.pointer(&format!("/cases/{i}/steps/{step}/{key}")))
        .is_some()
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
