//! An answer judged as a run judges it ([`crate::check::contract_checks`]: the status is
//! documented, a documented body comes as JSON and satisfies its schema), as typed
//! violations with direction `response`: one per schema violation, at its pointer.

use serde_json::Value;
use time::OffsetDateTime;

use super::doc_row::doc_row;
use super::{Direction, Location, Violation};
use crate::check::{contract_checks, FindingKind};
use crate::contract::{Contract, Operation};
use crate::http::exchange::ReceivedResponse;

/// Every violation in `response`, an answer to operation `op`.
pub fn judge_response(
    contract: &Contract,
    op: &Operation,
    response: &ReceivedResponse,
    request_id: Option<&str>,
    now: OffsetDateTime,
) -> Vec<Violation> {
    let mut found = Vec::new();
    let schema = op.response(response.status).and_then(|s| s.schema.clone());
    let table = schema
        .as_deref()
        .and_then(|s| doc_row(contract.document(), s, ""));
    for finding in contract_checks(contract, op, response) {
        match finding.kind {
            FindingKind::UndocumentedStatus => found.push(
                Violation::new(Location::Status, "", "undocumented-status", finding.summary)
                    .with_value(Some(response.status.into())),
            ),
            FindingKind::ContentType => found.push(
                Violation::new(
                    Location::Header,
                    "/content-type",
                    "content-type",
                    finding.summary,
                )
                .with_value(response.header("content-type").map(Value::from))
                .with_doc_row(table.clone()),
            ),
            FindingKind::Contract => {
                let parsed = response.json().and_then(Result::ok);
                let violations = match (&schema, &parsed) {
                    (Some(schema), Some(body)) => {
                        contract.validate(schema, body).unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                if violations.is_empty() {
                    found.push(
                        Violation::new(Location::Body, "", "body", finding.summary)
                            .with_doc_row(table.clone()),
                    );
                }
                for v in violations {
                    let pointer = if v.instance_path == "/" {
                        String::new()
                    } else {
                        v.instance_path
                    };
                    let row = schema
                        .as_deref()
                        .and_then(|s| doc_row(contract.document(), s, &pointer));
                    let value = parsed.as_ref().and_then(|b| b.pointer(&pointer)).cloned();
                    found.push(
                        Violation::new(Location::Body, pointer, v.keyword, v.message)
                            .with_value(value)
                            .with_doc_row(row),
                    );
                }
            }
            other => found.push(Violation::new(
                Location::Body,
                "",
                other.label().replace(' ', "-"),
                finding.summary,
            )),
        }
    }
    found
        .into_iter()
        .map(|v| v.stamp(now, Direction::Response, Some(&op.id), request_id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(status: u16, content_type: &str, body: &str) -> Vec<(String, String)> {
        let contract = Contract::embedded();
        let op = contract.operation("ListQuotas").expect("ListQuotas");
        let response = ReceivedResponse {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.as_bytes().to_vec(),
            elapsed: std::time::Duration::ZERO,
        };
        judge_response(
            contract,
            op,
            &response,
            Some("r"),
            OffsetDateTime::UNIX_EPOCH,
        )
        .into_iter()
        .map(|v| (v.rule, v.pointer))
        .collect()
    }

    #[test]
    fn status_content_type_and_schema() {
        let ok = r#"{"resources": [{"type": "data_tracker", "used": 1, "quota": 100}]}"#;
        assert_eq!(judged(200, "application/json", ok), vec![]);
        assert_eq!(
            judged(299, "application/json", ok),
            vec![("undocumented-status".to_owned(), String::new())]
        );
        assert_eq!(
            judged(200, "text/plain", ok),
            vec![("content-type".to_owned(), "/content-type".to_owned())]
        );
        let bad = r#"{"resources": [{"type": "data_tracker", "used": "1", "quota": 100}]}"#;
        assert_eq!(
            judged(200, "application/json", bad),
            vec![("type".to_owned(), "/resources/0/used".to_owned())]
        );
        assert_eq!(
            judged(200, "application/json", ""),
            vec![("body".to_owned(), String::new())]
        );
    }
}
