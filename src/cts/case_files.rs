//! What a case file must say for a run against a URL target: every tracker a case creates
//! is findable by `sweep` and by eye. A data tracker is named with the run's prefix
//! (`${prefix}-...`), and a CreateTracker step says what it creates (`creates`). Each
//! offender is a case-file error at its file:line:col; derived cases (not from a file)
//! are exempt.

use std::collections::HashMap;

use crate::case::{self, LoadError, LoadErrors, LoadedCase, Source};

/// Every CreateTracker step of `cases` (from `sources`) that a URL target's ledger could
/// not find again. A file is parsed again (to point at the offending value) only when one
/// of its steps offends, and then once: a clean plan costs no second parse.
pub fn check_created_names(cases: &[LoadedCase], sources: &[Source]) -> Result<(), LoadErrors> {
    let mut errors = Vec::new();
    let mut parsed: HashMap<&str, Option<serde_json::Value>> = HashMap::new();
    for case in cases {
        let Some(source) = sources.iter().find(|s| *s.name == *case.file) else {
            continue;
        };
        for (j, step) in case.spec.steps.iter().enumerate() {
            if step.operation != "CreateTracker" {
                continue;
            }
            let unprefixed = match &step.creates {
                None => None,
                Some(creates) => {
                    let name = creates.get(super::TRACKER_NAME).unwrap_or("");
                    let kind = creates.get(super::TRACKER_TYPE).unwrap_or("data");
                    let prefixed =
                        name.starts_with("${prefix}-") || name.starts_with("cc-${run_id}-");
                    if kind == "system" || prefixed {
                        continue;
                    }
                    Some(name)
                }
            };
            let file = parsed
                .entry(source.name.as_str())
                .or_insert_with(|| serde_json::from_str(&source.text).ok());
            let index = file
                .as_ref()
                .and_then(|f| case_index(f, &case.spec.name))
                .unwrap_or_default();
            let at = |key: &str| format!("/cases/{index}/steps/{j}/{key}");
            let (pointer, message, help) = match unprefixed {
                None => (
                    at("operation"),
                    "this CreateTracker step does not say what it creates".to_string(),
                    "add \"creates\": {\"tracker_name\": \"${prefix}-...\", \"tracker_type\": \"data\"}",
                ),
                Some(name) => {
                    let in_creates = file
                        .as_ref()
                        .and_then(|f| f.pointer(&at("creates")))
                        .is_some();
                    let pointer = match in_creates {
                        true => at("creates/tracker_name"),
                        false => at("body/tracker_name"),
                    };
                    (
                        pointer,
                        format!("the data tracker {name:?} is not named with the run's prefix"),
                        "against a URL target, name created trackers \"${prefix}-...\" so that \
                         the ledger and `cts-conform sweep` can find what the run left",
                    )
                }
            };
            errors.push(LoadError {
                file: source.name.clone(),
                position: case::locate::locate(&source.text, &pointer),
                pointer: Some(pointer),
                message,
                help: Some(help.to_string()),
            });
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(LoadErrors(errors)),
    }
}

/// The index of the case named `name` in a case file's `cases` array.
fn case_index(file: &serde_json::Value, name: &str) -> Option<usize> {
    file.get("cases")?
        .as_array()?
        .iter()
        .position(|c| c.get("name").and_then(serde_json::Value::as_str) == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;

    fn source(name: &str, cases: serde_json::Value) -> Source {
        Source {
            name: name.into(),
            text: serde_json::to_string_pretty(&serde_json::json!({"suite": "s", "cases": cases}))
                .expect("json"),
        }
    }

    fn create(name: &str, creates: bool) -> serde_json::Value {
        let body = serde_json::json!({"tracker_type": "data", "tracker_name": name,
            "data_bucket": {"data_bucket_name": "${data_bucket}"}});
        let mut step = serde_json::json!({"operation": "CreateTracker", "body": body,
            "expect": {"status": 201}});
        if creates {
            step["creates"] = serde_json::json!({"tracker_name": name});
        }
        step
    }

    #[test]
    fn each_offending_step_is_pointed_at_in_its_own_file() {
        let a = source(
            "a.json",
            serde_json::json!([
                {"name": "fine", "doc": "d", "steps": [create("${prefix}-a", false)]},
                {"name": "mine", "doc": "d", "steps": [create("${prefix}-b", false), create("mine", false)]},
            ]),
        );
        let b = source(
            "b.json",
            serde_json::json!([
                {"name": "theirs", "doc": "d", "steps": [create("theirs", true)]},
                {"name": "also", "doc": "d", "steps": [create("${prefix}-c", true)]},
            ]),
        );
        let sources = vec![a, b];
        let cases = case::load(&sources, Contract::embedded(), &crate::cts::CASE_RULES)
            .expect("the cases load");
        let errors = check_created_names(&cases, &sources)
            .expect_err("two offend")
            .0;
        let found: Vec<(&str, Option<&str>)> = errors
            .iter()
            .map(|e| (e.file.as_str(), e.pointer.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                ("a.json", Some("/cases/1/steps/1/body/tracker_name")),
                ("b.json", Some("/cases/0/steps/0/creates/tracker_name")),
            ]
        );
        for error in &errors {
            let source = sources
                .iter()
                .find(|s| s.name == error.file)
                .expect("its file");
            let pointer = error.pointer.as_deref().expect("a pointer");
            assert_eq!(error.position, case::locate::locate(&source.text, pointer));
        }
        assert!(check_created_names(&cases[..1], &sources).is_ok());
    }
}
