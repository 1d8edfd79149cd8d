//! JSON pointers (RFC 6901): the one home of token escaping (`~` as `~0`, `/` as `~1`).
//!
//! Case files, matchers, the loader's error positions and schema walks all build or read
//! pointers through these functions.

use std::borrow::Cow;

use serde_json::Value;

/// A reference token escaped for a pointer: `a/b~c` becomes `a~1b~0c`.
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// An escaped reference token read back: `a~1b~0c` becomes `a/b~c`.
pub fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// The pointer of a child of `parent` (`""` is the root): `child("/a", "b/c")` is `/a/b~1c`.
pub fn child(parent: &str, token: &str) -> String {
    format!("{parent}/{}", escape(token))
}

/// The unescaped reference tokens of a pointer (none for the root `""`).
pub fn tokens(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer.split('/').skip(1).map(unescape)
}

/// The value at the pointer whose reference tokens (unescaped) are `tokens`, found as
/// `Value::pointer` finds it (an array member by its index: digits, no sign, no leading
/// zero), without writing the pointer and reading it back.
pub fn find<'a, T: AsRef<str>>(value: &'a Value, tokens: &[T]) -> Option<&'a Value> {
    tokens.iter().try_fold(value, |node, token| {
        let token = token.as_ref();
        match node {
            Value::Object(members) => members.get(token),
            Value::Array(items) => {
                let index = (!token.starts_with('+')
                    && (!token.starts_with('0') || token.len() == 1))
                    .then(|| token.parse::<usize>().ok())
                    .flatten()?;
                items.get(index)
            }
            _ => None,
        }
    })
}

/// A pointer for display: the root `""` is shown as `/`.
pub fn display(pointer: &str) -> &str {
    if pointer.is_empty() {
        "/"
    } else {
        pointer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_reads_back_tilde_and_slash() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(escape("~1"), "~01");
        assert_eq!(unescape("~01"), "~1");
        assert_eq!(unescape("a~1b~0c"), "a/b~c");
        assert_eq!(child("/x", "a/b"), "/x/a~1b");
        let read: Vec<_> = tokens("/a~1b/0/~0").collect();
        assert_eq!(read, ["a/b", "0", "~"]);
        assert_eq!(tokens("").count(), 0);
        assert_eq!(display(""), "/");
        assert_eq!(display("/a"), "/a");
    }

    #[test]
    fn find_finds_what_value_pointer_finds() {
        let value = serde_json::json!({
            "a": {"b/c": [10, {"d~e": true}], "": 1, "0": "zero"},
            "list": [[1, 2], "x"]
        });
        let pointers = [
            "",
            "/a",
            "/a/b~1c",
            "/a/b~1c/1/d~0e",
            "/a/b~1c/0",
            "/a/b~1c/01",
            "/a/b~1c/+1",
            "/a/b~1c/2",
            "/a/b~1c/-1",
            "/a/",
            "/a/0",
            "/list/0/1",
            "/list/1/0",
            "/nope",
            "/a/b~1c/1/d~0e/x",
            "/list/00",
            "/list/1x",
        ];
        for pointer in pointers {
            let tokens: Vec<_> = tokens(pointer).collect();
            assert_eq!(find(&value, &tokens), value.pointer(pointer), "{pointer}");
        }
    }
}
