//! "Did you mean ...?" for names a person typed: the nearest candidate within a small
//! edit distance (strsim's Levenshtein), also added to serde's unknown-field messages.

/// The candidate nearest to `word`, if one is within edit distance 2 (1 for a word of
/// up to four characters).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Two edits in a short word make another word (`code` -> `body`): one at most there.
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
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

/// serde's "unknown field `expct`, expected one of `name`, `expect`" with "; did you mean
/// `expect`?" added, and "missing field `x`" as it is; `None` for any other message (which
/// could quote a value). Only key names are quoted, never values.
pub fn serde_key_problem(message: &str) -> Option<String> {
    // serde_json's Display ends in " at line L column C": the caller says where.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head);
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    if message.starts_with("unknown field ") {
        let (key, expected) = quoted.split_first()?;
        return Some(format!(
            "{message}{}",
            did_you_mean(key, expected.iter().copied())
        ));
    }
    if message.starts_with("missing field ") && !quoted.is_empty() {
        return Some(message.to_string());
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
        assert_eq!(nearest("code", ["status", "body", "headers"]), None);
    }

    #[test]
    fn serde_field_messages_become_key_messages() {
        assert_eq!(
            serde_key_problem("unknown field `expct`, expected one of `name`, `expect`").as_deref(),
            Some("unknown field `expct`, expected one of `name`, `expect`; did you mean `expect`?")
        );
        assert_eq!(
            serde_key_problem("missing field `project_id`").as_deref(),
            Some("missing field `project_id`")
        );
        assert_eq!(serde_key_problem("invalid type: string \"s3cret\""), None);
    }
}
