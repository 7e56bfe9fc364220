//! Building the JSON value and its tree of positions from yaml-rust2's events, in a loop
//! rather than by recursion, within the caps.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::Event;
use yaml_rust2::scanner::Marker;

use crate::caps::{too_deep, AliasBudget};
use crate::core_schema::{collection_tag, scalar};
use crate::locate::{Children, Node};
use crate::position::position;
use crate::{ParseError, Position, MAX_DEPTH};

enum Container {
    Seq(Vec<Value>, Vec<Node>),
    Map {
        map: Map<String, Value>,
        nodes: Vec<(Box<str>, Position, Node)>,
        /// The key whose value comes next, and where it stands.
        key: Option<(String, Position)>,
    },
}

/// A sequence or mapping being read.
struct Frame {
    container: Container,
    at: Position,
    anchor: usize,
    /// Its size as compact JSON so far.
    bytes: usize,
}

#[derive(Default)]
pub(crate) struct Builder {
    stack: Vec<Frame>,
    pub(crate) root: Option<(Value, Node)>,
    /// Each anchored value and its size as compact JSON.
    anchors: HashMap<usize, (Value, usize)>,
    /// What anchors and aliases have copied so far.
    aliases: AliasBudget,
}

impl Builder {
    pub(crate) fn on_event(&mut self, event: Event, mark: Marker) -> Result<(), ParseError> {
        let fail = |message: String| ParseError {
            position: position(&mark),
            message,
        };
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(text, style, tag.as_ref()).map_err(fail)?;
                let bytes = json_size(&value);
                self.add(value, bytes, anchor, mark)
            }
            Event::Alias(id) => {
                let Some(&(_, bytes)) = self.anchors.get(&id) else {
                    return Err(fail("an alias to an unknown anchor".to_owned()));
                };
                // Counted before the copy is made.
                self.aliases.copy(bytes, position(&mark))?;
                let value = self.anchors[&id].0.clone();
                self.add(value, bytes, 0, mark)
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                collection_tag(tag.as_ref(), is_seq).map_err(fail)?;
                if self.expects_key() {
                    return Err(fail("a mapping key must be a scalar".to_owned()));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(fail(too_deep()));
                }
                let container = if is_seq {
                    Container::Seq(Vec::new(), Vec::new())
                } else {
                    Container::Map {
                        map: Map::new(),
                        nodes: Vec::new(),
                        key: None,
                    }
                };
                self.stack.push(Frame {
                    container,
                    at: position(&mark),
                    anchor,
                    bytes: 2,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(fail("unexpected end of a collection".to_owned()));
                };
                let (value, children) = match frame.container {
                    Container::Seq(items, mut nodes) => {
                        nodes.shrink_to_fit();
                        (Value::Array(items), Children::Seq(nodes))
                    }
                    Container::Map { map, mut nodes, .. } => {
                        nodes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                        nodes.shrink_to_fit();
                        (Value::Object(map), Children::Map(nodes))
                    }
                };
                let node = Node {
                    at: frame.at,
                    children,
                };
                self.place(value, node, frame.bytes, frame.anchor, mark)
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => Ok(()),
        }
    }

    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                container: Container::Map { key: None, .. },
                ..
            })
        )
    }

    /// A scalar or an alias: a mapping key when one is expected, else a value.
    fn add(
        &mut self,
        value: Value,
        bytes: usize,
        anchor: usize,
        mark: Marker,
    ) -> Result<(), ParseError> {
        if self.expects_key() {
            let name = match value {
                Value::String(s) => s,
                Value::Null => "null".to_owned(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(ParseError {
                        position: position(&mark),
                        message: "a mapping key must be a scalar".to_owned(),
                    })
                }
                other => other.to_string(),
            };
            if anchor > 0 {
                self.aliases.copy(bytes, position(&mark))?;
                self.anchors
                    .insert(anchor, (Value::String(name.clone()), bytes));
            }
            let Some(frame) = self.stack.last_mut() else {
                unreachable!("a key is expected only inside a mapping")
            };
            let Container::Map { map, key, .. } = &mut frame.container else {
                unreachable!("a key is expected only inside a mapping")
            };
            if map.contains_key(&name) {
                return Err(ParseError {
                    position: position(&mark),
                    message: format!("duplicate key {name:?}"),
                });
            }
            let at = position(&mark);
            if map.is_empty() {
                // A block mapping is reported where its first key stands.
                frame.at = frame.at.min(at);
            }
            frame.bytes += name.len() + 3;
            *key = Some((name, at));
            return Ok(());
        }
        let node = Node {
            at: position(&mark),
            children: Children::None,
        };
        self.place(value, node, bytes, anchor, mark)
    }

    /// Places a finished value into its parent.
    fn place(
        &mut self,
        value: Value,
        node: Node,
        bytes: usize,
        anchor: usize,
        mark: Marker,
    ) -> Result<(), ParseError> {
        if anchor > 0 {
            self.aliases.copy(bytes, position(&mark))?;
            self.anchors.insert(anchor, (value.clone(), bytes));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some((value, node));
            return Ok(());
        };
        frame.bytes = frame.bytes.saturating_add(bytes + 1);
        match &mut frame.container {
            Container::Seq(items, nodes) => {
                items.push(value);
                nodes.push(node);
            }
            Container::Map { map, nodes, key } => {
                let (name, at) = key.take().expect("a value follows its key");
                map.insert(name.clone(), value);
                nodes.push((name.into_boxed_str(), at, node));
            }
        }
        Ok(())
    }
}

/// The size of a scalar as compact JSON (close enough for strings with escapes).
fn json_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 2,
        Value::Null => 4,
        Value::Bool(_) => 5,
        other => other.to_string().len(),
    }
}

#[cfg(test)]
mod tests {
    use crate::document::tests::err;

    #[test]
    fn mapping_keys_must_be_scalars() {
        assert!(err("? [a]\n: 1\n").message.contains("must be a scalar"));
        assert!(err("a: &l [1]\n*l : 2\n")
            .message
            .contains("must be a scalar"));
    }
}
