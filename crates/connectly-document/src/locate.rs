//! Where each value of a [`Document`] stands: the tree of positions, and finding a JSON
//! pointer's place in it (or its nearest ancestor's).

use crate::{unescape_pointer_token, Document, Position};

/// Where a value stands, and where its children stand. Positions of the values an alias
/// copies are not kept: they are reported at the alias.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) at: Position,
    pub(crate) children: Children,
}

#[derive(Debug, Clone)]
pub(crate) enum Children {
    None,
    Seq(Vec<Node>),
    /// Each key with the position of the key and the value's node, sorted by key (a sorted
    /// vector costs a fraction of a hash map per mapping).
    Map(Vec<(Box<str>, Position, Node)>),
}

impl Document {
    /// Where the value at `pointer` (RFC 6901, `""` for the root) starts.
    pub fn position(&self, pointer: &str) -> Option<Position> {
        match self.walk(pointer) {
            (node, _, true) => Some(node.at),
            _ => None,
        }
    }

    /// Where the mapping key of the value at `pointer` stands (the value's own position for
    /// array items and the root).
    pub fn key_position(&self, pointer: &str) -> Option<Position> {
        match self.walk(pointer) {
            (_, key, true) => Some(key),
            _ => None,
        }
    }

    /// The position of `pointer`, or of its nearest ancestor that exists (for a missing key,
    /// the object that should hold it; inside what an alias copied, the alias).
    pub fn nearest_position(&self, pointer: &str) -> Position {
        self.walk(pointer).0.at
    }

    /// Where to report an error about `pointer`: at its key when `at_key` (an unknown key),
    /// else at its value; at the nearest ancestor when neither exists.
    pub fn locate(&self, pointer: &str, at_key: bool) -> Position {
        match self.walk(pointer) {
            (_, key, true) if at_key => key,
            (node, _, _) => node.at,
        }
    }

    /// The deepest node on the way to `pointer`, the position of its key (or its own), and
    /// whether it is the node of `pointer` itself.
    fn walk(&self, pointer: &str) -> (&Node, Position, bool) {
        let mut node = &self.root;
        let mut key = node.at;
        if pointer.is_empty() {
            return (node, key, true);
        }
        let Some(rest) = pointer.strip_prefix('/') else {
            return (node, key, false);
        };
        for token in rest.split('/') {
            let token = unescape_pointer_token(token);
            let next = match &node.children {
                Children::Seq(items) => token
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|n| (n.at, n)),
                Children::Map(entries) => entries
                    .binary_search_by(|(k, _, _)| k.as_ref().cmp(token.as_ref()))
                    .ok()
                    .map(|i| (entries[i].1, &entries[i].2)),
                Children::None => None,
            };
            match next {
                Some((k, n)) => (key, node) = (k, n),
                None => return (node, key, false),
            }
        }
        (node, key, true)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Document, Position};
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
        assert_eq!(doc.position("/c/missing"), None);
        assert_eq!(
            doc.nearest_position("/c/missing"),
            doc.position("/c").unwrap()
        );
        assert_eq!(doc.locate("/c", true), Position { line: 6, column: 1 });
        assert_eq!(doc.locate("/c", false), doc.position("/c").unwrap());
    }

    #[test]
    fn json_is_read_with_positions() {
        let doc = Document::parse("{\n  \"w\": [\n    {\"t\": \"m\"}\n  ]\n}").unwrap();
        assert_eq!(doc.value(), &json!({"w": [{"t": "m"}]}));
        assert_eq!(
            doc.position("/w/0/t"),
            Some(Position {
                line: 3,
                column: 11
            })
        );
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let doc = Document::parse("\"a/b\": {\"c~d\": 1}").unwrap();
        assert_eq!(
            doc.position("/a~1b/c~0d"),
            Some(Position {
                line: 1,
                column: 16
            })
        );
    }

    #[test]
    fn anchors_are_expanded_and_located_at_the_alias() {
        let doc = Document::parse("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(doc.value()["b"], json!({"k": 1}));
        assert_eq!(
            doc.nearest_position("/b/k"),
            Position { line: 2, column: 4 }
        );
    }
}
