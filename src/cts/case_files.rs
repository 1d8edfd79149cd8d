//! What a case file must say for a run against a URL target: every tracker a case creates
//! is findable by `sweep` and by eye. A data tracker is named with the run's prefix
//! (`${prefix}-...`), and a CreateTracker step says what it creates (`creates`). Each
//! offender is a case-file error at its file:line:col; derived cases (not from a file)
//! are exempt.

use crate::case::{self, LoadError, LoadErrors, LoadedCase, Source};

/// Every CreateTracker step of `cases` (from `sources`) that a URL target's ledger could
/// not find again.
pub fn check_created_names(cases: &[LoadedCase], sources: &[Source]) -> Result<(), LoadErrors> {
    let mut errors = Vec::new();
    for case in cases {
        let Some(source) = sources.iter().find(|s| *s.name == *case.file) else {
            continue;
        };
        let file: Option<serde_json::Value> = serde_json::from_str(&source.text).ok();
        let index = file
            .as_ref()
            .and_then(|f| case_index(f, &case.spec.name))
            .unwrap_or_default();
        for (j, step) in case.spec.steps.iter().enumerate() {
            if step.operation != "CreateTracker" {
                continue;
            }
            let at = |key: &str| format!("/cases/{index}/steps/{j}/{key}");
            let problem = match &step.creates {
                None => Some((
                    at("operation"),
                    "this CreateTracker step does not say what it creates".to_string(),
                    "add \"creates\": {\"tracker_name\": \"${prefix}-...\", \"tracker_type\": \"data\"}",
                )),
                Some(creates) => {
                    let name = creates.get(super::TRACKER_NAME).unwrap_or("");
                    let kind = creates.get(super::TRACKER_TYPE).unwrap_or("data");
                    let prefixed =
                        name.starts_with("${prefix}-") || name.starts_with("cc-${run_id}-");
                    (kind != "system" && !prefixed).then(|| {
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
