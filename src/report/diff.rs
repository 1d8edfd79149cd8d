//! Unified diffs of expected vs actual JSON, pretty-printed (keys sorted, so stable).

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// A unified diff (`--- expected` / `+++ actual`) with two lines of context, each line
/// prefixed by `indent`; coloured with ANSI codes when `color` is set.
pub fn json_diff(expected: &Value, actual: &Value, indent: &str, color: bool) -> String {
    let expected = pretty(expected);
    let actual = pretty(actual);
    let diff = TextDiff::from_lines(&expected, &actual);
    let mut out = String::new();
    let paint = |code: &str, text: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    out.push_str(&format!(
        "{indent}{}\n{indent}{}\n",
        paint(RED, "--- expected"),
        paint(GREEN, "+++ actual")
    ));
    for hunk in diff.unified_diff().context_radius(2).iter_hunks() {
        out.push_str(&format!(
            "{indent}{}\n",
            paint(CYAN, &hunk.header().to_string())
        ));
        for change in hunk.iter_changes() {
            let (sign, code) = match change.tag() {
                ChangeTag::Delete => ("-", Some(RED)),
                ChangeTag::Insert => ("+", Some(GREEN)),
                ChangeTag::Equal => (" ", None),
            };
            let line = format!("{sign}{}", change.value().trim_end_matches('\n'));
            let line = match code {
                Some(code) => paint(code, &line),
                None => line,
            };
            out.push_str(&format!("{indent}{line}\n"));
        }
    }
    out
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shows_only_changed_lines_with_context() {
        let diff = json_diff(
            &json!({"a": 1, "b": {"c": "x"}, "d": 4}),
            &json!({"a": 1, "b": {"c": ""}, "d": 4}),
            "  ",
            false,
        );
        insta::assert_snapshot!(diff, @r#"
          --- expected
          +++ actual
          @@ -2,5 +2,5 @@
             "a": 1,
             "b": {
          -    "c": "x"
          +    "c": ""
             },
             "d": 4
        "#);
    }

    #[test]
    fn colours_only_when_asked() {
        let plain = json_diff(&json!(1), &json!(2), "", false);
        assert!(!plain.contains('\x1b'));
        let coloured = json_diff(&json!(1), &json!(2), "", true);
        assert!(coloured.contains("\x1b[31m-1\x1b[0m") && coloured.contains("\x1b[32m+2\x1b[0m"));
    }
}
