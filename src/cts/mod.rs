//! What the harness knows about CTS beyond the contract document, in one place: the
//! variables every run defines and what `creates` takes ([`CASE_RULES`]), how the run
//! names what it creates, which names the ledger keeps of a created tracker and how the
//! tracker is removed and confirmed gone by them, what the check before a run sends, which
//! buckets a run makes up for itself, the derived cases ([`boundary`]) and the
//! operations coverage is about.
//!
//! The generic machinery (loader, runner, ledger, sweep, coverage, parity) asks through
//! the [`Service`] trait ([`service`]), which [`Cts`] implements here; a run is given
//! its service in its `RunSpec`, so another API (the toy one of `tests/it/toy_api.rs`)
//! runs through the same machinery.

pub mod boundary;
pub mod service;
pub mod variables;

pub mod case_files;

use std::collections::BTreeMap;

pub use service::{NotRemovable, Removal, Service};

use crate::case::model::{Expect, StatusSet, StepSpec};
use crate::case::pattern::Pattern;
use crate::case::rules::{CaseRules, CreatesRule};
use crate::case::string_map::StringMap;
use crate::http::exchange::{ReceivedResponse, SentRequest};

/// What every name the run gives starts with: `cc-`, then the run id.
pub fn run_prefix(run_id: &str) -> String {
    format!("cc-{run_id}")
}

/// Length of [`run_prefix`] for the run ids [`crate::run::config::new_run_id`] makes
/// (eight hex digits).
pub const PREFIX_LEN: usize = 11;

/// Whether `name` was given by the run `run_id` (it starts with the run's prefix and a `-`).
pub fn made_by_run(name: &str, run_id: &str) -> bool {
    name.strip_prefix(&run_prefix(run_id))
        .is_some_and(|rest| rest.starts_with('-'))
}

/// The path (after the base URL) of the check made before a run: every tracker of the
/// project, so that it also says which buckets are already tracked.
pub fn check_path(encoded_project_id: &str) -> String {
    format!("/v3/{encoded_project_id}/trackers")
}

/// The name a created tracker is removed by, among a resource's names.
pub const TRACKER_NAME: &str = "tracker_name";

/// The type a created tracker is removed by, among a resource's names.
pub const TRACKER_TYPE: &str = "tracker_type";

/// The tracker type when a create or delete names none (CTS's own default).
pub const DEFAULT_TRACKER_TYPE: &str = "data";

/// The variables every run defines.
pub const RUN_VARIABLES: [&str; 8] = [
    "project_id",
    "other_project_id",
    "run_id",
    "prefix",
    "data_bucket",
    "obs_bucket",
    "absent_bucket",
    "bucket_3",
];

/// What CTS case files may refer to, and what `creates` takes: `tracker_name`, and
/// `tracker_type` (data by default); a CreateTracker step without `creates` records what
/// its body names.
pub const CASE_RULES: CaseRules = CaseRules {
    run_variables: &RUN_VARIABLES,
    creates: CreatesRule {
        name_key: TRACKER_NAME,
        other_keys: &[(TRACKER_TYPE, DEFAULT_TRACKER_TYPE)],
        inferred_from: Some("CreateTracker"),
    },
};

/// The names a ledger keeps of what a step `creates` (`tracker_name` and `tracker_type`,
/// data by default), still with their `${variables}`.
pub fn created_names(creates: &StringMap) -> BTreeMap<String, String> {
    CASE_RULES.creates.created_names(creates)
}

/// Whether a resource's names prove the run `run_id` made it: its tracker name carries
/// the run's prefix ([`made_by_run`]).
pub fn named_by_run(names: &BTreeMap<String, String>, run_id: &str) -> bool {
    names
        .get(TRACKER_NAME)
        .is_some_and(|name| made_by_run(name, run_id))
}

