//! What the harness knows about CTS beyond the contract document, in one place: how the
//! run names what it creates, how a created tracker is removed, what the check before a run
//! sends, and which buckets a run makes up for itself. The runner, ledger and coverage stay
//! generic and ask here.

use crate::case::model::{Expect, StatusSet, StepSpec};
use crate::case::pattern::Pattern;
use crate::case::string_map::StringMap;

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

/// The step that removes a tracker the run created: DeleteTracker by name and type; 204
/// (removed) and 404 (already gone) are both fine. Values are literal (`$${` escapes `${`).
pub fn removal_step(project_id: &str, tracker_name: &str, tracker_type: &str) -> StepSpec {
    let literal = |text: &str| text.replace("${", "$${");
    StepSpec {
        name: Some(format!("remove {tracker_type} tracker {tracker_name}").into()),
        operation: "DeleteTracker".into(),
        path: StringMap::from([("project_id".to_string(), literal(project_id))]),
        query: StringMap::from([
            ("tracker_name".to_string(), literal(tracker_name)),
            ("tracker_type".to_string(), literal(tracker_type)),
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
    }
}

/// The step that confirms a removal: ListTrackers by name and type must say "none" (200
/// with an empty list, or 404: docs/contract.md C19). api-facts finds no eventual
/// consistency, so the answer right after a 204 is the truth.
pub fn absence_step(project_id: &str, tracker_name: &str, tracker_type: &str) -> StepSpec {
    let mut step = removal_step(project_id, tracker_name, tracker_type);
    step.name = Some(format!("{tracker_type} tracker {tracker_name} is gone").into());
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
    step
}

/// The answer of a [`removal_step`] that means the tracker was removed now.
pub const REMOVED: u16 = 204;

/// The answer of a [`removal_step`] that means the tracker was already gone.
pub const ALREADY_GONE: u16 = 404;

/// The step that removes what a step created: a DeleteTracker answered 204 by name.
/// Returns the (name, type) it removed, with the type defaulting to data as CTS does.
pub fn removed_by<'a>(
    operation: &str,
    query: &'a StringMap,
    status: u16,
) -> Option<(&'a str, &'a str)> {
    if operation != "DeleteTracker" || status != 204 {
        return None;
    }
    let name = query.get("tracker_name")?;
    let kind = query.get("tracker_type").unwrap_or("data");
    Some((name, kind))
}

/// The bucket pool a run makes up: eight buckets to track (one per default test thread)
/// and one to transfer traces to, named after the run.
pub fn made_up_buckets(run_id: &str) -> (Vec<String>, Vec<String>) {
    let prefix = run_prefix(run_id);
    let data = (1..=8).map(|i| format!("{prefix}-src{i}")).collect();
    (data, vec![format!("{prefix}-obs")])
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_delete_by_name_removes_that_tracker() {
        let query = StringMap::from([("tracker_name".to_string(), "cc-1-a".to_string())]);
        assert_eq!(
            removed_by("DeleteTracker", &query, 204),
            Some(("cc-1-a", "data"))
        );
        assert_eq!(removed_by("DeleteTracker", &query, 404), None);
        assert_eq!(removed_by("ListTrackers", &query, 204), None);
        let step = removal_step("p", "cc-${x}", "data");
        assert_eq!(&step.query["tracker_name"], "cc-$${x}");
    }
}
