//! Parsing YAML or JSON text into a [`serde_json::Value`] while remembering where every value
//! stands, so that an error found by JSON pointer can be reported at a file, line and column.
//!
//! The reader drives yaml-rust2's event parser in a loop (its own loader recurses once per
//! nesting level) and refuses, at the place it stands, what it cannot read faithfully or
//! cheaply: nesting deeper than [`MAX_DEPTH`], anchors and aliases that copy more than
//! [`MAX_ALIAS_BYTES`], a second document, a tag outside YAML 1.2's core schema, and numbers
//! JSON cannot hold (`.nan`, `.inf`, `1e400`, integers beyond 64 bits).

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The deepest nesting of sequences and mappings a document may have. Config files nest about
/// 5 levels and the OpenAPI document about 17; 64 keeps every later recursive step (validation,
/// deserialising, dropping) far from the stack's end, and stays below `serde_json`'s own 128.
pub const MAX_DEPTH: usize = 64;

/// The most bytes that anchors and aliases may copy in one document, counted as compact JSON
/// (the anchored value once when it is defined, then once per alias). A config that shares a
/// `configuration:` block with `&`/`*` copies a few hundred bytes; an alias bomb (each level
/// ten aliases of the one before) or a long anchored string reused many times is refused at
/// the alias that crosses the limit instead of growing to gigabytes.
pub const MAX_ALIAS_BYTES: usize = 1024 * 1024;

/// The YAML core schema's tag prefix (`!!` unless a `%TAG` directive changes it).
const CORE_TAG: &str = "tag:yaml.org,2002:";

/// A position in a source text; both numbers start at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

impl Position {
    /// Line 1, column 1.
    pub const START: Position = Position { line: 1, column: 1 };
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the reader stopped.
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
    value: Value,
    root: Node,
}

/// Where a value stands, and where its children stand. Positions of the values an alias
/// copies are not kept: they are reported at the alias.
#[derive(Debug, Clone)]
struct Node {
    at: Position,
    children: Children,
}

#[derive(Debug, Clone)]
enum Children {
    None,
    Seq(Vec<Node>),
    /// Each key with the position of the key and the value's node, sorted by key (a sorted
    /// vector costs a fraction of a hash map per mapping).
    Map(Vec<(Box<str>, Position, Node)>),
}

impl Document {
    /// Parses one YAML (or JSON) document. Anchors and aliases are expanded (within
    /// [`MAX_ALIAS_BYTES`]); mapping keys must be scalars and unique; plain scalars are resolved
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

/// `text` without the byte order mark it may start with: a BOM marks the encoding, it is not
/// part of the first line (editors do not show it, so columns count from after it).
///
/// ```
/// assert_eq!(connectly_document::skip_bom("\u{feff}{\"a\": 1}"), "{\"a\": 1}");
/// assert_eq!(connectly_document::skip_bom("a: \u{feff}"), "a: \u{feff}");
/// ```
pub fn skip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// How [`json_surrogate_pairs`] moved the columns: each pair rewritten shortens its line by 2
/// characters from the column after it, recorded as `(line, that column)` in the order of the
/// text (so sorted).
#[derive(Debug, Default)]
struct Shifts(Vec<(usize, usize)>);

impl Shifts {
    /// The original position of a position in the rewritten text (a token's, never one inside
    /// an escape), in logarithmic time: a text full of pairs costs no more per position.
    fn restore(&self, at: Position) -> Position {
        let up_to = |column| self.0.partition_point(|&shift| shift <= (at.line, column));
        let before = up_to(at.column) - up_to(0);
        Position {
            column: at.column + 2 * before,
            ..at
        }
    }

