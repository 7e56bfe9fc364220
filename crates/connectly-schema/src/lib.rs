//! JSON Schemas for [Connectly] webhook registrations and webhooks config files, and a validator
//! that reports every error with its JSON pointer (and, for text, its line and column).
//!
//! Both schemas are generated from the connectly-rs OpenAPI document (`cargo xtask regenerate`)
//! and committed under `schemas/`, so tools in any language can use the same files:
//!
//! - [`REGISTRATION_SCHEMA`]: one registration, the body of Create Webhook.
//! - [`UPDATE_SCHEMA`]: the body of Update Webhook.
//! - [`EVENT_SCHEMA`]: an event Connectly POSTs to a registered address.
//! - [`CONFIG_SCHEMA`]: a config file, `{businessId?, webhooks: [registration, ...]}`.
//!
//! [Connectly]: https://docs.connectly.ai
//!
//! ```
//! use serde_json::json;
//!
//! let config = json!({"webhooks": [
//!     {"topic": "messages", "address": "https://example.com/hook"},
//!     {"topic": "messages", "adress": "http://example.com/hook"},
//!     {"topic": "delivery_status"},
//! ]});
//! let errors = connectly_schema::validate(&config).unwrap_err();
//! let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
//! // the typo (not also a missing `address`: the typo was meant to be it), the second
//! // registration of the topic, and the missing `address` of the third:
//! assert_eq!(pointers, ["/webhooks/1/adress", "/webhooks/1/topic", "/webhooks/2"]);
//! ```

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
