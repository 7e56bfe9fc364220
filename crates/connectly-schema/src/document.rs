//! Parsing YAML or JSON text into a [`serde_json::Value`] while remembering where every value
//! stands, so that an error found by JSON pointer can be reported at a file, line and column.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

/// A position in a source text; both numbers start at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the parser stopped.
    pub position: Position,
    /// What it found wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A parsed YAML or JSON document (JSON is read as the YAML 1.2 subset it is), with the
/// position of every value and of every mapping key.
///
/// ```
/// let doc = connectly_schema::Document::parse("webhooks:\n  - topic: messages\n").unwrap();
/// assert_eq!(doc.value()["webhooks"][0]["topic"], "messages");
/// let at = doc.position("/webhooks/0/topic").unwrap();
/// assert_eq!((at.line, at.column), (2, 12));
/// ```
#[derive(Debug, Clone)]
pub struct Document {
    value: Value,
    values: HashMap<String, Position>,
    keys: HashMap<String, Position>,
}

impl Document {
    /// Parses one YAML (or JSON) document. Anchors and aliases are expanded; mapping keys must
    /// be scalars and unique.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        parser.load(&mut builder, false).map_err(|e| ParseError {
            position: position(e.marker()),
            message: e.info().to_owned(),
        })?;
        if let Some(error) = builder.error {
            return Err(error);
        }
        Ok(Document {
            value: builder.root.unwrap_or(Value::Null),
            values: builder.values,
            keys: builder.keys,
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

    /// Where the value at `pointer` (RFC 6901, `""` for the root) starts.
    pub fn position(&self, pointer: &str) -> Option<Position> {
        self.values.get(pointer).copied()
    }

    /// Where the mapping key of the value at `pointer` stands (the value's own position for
    /// array items and the root).
    pub fn key_position(&self, pointer: &str) -> Option<Position> {
        self.keys
            .get(pointer)
            .or_else(|| self.values.get(pointer))
            .copied()
    }

    /// The position of `pointer`, or of its nearest ancestor that exists (for a missing key,
    /// the object that should hold it).
    pub fn nearest_position(&self, pointer: &str) -> Position {
        let mut p = pointer;
        loop {
            if let Some(at) = self.position(p) {
                return at;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return Position { line: 1, column: 1 },
            }
        }
    }
}

fn position(marker: &Marker) -> Position {
    Position {
        line: marker.line(),
        column: marker.col() + 1,
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

enum Frame {
    Seq(Vec<Value>, String),
    Map {
        map: Map<String, Value>,
        pointer: String,
        key: Option<String>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<usize, Value>,
    /// Anchor id of each open container, to record it when the container closes.
    open_anchors: Vec<usize>,
    values: HashMap<String, Position>,
    keys: HashMap<String, Position>,
    error: Option<ParseError>,
}

impl Builder {
    /// The pointer of the value that starts now, or `None` when a mapping key is expected.
    fn next_pointer(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq(items, pointer)) => Some(format!("{pointer}/{}", items.len())),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map {
                pointer,
                key: Some(key),
                ..
            }) => Some(format!("{pointer}/{}", escape_pointer_token(key))),
        }
    }

    fn fail(&mut self, mark: Marker, message: String) {
        if self.error.is_none() {
            self.error = Some(ParseError {
                position: position(&mark),
                message,
            });
        }
    }

    /// Places a finished value into its parent.
    fn push(&mut self, value: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map { map, key, .. }) => {
                if let Some(key) = key.take() {
                    map.insert(key, value);
                }
            }
        }
    }

    /// A scalar in key position: returns true when it was consumed as a key.
    fn take_key(&mut self, value: &Value, mark: Marker) -> bool {
        let Some(Frame::Map { map, pointer, key }) = self.stack.last_mut() else {
            return false;
        };
        if key.is_some() {
            return false;
        }
        let name = match value {
            Value::String(s) => s.clone(),
            Value::Null => "null".to_owned(),
            other => other.to_string(),
        };
        if map.contains_key(&name) {
            let message = format!("duplicate key {name:?}");
            self.fail(mark, message);
            return true;
        }
        let child = format!("{pointer}/{}", escape_pointer_token(&name));
        let at = position(&mark);
        if map.is_empty() {
            // A block mapping is reported where its first key stands.
            let container = self.values.entry(pointer.clone()).or_insert(at);
            *container = (*container).min(at);
        }
        *key = Some(name);
        self.keys.insert(child, at);
        true
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let value = if style == TScalarStyle::Plain {
                    plain_scalar(&text)
                } else {
                    Value::String(text)
                };
                if self.take_key(&value, mark) {
                    return;
                }
                if let Some(pointer) = self.next_pointer() {
                    self.values.insert(pointer, position(&mark));
                }
                self.push(value, anchor);
            }
            Event::Alias(id) => {
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                if self.take_key(&value, mark) {
                    return;
                }
                if let Some(pointer) = self.next_pointer() {
                    self.values.insert(pointer, position(&mark));
                }
                self.push(value, 0);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let Some(pointer) = self.next_pointer() else {
                    self.fail(mark, "a mapping key must be a scalar".to_owned());
                    return;
                };
                self.values.insert(pointer.clone(), position(&mark));
                self.open_anchors.push(anchor);
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq(Vec::new(), pointer)
                    } else {
                        Frame::Map {
                            map: Map::new(),
                            pointer,
                            key: None,
                        }
                    });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let anchor = self.open_anchors.pop().unwrap_or(0);
                let value = match self.stack.pop() {
                    Some(Frame::Seq(items, _)) => Value::Array(items),
                    Some(Frame::Map { map, .. }) => Value::Object(map),
                    None => return,
                };
                self.push(value, anchor);
            }
            _ => {}
        }
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn plain_scalar(text: &str) -> Value {
    match Yaml::from_str(text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::Number(i.into()),
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(text.to_owned()), Value::Number),
        _ => Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_values_and_positions() {
        let text = "a: 1\nb:\n  - x\n  - 'true'\n  - true\nc: {d: ~, e: 2.5}\n";
        let doc = Document::parse(text).unwrap();
        assert_eq!(
            doc.value(),
            &json!({"a": 1, "b": ["x", "true", true], "c": {"d": null, "e": 2.5}})
        );
        assert_eq!(doc.position("/b/1"), Some(Position { line: 4, column: 5 }));
        assert_eq!(
            doc.key_position("/c"),
            Some(Position { line: 6, column: 1 })
        );
        assert_eq!(
            doc.position("/c/e"),
            Some(Position {
                line: 6,
                column: 14
            })
        );
        assert_eq!(
            doc.nearest_position("/c/missing"),
            doc.position("/c").unwrap()
        );
    }

    #[test]
    fn json_is_read_with_positions() {
        let doc = Document::parse("{\n  \"w\": [\n    {\"t\": \"m\"}\n  ]\n}").unwrap();
        assert_eq!(doc.value(), &json!({"w": [{"t": "m"}]}));
        assert_eq!(doc.position("/w/0/t").map(|p| p.line), Some(3));
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let doc = Document::parse("\"a/b\": {\"c~d\": 1}").unwrap();
        assert!(doc.position("/a~1b/c~0d").is_some());
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_have_positions() {
        let err = Document::parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.position.line, 2);
        assert!(err.message.contains("duplicate key"));
        let err = Document::parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.position.line >= 1, "{err}");
    }

    #[test]
    fn anchors_are_expanded() {
        let doc = Document::parse("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(doc.value()["b"], json!({"k": 1}));
    }
}
