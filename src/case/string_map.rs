//! [`StringMap`]: the small string-to-string maps of a step (path and query parameters,
//! headers, captures, what it creates), read as a `BTreeMap` is (sorted by key, a key
//! given twice keeps its last value) but stored as one string: 16 bytes and nothing
//! allocated when empty, one allocation otherwise, where a `BTreeMap<String, String>`
//! spends a 544-byte node and two strings per entry. A plan of 20,000 cases holds tens of
//! thousands of them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
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
        // The length's digits, read by hand: this runs for every look-up of a step's maps.
        let mut length: usize = 0;
        let mut digits = 0;
        for &byte in self.rest.as_bytes() {
            match byte {
                b'0'..=b'9' => {
                    length = length
                        .checked_mul(10)?
                        .checked_add(usize::from(byte - b'0'))?;
                    digits += 1;
                }
                b':' if digits > 0 => break,
                _ => return None,
            }
        }
        let rest = self.rest.get(digits + 1..)?;
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
        StringMap::from_sorted(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

impl StringMap {
    /// The map of entries given sorted by key, each key once.
    pub(crate) fn from_sorted<'a>(
        entries: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> StringMap {
        let size: usize = entries.clone().map(|(k, v)| k.len() + v.len() + 8).sum();
        let mut text = String::with_capacity(size);
        for string in entries.flat_map(|(k, v)| [k, v]) {
            push_length(&mut text, string.len());
            text.push(':');
            text.push_str(string);
        }
        StringMap(text.into_boxed_str())
    }
}

/// Writes `n` in decimal (as `n.to_string()` does, without allocating).
fn push_length(text: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[i..] {
        text.push(char::from(digit));
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
        deserializer.deserialize_map(StringMapVisitor)
    }
}

/// Reads the entries as `BTreeMap<String, String>`'s visitor does (same expectations, so
/// the same errors), borrowing the strings from the input where it can, then sorts them.
struct StringMapVisitor;

impl<'de> Visitor<'de> for StringMapVisitor {
    type Value = StringMap;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
        // A step's maps hold a few entries.
        let mut entries: Vec<(MaybeBorrowed<'de>, MaybeBorrowed<'de>)> = Vec::with_capacity(4);
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        // Stable: of a key given twice, the last stays last, and is the one kept.
        entries.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let kept = entries.iter().enumerate().filter(|(i, (key, _))| {
            entries
                .get(i + 1)
                .is_none_or(|(next, _)| next.as_str() != key.as_str())
        });
        Ok(StringMap::from_sorted(
            kept.map(|(_, (key, value))| (key.as_str(), value.as_str())),
        ))
    }
}

/// A string read from the input: borrowed when it has no escapes, else owned.
struct MaybeBorrowed<'de>(Cow<'de, str>);

impl MaybeBorrowed<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for MaybeBorrowed<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = MaybeBorrowed<'de>;

            /// As `String`'s, so that a wrong type reads the same.
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Owned(v.to_string())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Owned(v)))
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                match std::str::from_utf8(v) {
                    Ok(s) => Ok(MaybeBorrowed(Cow::Owned(s.to_string()))),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(v), &self)),
                }
            }
        }
        deserializer.deserialize_string(StrVisitor)
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
    fn reads_and_fails_as_the_btreemap_does() {
        for text in [
            r#"{"z": "1", "a\u0041": "esc\n", "m": "", "z": "again", "a": "x"}"#,
            r#"{}"#,
            r#"{"a": null}"#,
            r#"{"a": ["x"]}"#,
            r#"{"a": "x",}"#,
            r#"["a", "b"]"#,
            r#""a""#,
            r#"{"a": "x" "b": "y"}"#,
        ] {
            let compact = serde_json::from_str::<StringMap>(text);
            let tree = serde_json::from_str::<BTreeMap<String, String>>(text);
            match (compact, tree) {
                (Ok(compact), Ok(tree)) => assert!(
                    compact
                        .iter()
                        .eq(tree.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                    "{text}"
                ),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                (a, b) => panic!("{text}: {a:?} / {b:?}"),
            }
        }
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
