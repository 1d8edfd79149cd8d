//! Redaction of secrets from anything the harness prints or writes: failure output,
//! `curl` reproductions, reports, logs.
//!
//! Two kinds of rules, applied in this order:
//! 1. **Registered secrets** (the run's AK, SK, tokens, ...): every occurrence is
//!    replaced by `***`, also in its percent-encoded (`%2F`...) and JSON-escaped
//!    (`\"`, `\\`...) spellings. Secrets shorter than [`Redactor::MIN_SECRET_LEN`]
//!    characters are ignored (they would redact half of every text). Longer secrets
//!    win over shorter ones that are their prefix.
//! 2. **Patterns**, whatever the secret, always on, and only where a secret can stand
//!    (a body that merely mentions a header name, a JSON key, or a value next to such a
//!    mention is left as it is):
//!    - in `Authorization`-shaped text (from `SDK-HMAC-SHA256` to the end of the line or a
//!      quote): the values of `Access=` and `Signature=` -> `Access=***`, `Signature=***`;
//!      in a URL, the `Signature=` query parameter (a presigned URL);
//!    - the value of an `X-Auth-Token` (also `X-Subject-Token`, `X-Security-Token`) in a
//!      header line (at the start of a line, also after curl's `> `/`< `), in
//!      `curl -H 'X-Auth-Token: value'` (up to the end of the line or a quote), as the value
//!      of a quoted key (JSON `"X-Auth-Token": "value"`, Python `'X-Auth-Token': 'value'`,
//!      JSON-in-a-string `\"X-Auth-Token\": \"value\"`), and as the second item of a
//!      pair (Rust Debug `("x-auth-token", "value")`, JSON `["X-Auth-Token", "value"]`);
//!    - the credentials of `Authorization: Bearer|Basic|Token <value>` in the same places
//!      -> `... ***`.
//!
//! Matching of header names is case-insensitive. Redaction is idempotent.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use regex::{NoExpand, Regex};

use super::canonical::encode_component;
use super::{Authorization, ALGORITHM};

/// What every redacted secret becomes.
pub const MASK: &str = "***";

