//! [`Printer`]: the one object that writes what the `connectly` command prints, in the manner of
//! cargo's `Shell`: results on stdout (text, tables, or one `--json` document), and on stderr
//! the status lines (`-q` silences them), warnings, progress bars (on a terminal only) and
//! errors with their causes and hint (coloured on a terminal; `NO_COLOR` and `--color`
//! respected). Verbs print through it and nothing else; a closed stdout (`connectly webhooks
//! list | head -1`) becomes [`Failure::closed_stdout`], which ends the command quietly.
//!
//! The `--json` contract (`docs/json.md`): stdout holds exactly one JSON document per run: the
//! verb's own document on success; on failure `{"error": {"message", "kind", "hint"?, "causes",
//! "location"?}}` beside the verb's own fields, when it has a result to report (`validate`'s
//! files, `apply`'s businesses). Strings in JSON are the original text; only terminal text is
//! made printable ([`connectly_net::printable`]). The exit code is the same with or without
//! `--json`.

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::failure::{ErrorDoc, Failure, Kind};

/// `--color`.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ColorWhen {
    // On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Makes every later write to stderr follow this choice.
    fn apply(self) {
        let choice = match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }

    /// The same choice for clap's own help and errors.
    pub(crate) fn for_clap(self) -> clap::ColorChoice {
        match self {
            ColorWhen::Auto => clap::ColorChoice::Auto,
            ColorWhen::Always => clap::ColorChoice::Always,
            ColorWhen::Never => clap::ColorChoice::Never,
        }
    }
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const CAUSE: Style = Style::new().bold();

/// Everything the command prints goes through here. Clones print to the same place and share
/// whether the run's JSON document was written.
#[derive(Clone)]
pub(crate) struct Printer {
    json: bool,
    quiet: bool,
    /// One document per run: set by the first [`Printer::json`].
    json_written: Arc<AtomicBool>,
}

impl Printer {
    /// The printer of a run: `--json`, `-q`, `--color` and `-v` (traces on stderr; `RUST_LOG`,
    /// when set, chooses instead).
    pub(crate) fn new(json: bool, quiet: bool, color: ColorWhen, verbose: u8) -> Self {
        color.apply();
        init_tracing(verbose);
        Self {
            json,
            quiet,
            json_written: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether `--json` was given: the verb's result is one JSON document.
    pub(crate) fn json_mode(&self) -> bool {
        self.json
    }

    /// Writes `text` to stdout as it is.
    pub(crate) fn out(&self, text: &str) -> Result<(), Failure> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    Failure::closed_stdout()
                } else {
                    Failure::failed("cannot write to stdout").caused_by(&e)
                }
            })
    }

    /// Writes one line to stdout: text from outside shown printable.
    pub(crate) fn line(&self, text: impl Display) -> Result<(), Failure> {
        self.out(&format!(
            "{}\n",
            connectly_net::printable(&text.to_string())
        ))
    }

    /// Writes the verb's `--json` document (one line).
    pub(crate) fn json<T: Serialize>(&self, document: &T) -> Result<(), Failure> {
        let text = serde_json::to_string(document)
            .map(|text| json_text(&text))
            .map_err(|e| Failure::failed("cannot write the JSON document").caused_by(&e))?;
        let first = !self.json_written.swap(true, Ordering::SeqCst);
        debug_assert!(first, "a second JSON document in one run");
        self.out(&format!("{text}\n"))
    }

    /// Writes the verb's result: its `--json` document, or else `line`.
    pub(crate) fn result<T: Serialize>(
        &self,
        document: &T,
        line: impl Display,
    ) -> Result<(), Failure> {
        if self.json {
            self.json(document)
        } else {
            self.line(line)
        }
    }

    /// Prints rows under a header, columns padded to their widest cell. Cells hold text from
    /// outside (ids, addresses): each is shown through [`connectly_net::printable`].
    pub(crate) fn table<const N: usize>(
        &self,
        header: [&str; N],
        rows: &[[String; N]],
    ) -> Result<(), Failure> {
        self.out(&table(header, rows))
    }

    /// A status line on stderr (what the command is doing, a retry, where it wrote a file);
    /// silenced by `-q`.
    pub(crate) fn status(&self, text: impl Display) {
        if !self.quiet {
            let _ = writeln!(
                anstream::stderr(),
                "{}",
                connectly_net::printable(&text.to_string())
            );
        }
    }

    /// A line on stderr that `-q` does not silence: what a failed step left behind.
    pub(crate) fn note(&self, text: impl Display) {
        let _ = writeln!(
            anstream::stderr(),
            "{}",
            connectly_net::printable(&text.to_string())
        );
    }

    /// Text on stderr as it is (a plan shown before a question, already printable).
    pub(crate) fn err_text(&self, text: &str) {
        let _ = write!(anstream::stderr(), "{text}");
    }

    /// `warning: ...` on stderr.
    pub(crate) fn warning(&self, text: impl Display) {
        let _ = writeln!(
            anstream::stderr(),
            "{WARNING}warning:{WARNING:#} {}",
            connectly_net::printable(&text.to_string())
        );
    }

    /// Asks `question` on stderr and reads the answer from stdin: `y` or `yes` confirms. Only
    /// on a terminal; off one the answer is no.
    pub(crate) fn ask(&self, question: &str) -> bool {
        if !io::stdin().is_terminal() {
            return false;
        }
        let mut err = anstream::stderr();
        let _ = write!(err, "{question}");
        let _ = err.flush();
        let mut answer = String::new();
        io::stdin().read_line(&mut answer).is_ok()
            && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }

    /// A progress bar on stderr for `len` items: only on a terminal, without `--json` or `-q`,
    /// and for more than one item.
    pub(crate) fn progress(&self, len: usize, unit: &'static str) -> Progress {
        let show = !self.json && !self.quiet && len > 1 && io::stderr().is_terminal();
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::new(len as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{{msg:>9}} [{{bar:30}}] {{pos}}/{{len}} {unit}"
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Progress { bar }
    }

    /// Prints how the run failed: under `--json` the failure document on stdout (with the
    /// verb's own fields, if it has any) unless the verb printed its document already; in text
    /// `error: MESSAGE`, a `caused by:` line per cause and `hint:` on stderr, unless the verb
    /// reported it itself. Nothing for a closed stdout.
    pub(crate) fn failure(&self, failure: &Failure) {
        if failure.kind == Kind::ClosedStdout {
            return;
        }
        if self.json && !self.json_written.load(Ordering::SeqCst) {
            let _ = self.json(&failure_document(failure));
        }
        if failure.reported {
            return;
        }
        let doc = ErrorDoc::from(failure);
        let mut err = anstream::stderr().lock();
        let _ = writeln!(err, "{ERROR}error:{ERROR:#} {}", shown(&doc.message));
        for cause in &doc.causes {
            let _ = writeln!(err, "  {CAUSE}caused by:{CAUSE:#} {}", shown(cause));
        }
        if let Some(hint) = &doc.hint {
            let _ = writeln!(err, "  {HINT}hint:{HINT:#} {}", shown(hint));
        }
        if failure.exit_code() == 2 {
            let _ = writeln!(err, "\nFor more information, try '--help'.");
        }
    }
}

