//! One located error, printed the one way the project's tools print errors in files.

use std::fmt;

use crate::{Document, ParseError, Position};

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

    /// The same, with a hint.
    pub fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: error: {}",
            self.file, self.position, self.message
        )?;
        if !self.pointer.is_empty() {
            write!(f, " (at {})", self.pointer)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}