/// Header names whose values hold secrets: tokens, cookies, credentials.
const SECRET_HEADERS: &[&str] = &[
    "x-auth-token",
    "x-subject-token",
    "x-security-token",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Builds a pattern rule; the patterns are constants, checked by the tests.
fn rule(pattern: &str) -> Regex {
    Regex::new(pattern).expect("redaction pattern is valid")
}

/// Header names whose values are tokens.
const TOKEN_NAMES: &str = "x-(?:auth|subject|security)-token";

/// The places a header stands with its value, each a pattern of `(prefix)(value)` or
/// `(prefix)(value)(suffix)` where `NAME` is the header name and `VALUE` its value's
/// pattern: a header line (at the start of a line, after curl's verbose `> `/`< `/`* `)
/// or a curl `-H`/`--header` argument; a quoted key and its quoted value; a pair.
/// `SCHEME` (e.g. `Bearer `) is kept with the prefix.
const HEADER_PLACES: [&str; 3] = [
    r#"(?im)((?:^[ \t]*(?:[<>*][ \t]*)?|(?:-H|--header)[ \t]*=?[ \t]*["']?[ \t]*)NAME[ \t]*:[ \t]*SCHEME)VALUE_LINE"#,
    r#"(?i)(\\?["']NAME\\?["'][ \t]*[:=][ \t]*\\?["'][ \t]*SCHEME)VALUE_QUOTED"#,
    r#"(?i)([\[(][ \t]*\\?["']NAME\\?["'][ \t]*,[ \t]*\\?["'][ \t]*SCHEME)VALUE_QUOTED(\\?["'][ \t]*[\])])"#,
];

/// Builds the rules of one header at each of [`HEADER_PLACES`]: `name` (a pattern),
/// `scheme` (a pattern kept before the value, e.g. `Bearer `), and the value in a line
/// and between quotes.
fn header_rules(name: &str, scheme: &str, in_line: &str, quoted: &str) -> Vec<Regex> {
    HEADER_PLACES
        .iter()
        .map(|place| {
            rule(
                &place
                    .replace("NAME", name)
                    .replace("SCHEME", scheme)
                    .replace("VALUE_LINE", in_line)
                    .replace("VALUE_QUOTED", quoted),
            )
        })
        .collect()
}

/// The value after `Access=`/`Signature=`: up to a separator; a `<placeholder>` (as in
/// an error message that shows the expected form) is not a value.
const SIGNATURE_VALUE: &str = r#"[^\s,;"'\\&<][^\s,;"'\\&]*"#;

/// `Authorization`-shaped text: the algorithm up to the end of the line or a quote.
static SIGNED_SPAN: LazyLock<Regex> =
    LazyLock::new(|| rule(r#"(?i)\bsdk-hmac-sha256\b[^\r\n"'\\`]*"#));

/// `Access=`/`Signature=` inside [`SIGNED_SPAN`].
static SIGNED_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    rule(&format!(
        r"(?i)(\b(?:access|signature)[ \t]*=[ \t]*){SIGNATURE_VALUE}"
    ))
});

/// The pattern rules applied to the whole text: `(prefix)(value)[(suffix)]`, the value
/// replaced by `***`.
static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let mut rules = vec![
        // A presigned URL's signature.
        rule(&format!(r"(?i)([?&]signature=){SIGNATURE_VALUE}")),
    ];
    // Tokens: in a line up to its end or a quote; a value that starts with `$` is a shell
    // variable (`$CTS_AUTH_TOKEN` in a reproduction line), not a token.
    rules.extend(header_rules(
        TOKEN_NAMES,
        "",
        r#"[^\s"'\\$][^"'\r\n]*"#,
        r#"[^"'\\\r\n]+"#,
    ));
    // Authorization with a bearer-style scheme: the scheme kept.
    rules.extend(header_rules(
        "authorization",
        r"(?:bearer|basic|token)[ \t]+",
        r#"[^\s"'\\,]+"#,
        r#"[^\s"'\\,]+"#,
    ));
    rules
});

/// Replaces registered secrets and secret-bearing patterns in text by `***`.
/// Cheap to clone; `Debug` shows only how many secrets are registered.
#[derive(Clone, Default)]
pub struct Redactor {
    /// One alternation of all registered spellings, longest first; `None` if empty.
    literals: Option<Regex>,
    /// How many secrets were registered (not counting spellings).
    count: usize,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.count)
            .finish()
    }
}

impl Redactor {
    /// Secrets shorter than this (in characters) are not registered; pattern rules
    /// still apply.
    pub const MIN_SECRET_LEN: usize = 4;

