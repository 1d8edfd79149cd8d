//! Which row of the API documents a JSON pointer into a body falls under: the schema is
//! walked along the pointer (through `$ref`, `properties`, `items` and the branches of
//! `allOf`/`anyOf`/`oneOf`) and the nearest `x-doc-row` wins; without one, the nearest
//! `x-doc-table` and the field's name (`create-tracker: Request Parameters / tracker_name`).

use serde_json::Value;

use crate::contract::resolve_in as resolve;

/// The document row of `pointer` (a JSON pointer into an instance of component
/// `component` of `document`); `None` when the schema names no table on the way.
pub fn doc_row(document: &Value, component: &str, pointer: &str) -> Option<String> {
    let mut node = resolve(
        document,
        document.pointer(&format!("/components/schemas/{component}"))?,
    );
    let mut table =
        first_text(node.get("x-doc-table")).or_else(|| first_text(node.get("x-doc-row")));
    let segments: Vec<String> = crate::json_pointer::tokens(pointer)
        .filter(|s| !s.is_empty())
        .map(|s| s.into_owned())
        .collect();
    let mut row = None;
    let mut last_field = None;
    for segment in &segments {
        let Some(child) = child(document, node, segment) else {
            // An unknown key (or a pointer past the schema): the enclosing table.
            return table;
        };
        let target = resolve(document, child);
        let prefer = table
            .as_deref()
            .and_then(|t| t.split(':').next())
            .map(str::to_owned);
        row = row_of(child, prefer.as_deref()).or_else(|| row_of(target, prefer.as_deref()));
        if let Some(own) = first_text(target.get("x-doc-table")) {
            table = Some(own);
        }
        if segment.parse::<usize>().is_err() {
            last_field = Some(segment.clone());
        }
        node = target;
    }
    row.or_else(|| match (table, last_field) {
        (Some(table), Some(field)) => Some(format!("{table} / {field}")),
        (table, _) => table,
    })
}

/// The subschema (as written, maybe a `$ref`) that describes member `segment`.
fn child<'a>(document: &'a Value, schema: &'a Value, segment: &str) -> Option<&'a Value> {
    if let Some(found) = schema.get("properties").and_then(|p| p.get(segment)) {
        return Some(found);
    }
    if segment.parse::<usize>().is_ok() {
        if let Some(items) = schema.get("items") {
            return Some(items);
        }
    }
    ["allOf", "anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(|branch| child(document, resolve(document, branch), segment))
}

/// A schema's `x-doc-row`; of several, the first from document `prefer`.
fn row_of(schema: &Value, prefer: Option<&str>) -> Option<String> {
    match schema.get("x-doc-row")? {
        Value::String(row) => Some(row.clone()),
        Value::Array(rows) => {
            let rows: Vec<&str> = rows.iter().filter_map(Value::as_str).collect();
            prefer
                .and_then(|doc| rows.iter().find(|r| r.starts_with(doc)))
                .or(rows.first())
                .map(|r| (*r).to_owned())
        }
        _ => None,
    }
}

fn first_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Array(list) => list.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;

    fn row(component: &str, pointer: &str) -> Option<String> {
        doc_row(Contract::embedded().document(), component, pointer)
    }

    #[test]
    fn rows_tables_and_fields() {
        assert_eq!(
            row("CreateTrackerRequestBody", "/obs_info/compress_type").as_deref(),
            Some("create-tracker: TrackerObsInfo / compress_type")
        );
        assert_eq!(
            row("CreateTrackerRequestBody", "/aegncy_name").as_deref(),
            Some("create-tracker: Request Parameters")
        );
        assert_eq!(
            row("CreateTrackerRequestBody", "/tracker_name").as_deref(),
            Some("create-tracker: Request Parameters / tracker_name")
        );
        assert_eq!(
            row("CreateTrackerRequestBody", "/tracker_type").as_deref(),
            Some("create-tracker: Request Parameters / tracker_type")
        );
    }
}
