//! The plan of a run: the case files (built in, or `--cases DIR`s with or without the
//! built-in ones: `--with-builtin`), the derived cases, the
//! profile that picks among them, and the known-failure baseline checked against every
//! case id the plan could hold. Loaded before anything is sent; a problem is a case-file
//! error with its file:line:col ([`LoadErrors`]) or one line naming the baseline file.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::case::model::Profile;
use crate::case::{self, LoadErrors, LoadedCase, Source};
use crate::contract::Contract;
use crate::cts::Service;
use crate::outcome::Baseline;

/// What a plan is made of, from a command's flags.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    /// `--cases DIR` (repeatable); the built-in suite without any.
    pub cases: Vec<PathBuf>,
    /// `--with-builtin`: the built-in suite too, with the directories' cases.
    pub with_builtin: bool,
    pub profile: Profile,
    /// `--no-derived`: the contract's derived boundary cases are left out.
    pub no_derived: bool,
}

/// The cases of a run and where they come from.
#[derive(Debug)]
pub struct Plan {
    /// The cases of the profile, in load order.
    pub cases: Vec<LoadedCase>,
    /// The ids of the cases loaded but left out of `cases` (another profile): with those
    /// of `cases` and the derived ones, every case a baseline may list.
    pub left_out: BTreeSet<String>,
    /// With --no-derived the derived cases are not made at all; a baseline may still name
    /// them ([`Plan::known_ids`] makes their ids then).
    pub derived_left_out: bool,
    /// The case files, for the fingerprint and for positions in later checks.
    pub sources: Vec<Source>,
    pub profile: Profile,
}

impl Plan {
    /// Loads the case files by the `service`'s rules and derives the contract's cases (the
    /// service's); the profile's cases are kept (in place: a plan of many cases is not
    /// copied to be filtered).
    pub fn load(
        spec: &PlanSpec,
        contract: &Contract,
        service: &dyn Service,
    ) -> Result<Plan, LoadErrors> {
        let sources = case::plan_sources(&spec.cases, spec.with_builtin)?;
        let mut cases = case::load(&sources, contract, service.case_rules())?;
        if !spec.no_derived {
            cases.extend(service.derived_cases(contract));
        }
        // A baseline may list any case, whatever the profile or --no-derived: the ids of
        // those left out are kept (the plan's own are in its cases).
        let mut left_out = BTreeSet::new();
        cases.retain(|c| {
            let planned = c.spec.profile <= spec.profile;
            if !planned {
                left_out.insert(c.id.clone());
            }
            planned
        });
        Ok(Plan {
            left_out,
            derived_left_out: spec.no_derived,
            cases,
            sources,
            profile: spec.profile,
        })
    }

    /// Every case id a baseline may name, whatever the profile or --no-derived (made when
    /// a baseline is read, so that a plan does not keep a second copy of its ids).
    pub fn known_ids(&self, contract: &Contract, service: &dyn Service) -> HashSet<String> {
        let derived = match self.derived_left_out {
            true => service.derived_cases(contract),
            false => Vec::new(),
        };
        self.cases
            .iter()
            .map(|c| c.id.clone())
            .chain(self.left_out.iter().cloned())
            .chain(derived.into_iter().map(|c| c.id))
            .collect()
    }

    /// The baseline in `path` (none without one), every id it lists checked against
    /// [`Plan::known_ids`]; the error is one line naming the file.
    pub fn baseline(
        &self,
        path: Option<&Path>,
        contract: &Contract,
        service: &dyn Service,
    ) -> Result<Baseline, String> {
        let Some(path) = path else {
            return Ok(Baseline::default());
        };
        let ids = self.known_ids(contract, service);
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {name}: {e}"))?;
        Baseline::parse(&name, &text, |id| ids.contains(id)).map_err(|e| e.to_string())
    }

    /// The profile's name as reports and recordings write it.
    pub fn profile_name(&self) -> String {
        format!("{:?}", self.profile).to_lowercase()
    }
}
