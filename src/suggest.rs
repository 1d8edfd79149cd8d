//! "Did you mean ...?" for names a person typed: the nearest candidate within a small
//! edit distance (strsim's Levenshtein), and serde's unknown- and missing-field messages
//! said in terms of keys, with the nearest expected key.

/// The candidate nearest to `word`, if one is within edit distance 2 (and closer than
/// the word is long, so that `ab` does not suggest `id`).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = 2.min(word.chars().count().saturating_sub(1));
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// `" (did you mean `expect`?)"` when a candidate is near `word`, else nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

/// serde's "unknown field `expct`, expected one of `name`, `expect`" as "unknown key
/// `expct`; did you mean `expect`?", and "missing field `x`" as "missing key `x`";
/// `None` for any other message. Only key names are quoted, never values.
pub fn serde_key_problem(message: &str) -> Option<String> {
    let quoted = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = quoted(rest);
        let (key, expected) = names.split_first()?;
        let hint = did_you_mean(key, expected.iter().map(String::as_str));
        let list = if expected.is_empty() {
            String::new()
        } else {
            format!(" (expected one of: {})", expected.join(", "))
        };
        return Some(if hint.is_empty() {
            format!("unknown key `{key}`{list}")
        } else {
            format!("unknown key `{key}`{hint}")
        });
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let names = quoted(rest);
        return names.first().map(|key| format!("missing key `{key}`"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_name_is_suggested_and_a_far_one_is_not() {
        assert_eq!(
            nearest("expct", ["name", "expect", "steps"]),
            Some("expect")
        );
        assert_eq!(nearest("zzzzzz", ["name", "expect"]), None);
        assert_eq!(nearest("ab", ["id"]), None);
    }

    #[test]
    fn serde_field_messages_become_key_messages() {
        assert_eq!(
            serde_key_problem("unknown field `expct`, expected one of `name`, `expect`").as_deref(),
            Some("unknown key `expct`; did you mean `expect`?")
        );
        assert_eq!(
            serde_key_problem("missing field `project_id`").as_deref(),
            Some("missing key `project_id`")
        );
        assert_eq!(serde_key_problem("invalid type: string \"s3cret\""), None);
    }
}