/// The failure document: `{"error": ErrorDoc}` beside the verb's own fields, if it has any.
/// Pending changes (`apply --dry-run --exit-code`) are no error: their document is the verb's.
pub(crate) fn failure_document(failure: &Failure) -> Value {
    let mut document = failure.document.as_deref().cloned().unwrap_or_default();
    if failure.kind != Kind::ChangesPending {
        let error = serde_json::to_value(ErrorDoc::from(failure)).unwrap_or_default();
        document.insert("error".to_owned(), error);
    }
    Value::Object(document)
}

/// A verb's document as the fields a failure document carries beside `error`.
pub(crate) fn fields<T: Serialize>(document: &T) -> Map<String, Value> {
    match serde_json::to_value(document) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A message for the terminal: each line in the printable form of outside text (a failure may
/// quote a server's message, a receiver's answer or a file name; `--json` carries the original),
/// later lines indented under the first.
fn shown(text: &str) -> String {
    text.split('\n')
        .map(connectly_net::printable)
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// JSON text with every character that [`connectly_net::is_unprintable`] names written as a
/// `\uXXXX` escape: serde_json escapes the C0 controls, not DEL, the C1 controls or the
/// bidirectional marks. The values read back are the same; shown in a terminal, the text cannot
/// drive it. (Such characters stand only inside strings, where the escape is valid.)
pub(crate) fn json_text(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if connectly_net::is_unprintable(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Rows under a header, columns padded to their widest cell, each cell printable.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| {
            row.clone()
                .map(|cell| connectly_net::printable(&cell).into_owned())
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let start = text.len();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.truncate(start + text[start..].trim_end().len());
        text.push('\n');
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}

/// A progress bar on stderr, or nothing (see [`Printer::progress`]).
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Starts (again) from zero, labelled `what`.
    pub(crate) fn start(&self, what: &'static str) {
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_message(what);
        }
    }

    /// One more item done.
    pub(crate) fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Prints `text` on stdout through `printer`, above the bar when there is one.
    pub(crate) fn out(&self, printer: &Printer, text: &str) -> Result<(), Failure> {
        match &self.bar {
            Some(bar) => bar.suspend(|| printer.out(text)),
            None => printer.out(text),
        }
    }
}

/// Traces (the client's `connectly` span per call, its retry events) go to stderr, filtered by
/// `RUST_LOG` when set, else by the `-v` count.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "warn,connectly_client=info",
        2 => "info,connectly_client=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_escapes_what_serde_json_leaves_raw_and_reads_back_the_same() {
        let value = serde_json::json!({"a": "x\u{1b}[2J\r\u{202e}\u{7f}\u{85}y"});
        let text = json_text(&value.to_string());
        assert_eq!(text, r#"{"a":"x\u001b[2J\r\u202e\u007f\u0085y"}"#);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }

    #[test]
    fn table_cells_are_padded_and_printable() {
        let text = table(
            ["ID", "ADDRESS"],
            &[["wh_\u{1b}[2J".to_owned(), "https://a".to_owned()]],
        );
        assert_eq!(text, "ID            ADDRESS\nwh_\\u{1b}[2J  https://a\n");
    }

    #[test]
    fn the_failure_document_carries_the_verbs_fields_beside_the_error() {
        let mut fields = Map::new();
        fields.insert("valid".to_owned(), Value::Bool(false));
        let failure = Failure::failed("1 file is invalid").with_document(fields);
        let doc = failure_document(&failure);
        assert_eq!(doc["valid"], false);
        assert_eq!(doc["error"]["message"], "1 file is invalid");
        assert_eq!(doc["error"]["kind"], "failed");
        let pending = Failure::reported()
            .kind(Kind::ChangesPending)
            .with_document(Map::new());
        assert!(failure_document(&pending).get("error").is_none());
    }
}
