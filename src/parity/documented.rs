//! Which body fields the contract documents for an operation's status: every property
//! its response schema lists, at any depth, as a folded pointer (`/trackers/*/obs_info/
//! bucket_lifecycle`; an array's elements are `*`). A body difference at a documented
//! pointer is of class documented, any other of class undocumented.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use serde_json::Value;

use crate::contract::Contract;

/// Deepest schema nesting followed (the contract's schemas are far shallower; a
/// cycle ends here).
const MAX_DEPTH: usize = 16;

/// The documented fields of each (operation, status), computed once each.
pub struct Documented<'c> {
    contract: &'c Contract,
    cache: Mutex<HashMap<(String, u16), BTreeSet<String>>>,
}

impl<'c> Documented<'c> {
    pub fn new(contract: &'c Contract) -> Self {
        Documented {
            contract,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The folded pointers the contract documents in the body of `operation`'s answers
    /// with any of `statuses` (their union: when the statuses differ, a field either
    /// status documents is documented).
    pub fn fields(&self, operation: &str, statuses: [u16; 2]) -> BTreeSet<String> {
        let mut fields = BTreeSet::new();
        for status in statuses {
            let mut cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let entry = cache
                .entry((operation.to_string(), status))
                .or_insert_with(|| self.compute(operation, status));
            fields.extend(entry.iter().cloned());
        }
        fields
    }

    fn compute(&self, operation: &str, status: u16) -> BTreeSet<String> {
        let mut fields = BTreeSet::new();
        let schema = self
            .contract
            .operation(operation)
            .and_then(|op| op.response(status))
            .and_then(|spec| spec.schema.as_deref())
            .and_then(|name| self.contract.schema(name));
        if let Some(schema) = schema {
            self.walk(schema, "", 0, &mut fields);
        }
        fields
    }

    fn walk(&self, schema: &Value, prefix: &str, depth: usize, out: &mut BTreeSet<String>) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.contract.resolve(schema);
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (key, property) in properties {
                let here = format!("{prefix}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.insert(here.clone());
                self.walk(property, &here, depth + 1, out);
            }
        }
        if let Some(items) = schema.get("items") {
            let here = format!("{prefix}/*");
            out.insert(here.clone());
            self.walk(items, &here, depth + 1, out);
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            for branch in schema
                .get(combinator)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.walk(branch, prefix, depth + 1, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_answers_document_nested_tracker_fields() {
        let documented = Documented::new(Contract::embedded());
        let fields = documented.fields("ListTrackers", [200, 200]);
        assert!(
            fields.contains("/trackers/*/obs_info/bucket_name"),
            "{fields:?}"
        );
        assert!(fields.contains("/trackers/*/id"));
        assert!(!fields.contains("/trackers/*/no_such_field"));
        let errors = documented.fields("CreateTracker", [400, 400]);
        assert!(errors.contains("/error_code") && errors.contains("/error_msg"));
        assert!(documented.fields("NoSuchOperation", [200, 200]).is_empty());
    }
}
