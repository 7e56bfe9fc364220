//! Reading YAML or JSON text into [`serde_json::Value`] while keeping the file position of every
//! JSON pointer, so an error found by pointer (by a JSON Schema validator, say) is reported at
//! `FILE:LINE:COLUMN`; and the few rules connectly-rs's tools share about such errors.
//!
//! - [`Document`]: the located reader. Hostile input has a bounded cost: nesting is capped at
//!   [`MAX_DEPTH`] without recursion, anchors and aliases may copy at most [`MAX_ALIAS_BYTES`],
//!   a second document, a tag outside YAML 1.2's core schema and a number JSON cannot hold are
//!   errors, each at its line and column.
//! - [`Diagnostic`]: one located error, printed the one way every tool of the project prints it.
//! - [`compile_schema`]: how a JSON Schema is compiled for validation (draft 2020-12, formats
//!   asserted).
//!
//! This crate embeds nothing generated, so `cargo xtask regenerate`, which uses it to read the
//! OpenAPI document, never depends on its own output.
//!
//! ```
//! use connectly_document::{Diagnostic, Document};
//!
//! let text = "webhooks:\n  - topic: messages\n    adress: https://example.com/h\n";
//! let doc = Document::parse(text).unwrap();
//! let d = Diagnostic::at(&doc, "hooks.yaml", "/webhooks/0/adress", true, "unknown key \"adress\"");
//! assert_eq!(d.to_string(), "hooks.yaml:3:5: error: unknown key \"adress\" (at /webhooks/0/adress)");
//! ```

#![deny(missing_docs)]

mod diagnostic;
mod document;

pub use diagnostic::Diagnostic;
pub use document::{
    escape_pointer_token, skip_bom, Document, ParseError, Position, MAX_ALIAS_BYTES, MAX_DEPTH,
};

/// Compiles a JSON Schema (draft 2020-12) the way every connectly-rs tool validates: with
/// `format` asserted (`uri` in particular), not merely annotated.
///
/// ```
/// let v = connectly_document::compile_schema(&serde_json::json!({"format": "uri"})).unwrap();
/// assert!(!v.is_valid(&serde_json::json!("not a uri")));
/// ```
pub fn compile_schema(
    schema: &serde_json::Value,
) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
}