    /// [`restore`](Self::restore) for every position of a tree (at most [`MAX_DEPTH`] deep).
    fn restore_node(&self, node: &mut Node) {
        node.at = self.restore(node.at);
        match &mut node.children {
            Children::None => {}
            Children::Seq(items) => items.iter_mut().for_each(|n| self.restore_node(n)),
            Children::Map(entries) => {
                for (_, key, n) in entries {
                    *key = self.restore(*key);
                    self.restore_node(n);
                }
            }
        }
    }
}

/// For a JSON text with escaped surrogate pairs (`\ud83d\ude00`), which YAML's scanner refuses
/// (it reads `\u` escapes one at a time): the text with each pair written as the one YAML
/// escape of the same character (`\U0001F600`), and where that moved the columns. `None` when
/// there is nothing to rewrite or the text is not JSON: only in JSON does a lexer this simple
/// know where the strings are (in YAML, `\ud83d` is also text in a plain scalar or a comment).
fn json_surrogate_pairs(text: &str) -> Option<(String, Shifts)> {
    let candidate = text
        .match_indices("\\u")
        .any(|(i, _)| surrogate_pair(&text[i..]).is_some());
    if !candidate || serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut shifts = Shifts::default();
    let (mut line, mut column, mut in_string) = (1, 1, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string && c == '\\' {
            // The text is JSON: an escape is `\` and one ASCII character (a `\u`'s four hex
            // digits are then copied as they come), so an escaped quote never ends the string.
            let (written, taken) = match surrogate_pair(rest) {
                Some(pair) => (format!("\\U{:08X}", u32::from(pair)), 12),
                None => (rest[..2].to_owned(), 2),
            };
            column += written.len();
            if written.len() != taken {
                shifts.0.push((line, column));
            }
            out.push_str(&written);
            rest = &rest[taken..];
            continue;
        }
        match c {
            '"' => in_string = !in_string,
            '\n' => (line, column) = (line + 1, 0),
            _ => {}
        }
        column += 1;
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Some((out, shifts))
}

/// The character of the escaped surrogate pair `escape` starts with (`\ud83d\ude00`), if it
/// starts with one.
fn surrogate_pair(escape: &str) -> Option<char> {
    let hex = |at: usize| {
        let digits = escape.get(at..)?.strip_prefix("\\u")?.get(..4)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(digits, 16).ok())?
    };
    let (high, low) = (hex(0)?, hex(6)?);
    if !((0xd800..0xdc00).contains(&high) && (0xdc00..0xe000).contains(&low)) {
        return None;
    }
    char::from_u32(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00))
}

