//! The seam between the generic machinery and one API: what the loader, the runner, the
//! ledger, sweep, coverage and parity must know about the service under test beyond its
//! contract document. [`super::Cts`] implements it for CTS; a run is handed its service
//! (in its `RunSpec`, beside its contract), and the machinery asks through this trait
//! only, so another API runs through the same pipeline (`tests/it/toy_api.rs`).
//!
//! Names of a created resource are the ledger's: a map of the keys `creates` takes
//! ([`crate::case::rules::CreatesRule`]) to their values.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde_json::Value;

use crate::case::model::StepSpec;
use crate::case::rules::CaseRules;
use crate::case::string_map::StringMap;
use crate::case::LoadedCase;
use crate::contract::Contract;
use crate::http::exchange::{ReceivedResponse, SentRequest};

/// The names the ledger keeps of a created resource.
pub type Names = BTreeMap<String, String>;

/// Why a resource cannot be removed: its names do not say how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct NotRemovable {
    pub names: Names,
    pub why: String,
}

/// What a removal step's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Removed now (then its absence is confirmed).
    Removed,
    /// It was gone already.
    AlreadyGone,
    /// Not removed (the step's own findings say why).
    NotRemoved,
}

/// Where a run's bucket pool comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolSource {
    /// Named by the user, or made by the run for its embedded emulator: these exist, and
    /// other names do not.
    Given,
    /// Made up by the run for a loopback target, assumed to accept any valid name
    /// ([`Service::made_up_buckets`]).
    MadeUp,
    /// None given, none made up.
    Missing,
}

/// What a run is, as its variables need it (the session fills it in once).
#[derive(Debug, Clone)]
pub struct RunFacts {
    pub project_id: String,
    pub other_project_id: String,
    pub run_id: String,
    /// [`Service::run_prefix`] of the run.
    pub prefix: String,
    /// Whether the pool has a bucket to track (leased one per case).
    pub has_data_bucket: bool,
    /// The pool's bucket to transfer to, if it has one.
    pub obs_bucket: Option<String>,
    pub pool: PoolSource,
    /// The run has no credentials.
    pub anonymous: bool,
    /// The target is on loopback.
    pub loopback: bool,
}

/// What the machinery asks of the API under test.
pub trait Service: Send + Sync + Debug {
    /// What case files may refer to (the run's variables) and what `creates` takes; the
    /// loader is given these.
    fn case_rules(&self) -> &CaseRules;

    /// The run variables every case starts with, by name, and their values (the bucket a
    /// case is leased is added when it starts).
    fn run_variables(&self, run: &RunFacts) -> Vec<(String, String)>;

    /// Why the run cannot give `variable` a true value, if it cannot: a case that refers
    /// to it is ignored with the reason instead of run on a made-up value.
    fn unavailable(&self, variable: &str, run: &RunFacts) -> Option<String> {
        let _ = (variable, run);
        None
    }

    /// What every name the run `run_id` gives starts with.
    fn run_prefix(&self, run_id: &str) -> String;

    /// A regular expression that matches any run's prefix (parity masks it).
    fn run_prefix_pattern(&self) -> &str;

    /// What the prefix of any run is masked as (parity): e.g. `cc-<run>`.
    fn masked_run_prefix(&self) -> &str;

    /// The names the ledger keeps of what a step `creates` (defaults filled in).
    fn created_names(&self, creates: &StringMap) -> Names {
        self.case_rules().creates.created_names(creates)
    }

    /// Whether a resource's names prove the run `run_id` made it: its name carries the
    /// run's prefix and a `-`.
    fn named_by_run(&self, names: &Names, run_id: &str) -> bool {
        names
            .get(self.case_rules().creates.name_key)
            .and_then(|name| name.strip_prefix(&self.run_prefix(run_id)))
            .is_some_and(|rest| rest.starts_with('-'))
    }

    /// A resource by its names, as outputs name it (`data tracker cc-1-a`).
    fn describe(&self, names: &Names) -> String;

    /// The step that removes what the run created, by its `names` (values literal).
    fn removal_step(&self, project_id: &str, names: &Names) -> Result<StepSpec, NotRemovable>;

    /// What the answer `status` to a [`Service::removal_step`] means.
    fn removal(&self, status: u16) -> Removal;

    /// The step that confirms a removal (`None`: a removal is not confirmed).
    fn absence_step(
        &self,
        project_id: &str,
        names: &Names,
    ) -> Option<Result<StepSpec, NotRemovable>>;

    /// Whether the answer `body` of an [`Service::absence_step`] still lists `names`
    /// (`true` when it is no listing: the step's own verdict stands).
    fn still_listed(&self, body: &Value, names: &Names) -> bool;

    /// What a cleanup finding says when a removed resource is still listed.
    fn still_listed_message(&self, names: &Names) -> String;

    /// What a step removed, if it did (a delete by name answered as removed): the names
    /// as the ledger keeps them, still with their `${variables}`.
    fn removed_by(&self, operation: &str, query: &StringMap, status: u16) -> Option<Names>;

    /// The path (after the base URL) of the read-only check made before a run.
    fn check_path(&self, encoded_project_id: &str) -> String;

    /// The bucket pool a run makes up when none is given: buckets to track (leased one
    /// per case) and buckets to transfer to.
    fn made_up_buckets(&self, run_id: &str) -> (Vec<String>, Vec<String>);

    /// The pool bucket(s) the target says do not exist, when `request` named only pool
    /// buckets: the run's configuration is wrong and the run stops.
    fn missing_pool_bucket(
        &self,
        request: &SentRequest,
        response: &ReceivedResponse,
        in_pool: &dyn Fn(&str) -> bool,
    ) -> Option<String>;

    /// The error code that says a bucket does not exist (for the message that stops a run).
    fn missing_bucket_code(&self) -> &str;

    /// Cases generated from the contract (boundary and negative cases).
    fn derived_cases(&self, contract: &Contract) -> Vec<LoadedCase> {
        let _ = contract;
        Vec::new()
    }

    /// The operations coverage is about (by `operationId`).
    fn coverage_operations(&self) -> &[&str] {
        &[]
    }

    /// Whether a case can provoke the documented `status` of `operation` on purpose
    /// (coverage lists a status no case can provoke as schema-checked only).
    fn can_provoke(&self, operation: &str, status: u16) -> bool {
        let _ = (operation, status);
        true
    }

    /// A valid request body that coverage and derived cases vary one field of (`None`:
    /// request fields are not listed).
    fn carrier_body(&self) -> Option<Value> {
        None
    }
}
