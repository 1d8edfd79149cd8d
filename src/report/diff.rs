//! Unified diffs of expected vs actual JSON, pretty-printed (keys sorted, so stable), as
//! styled lines that a terminal paints with ANSI codes and the HTML report with CSS.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// How a line of a report is shown: plain text, or one kind of diff line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    /// `--- expected` and lines only in the expected value.
    Removed,
    /// `+++ actual` and lines only in the actual value.
    Added,
    /// `@@ -a,b +c,d @@`.
    Hunk,
}

impl Style {
    /// `text` wrapped in the ANSI colour of this style (plain text unchanged).
    pub fn ansi(self, text: &str) -> String {
        let code = match self {
            Style::Plain => return text.to_string(),
            Style::Removed => "\x1b[31m",
            Style::Added => "\x1b[32m",
            Style::Hunk => "\x1b[36m",
        };
        format!("{code}{text}\x1b[0m")
    }
}

/// The lines of a unified diff (`--- expected` / `+++ actual`, two lines of context),
/// without indentation or colour.
pub fn diff_lines(expected: &Value, actual: &Value) -> Vec<(Style, String)> {
    let expected = pretty(expected);
    let actual = pretty(actual);
    let diff = TextDiff::from_lines(&expected, &actual);
    let mut lines = vec![
        (Style::Removed, "--- expected".to_string()),
        (Style::Added, "+++ actual".to_string()),
    ];
    for hunk in diff.unified_diff().context_radius(2).iter_hunks() {
        lines.push((Style::Hunk, hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let (sign, style) = match change.tag() {
                ChangeTag::Delete => ("-", Style::Removed),
                ChangeTag::Insert => ("+", Style::Added),
                ChangeTag::Equal => (" ", Style::Plain),
            };
            lines.push((
                style,
                format!("{sign}{}", change.value().trim_end_matches('\n')),
            ));
        }
    }
    lines
}

/// A unified diff as text, each line prefixed by `indent`; coloured with ANSI codes when
/// `color` is set.
pub fn json_diff(expected: &Value, actual: &Value, indent: &str, color: bool) -> String {
    diff_lines(expected, actual)
        .into_iter()
        .map(|(style, line)| {
            let line = if color { style.ansi(&line) } else { line };
            format!("{indent}{line}\n")
        })
        .collect()
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
