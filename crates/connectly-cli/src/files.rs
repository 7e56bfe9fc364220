//! Reading and validating webhooks config files, with every error located at its file, line and
//! column.

use std::path::Path;

use connectly_client::types;
use connectly_schema::{Diagnostic, Document, ParseError, Position};
use serde::Serialize;
use serde_json::Value;

use crate::failure::{Kind, Location};
use crate::input::{display_name, read_source, MAX_CONFIG_BYTES};
use crate::output::{self, Printer};
use crate::Failure;

/// At most this many errors are printed for one file, then how many more there are (a
/// generated file with thousands of mistakes should not flood the terminal, nor cost memory for
/// errors nobody reads). `--json` output keeps every error.
pub(crate) const MAX_ERRORS_SHOWN: usize = 50;

/// The outcome of reading and validating one file.
struct Checked {
    name: String,
    /// The text, to show the line of each error.
    text: String,
    document: Option<Document>,
    /// The errors kept (see [`MAX_ERRORS_SHOWN`]).
    errors: Vec<Diagnostic>,
    /// How many errors there are in all.
    total: usize,
}

impl Checked {
    fn error(mut self, diagnostic: Diagnostic) -> Self {
        self.errors.push(diagnostic);
        self.total = 1;
        self
    }
}

/// Reads (at most [`MAX_CONFIG_BYTES`]), parses (JSON for `.json`, YAML otherwise) and
/// validates one file, keeping at most `limit` errors. `Err` when it cannot be read at all.
fn check(printer: &Printer, source: &str, limit: usize) -> Result<Checked, String> {
    let name = display_name(source);
    let bytes = read_source(printer, source, "a config file", MAX_CONFIG_BYTES)?;
    let mut checked = Checked {
        name: name.to_owned(),
        text: String::new(),
        document: None,
        errors: Vec::new(),
        total: 0,
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let valid = std::str::from_utf8(valid).expect("valid up to here");
            let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
            let position = Position {
                line: valid.matches('\n').count() + 1,
                column: valid[line_start..].chars().count() + 1,
            };
            let error = ParseError {
                position,
                message: "the file is not UTF-8 text".to_owned(),
            };
            return Ok(checked.error(Diagnostic::unreadable(name, "YAML or JSON", &error)));
        }
    };
    if source.ends_with(".json") {
        // Strict JSON first: YAML would also take comments and single quotes.
        if let Err(e) = serde_json::from_str::<Value>(connectly_schema::skip_bom(&text)) {
            let error = ParseError {
                position: Position {
                    line: e.line(),
                    column: e.column(),
                },
                message: e.to_string(),
            };
            checked.text = text;
            return Ok(checked.error(Diagnostic::unreadable(name, "JSON", &error)));
        }
    }
    checked.text = text;
    let document = match Document::parse(&checked.text) {
        Ok(document) => document,
        Err(e) => return Ok(checked.error(Diagnostic::unreadable(name, "YAML", &e))),
    };
    let (errors, total) = connectly_schema::validate_at_most(document.value(), limit);
    checked.total = total;
    if !errors.is_empty() {
        checked.errors = errors
            .iter()
            .map(|e| {
                Diagnostic::at(&document, name, &e.pointer, e.points_at_key(), &e.message)
                    .with_hint(e.hint())
            })
            .collect();
        checked.errors.sort_by_key(|e| e.position);
    }
    checked.document = Some(document);
    Ok(checked)
}

/// The diagnostics of a file on stderr, at most [`MAX_ERRORS_SHOWN`] of them.
fn print_human(printer: &Printer, checked: &Checked) {
    for e in checked.errors.iter().take(MAX_ERRORS_SHOWN) {
        printer.err_text(&e.render(&checked.text));
    }
    let shown = checked.errors.len().min(MAX_ERRORS_SHOWN);
    if checked.total > shown {
        let at_least = if checked.total >= connectly_schema::MAX_ERRORS_COUNTED {
            "at least "
        } else {
            ""
        };
        printer.note(format!(
            "{}: ... and {at_least}{} more error(s) (only the first {shown} are shown; `--json` lists them all)",
            checked.name,
            checked.total - shown
        ));
    }
}

/// `validate`'s `--json` document.
#[derive(Serialize)]
struct Validated {
    valid: bool,
    files: Vec<FileDoc>,
}

/// One file of `validate`'s document.
#[derive(Serialize)]
struct FileDoc {
    file: String,
    valid: bool,
    errors: Vec<ErrorAt>,
}

/// One error of a file, where it stands (`null`s for a file that could not be read).
#[derive(Serialize)]
struct ErrorAt {
    line: Option<usize>,
    column: Option<usize>,
    pointer: Option<String>,
    message: String,
    hint: Option<String>,
}