/// A resource by its names, as outputs name it: `data tracker cc-1-a`.
pub fn describe(names: &BTreeMap<String, String>) -> String {
    match names.get(TRACKER_NAME) {
        Some(name) => {
            let kind = names
                .get(TRACKER_TYPE)
                .map_or(DEFAULT_TRACKER_TYPE, String::as_str);
            format!("{kind} tracker {name}")
        }
        None => {
            let pairs: Vec<String> = names.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            format!("resource {{{}}}", pairs.join(", "))
        }
    }
}

/// The tracker name and type among `names` (without a name they are no tracker).
fn tracker_of(names: &BTreeMap<String, String>) -> Result<(&str, &str), NotRemovable> {
    let name = names.get(TRACKER_NAME).ok_or_else(|| NotRemovable {
        names: names.clone(),
        why: format!(
            "no {TRACKER_NAME} among its names, so it is no tracker this harness can remove"
        ),
    })?;
    let kind = names
        .get(TRACKER_TYPE)
        .map_or(DEFAULT_TRACKER_TYPE, String::as_str);
    Ok((name, kind))
}

/// The step that removes a tracker the run created, by the `names` the ledger keeps:
/// DeleteTracker by name and type; 204 (removed) and 404 (already gone) are both fine.
/// Values are literal (`$${` escapes `${`).
pub fn removal_step(
    project_id: &str,
    names: &BTreeMap<String, String>,
) -> Result<StepSpec, NotRemovable> {
    let (tracker_name, tracker_type) = tracker_of(names)?;
    let literal = |text: &str| text.replace("${", "$${");
    Ok(StepSpec {
        name: Some(format!("remove {tracker_type} tracker {tracker_name}").into()),
        operation: "DeleteTracker".into(),
        path: StringMap::from([("project_id".to_string(), literal(project_id))]),
        query: StringMap::from([
            (TRACKER_NAME.to_string(), literal(tracker_name)),
            (TRACKER_TYPE.to_string(), literal(tracker_type)),
        ]),
        headers: StringMap::new(),
        body: None,
        raw_body: None,
        auth: Default::default(),
        expect: Expect {
            status: Some(StatusSet::Any(vec![204, 404])),
            ..Expect::default()
        },
        expect_strict: None,
        precondition: None,
        capture: StringMap::new(),
        creates: None,
    })
}

/// The step that confirms a removal: ListTrackers by name and type must say "none" (200
/// with an empty list, or 404: docs/contract.md C19). api-facts finds no eventual
/// consistency, so the answer right after a 204 is the truth.
pub fn absence_step(
    project_id: &str,
    names: &BTreeMap<String, String>,
) -> Result<StepSpec, NotRemovable> {
    let mut step = removal_step(project_id, names)?;
    step.name = Some(format!("{} is gone", describe(names)).into());
    step.operation = "ListTrackers".into();
    step.expect = Expect {
        any_of: Box::new([
            Expect {
                status: Some(StatusSet::One(200)),
                body: Some(Pattern::new(serde_json::json!({"trackers": []}))),
                ..Expect::default()
            },
            Expect {
                status: Some(StatusSet::One(404)),
                ..Expect::default()
            },
        ]),
        ..Expect::default()
    };
    Ok(step)
}

/// Whether a ListTrackers answer `body` lists the tracker `names` name (its name, and
/// its type, data by default); `true` when the body is not a list of trackers (then the
/// [`absence_step`]'s own verdict stands). A target that ignores the name filter lists
/// whatever other cases hold at that moment: those are not this tracker, and the filter
/// is judged by the cases that test it, so the check does not depend on them.
pub fn lists_tracker(body: &serde_json::Value, names: &BTreeMap<String, String>) -> bool {
    let Some(trackers) = body.get("trackers").and_then(serde_json::Value::as_array) else {
        return true;
    };
    let Some(name) = names.get(TRACKER_NAME) else {
        return true;
    };
    let kind = names
        .get(TRACKER_TYPE)
        .map_or(DEFAULT_TRACKER_TYPE, String::as_str);
    trackers.iter().any(|tracker| {
        tracker
            .get(TRACKER_NAME)
            .and_then(serde_json::Value::as_str)
            == Some(name.as_str())
            && tracker
                .get(TRACKER_TYPE)
                .and_then(serde_json::Value::as_str)
                .is_none_or(|t| t == kind)
    })
}

