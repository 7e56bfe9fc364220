//! One located error, printed the one way the project's tools print errors in files.

use std::fmt;

use crate::{Document, ParseError, Position};

/// The most characters of a source line shown under a diagnostic.
const WINDOW: usize = 120;

/// A character of a source line as shown under a diagnostic: a tab as one space (so the caret
/// lines up), other unprintable characters escaped as [`connectly_net::printable`] does (so a
/// file cannot drive the terminal or reorder what is shown).
fn visible(c: char) -> String {
    match c {
        '\t' => " ".to_owned(),
        c if connectly_net::is_unprintable(c) => c.escape_default().to_string(),
        c => c.to_string(),
    }
}

/// A problem at a place in a file: printed as `FILE:LINE:COL: error: MESSAGE (at POINTER)`,
/// then `  hint: HINT` on the next line when there is a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as shown to the user (`<stdin>` for standard input).
    pub file: String,
    /// Where the problem stands.
    pub position: Position,
    /// JSON pointer of the value at fault (`""` when the text could not be read at all).
    pub pointer: String,
    /// What is wrong, in a sentence.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem with the value at `pointer` of `document` (or with its key, when `at_key`:
    /// an unknown key), located with [`Document::locate`].
    pub fn at(
        document: &Document,
        file: &str,
        pointer: &str,
        at_key: bool,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.to_owned(),
            position: document.locate(pointer, at_key),
            pointer: pointer.to_owned(),
            message: message.into(),
            hint: None,
        }
    }

    /// A text that could not be read as `language` (`"YAML"`, `"JSON"`).
    pub fn unreadable(file: &str, language: &str, error: &ParseError) -> Self {
        Diagnostic {
            file: file.to_owned(),
            position: error.position,
            pointer: String::new(),
            message: format!("not valid {language}: {}", error.message),
            hint: None,
        }
    }

    /// The diagnostic as [`Display`](fmt::Display) prints it, followed by the line of `source`
    /// it points at with a caret under the place, as rustc shows it:
    ///
    /// ```text
    /// hooks.yaml:3:5: error: unknown key "adress" (at /webhooks/0/adress)
    ///   hint: did you mean `address`?
    ///   |
    /// 3 |     adress: https://example.com/h
    ///   |     ^^^^^^
    /// ```
    ///
    /// The caret spans the word at the position (up to a blank, `:`, `,` or a bracket). Control
    /// characters of the line are shown escaped (a tab as a space), so a file cannot drive the
    /// terminal; a long line is shown as a window of 120 characters around the position.
    ///
    /// ```
    /// use connectly_document::{Diagnostic, Document};
    /// let text = "topic: mesages\n";
    /// let doc = Document::parse(text).unwrap();
    /// let d = Diagnostic::at(&doc, "f.yaml", "/topic", false, "not allowed");
    /// assert_eq!(
    ///     d.render(text),
    ///     "f.yaml:1:8: error: not allowed (at /topic)\n  |\n1 | topic: mesages\n  |        ^^^^^^^\n"
    /// );
    /// ```
    ///
    /// ```
    /// # use connectly_document::{Diagnostic, Document};
    /// let text = format!("{{\"a\": [{}2]}}", "1, ".repeat(100));
    /// let doc = Document::parse(&text).unwrap();
    /// let d = Diagnostic::at(&doc, "f.json", "/a/100", false, "too big");
    /// let shown = d.render(&text);
    /// assert!(shown.ends_with("1, 1, 2]}\n  |                                                              ^\n"), "{shown}");
    /// assert!(shown.lines().nth(2).unwrap().starts_with("1 | …"));
    /// ```
    pub fn render(&self, source: &str) -> String {
        let mut out = format!("{self}\n");
        // Positions count from after a byte order mark ([`Document::parse`]).
        let source = crate::skip_bom(source);
        let Some(line) = source.lines().nth(self.position.line.saturating_sub(1)) else {
            return out;
        };
        // A long line (minified JSON) is shown as a window around the position.
        let column = self.position.column.saturating_sub(1);
        let start = column.saturating_sub(WINDOW / 2);
        let mut shown = String::new();
        let mut before = 0;
        if start > 0 {
            shown.push('…');
            before += 1;
        }
        let mut word = 0;
        let mut in_word = true;
        for (i, c) in line.chars().enumerate().skip(start) {
            if i >= start + WINDOW {
                shown.push('…');
                break;
            }
            let c = visible(c);
            if i < column {
                before += c.chars().count();
            } else if in_word && !c.starts_with(|c: char| c.is_whitespace() || ":,[]{}".contains(c))
            {
                word += 1;
            } else {
                in_word = false;
            }
            shown.push_str(&c);
        }
        let word = word.max(1);
        let number = self.position.line.to_string();
        let pad = " ".repeat(number.len());
        out.push_str(&format!(
            "{pad} |\n{number} | {shown}\n{pad} | {}{}\n",
            " ".repeat(before),
            "^".repeat(word)
        ));
        out
    }

    /// The same, with a hint.
    pub fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

/// Terminal text: the file name, message, pointer and hint can all hold text from a file (a key,
/// a value), so each goes through [`connectly_net::printable`].
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use connectly_net::printable;
        write!(
            f,
            "{}:{}: error: {}",
            printable(&self.file),
            self.position,
            printable(&self.message)
        )?;
        if !self.pointer.is_empty() {
            write!(f, " (at {})", printable(&self.pointer))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {}", printable(hint))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_file_is_shown_escaped() {
        let text = "{\"a\u{1b}[2J\u{202e}\": 1}";
        let doc = Document::parse(text).unwrap();
        let d = Diagnostic::at(
            &doc,
            "f\r.json",
            "/a\u{1b}[2J\u{202e}",
            true,
            "unknown key \"a\u{1b}[2J\u{202e}\"",
        )
        .with_hint(Some("remove \u{1b}[2J".into()));
        let shown = d.render(text);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{202e}') && !shown.contains('\r'),
            "{shown:?}"
        );
        assert!(shown.starts_with("f\\r.json:1:2: error: unknown key \"a\\u{1b}[2J\\u{202e}\" (at /a\\u{1b}[2J\\u{202e})\n  hint: remove \\u{1b}[2J\n"), "{shown}");
    }
}