impl From<&Checked> for FileDoc {
    fn from(checked: &Checked) -> Self {
        let errors = checked
            .errors
            .iter()
            .map(|e| ErrorAt {
                line: Some(e.position.line),
                column: Some(e.position.column),
                pointer: Some(e.pointer.clone()),
                message: e.message.clone(),
                hint: e.hint.clone(),
            })
            .collect();
        Self {
            file: checked.name.clone(),
            valid: checked.errors.is_empty(),
            errors,
        }
    }
}

/// Where a diagnostic stands, for a failure's `location`.
fn location(diagnostic: &Diagnostic) -> Location {
    Location {
        file: diagnostic.file.clone(),
        line: diagnostic.position.line,
        column: diagnostic.position.column,
        pointer: diagnostic.pointer.clone(),
    }
}

/// The files named on the command line, a directory standing for its `*.yaml`, `*.yml` and
/// `*.json` files (sorted): `validate` and `apply` take the same.
pub(crate) fn expand(names: &[String]) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    for name in names {
        let path = Path::new(name);
        if name != "-" && path.is_dir() {
            let mut found: Vec<String> = std::fs::read_dir(path)
                .map_err(|e| {
                    Failure::failed(format!("cannot read the directory {name}")).caused_by(&e)
                })?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && matches!(
                            p.extension().and_then(|e| e.to_str()),
                            Some("yaml" | "yml" | "json")
                        )
                })
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if found.is_empty() {
                return Err(Failure::usage(format!(
                    "the directory {name} has no .yaml, .yml or .json file"
                )));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// `connectly validate FILE...`: every file is checked and every error reported.
pub(crate) fn validate_files(printer: &Printer, names: &[String]) -> Result<(), Failure> {
    let names = expand(names)?;
    let json_output = printer.json_mode();
    let mut files = Vec::new();
    let (mut invalid, mut total_errors) = (0, 0);
    let mut first_error = None;
    for name in &names {
        // A file that cannot be read is reported like an invalid one; the others are still
        // checked.
        let limit = if json_output {
            usize::MAX
        } else {
            MAX_ERRORS_SHOWN
        };
        let checked = match check(printer, name, limit) {
            Ok(checked) => checked,
            Err(message) => {
                invalid += 1;
                total_errors += 1;
                if !json_output {
                    printer.note(format!("error: {message}"));
                }
                files.push(FileDoc {
                    file: name.clone(),
                    valid: false,
                    errors: vec![ErrorAt {
                        line: None,
                        column: None,
                        pointer: None,
                        message,
                        hint: None,
                    }],
                });
                continue;
            }
        };
        if !checked.errors.is_empty() {
            invalid += 1;
            total_errors += checked.total;
            first_error = first_error.or_else(|| checked.errors.first().map(location));
        }
        if !json_output {
            if checked.errors.is_empty() {
                printer.line(format!("{}: ok", checked.name))?;
            } else {
                print_human(printer, &checked);
            }
        }
        files.push(FileDoc::from(&checked));
    }
    let document = Validated {
        valid: invalid == 0,
        files,
    };
    if !json_output {
        printer.status(format!(
            "{} file(s) checked: {} valid, {invalid} invalid ({total_errors} error(s))",
            names.len(),
            names.len() - invalid
        ));
    }
    if invalid == 0 {
        return if json_output {
            printer.json(&document)
        } else {
            Ok(())
        };
    }
    let mut failure = Failure::failed(format!(
        "{invalid} of {} file(s) invalid ({total_errors} error(s))",
        names.len()
    ))
    .kind(Kind::Invalid)
    .with_document(output::fields(&document));
    failure.reported = true;
    if let Some(at) = first_error {
        failure = failure.at(at);
    }
    Err(failure)
}

/// Reads a config file for `apply`: any error is reported, located, and nothing is sent.
pub(crate) fn read_config(printer: &Printer, name: &str) -> Result<types::WebhooksConfig, Failure> {
    let checked = check(printer, name, MAX_ERRORS_SHOWN).map_err(Failure::failed)?;
    if let Some(first) = checked.errors.first() {
        print_human(printer, &checked);
        return Err(Failure::failed(format!(
            "{} is invalid ({} error(s)): nothing was changed",
            checked.name, checked.total
        ))
        .kind(Kind::Invalid)
        .at(location(first)));
    }
    let value = checked
        .document
        .map(Document::into_value)
        .unwrap_or_default();
    serde_json::from_value(value).map_err(|e| Failure::failed(format!("{}: {e}", checked.name)))
}
