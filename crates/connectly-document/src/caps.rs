//! The caps that bound what a document may cost: its depth and what anchors and aliases copy.

use crate::{ParseError, Position};

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

/// The message of a document nested deeper than [`MAX_DEPTH`].
pub(crate) fn too_deep() -> String {
    format!("nesting deeper than {MAX_DEPTH} levels: this reader stops there (a config file nests about 5)")
}

/// What anchors and aliases have copied so far in one document, counted against
/// [`MAX_ALIAS_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct AliasBudget {
    copied: usize,
}

impl AliasBudget {
    /// Counts `bytes` copied by an anchor or an alias (at `at`) against [`MAX_ALIAS_BYTES`].
    pub(crate) fn copy(&mut self, bytes: usize, at: Position) -> Result<(), ParseError> {
        self.copied = self.copied.saturating_add(bytes);
        if self.copied > MAX_ALIAS_BYTES {
            return Err(ParseError {
                position: at,
                message: format!(
                    "anchors and aliases expand to more than {} KiB here: this reader refuses \
                     larger expansions (an alias bomb); write the values out instead",
                    MAX_ALIAS_BYTES / 1024
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::tests::err;
    use crate::Document;
    use serde_json::json;

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
}
