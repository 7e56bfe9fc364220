#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod config;
mod error;
mod lookup;
mod schemas;
mod validator;

pub use config::{validate, validate_at_most, MAX_REGISTRATIONS};
pub use connectly_document::{
    escape_pointer_token, skip_bom, Diagnostic, Document, ParseError, Position, MAX_ALIAS_BYTES,
    MAX_DEPTH,
};
pub use error::{ErrorKind, ValidationError};
pub use lookup::{allowed_values, schema_at};
pub use schemas::{
    compile, SchemaKind, CONFIG_SCHEMA, EVENT_SCHEMA, REGISTRATION_SCHEMA, UPDATE_SCHEMA,
};
pub use validator::{validate_as, validate_registration, MAX_ERRORS_COUNTED};
