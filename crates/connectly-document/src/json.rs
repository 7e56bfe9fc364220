//! What a JSON text needs before YAML's scanner reads it: the byte order mark skipped, and
//! escaped surrogate pairs rewritten as one escape, with the columns that moved restored.

use crate::locate::{Children, Node};
use crate::Position;

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
pub(crate) struct Shifts(Vec<(usize, usize)>);

impl Shifts {
    /// The original position of a position in the rewritten text (a token's, never one inside
    /// an escape), in logarithmic time: a text full of pairs costs no more per position.
    pub(crate) fn restore(&self, at: Position) -> Position {
        let up_to = |column| self.0.partition_point(|&shift| shift <= (at.line, column));
        let before = up_to(at.column) - up_to(0);
        Position {
            column: at.column + 2 * before,
            ..at
        }
    }

    /// [`restore`](Self::restore) for every position of a tree (at most [`MAX_DEPTH`](crate::MAX_DEPTH) deep).
    pub(crate) fn restore_node(&self, node: &mut Node) {
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
pub(crate) fn json_surrogate_pairs(text: &str) -> Option<(String, Shifts)> {
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

#[cfg(test)]
mod tests {
    use crate::document::tests::err;
    use crate::{Document, Position};
    use serde_json::json;

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
}
