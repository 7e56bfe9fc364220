//! Reading and validating webhooks config files, with every error located at its file, line and
//! column.

use std::io::Read;

use connectly_client::types;
use connectly_schema::{Document, Position, ValidationError};
use serde_json::{json, Value};

use crate::Failure;

/// One located problem in a file.
struct Located {
    position: Position,
    pointer: String,
    message: String,
    hint: Option<String>,
}

/// The outcome of reading and validating one file.
struct Checked {
    name: String,
    document: Option<Document>,
    errors: Vec<Located>,
}

fn read_source(name: &str) -> Result<String, String> {
    if name == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        Ok(text)
    } else {
        std::fs::read_to_string(name).map_err(|e| format!("cannot read {name}: {e}"))
    }
}

/// Parses (JSON for `.json`, YAML otherwise) and validates one file.
fn check(name: &str) -> Result<Checked, String> {
    let text = read_source(name)?;
    let display = if name == "-" { "<stdin>" } else { name };
    let mut checked = Checked {
        name: display.to_owned(),
        document: None,
        errors: Vec::new(),
    };
    if name.ends_with(".json") {
        // Strict JSON first: YAML would also take comments and single quotes.
        if let Err(e) = serde_json::from_str::<Value>(&text) {
            checked.errors.push(Located {
                position: Position {
                    line: e.line(),
                    column: e.column(),
                },
                pointer: String::new(),
                message: format!("not valid JSON: {e}"),
                hint: None,
            });
            return Ok(checked);
        }
    }
    let document = match Document::parse(&text) {
        Ok(document) => document,
        Err(e) => {
            checked.errors.push(Located {
                position: e.position,
                pointer: String::new(),
                message: format!("not valid YAML: {}", e.message),
                hint: None,
            });
            return Ok(checked);
        }
    };
    if let Err(errors) = connectly_schema::validate(document.value()) {
        checked.errors = errors.iter().map(|e| locate(&document, e)).collect();
        checked.errors.sort_by_key(|e| e.position);
    }
    checked.document = Some(document);
    Ok(checked)
}

fn locate(document: &Document, error: &ValidationError) -> Located {
    let position = if error.points_at_key() {
        document.key_position(&error.pointer)
    } else {
        document.position(&error.pointer)
    }
    .unwrap_or_else(|| document.nearest_position(&error.pointer));
    Located {
        position,
        pointer: error.pointer.clone(),
        message: error.message.clone(),
        hint: error.hint(),
    }
}

fn print_human(checked: &Checked) {
    for e in &checked.errors {
        let at = if e.pointer.is_empty() {
            String::new()
        } else {
            format!(" (at {})", e.pointer)
        };
        eprintln!("{}:{}: error: {}{at}", checked.name, e.position, e.message);
        if let Some(hint) = &e.hint {
            eprintln!("  hint: {hint}");
        }
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
        let checked = match check(name) {
            Ok(checked) => checked,
            Err(message) => {
                invalid += 1;
                total_errors += 1;
                if json_output {
                    reports.push(json!({"file": name, "valid": false, "errors": [
                        {"line": null, "column": null, "pointer": null, "message": message, "hint": null}
                    ]}));
                } else {
                    eprintln!("error: {message}");
                }
                continue;
            }
        };
        if !checked.errors.is_empty() {
            invalid += 1;
            total_errors += checked.errors.len();
        }
        if json_output {
            reports.push(as_json(&checked));
        } else if checked.errors.is_empty() {
            crate::outln!("{}: ok", checked.name);
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
    let checked = check(name).map_err(Failure::failed)?;
    if !checked.errors.is_empty() {
        print_human(&checked);
        return Err(Failure::failed(format!(
            "{} is invalid ({} error(s)): nothing was changed",
            checked.name,
            checked.errors.len()
        ))
        .kind(crate::failure::Kind::Invalid));
    }
    let value = checked
        .document
        .map(Document::into_value)
        .unwrap_or_default();
    serde_json::from_value(value).map_err(|e| Failure::failed(format!("{}: {e}", checked.name)))
}