/// What a cleanup finding says when an [`absence_step`] still finds what a
/// [`removal_step`] removed.
pub fn still_listed(names: &BTreeMap<String, String>) -> String {
    format!(
        "{} is still listed after DeleteTracker answered {REMOVED}",
        describe(names)
    )
}

/// The answer of a [`removal_step`] that means the tracker was removed now.
pub const REMOVED: u16 = 204;

/// The answer of a [`removal_step`] that means the tracker was already gone.
pub const ALREADY_GONE: u16 = 404;

/// What a step removed, if it did: a DeleteTracker answered 204 removes the tracker its
/// query names. Returns those names as a ledger keeps them (the type defaulting to data
/// as CTS does), still with their `${variables}`.
pub fn removed_by(
    operation: &str,
    query: &StringMap,
    status: u16,
) -> Option<BTreeMap<String, String>> {
    if operation != "DeleteTracker" || status != REMOVED {
        return None;
    }
    let name = query.get(TRACKER_NAME)?;
    let kind = query.get(TRACKER_TYPE).unwrap_or(DEFAULT_TRACKER_TYPE);
    Some(BTreeMap::from([
        (TRACKER_NAME.to_string(), name.to_string()),
        (TRACKER_TYPE.to_string(), kind.to_string()),
    ]))
}

/// The bucket pool a run makes up: eight buckets to track (one per default test thread)
/// and one to transfer traces to, named after the run.
pub fn made_up_buckets(run_id: &str) -> (Vec<String>, Vec<String>) {
    let prefix = run_prefix(run_id);
    let data = (1..=8).map(|i| format!("{prefix}-src{i}")).collect();
    (data, vec![format!("{prefix}-obs")])
}

/// The error code of a create or update that names an OBS bucket that does not exist
/// (api-facts: a tracked bucket and a transfer bucket must exist).
pub const BUCKET_DOES_NOT_EXIST: &str = "CTS.0211";

/// Where a request body names its buckets: the tracked one and the transfer one.
const BUCKET_POINTERS: [&str; 2] = ["/data_bucket/data_bucket_name", "/obs_info/bucket_name"];

