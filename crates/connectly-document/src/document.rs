//! Parsing YAML or JSON text into a [`serde_json::Value`] while remembering where every value
//! stands, so that an error found by JSON pointer can be reported at a file, line and column.
//!
//! The reader drives yaml-rust2's event parser in a loop (its own loader recurses once per
//! nesting level) and refuses, at the place it stands, what it cannot read faithfully or
//! cheaply: nesting deeper than [`MAX_DEPTH`](crate::MAX_DEPTH), anchors and aliases that copy more than
//! [`MAX_ALIAS_BYTES`](crate::MAX_ALIAS_BYTES), a second document, a tag outside YAML 1.2's core schema, and numbers
//! JSON cannot hold (`.nan`, `.inf`, `1e400`, integers beyond 64 bits).

use serde_json::Value;
use yaml_rust2::parser::{Event, Parser};

use crate::builder::Builder;
use crate::caps::too_deep;
use crate::json::{json_surrogate_pairs, skip_bom};
use crate::locate::{Children, Node};
use crate::position::position;
use crate::{ParseError, Position};

/// A parsed YAML or JSON document (JSON is read as the YAML 1.2 subset it is), with the
/// position of every value and of every mapping key.
///
/// ```
/// let doc = connectly_document::Document::parse("webhooks:\n  - topic: messages\n").unwrap();
/// assert_eq!(doc.value()["webhooks"][0]["topic"], "messages");
/// let at = doc.position("/webhooks/0/topic").unwrap();
/// assert_eq!((at.line, at.column), (2, 12));
/// ```
///
/// Hostile input costs little and is refused where it stands:
///
/// ```
/// let err = connectly_document::Document::parse("a: 1\n---\nb: 2\n").unwrap_err();
/// assert_eq!(err.position.line, 2);
/// assert!(err.message.contains("more than one document"));
/// ```
#[derive(Debug, Clone)]
pub struct Document {
    pub(crate) value: Value,
    pub(crate) root: Node,
}

impl Document {
    /// Parses one YAML (or JSON) document. Anchors and aliases are expanded (within
    /// [`MAX_ALIAS_BYTES`](crate::MAX_ALIAS_BYTES)); mapping keys must be scalars and unique; plain scalars are resolved
    /// with the YAML 1.2 core schema, whose tags (`!!str`, `!!int`, `!!float`, `!!bool`,
    /// `!!null`, `!!seq`, `!!map`) are honoured and any other tag is an error.
    ///
    /// A byte order mark at the start is skipped (columns count from after it, as editors
    /// show them). JSON's escaped surrogate pairs (`"\ud83d\ude00"`, as Python's `json.dumps`
    /// writes 😀) are read as the one character they spell, positions unchanged.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let text = skip_bom(text);
        let Some((rewritten, shifts)) = json_surrogate_pairs(text) else {
            return Self::parse_yaml(text);
        };
        match Self::parse_yaml(&rewritten) {
            Ok(mut document) => {
                shifts.restore_node(&mut document.root);
                Ok(document)
            }
            Err(mut error) => {
                error.position = shifts.restore(error.position);
                Err(error)
            }
        }
    }

    fn parse_yaml(text: &str) -> Result<Self, ParseError> {
        let mut parser = Parser::new_from_str(text);
        let mut builder = Builder::default();
        let mut documents = 0;
        loop {
            let (event, mark) = parser.next_token().map_err(|e| {
                let at = position(e.marker());
                match indenting_tab(text, at.line) {
                    // The scanner notices a tab later than where it stands, or names something
                    // else: say what and where it is.
                    Some(tab) => ParseError {
                        position: tab,
                        message: "a tab in the indentation: YAML indents with spaces only"
                            .to_owned(),
                    },
                    None => ParseError {
                        position: at,
                        message: match e.info() {
                            // The scanner's own cap on flow nesting (255), met while it looks
                            // ahead.
                            "recursion limit exceeded" => too_deep(),
                            info if info.contains("invalid Unicode character escape") => {
                                format!(
                                    "{info} (a `\\u` escape of a surrogate: YAML reads `\\u` \
                                     escapes one at a time, so write the character itself, or \
                                     `\\U0001F600` for one beyond U+FFFF)"
                                )
                            }
                            info => info.to_owned(),
                        },
                    },
                }
            })?;
            match event {
                Event::StreamEnd => break,
                Event::DocumentStart => {
                    documents += 1;
                    if documents > 1 {
                        return Err(ParseError {
                            position: position(&mark),
                            message: "more than one document (a second `---`): a file holds one \
                                      document; put the others in files of their own"
                                .to_owned(),
                        });
                    }
                }
                Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
                event => builder.on_event(event, mark)?,
            }
        }
        Ok(match builder.root {
            Some((value, root)) => Document { value, root },
            None => Document {
                value: Value::Null,
                root: Node {
                    at: Position::START,
                    children: Children::None,
                },
            },
        })
    }

    /// The document as JSON.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Takes the JSON value out.
    pub fn into_value(self) -> Value {
        self.value
    }
}