fn too_deep() -> String {
    format!("nesting deeper than {MAX_DEPTH} levels: this reader stops there (a config file nests about 5)")
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

fn unescape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

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
struct Builder {
    stack: Vec<Frame>,
    root: Option<(Value, Node)>,
    /// Each anchored value and its size as compact JSON.
    anchors: HashMap<usize, (Value, usize)>,
    /// What anchors and aliases have copied so far (see [`MAX_ALIAS_BYTES`]).
    copied: usize,
}

impl Builder {
    fn on_event(&mut self, event: Event, mark: Marker) -> Result<(), ParseError> {
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
                self.copy(bytes, mark)?;
                let value = self.anchors[&id].0.clone();
                self.add(value, bytes, 0, mark)
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                let want = if is_seq { "seq" } else { "map" };
                if let Some(tag) = tag {
                    if !(tag.handle == CORE_TAG && tag.suffix == want || is_non_specific(tag)) {
                        return Err(fail(format!(
                            "the tag `{}` is not allowed on a {}: only `!!{want}`",
                            show_tag(tag),
                            if is_seq { "sequence" } else { "mapping" },
                        )));
                    }
                }
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

    /// Counts `bytes` copied by an anchor or an alias against [`MAX_ALIAS_BYTES`].
    fn copy(&mut self, bytes: usize, mark: Marker) -> Result<(), ParseError> {
        self.copied = self.copied.saturating_add(bytes);
        if self.copied > MAX_ALIAS_BYTES {
            return Err(ParseError {
                position: position(&mark),
                message: format!(
                    "anchors and aliases expand to more than {} KiB here: this reader refuses \
                     larger expansions (an alias bomb); write the values out instead",
                    MAX_ALIAS_BYTES / 1024
                ),
            });
        }
        Ok(())
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
                self.copy(bytes, mark)?;
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
            self.copy(bytes, mark)?;
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

fn is_non_specific(tag: &Tag) -> bool {
    tag.handle.is_empty() && tag.suffix == "!"
}

fn show_tag(tag: &Tag) -> String {
    if tag.handle == CORE_TAG {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// Resolves a scalar: plain ones with the YAML 1.2 core schema, quoted and block ones as
/// strings, tagged ones as their core-schema tag says.
fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let core = match tag {
        None if style == TScalarStyle::Plain => return plain_scalar(&text),
        None => return Ok(Value::String(text)),
        Some(tag) if is_non_specific(tag) => return Ok(Value::String(text)),
        Some(tag) if tag.handle == CORE_TAG => tag.suffix.as_str(),
        Some(tag) => {
            return Err(format!(
                "unsupported tag `{}`: only the YAML core schema's !!str, !!int, !!float, \
                 !!bool, !!null, !!seq and !!map are read",
                show_tag(tag)
            ))
        }
    };
    let resolved = plain_scalar(&text);
    let wrong = |what: &str| format!("{text:?} is not {what}, as its tag `!!{core}` requires");
    match core {
        "str" => Ok(Value::String(text)),
        "null" => match resolved {
            Ok(Value::Null) => Ok(Value::Null),
            _ => Err(wrong("null")),
        },
        "bool" => match resolved {
            Ok(Value::Bool(b)) => Ok(Value::Bool(b)),
            _ => Err(wrong("a boolean")),
        },
        "int" => match resolved {
            Ok(Value::Number(n)) if !n.is_f64() => Ok(Value::Number(n)),
            Err(e) if int_syntax(&text) => Err(e),
            _ => Err(wrong("an integer")),
        },
        "float" => match resolved {
            Ok(Value::Number(n)) => n
                .as_f64()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| wrong("a float")),
            Err(e) => Err(e),
            _ => Err(wrong("a float")),
        },
        other => Err(format!(
            "unsupported tag `!!{other}`: only the YAML core schema's !!str, !!int, !!float, \
             !!bool, !!null, !!seq and !!map are read"
        )),
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema. What JSON cannot hold faithfully is
/// an error: `.nan`, `.inf`, a float beyond `f64`, an integer beyond 64 bits.
fn plain_scalar(text: &str) -> Result<Value, String> {
    let quote = format!("quote it (\"{text}\") if you mean the string");
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".nan" | ".NaN" | ".NAN" => {
            return Err(format!(
                "`{text}` (not a number) cannot be held in JSON; {quote}"
            ))
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" => {
            return Err(format!(
                "`{text}` (infinity) cannot be held in JSON; {quote}"
            ))
        }
        _ => {}
    }
    let radix = |digits: &str, radix: u32| {
        u64::from_str_radix(digits, radix)
            .map(|n| Value::Number(n.into()))
            .map_err(|_| format!("the integer `{text}` does not fit in 64 bits; {quote}"))
    };
    if let Some(digits) = text.strip_prefix("0x") {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return radix(digits, 16);
        }
    }
    if let Some(digits) = text.strip_prefix("0o") {
        if !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return radix(digits, 8);
        }
    }
    if int_syntax(text) {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = text.trim_start_matches('+').parse::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(format!(
            "the integer `{text}` does not fit in 64 bits; {quote}"
        ));
    }
    if float_syntax(text) {
        let f: f64 = text
            .parse()
            .map_err(|_| format!("`{text}` is not a number; {quote}"))?;
        return Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            format!("`{text}` is beyond the range of a 64-bit float (JSON numbers here are finite); {quote}")
        });
    }
    Ok(Value::String(text.to_owned()))
}

/// `[-+]?[0-9]+`
fn int_syntax(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn float_syntax(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let int = digits(s);
    let mut i = int;
    let mut frac = 0;
    if s.get(i) == Some(&b'.') {
        frac = digits(&s[i + 1..]);
        i += 1 + frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp = digits(&s[i..]);
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(text: &str) -> ParseError {
        Document::parse(text).expect_err(text)
    }

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
    fn duplicate_keys_and_syntax_errors_have_positions() {
        let e = err("a: 1\na: 2\n");
        assert_eq!(e.position.line, 2);
        assert!(e.message.contains("duplicate key"));
        let e = err("a: [1, 2\nb: 3\n");
        assert_eq!(e.position.line, 2, "{e}");
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

    #[test]
    fn an_empty_or_comment_only_text_is_null() {
        for text in ["", "# nothing\n", "---\n"] {
            assert_eq!(Document::parse(text).unwrap().value(), &Value::Null);
        }
    }

    /// Issue 13, case 1: the ~420-byte billion laughs (ten levels, each ten aliases of the one
    /// before: 10^10 strings expanded).
    #[test]
    fn an_alias_bomb_is_refused_at_the_alias_that_crosses_the_cap() {
        let mut text = String::from("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
        let names = b"abcdefghij";
        for pair in names.windows(2) {
            let (prev, this) = (pair[0] as char, pair[1] as char);
            let items = vec![format!("*{prev}"); 10].join(",");
            text.push_str(&format!("{this}: &{this} [{items}]\n"));
        }
        assert!(text.len() <= 420, "{}", text.len());
        let e = err(&text);
        assert!(e.message.contains("1024 KiB"), "{e}");
        // Level d copies 10^4 strings (~60 kB with its anchor); level e's aliases cross 1 MiB.
        assert_eq!(e.position.line, 5, "{e}");
    }

    /// Issue 13, case 1: one long anchored string reused as a key many times.
    #[test]
    fn a_long_anchored_string_reused_as_a_key_is_refused() {
        let mut text = format!("- &k {}\n", "k".repeat(200_000));
        for _ in 0..1_500 {
            text.push_str("- *k : 1\n");
        }
        let e = err(&text);
        assert!(e.message.contains("anchors and aliases expand"), "{e}");
        // The anchor (200 kB) and four aliases fit; the fifth crosses 1 MiB.
        assert_eq!(e.position, Position { line: 6, column: 3 }, "{e}");
    }

    #[test]
    fn a_shared_block_within_the_cap_is_read() {
        let doc = Document::parse("base: &b {echo: true}\nx: *b\ny: *b\n").unwrap();
        assert_eq!(doc.value()["y"], json!({"echo": true}));
    }

    /// Issue 13, case 2, in block and flow style and mixed.
    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        for (text, line) in [
            (format!("{}x", "- ".repeat(5_000)), 1),
            (format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)), 1),
            (
                (0..5_000)
                    .map(|i| format!("{}k:\n", " ".repeat(i)))
                    .collect(),
                65,
            ),
        ] {
            let e = err(&text);
            assert!(e.message.contains("nesting deeper than 64"), "{e}");
            assert_eq!(e.position.line, line, "{e}");
        }
        let ok = format!("{}x", "- ".repeat(MAX_DEPTH));
        assert!(Document::parse(&ok).is_ok());
        let deep = format!("{}x", "- ".repeat(MAX_DEPTH + 1));
        assert!(Document::parse(&deep).is_err());
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

    /// Issue 13, case 4: tags.
    #[test]
    fn core_schema_tags_are_honoured_and_others_refused() {
        let doc = Document::parse(
            "a: !!str true\nb: !!int \"12\"\nc: !!float 1\nd: !!bool \"false\"\ne: !!null ''\nf: ! 12\ng: !!seq [1]\nh: !!map {}\n",
        )
        .unwrap();
        assert_eq!(
            doc.value(),
            &json!({"a": "true", "b": 12, "c": 1.0, "d": false, "e": null, "f": "12", "g": [1], "h": {}})
        );
        for (text, needle) in [
            ("a: !custom x\n", "unsupported tag `!custom`"),
            ("a: !!binary aGVsbG8=\n", "unsupported tag `!!binary`"),
            ("a: !!timestamp 2001-12-14\n", "unsupported tag"),
            ("a: !!int twelve\n", "is not an integer"),
            ("a: !!bool yes\n", "is not a boolean"),
            ("a: !!map [1]\n", "only `!!seq`"),
            ("a: !!set {x: null}\n", "only `!!map`"),
        ] {
            let e = err(text);
            assert!(e.message.contains(needle), "{text}: {e}");
            assert_eq!(e.position.line, 1, "{e}");
        }
    }

    /// Issue 13, case 4: special scalars.
    #[test]
    fn numbers_json_cannot_hold_are_refused() {
        for (text, needle) in [
            ("a: 1e400\n", "beyond the range"),
            ("a: -1e400\n", "beyond the range"),
            ("a: .nan\n", "not a number"),
            ("a: .inf\n", "infinity"),
            ("a: -.Inf\n", "infinity"),
            ("a: 123456789012345678901234\n", "does not fit in 64 bits"),
            ("a: 0xffffffffffffffffff\n", "does not fit in 64 bits"),
        ] {
            let e = err(text);
            assert!(e.message.contains(needle), "{text}: {e}");
            assert_eq!(e.position, Position { line: 1, column: 4 }, "{e}");
        }
        let doc = Document::parse(
            "a: 1e300\nb: '.nan'\nc: 18446744073709551615\nd: 0x1F\ne: 0o17\nf: .5\ng: -3\nh: 1_000\ni: NULL\nj: yes\n",
        )
        .unwrap();
        assert_eq!(
            doc.value(),
            &json!({"a": 1e300, "b": ".nan", "c": 18446744073709551615u64, "d": 31, "e": 15,
                    "f": 0.5, "g": -3, "h": "1_000", "i": null, "j": "yes"})
        );
    }

    #[test]
    fn mapping_keys_must_be_scalars() {
        assert!(err("? [a]\n: 1\n").message.contains("must be a scalar"));
        assert!(err("a: &l [1]\n*l : 2\n")
            .message
            .contains("must be a scalar"));
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

    /// Issue 33.7: what Python's `json.dumps` writes for a character beyond U+FFFF.
    #[test]
    fn json_surrogate_pair_escapes_are_read_with_positions_unchanged() {
        let text = r#"{"a": "\ud83d\ude00 and \uD83C\uDF89", "b": 1,
 "k\ud83d\ude00": ["\\ud83d", "\"\ud83d\ude00", 2]}"#;
        let doc = Document::parse(text).unwrap();
        assert_eq!(
            doc.value(),
            &json!({"a": "😀 and 🎉", "b": 1, "k😀": ["\\ud83d", "\"😀", 2]})
        );
        let at = |line, column| Some(Position { line, column });
        assert_eq!(doc.key_position("/b"), at(1, 40));
        assert_eq!(doc.position("/b"), at(1, 45));
        assert_eq!(doc.key_position("/k😀"), at(2, 2));
        assert_eq!(doc.position("/k😀"), at(2, 19));
        assert_eq!(doc.position("/k😀/1"), at(2, 31));
        assert_eq!(doc.position("/k😀/2"), at(2, 49));

        // An error after a pair is reported where it stands in the file.
        let e = err("{\"a\": \"\\ud83d\\ude00\", \"a\": 2}");
        assert_eq!(
            e.position,
            Position {
                line: 1,
                column: 23
            },
            "{e}"
        );
        assert!(e.message.contains("duplicate key"), "{e}");

        // A lone surrogate is no character: refused, saying what to write instead.
        let e = err(r#"{"a": "\ud800"}"#);
        assert!(
            e.message.contains("invalid Unicode character escape"),
            "{e}"
        );
        assert!(e.message.contains("write the character itself"), "{e}");
        // In YAML, the same letters outside a double-quoted string are text.
        let doc = Document::parse("a: \\ud83d\\ude00 # \"\\ud83d\\ude00\"\n").unwrap();
        assert_eq!(doc.value(), &json!({"a": "\\ud83d\\ude00"}));
    }

    /// Issue 33.7: a file saved with a byte order mark.
    #[test]
    fn a_byte_order_mark_is_skipped_and_columns_count_after_it() {
        let doc = Document::parse("\u{feff}businessId: b\nw: [1]\n").unwrap();
        assert_eq!(doc.value(), &json!({"businessId": "b", "w": [1]}));
        let at = |line, column| Some(Position { line, column });
        assert_eq!(doc.key_position("/businessId"), at(1, 1));
        assert_eq!(doc.position("/businessId"), at(1, 13));
        assert_eq!(doc.position("/w/0"), at(2, 5));
        let doc = Document::parse("\u{feff}{\"a\": [1, 2]}").unwrap();
        assert_eq!(doc.value(), &json!({"a": [1, 2]}));
        assert_eq!(doc.position("/a/1"), at(1, 11));
        // The caret of a diagnostic stands under the place, the mark not counted.
        let text = "\u{feff}topic: mesages\n";
        let doc = Document::parse(text).unwrap();
        let d = crate::Diagnostic::at(&doc, "f.yaml", "/topic", false, "not allowed");
        assert!(
            d.render(text)
                .ends_with("1 | topic: mesages\n  |        ^^^^^^^\n"),
            "{}",
            d.render(text)
        );
    }

    #[test]
    fn float_syntax_is_the_core_schemas() {
        for yes in ["1.5", ".5", "1.", "-1e5", "+2E-3", "1.5e+10"] {
            assert!(float_syntax(yes), "{yes}");
        }
        for no in [".", "e5", "1e", "1.5.2", "inf", "1_0", "0x1", ""] {
            assert!(!float_syntax(no), "{no}");
        }
    }
}
