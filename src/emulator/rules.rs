//! Which rules the emulator applies: those of a real account (the default: the two
//! documents plus api-facts' account rules) or the two documents' alone
//! (`serve --documents-only`, `cts-conform --emulator-documents-only`).
//!
//! The documents-only emulator is the target the documented profile must pass
//! (docs/contract.md, "The documents-only target"): a service that follows
//! create-tracker.txt and query-trackers.txt and makes its own choices where they are
//! silent. Against the default emulator it
//! - applies none of api-facts' account rules marked *tolerate*: buckets need not
//!   exist (no CTS.0211), the tracked bucket may be the transfer bucket (no CTS.0213),
//!   two data trackers may track the same bucket operation (no CTS.0209);
//! - accepts a data tracker's status change without `data_bucket` (api-facts and the
//!   SDK require it; the documents say it of a response field only);
//! - answers every input it refuses with 400 and one code, `CTS.0003` (the documents
//!   give the format `CTS.XXX` and no table of codes: which code is a choice).
//!
//! Everything else (validation of the documented fields, one management tracker,
//! unique names, not found, the success statuses) is the same. Pure: no state.

use axum::http::StatusCode;

use super::error::CtsError;

/// The rules the emulator applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Rules {
    /// The documents and api-facts' account rules, as a real account (the default).
    #[default]
    Account,
    /// The two documents only, with the emulator's own choices where they are silent.
    DocumentsOnly,
}

impl Rules {
    /// `DocumentsOnly` when `documents_only`, else `Account`.
    pub fn documents_only(documents_only: bool) -> Self {
        if documents_only {
            Self::DocumentsOnly
        } else {
            Self::Account
        }
    }

    /// Whether api-facts' account rules hold (buckets exist, tracked is not transfer,
    /// one tracker per bucket operation, a status change carries `data_bucket`).
    pub fn account_rules(self) -> bool {
        self == Self::Account
    }

    /// The error the emulator answers for `error` under these rules: unchanged for a
    /// real account; documents-only answers every 400 as `CTS.0003` with the same
    /// message (its own choice of code in the documented format).
    pub fn answer(self, error: CtsError) -> CtsError {
        match self {
            Self::DocumentsOnly
                if error.status() == StatusCode::BAD_REQUEST && error.code() != "CTS.0003" =>
            {
                CtsError::InvalidRequest(error.to_string())
            }
            _ => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_only_answers_every_refusal_with_one_code_and_the_same_message() {
        let refused = CtsError::InvalidTrackerName("too long".into());
        let answered = Rules::DocumentsOnly.answer(refused.clone());
        assert_eq!(answered.code(), "CTS.0003");
        assert_eq!(answered.status(), StatusCode::BAD_REQUEST);
        assert_eq!(answered.to_string(), refused.to_string());
        assert_eq!(Rules::Account.answer(refused.clone()), refused);
        // Not-found keeps its 404 and code.
        assert_eq!(
            Rules::DocumentsOnly.answer(CtsError::TrackerNotFound),
            CtsError::TrackerNotFound
        );
    }

    #[test]
    fn only_the_account_applies_the_account_rules() {
        assert!(Rules::default().account_rules());
        assert!(!Rules::documents_only(true).account_rules());
        assert_eq!(Rules::documents_only(false), Rules::Account);
    }
}
