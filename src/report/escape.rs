//! Escaping text for XML 1.0 (JUnit) and HTML alike, after redacting it: the one way
//! report text enters markup. And [`terminal`]: the one way text a target sent reaches
//! a terminal line.
//!
//! `&`, `<`, `>`, `"` and `'` become entities, so the result is safe in element content
//! and in quoted attribute values. Control characters other than tab, line feed and
//! carriage return are not allowed in XML 1.0 at all (not even as `&#1;`), so they are
//! shown as `\u{1}`; in attributes, tab and line breaks become character references so
//! that attribute-value normalisation keeps them.

use std::fmt::Write;

use crate::auth::Redactor;

/// Where escaped text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Text,
    Attribute,
}

/// `text`, redacted, then escaped for `context`.
pub fn markup(text: &str, context: Context, redactor: &Redactor) -> String {
    let text = redactor.redact(text);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' if context == Context::Attribute => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as one terminal line that no target can forge or repaint: every control
/// character but tab (CR, LF, ESC, DEL, C1, ...) is shown as `\r`, `\n` or `\u{1b}`,
/// so a body cannot start a fake `test x ... ok` line, move the cursor or change colours.
pub fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`markup`] for element content.
pub fn text(text: &str, redactor: &Redactor) -> String {
    markup(text, Context::Text, redactor)
}

/// [`markup`] for a quoted attribute value.
pub fn attr(text: &str, redactor: &Redactor) -> String {
    markup(text, Context::Attribute, redactor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        let r = Redactor::default();
        assert_eq!(
            text("a<b>&\"c' \u{1}\u{1b}[31m\t\n", &r),
            "a&lt;b&gt;&amp;&quot;c&#39; \\u{1}\\u{1b}[31m\t\n"
        );
        assert_eq!(attr("x\ny\tz\r", &r), "x&#10;y&#9;z&#13;");
        // DEL and C1 controls are not allowed in XML 1.0 documents either (discouraged).
        assert_eq!(text("\u{7f}\u{85}", &r), "\\u{7f}\\u{85}");
    }

    #[test]
    fn terminal_lines_show_control_characters() {
        assert_eq!(
            terminal("a\r\ntest x ... ok\u{1b}[2K\tb\u{85}"),
            "a\\r\\ntest x ... ok\\u{1b}[2K\tb\\u{85}"
        );
        assert!(matches!(
            terminal("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
    }

    #[test]
    fn redacts_before_escaping() {
        let r = Redactor::new(["tok<SECRET>'1"]);
        assert_eq!(text("-H 'X: tok<SECRET>'1'", &r), "-H &#39;X: ***&#39;");
    }
}