    /// Builds a redactor for the run's secrets (AK, SK, tokens: any strings).
    /// Blank or short (< [`Self::MIN_SECRET_LEN`] characters) ones are skipped.
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let mut count = 0;
        let mut spellings: Vec<String> = Vec::new();
        for secret in secrets {
            let secret = secret.as_ref();
            if secret.trim().chars().count() < Self::MIN_SECRET_LEN {
                continue;
            }
            count += 1;
            spellings.push(secret.to_owned());
            spellings.push(encode_component(secret));
            if let Ok(json) = serde_json::to_string(secret) {
                // Strip the surrounding quotes: the escaped spelling inside a string.
                spellings.push(json[1..json.len() - 1].to_owned());
            }
        }
        // Longest first, so that a secret wins over another that is its prefix.
        spellings.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        spellings.dedup();
        let literals = (!spellings.is_empty()).then(|| {
            let alternation = spellings
                .iter()
                .map(|s| regex::escape(s))
                .collect::<Vec<_>>()
                .join("|");
            regex::RegexBuilder::new(&alternation)
                .size_limit(64 << 20)
                .build()
                .expect("an alternation of escaped literals is a valid regex")
        });
        Self { literals, count }
    }

    /// How many secrets are registered.
    pub fn secret_count(&self) -> usize {
        self.count
    }

    /// Returns `text` with every registered secret and every pattern match replaced
    /// by `***`; borrows `text` when there was nothing to redact.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        if let Some(literals) = &self.literals {
            out = replace(out, literals, NoExpand(MASK));
        }
        if SIGNED_SPAN.is_match(&out) {
            let masked = SIGNED_SPAN.replace_all(&out, |span: &regex::Captures<'_>| {
                SIGNED_PARTS.replace_all(&span[0], "${1}***").into_owned()
            });
            if let Cow::Owned(masked) = masked {
                out = Cow::Owned(masked);
            }
        }
        for pattern in PATTERNS.iter() {
            out = replace(out, pattern, "${1}***${2}");
        }
        out
    }

    /// Redacts one header value, knowing its name (any case):
    /// - `Authorization: SDK-HMAC-SHA256 ...` ->
    ///   `SDK-HMAC-SHA256 Access=***, SignedHeaders=<kept>, Signature=***`
    ///   (an unparsable one goes through [`Self::redact`]); another scheme keeps only
    ///   the scheme word: `Bearer ***`;
    /// - `X-Auth-Token`, `X-Subject-Token`, `X-Security-Token`, `Proxy-Authorization`,
    ///   `Cookie`, `Set-Cookie` -> `***`;
    /// - any other header -> [`Self::redact`] of its value.
    pub fn redact_header<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("authorization") {
            if let Ok(auth) = value.parse::<Authorization>() {
                let signed = auth.signed_headers.join(";");
                return Cow::Owned(format!(
                    "{ALGORITHM} Access={MASK}, SignedHeaders={}, Signature={MASK}",
                    self.redact(&signed)
                ));
            }
            let scheme = value.split_whitespace().next().unwrap_or("");
            if scheme.eq_ignore_ascii_case(ALGORITHM) {
                return self.redact(value);
            }
            let plausible_scheme = !scheme.is_empty()
                && scheme.len() <= 32
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            return Cow::Owned(if plausible_scheme && scheme.len() < value.trim().len() {
                format!("{scheme} {MASK}")
            } else {
                MASK.to_owned()
            });
        }
        if SECRET_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            return Cow::Borrowed(MASK);
        }
        self.redact(value)
    }
}

/// `re.replace_all` on a `Cow`, keeping it borrowed while nothing changes.
fn replace<'a>(text: Cow<'a, str>, re: &Regex, rep: impl regex::Replacer) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(s) => re.replace_all(s, rep),
        Cow::Owned(s) => {
            let replaced = re.replace_all(&s, rep);
            if let Cow::Owned(new) = replaced {
                Cow::Owned(new)
            } else {
                drop(replaced);
                Cow::Owned(s)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        assert_eq!(PATTERNS.len(), 7);
        assert!(SIGNED_SPAN.is_match("SDK-HMAC-SHA256 Access=a"));
        assert!(SIGNED_PARTS.is_match("Access=a"));
    }

    #[test]
    fn nothing_to_redact_borrows() {
        let r = Redactor::new(["AKTESTAKTESTAKTEST01"]);
        assert!(matches!(r.redact("plain text"), Cow::Borrowed(_)));
        assert!(matches!(
            Redactor::default().redact("plain"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn short_and_blank_secrets_ignored() {
        let r = Redactor::new(["abc", "", "    ", "x"]);
        assert_eq!(r.secret_count(), 0);
        assert_eq!(r.redact("abcabc x"), "abcabc x");
    }

    #[test]
    fn debug_hides_secrets() {
        let r = Redactor::new(["supersecret"]);
        assert_eq!(format!("{r:?}"), "Redactor { secrets: 1 }");
    }
}
