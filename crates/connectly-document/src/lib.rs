#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod builder;
mod caps;
mod core_schema;
mod diagnostic;
mod document;
mod json;
mod locate;
mod pointer;
mod position;

pub use caps::{MAX_ALIAS_BYTES, MAX_DEPTH};
pub use diagnostic::Diagnostic;
pub use document::Document;
pub use json::skip_bom;
pub use pointer::{escape_pointer_token, unescape_pointer_token};
pub use position::{ParseError, Position};

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
