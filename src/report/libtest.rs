//! libtest glue: one `libtest_mimic::Trial` per case, named `suite::case`. Failures carry
//! the rendered report; cases marked `ignore` are ignored trials (with `--ignored` they run).

use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};

use crate::auth::Redactor;
use crate::case::LoadedCase;
use crate::run::{CaseStatus, Session};

use super::failure::render_case;

/// Builds the trials for `cases`.
pub fn trials(
    session: &Arc<Session>,
    cases: Vec<LoadedCase>,
    redactor: &Arc<Redactor>,
    color: bool,
) -> Vec<Trial> {
    cases
        .into_iter()
        .map(|case| {
            let ignored = case.spec.ignore.is_some();
            let session = Arc::clone(session);
            let redactor = Arc::clone(redactor);
            let name = case.id.clone();
            Trial::ignorable_test(name, move || {
                let outcome = session.run_blocking(&case);
                match &outcome.status {
                    CaseStatus::Passed => Ok(Completion::Completed),
                    CaseStatus::Ignored(reason) => Ok(Completion::ignored_with(reason)),
                    CaseStatus::Failed => {
                        Err(Failed::from(render_case(&outcome, &redactor, color)))
                    }
                }
            })
            .with_ignored_flag(ignored)
        })
        .collect()
}
