//! Accepted differences (`parity --baseline FILE`): differences known and accepted
//! between two targets, each with a reason. An accepted difference does not fail the
//! comparison; an accepted difference that no longer occurs does ("stale"), so the list
//! shrinks as the targets converge.
//!
//! ```json
//! {"accepted": [{"case": "suite::name", "pointer": "/steps/0/response/status", "reason": "..."}]}
//! ```

use serde::{Deserialize, Serialize};

use super::CaseParity;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    pub case: String,
    pub pointer: String,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    accepted: Vec<Accepted>,
}

/// Why a parity baseline cannot be used: not JSON, or not of its shape.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}:{}:{}: not a parity baseline ({source}); expected {{\"accepted\": [{{\"case\": \"suite::name\", \"pointer\": \"/steps/0/response/status\", \"reason\": \"...\"}}]}}",
    source.line(),
    source.column()
)]
pub struct BaselineError {
    pub file: String,
    #[source]
    pub source: serde_json::Error,
}

/// Parses the baseline `text` of `file`.
pub fn parse(file: &str, text: &str) -> Result<Vec<Accepted>, BaselineError> {
    serde_json::from_str::<File>(text)
        .map(|f| f.accepted)
        .map_err(|source| BaselineError {
            file: file.to_string(),
            source,
        })
}

/// Marks the accepted differences; gives back the entries that matched none (stale).
pub fn apply(cases: &mut [CaseParity], accepted: &[Accepted]) -> Vec<Accepted> {
    let mut stale = Vec::new();
    for entry in accepted {
        let mut used = false;
        for case in cases.iter_mut().filter(|c| c.id == entry.case) {
            for difference in case
                .differences
                .iter_mut()
                .filter(|d| d.pointer == entry.pointer)
            {
                difference.accepted = Some(entry.reason.clone());
                used = true;
            }
        }
        if !used {
            stale.push(entry.clone());
        }
    }
    stale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parity::{Difference, Kind};

    #[test]
    fn accepts_listed_and_reports_stale() {
        let mut cases = vec![CaseParity {
            id: "s::a".into(),
            differences: vec![Difference {
                pointer: "/steps/0/response/status".into(),
                kind: Kind::Status,
                a: 401.into(),
                b: 403.into(),
                accepted: None,
            }],
        }];
        let text = r#"{"accepted": [
            {"case": "s::a", "pointer": "/steps/0/response/status", "reason": "gateway"},
            {"case": "s::b", "pointer": "/x", "reason": "gone"}]}"#;
        let accepted = parse("b.json", text).expect("valid");
        let stale = apply(&mut cases, &accepted);
        assert_eq!(cases[0].differences[0].accepted.as_deref(), Some("gateway"));
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].case, "s::b");
        assert!(parse("b.json", "{}")
            .expect_err("bad")
            .to_string()
            .starts_with("b.json:1:"));
    }
}
