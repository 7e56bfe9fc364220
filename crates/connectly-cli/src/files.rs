//! Reading and validating webhooks config files, with every error located at its file, line and
//! column.

use connectly_client::types;
use connectly_schema::{Diagnostic, Document, ParseError, Position};
use serde_json::{json, Value};

use crate::input::{display_name, read_source, MAX_CONFIG_BYTES};
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
fn check(source: &str, limit: usize) -> Result<Checked, String> {
    let name = display_name(source);
    let bytes = read_source(source, "a config file", MAX_CONFIG_BYTES)?;
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

fn print_human(checked: &Checked) {
    for e in checked.errors.iter().take(MAX_ERRORS_SHOWN) {
        eprint!("{}", e.render(&checked.text));
    }
    let shown = checked.errors.len().min(MAX_ERRORS_SHOWN);
    if checked.total > shown {
        let at_least = if checked.total >= connectly_schema::MAX_ERRORS_COUNTED {
            "at least "
        } else {
            ""
        };
        eprintln!(
            "{}: ... and {at_least}{} more error(s) (only the first {shown} are shown; `--json` lists them all)",
            connectly_net::printable(&checked.name),
            checked.total - shown
        );
    }
}

fn as_json(checked: &Checked) -> Value {
    let errors: Vec<Value> = checked
        .errors
        .iter()
        .map(|e| {
            json!({"line": e.position.line, "column": e.position.column, "pointer": e.pointer,
                   "message": e.message, "hint": e.hint})
        })
        .collect();
    json!({"file": checked.name, "valid": checked.errors.is_empty(), "errors": errors})
}

/// `connectly validate FILE...`: every file is checked and every error reported.
pub(crate) fn validate_files(names: &[String], json_output: bool) -> Result<(), Failure> {
    let mut reports = Vec::new();
    let (mut invalid, mut total_errors) = (0, 0);
    for name in names {
        // A file that cannot be read is reported like an invalid one; the others are still
        // checked.
        let limit = if json_output {
            usize::MAX
        } else {
            MAX_ERRORS_SHOWN
        };
        let checked = match check(name, limit) {
            Ok(checked) => checked,
            Err(message) => {
                invalid += 1;
                total_errors += 1;
                if json_output {
                    reports.push(json!({"file": name, "valid": false, "errors": [
                        {"line": null, "column": null, "pointer": null, "message": message, "hint": null}
                    ]}));
                } else {
                    eprintln!("error: {}", connectly_net::printable(&message));
                }
                continue;
            }
        };
        if !checked.errors.is_empty() {
            invalid += 1;
            total_errors += checked.total;
        }
        if json_output {
            reports.push(as_json(&checked));
        } else if checked.errors.is_empty() {
            crate::outln!("{}: ok", connectly_net::printable(&checked.name));
        } else {
            print_human(&checked);
        }
    }
    if json_output {
        crate::output::json(&json!({"valid": invalid == 0, "files": reports}));
    } else {
        eprintln!(
            "{} file(s) checked: {} valid, {invalid} invalid ({total_errors} error(s))",
            names.len(),
            names.len() - invalid
        );
    }
    if invalid == 0 {
        Ok(())
    } else {
        Err(Failure::reported())
    }
}

/// Reads a config file for `apply`: any error is reported, located, and nothing is sent.
pub(crate) fn read_config(name: &str) -> Result<types::WebhooksConfig, Failure> {
    let checked = check(name, MAX_ERRORS_SHOWN).map_err(Failure::failed)?;
    if !checked.errors.is_empty() {
        print_human(&checked);
        return Err(Failure::failed(format!(
            "{} is invalid ({} error(s)): nothing was changed",
            checked.name, checked.total
        ))
        .kind(crate::failure::Kind::Invalid));
    }
    let value = checked
        .document
        .map(Document::into_value)
        .unwrap_or_default();
    serde_json::from_value(value).map_err(|e| Failure::failed(format!("{}: {e}", checked.name)))
}
