//! Redaction of secrets from anything the harness prints or writes: failure output,
//! `curl` reproductions, reports, logs.
//!
//! Two kinds of rules, applied in this order:
//! 1. **Registered secrets** (the run's AK, SK, tokens, ...): every occurrence is
//!    replaced by `***`, also in its percent-encoded (`%2F`...) and JSON-escaped
//!    (`\"`, `\\`...) spellings. Secrets shorter than [`Redactor::MIN_SECRET_LEN`]
//!    characters are ignored (they would redact half of every text). Longer secrets
//!    win over shorter ones that are their prefix.
//! 2. **Patterns**, whatever the secret, always on:
//!    - `Access=<ak>` and `Signature=<value>` (as in an `SDK-HMAC-SHA256`
//!      `Authorization` value, or a presigned URL) -> `Access=***`, `Signature=***`;
//!    - the value of an `X-Auth-Token` (also `X-Subject-Token`, `X-Security-Token`)
//!      in a header line or `curl -H 'X-Auth-Token: value'` (up to the end of the
//!      line or a quote), and in quoted forms such as JSON `"X-Auth-Token": "value"`,
//!      Python `'X-Auth-Token': 'value'`, Rust Debug `("x-auth-token", "value")`,
//!      JSON-in-a-string `\"X-Auth-Token\": \"value\"`;
//!    - `Authorization: Bearer|Basic|Token <value>` -> `... ***`.
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

/// `(prefix)(value)` pairs; the value part is replaced by `***`.
static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    vec![
        // Access=<ak>, Signature=<hex> (Authorization values, presigned URLs).
        rule(r#"(?i)\b((?:access|signature)[ \t]*=[ \t]*)[^\s,;"'\\&]+"#),
        // Quoted name forms: JSON, Python dict, Rust Debug tuple, escaped JSON.
        rule(
            r#"(?i)(x-(?:auth|subject|security)-token\\?["'][ \t]*[:=,][ \t]*\\?["'])[^"'\\\r\n]+"#,
        ),
        // Header line / curl -H / key=value: up to the end of the line or a quote. A
        // value that starts with `$` is a shell variable (`$CTS_AUTH_TOKEN` in a
        // reproduction line), not a token.
        rule(r#"(?i)(x-(?:auth|subject|security)-token[ \t]*[:=][ \t]*)[^\s"'\\$][^"'\r\n]*"#),
        // Authorization with a bearer-style scheme.
        rule(
            r#"(?i)(authorization\\?["']?[ \t]*[:=,][ \t]*\\?["']?[ \t]*(?:bearer|basic|token)[ \t]+)[^\s"'\\,]+"#,
        ),
    ]
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
        for pattern in PATTERNS.iter() {
            out = replace(out, pattern, "${1}***");
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
        assert_eq!(PATTERNS.len(), 4);
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