/// The first tab in the leading whitespace of a line with content (not a comment), up to the
/// line after `line` (the scanner reports such a tab on the line before, while it scans a
/// scalar): where a parse error caused by tab indentation really stands.
fn indenting_tab(text: &str, line: usize) -> Option<Position> {
    text.lines()
        .take(line + 1)
        .enumerate()
        .find_map(|(i, line)| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let rest = &line[indent..];
            let tab = line[..indent].find('\t')?;
            (!rest.is_empty() && !rest.starts_with('#')).then_some(Position {
                line: i + 1,
                column: tab + 1,
            })
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// The error of a text that must not parse.
    pub(crate) fn err(text: &str) -> ParseError {
        Document::parse(text).expect_err(text)
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_have_positions() {
        let e = err("a: 1\na: 2\n");
        assert_eq!(e.position.line, 2);
        assert!(e.message.contains("duplicate key"));
        let e = err("a: [1, 2\nb: 3\n");
        assert_eq!(e.position.line, 2, "{e}");
    }

    #[test]
    fn an_empty_or_comment_only_text_is_null() {
        for text in ["", "# nothing\n", "---\n"] {
            assert_eq!(Document::parse(text).unwrap().value(), &Value::Null);
        }
    }

    /// Issue 13, case 3.
    #[test]
    fn a_second_document_is_an_error() {
        let e = err("---\nwebhooks: []\n---\ngarbage: [\n");
        assert_eq!(e.position.line, 3, "{e}");
        assert!(e.message.contains("more than one document"), "{e}");
        let e = err("a: 1\n...\n---\nb: 2\n");
        assert!(e.message.contains("more than one document"), "{e}");
        assert!(Document::parse("---\na: 1\n...\n").is_ok());
    }

    /// Issue 16: a tab in the indentation is reported where it is.
    #[test]
    fn a_tab_in_the_indentation_is_reported_where_it_is() {
        for (text, at) in [
            (
                "webhooks:\n\t- topic: messages\n",
                Position { line: 2, column: 1 },
            ),
            (
                "webhooks:\n  - topic: messages\n  \t  address: https://x.example\n  - topic: d\n",
                Position { line: 3, column: 3 },
            ),
            ("a:\n  b: 1\n\tc: 2\n", Position { line: 3, column: 1 }),
        ] {
            let e = err(text);
            assert_eq!(
                (e.position, e.message.as_str()),
                (
                    at,
                    "a tab in the indentation: YAML indents with spaces only"
                ),
                "{text:?}"
            );
        }
        // Tabs elsewhere are fine: inside a scalar, in a block scalar, in a comment's indentation.
        let doc = Document::parse("a: x\tz\n\t# note\nb: |\n  \tt\n").unwrap();
        assert_eq!(doc.value(), &json!({"a": "x\tz", "b": "\tt\n"}));
    }
}
