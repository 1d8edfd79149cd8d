//! Maps a JSON pointer in a case file's text to a line and column, so errors found after
//! parsing (an unknown operation, a bad variable) point at the exact spot in the file.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The position of the value at `pointer` (or of its nearest existing ancestor).
pub fn locate(text: &str, pointer: &str) -> Position {
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::Off,
        tokens: false,
    };
    let offset = jsonc_parser::parse_to_ast(text, &collect, &ParseOptions::default())
        .ok()
        .and_then(|parsed| parsed.value)
        .map_or(0, |root| offset_of(&root, pointer));
    position_of(text, offset)
}

fn offset_of(root: &Value, pointer: &str) -> usize {
    let mut node = root;
    for token in crate::json_pointer::tokens(pointer) {
        let next = match node {
            Value::Object(object) => object
                .properties
                .iter()
                .find(|p| prop_name(&p.name) == token)
                .map(|p| &p.value),
            Value::Array(array) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| array.elements.get(i)),
            _ => None,
        };
        match next {
            Some(child) => node = child,
            None => break,
        }
    }
    node.start()
}

fn prop_name(name: &ObjectPropName) -> String {
    match name {
        ObjectPropName::String(s) => s.value.to_string(),
        ObjectPropName::Word(w) => w.value.to_string(),
    }
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line,
        column: before[line_start..].chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"suite\": \"s\",\n  \"cases\": [\n    {\"name\": \"a\", \"steps\": [{\"operation\": \"X\"}]}\n  ]\n}\n";

    #[test]
    fn finds_nested_values() {
        assert_eq!(
            locate(TEXT, "/suite"),
            Position {
                line: 2,
                column: 12
            }
        );
        assert_eq!(
            locate(TEXT, "/cases/0/steps/0/operation"),
            Position {
                line: 4,
                column: 43
            }
        );
    }

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        assert_eq!(
            locate(TEXT, "/cases/0/nothing"),
            Position { line: 4, column: 5 }
        );
        assert_eq!(locate("not json", "/x"), Position { line: 1, column: 1 });
    }
}