/// The buckets of the run's pool one of which `response` says does not exist, when
/// `request` named only pool buckets (a request that also names another bucket, such as
/// a case's deliberately absent one, proves nothing about the pool): the run's
/// configuration is wrong (or its bucket names were made up), and every case that uses
/// the pool would fail the same way.
pub fn missing_pool_bucket(
    request: &SentRequest,
    response: &ReceivedResponse,
    in_pool: &dyn Fn(&str) -> bool,
) -> Option<String> {
    if response.status != 400
        || crate::http::throttle::error_code(response).as_deref() != Some(BUCKET_DOES_NOT_EXIST)
    {
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(request.body.as_deref()?).ok()?;
    let named: Vec<&str> = BUCKET_POINTERS
        .iter()
        .filter_map(|pointer| body.pointer(pointer)?.as_str())
        .filter(|name| !name.is_empty())
        .collect();
    if named.is_empty() || !named.iter().all(|name| in_pool(name)) {
        return None;
    }
    Some(named.join(" or "))
}

/// CTS, as the generic machinery asks of it ([`Service`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cts;

impl Cts {
    /// The service for a run (a `RunSpec` holds it).
    pub fn shared() -> std::sync::Arc<dyn Service> {
        std::sync::Arc::new(Cts)
    }
}

impl Service for Cts {
    fn case_rules(&self) -> &CaseRules {
        &CASE_RULES
    }

    fn run_variables(&self, run: &service::RunFacts) -> Vec<(String, String)> {
        variables::values(run)
    }

    fn unavailable(&self, variable: &str, run: &service::RunFacts) -> Option<String> {
        variables::unavailable(variable, run)
    }

    fn run_prefix(&self, run_id: &str) -> String {
        run_prefix(run_id)
    }

    fn run_prefix_pattern(&self) -> &str {
        r"cc-[0-9a-f]{8}"
    }

    fn masked_run_prefix(&self) -> &str {
        "cc-<run>"
    }

    fn named_by_run(&self, names: &BTreeMap<String, String>, run_id: &str) -> bool {
        named_by_run(names, run_id)
    }

    fn describe(&self, names: &BTreeMap<String, String>) -> String {
        describe(names)
    }

    fn removal_step(
        &self,
        project_id: &str,
        names: &BTreeMap<String, String>,
    ) -> Result<StepSpec, NotRemovable> {
        removal_step(project_id, names)
    }

    fn removal(&self, status: u16) -> service::Removal {
        match status {
            REMOVED => service::Removal::Removed,
            ALREADY_GONE => service::Removal::AlreadyGone,
            _ => service::Removal::NotRemoved,
        }
    }

    fn absence_step(
        &self,
        project_id: &str,
        names: &BTreeMap<String, String>,
    ) -> Option<Result<StepSpec, NotRemovable>> {
        Some(absence_step(project_id, names))
    }

    fn still_listed(&self, body: &serde_json::Value, names: &BTreeMap<String, String>) -> bool {
        lists_tracker(body, names)
    }

    fn still_listed_message(&self, names: &BTreeMap<String, String>) -> String {
        still_listed(names)
    }

    fn removed_by(
        &self,
        operation: &str,
        query: &StringMap,
        status: u16,
    ) -> Option<BTreeMap<String, String>> {
        removed_by(operation, query, status)
    }

    fn check_path(&self, encoded_project_id: &str) -> String {
        check_path(encoded_project_id)
    }

    fn made_up_buckets(&self, run_id: &str) -> (Vec<String>, Vec<String>) {
        made_up_buckets(run_id)
    }

    fn missing_pool_bucket(
        &self,
        request: &SentRequest,
        response: &ReceivedResponse,
        in_pool: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        missing_pool_bucket(request, response, in_pool)
    }

    fn missing_bucket_code(&self) -> &str {
        BUCKET_DOES_NOT_EXIST
    }

    fn derived_cases(&self, contract: &crate::contract::Contract) -> Vec<crate::case::LoadedCase> {
        boundary::derived_cases(contract)
    }

    fn coverage_operations(&self) -> &[&str] {
        &COVERAGE_OPERATIONS
    }

    /// The documents name no cause for CreateTracker's 404.
    fn can_provoke(&self, operation: &str, status: u16) -> bool {
        !(operation == "CreateTracker" && status == 404)
    }

    fn carrier_body(&self) -> Option<serde_json::Value> {
        Some(boundary::carrier_body("x"))
    }
}

/// The operations coverage is about: the two the documents describe.
pub const COVERAGE_OPERATIONS: [&str; 2] = ["CreateTracker", "ListTrackers"];

/// The first problem with a run's pool, as one line: each bucket name against the contract's `BucketName`; no name both data and obs.
pub fn check_bucket_names(
    data: &[String],
    obs: &[String],
    contract: &crate::contract::Contract,
) -> Option<String> {
    let rule = contract
        .schema("BucketName")
        .and_then(|s| s.get("description"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("see the contract's BucketName");
    let flagged = data
        .iter()
        .map(|b| ("--data-bucket", b))
        .chain(obs.iter().map(|b| ("--obs-bucket", b)));
    for (flag, name) in flagged {
        if !contract.is_valid("BucketName", &serde_json::Value::String(name.clone())) {
            return Some(format!(
                "{flag} {name:?} is not a valid bucket name ({rule})"
            ));
        }
    }
    data.iter().find(|b| obs.contains(b)).map(|b| {
        format!(
            "bucket {b:?} is given both as --data-bucket and --obs-bucket; \
             traces must not go to a tracked bucket: pass two different buckets"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_tracker_counts_as_listed() {
        let names = BTreeMap::from([
            (TRACKER_NAME.to_string(), "cc-a".to_string()),
            (TRACKER_TYPE.to_string(), "data".to_string()),
        ]);
        let listed = |body: serde_json::Value| lists_tracker(&body, &names);
        assert!(!listed(serde_json::json!({"trackers": []})));
        assert!(!listed(serde_json::json!({"trackers": [
            {"tracker_name": "cc-b", "tracker_type": "data"},
            {"tracker_name": "cc-a", "tracker_type": "system"}
        ]})));
        assert!(listed(
            serde_json::json!({"trackers": [{"tracker_name": "cc-a", "tracker_type": "data"}]})
        ));
        assert!(listed(
            serde_json::json!({"trackers": [{"tracker_name": "cc-a"}]})
        ));
        // Not a list of trackers: the step's own verdict stands.
        assert!(listed(serde_json::json!({"error_code": "X"})));
    }

    #[test]
    fn names_of_the_run() {
        assert_eq!(run_prefix("0123abcd").len(), PREFIX_LEN);
        assert!(made_by_run("cc-0123abcd-a", "0123abcd"));
        assert!(!made_by_run("cc-0123abcdx", "0123abcd"));
        assert!(!made_by_run("system", "0123abcd"));
        let (data, obs) = made_up_buckets("0123abcd");
        assert_eq!(data.len(), 8);
        assert!(data.iter().chain(&obs).all(|b| made_by_run(b, "0123abcd")));
    }

    fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_delete_by_name_removes_that_tracker() {
        let query = StringMap::from([("tracker_name".to_string(), "cc-1-a".to_string())]);
        assert_eq!(
            removed_by("DeleteTracker", &query, 204),
            Some(names(&[
                ("tracker_name", "cc-1-a"),
                ("tracker_type", "data")
            ]))
        );
        assert_eq!(removed_by("DeleteTracker", &query, 404), None);
        assert_eq!(removed_by("ListTrackers", &query, 204), None);
        let created = created_names(&StringMap::from([(
            "tracker_name".to_string(),
            "cc-${x}".to_string(),
        )]));
        assert_eq!(created["tracker_type"], "data");
        let step = removal_step("p", &created).expect("a tracker");
        assert_eq!(&step.query["tracker_name"], "cc-$${x}");
        assert_eq!(&step.query["tracker_type"], "data");
        let check = absence_step("p", &created).expect("a tracker");
        assert_eq!(check.name.as_deref(), Some("data tracker cc-${x} is gone"));
    }

    #[test]
    fn names_say_what_was_made_and_by_which_run() {
        let made = names(&[("tracker_name", "cc-0123abcd-a"), ("tracker_type", "data")]);
        assert_eq!(describe(&made), "data tracker cc-0123abcd-a");
        assert!(named_by_run(&made, "0123abcd"));
        assert!(!named_by_run(&made, "89abcdef"));
        let system = names(&[("tracker_name", "system"), ("tracker_type", "system")]);
        assert!(!named_by_run(&system, "0123abcd"));
        // Only the name proves it: a type never does.
        assert!(!named_by_run(
            &names(&[("tracker_type", "cc-0123abcd-x")]),
            "0123abcd"
        ));
    }

    #[test]
    fn names_without_a_tracker_name_are_never_removed() {
        let odd = names(&[("tracker_type", "data")]);
        let error = removal_step("p", &odd).expect_err("no name");
        assert_eq!(error.names, odd);
        assert_eq!(
            error.to_string(),
            "no tracker_name among its names, so it is no tracker this harness can remove"
        );
        assert_eq!(describe(&odd), "resource {tracker_type=\"data\"}");
        assert!(absence_step("p", &odd).is_err());
    }
}
