//! Everything the `connectly` command prints: stdout that ends quietly when its reader goes
//! away (`connectly webhooks list | head -1`), tables, the `--json` contract, and errors
//! (coloured on a terminal, `NO_COLOR` and `--color` respected; as JSON under `--json`).
//!
//! The `--json` contract (`docs/json.md`): stdout holds exactly one JSON document, the
//! verb's own object on success; on failure `{"error": {"message", "hint", "kind", "causes"}}`,
//! unless the verb already printed its report (then the error goes to stderr only). The exit
//! code is the same with or without `--json`.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use serde_json::{json, Value};

use crate::failure::{ErrorDoc, Failure};

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
    pub(crate) fn apply(self) {
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
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const CAUSE: Style = Style::new().bold();

/// Whether a JSON document was written to stdout (then an error goes to stderr only).
static JSON_WRITTEN: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; a closed stdout ends the process quietly with exit code 0, as ripgrep
/// does; any other write error ends it with exit code 1.
pub(crate) fn write_stdout(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(io::stderr(), "error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// `println!` for stdout, ending quietly when stdout is closed.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints a verb's `--json` document (one line).
pub(crate) fn json(value: &Value) {
    JSON_WRITTEN.store(true, Ordering::Relaxed);
    write_stdout(format_args!("{value}\n"));
}

/// Prints rows under a header, columns padded to their widest cell. Cells hold text from outside
/// (ids, addresses): each is shown through [`connectly_net::printable`].
pub(crate) fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
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
    write_stdout(format_args!("{text}"));
}

/// Prints a failure: `error: MESSAGE`, one `  caused by: ...` line per cause and `  hint: ...`
/// on stderr; under `--json` also the error object on stdout (unless the verb printed its own
/// document).
pub(crate) fn failure(failure: &Failure, json_output: bool) {
    if failure.reported {
        return;
    }
    if json_output && !JSON_WRITTEN.load(Ordering::Relaxed) {
        json(&error_json(failure));
    }
    let mut err = anstream::stderr().lock();
    let _ = writeln!(
        err,
        "{ERROR}error:{ERROR:#} {}",
        indent_continuation(&failure.message)
    );
    for cause in &failure.causes {
        let _ = writeln!(
            err,
            "  {CAUSE}caused by:{CAUSE:#} {}",
            indent_continuation(cause)
        );
    }
    if let Some(hint) = &failure.hint {
        let _ = writeln!(err, "  {HINT}hint:{HINT:#} {}", indent_continuation(hint));
    }
    if failure.exit_code() == 2 {
        let _ = writeln!(err, "\nFor more information, try '--help'.");
    }
}

/// The `--json` error object.
pub(crate) fn error_json(failure: &Failure) -> Value {
    json!({ "error": ErrorDoc::from(failure) })
}

/// A message for the terminal: each line through [`connectly_net::printable`] (a server's text
/// cannot drive the terminal), later lines indented under the first.
fn indent_continuation(text: &str) -> String {
    text.split('\n')
        .map(connectly_net::printable)
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// Prints a warning on stderr: `warning: ...`.
pub(crate) fn warning(message: &str) {
    const WARNING: Style = AnsiColor::Yellow.on_default().bold();
    let _ = writeln!(anstream::stderr(), "{WARNING}warning:{WARNING:#} {message}");
}
