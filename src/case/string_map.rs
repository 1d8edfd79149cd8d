//! [`StringMap`]: the small string-to-string maps of a step (path and query parameters,
//! headers, captures, what it creates), read as a `BTreeMap` is (sorted by key, a key
//! given twice keeps its last value) but stored as one string: 16 bytes and nothing
//! allocated when empty, one allocation otherwise, where a `BTreeMap<String, String>`
//! spends a 544-byte node and two strings per entry. A plan of 20,000 cases holds tens of
//! thousands of them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer};

/// Strings by name, sorted by name, each name once.
///
/// Stored as each name then its value, each written as its length in decimal, a `:`, and
/// the string (a netstring without the trailing comma), e.g. `4:name5:value`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StringMap(Box<str>);

impl StringMap {
    /// An empty map (allocates nothing).
    pub fn new() -> StringMap {
        StringMap::default()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` (replacing its value, as `BTreeMap::insert` does); returns the old value.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        let mut entries = self.to_btree();
        let old = entries.insert(key, value);
        *self = StringMap::from(entries);
        old
    }

    fn to_btree(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.0 }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The entries of a [`StringMap`] in key order, as `(key, value)`.
#[derive(Clone)]
pub struct Iter<'a> {
    rest: &'a str,
}

impl<'a> Iter<'a> {
    /// The next length-prefixed string (`None` at the end, or on text this map never writes).
    fn string(&mut self) -> Option<&'a str> {
        let (length, rest) = self.rest.split_once(':')?;
        let length: usize = length.parse().ok()?;
        let string = rest.get(..length)?;
        self.rest = &rest[length..];
        Some(string)
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let key = self.string()?;
        let value = self.string()?;
        Some((key, value))
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl From<BTreeMap<String, String>> for StringMap {
    fn from(map: BTreeMap<String, String>) -> StringMap {
        let size: usize = map.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
        let mut text = String::with_capacity(size);
        for string in map.iter().flat_map(|(k, v)| [k, v]) {
            text.push_str(&string.len().to_string());
            text.push(':');
            text.push_str(string);
        }
        StringMap(text.into_boxed_str())
    }
}

/// As `BTreeMap`'s: a key given twice keeps its last value.
impl FromIterator<(String, String)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(entries: I) -> StringMap {
        StringMap::from(entries.into_iter().collect::<BTreeMap<_, _>>())
    }
}

impl<const N: usize> From<[(String, String); N]> for StringMap {
    fn from(entries: [(String, String); N]) -> StringMap {
        entries.into_iter().collect()
    }
}

impl std::ops::Index<&str> for StringMap {
    type Output = str;

    /// The value of `key`; panics when there is none, as `BTreeMap`'s index does.
    fn index(&self, key: &str) -> &str {
        match self.get(key) {
            Some(value) => value,
            None => panic!("no key {key:?} in the map"),
        }
    }
}

impl fmt::Debug for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Read as a JSON object, exactly as a `BTreeMap<String, String>` is (the same errors; a
/// key given twice keeps its last value).
impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, String>::deserialize(deserializer).map(StringMap::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> StringMap {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_like_the_btreemap_it_replaces() {
        let text = r#"{"b": "2", "a": "1", "c": "3", "a": "last"}"#;
        let compact: StringMap = serde_json::from_str(text).unwrap();
        let tree: BTreeMap<String, String> = serde_json::from_str(text).unwrap();
        assert!(compact
            .iter()
            .eq(tree.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
        assert_eq!(compact.get("a"), Some("last"));
        assert_eq!(&compact["c"], "3");
        assert!(compact.contains_key("b") && !compact.contains_key("d"));
        assert_eq!(compact.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(format!("{compact:?}"), format!("{tree:?}"));
        let wrong = serde_json::from_str::<StringMap>(r#"{"a": 1}"#).unwrap_err();
        let wrong_tree = serde_json::from_str::<BTreeMap<String, String>>(r#"{"a": 1}"#);
        assert_eq!(wrong.to_string(), wrong_tree.unwrap_err().to_string());
    }

    #[test]
    fn insert_keeps_the_order_and_replaces() {
        let mut m = map(&[("b", "2")]);
        assert_eq!(m.insert("a".into(), "1".into()), None);
        assert_eq!(m.insert("c".into(), "3".into()), None);
        assert_eq!(m.insert("b".into(), "two".into()).as_deref(), Some("2"));
        assert_eq!(m, map(&[("a", "1"), ("b", "two"), ("c", "3")]));
        assert_eq!(m.len(), 3);
        assert!(StringMap::new().is_empty());
        // Any strings: digits, colons, empty ones, non-ASCII.
        let odd = map(&[("", "1:2"), ("9:", ""), ("é", "ü\u{0}x")]);
        assert_eq!(
            odd.iter().collect::<Vec<_>>(),
            [("", "1:2"), ("9:", ""), ("é", "ü\u{0}x")]
        );
    }

    #[test]
    fn is_small() {
        assert_eq!(std::mem::size_of::<StringMap>(), 16);
        assert_eq!(std::mem::size_of::<Option<StringMap>>(), 16);
    }
}
