//! JSON Schemas for [Connectly] webhook registrations and webhooks config files, and a validator
//! that reports every error with its JSON pointer (and, for text, its line and column).
//!
//! Both schemas are generated from the connectly-rs OpenAPI document (`cargo xtask regenerate`)
//! and committed under `schemas/`, so tools in any language can use the same files:
//!
//! - [`REGISTRATION_SCHEMA`]: one registration, the body of Create Webhook.
//! - [`UPDATE_SCHEMA`]: the body of Update Webhook.
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
//! ]});
//! let errors = connectly_schema::validate(&config).unwrap_err();
//! let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
//! // the typo, the missing `address`, and the second registration of the topic:
//! assert!(pointers.contains(&"/webhooks/1"));
//! assert!(pointers.contains(&"/webhooks/1/topic"));
//! ```

#![deny(missing_docs)]

mod document;

use std::fmt;
use std::sync::LazyLock;

pub use document::{escape_pointer_token, Document, ParseError, Position};
use serde_json::Value;

/// The JSON Schema (draft 2020-12) of one webhook registration, as committed in
/// `schemas/create-webhook.schema.json`.
pub const REGISTRATION_SCHEMA: &str = include_str!("../schemas/create-webhook.schema.json");

/// The JSON Schema (draft 2020-12) of the body of Update Webhook, as committed in
/// `schemas/update-webhook.schema.json`.
pub const UPDATE_SCHEMA: &str = include_str!("../schemas/update-webhook.schema.json");

/// The JSON Schema (draft 2020-12) of a webhooks config file, as committed in
/// `schemas/webhooks-config.schema.json`.
pub const CONFIG_SCHEMA: &str = include_str!("../schemas/webhooks-config.schema.json");

/// Which of the two schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// One registration ([`REGISTRATION_SCHEMA`]).
    Registration,
    /// An update ([`UPDATE_SCHEMA`]).
    Update,
    /// A config file ([`CONFIG_SCHEMA`]).
    Config,
}

impl SchemaKind {
    /// The schema's text.
    pub fn text(self) -> &'static str {
        match self {
            SchemaKind::Registration => REGISTRATION_SCHEMA,
            SchemaKind::Update => UPDATE_SCHEMA,
            SchemaKind::Config => CONFIG_SCHEMA,
        }
    }

    /// The schema as JSON.
    pub fn schema(self) -> &'static Value {
        static REGISTRATION: LazyLock<Value> = LazyLock::new(|| parse_schema(REGISTRATION_SCHEMA));
        static UPDATE: LazyLock<Value> = LazyLock::new(|| parse_schema(UPDATE_SCHEMA));
        static CONFIG: LazyLock<Value> = LazyLock::new(|| parse_schema(CONFIG_SCHEMA));
        match self {
            SchemaKind::Registration => &REGISTRATION,
            SchemaKind::Update => &UPDATE,
            SchemaKind::Config => &CONFIG,
        }
    }

    fn validator(self) -> &'static jsonschema::Validator {
        static REGISTRATION: LazyLock<jsonschema::Validator> =
            LazyLock::new(|| compile(SchemaKind::Registration.schema()));
        static UPDATE: LazyLock<jsonschema::Validator> =
            LazyLock::new(|| compile(SchemaKind::Update.schema()));
        static CONFIG: LazyLock<jsonschema::Validator> =
            LazyLock::new(|| compile(SchemaKind::Config.schema()));
        match self {
            SchemaKind::Registration => &REGISTRATION,
            SchemaKind::Update => &UPDATE,
            SchemaKind::Config => &CONFIG,
        }
    }
}

fn parse_schema(text: &str) -> Value {
    serde_json::from_str(text)
        .expect("the committed schemas are JSON (checked by cargo xtask check)")
}

/// Compiles a draft 2020-12 schema with `format` assertions on (`uri` in particular).
///
/// # Panics
/// When `schema` is not a valid schema: only ever called on the committed schemas, which the
/// tests compile.
pub fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("a valid draft 2020-12 schema")
}

/// One problem found in a config or a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON pointer (RFC 6901) to the value at fault; for a missing or unexpected key, the
    /// object that should (not) hold it.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Validates a webhooks config file: the config schema, plus what JSON Schema cannot say (at
/// most one registration per topic: the API answers 409 to a second). Returns every error.
pub fn validate(config: &Value) -> Result<(), Vec<ValidationError>> {
    let mut errors = schema_errors(SchemaKind::Config, config);
    errors.extend(duplicate_topics(config));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Validates one registration (a Create Webhook body). Returns every error.
pub fn validate_registration(registration: &Value) -> Result<(), Vec<ValidationError>> {
    validate_as(SchemaKind::Registration, registration)
}

/// Validates `instance` against one schema alone (for a config, [`validate`] also checks topics).
pub fn validate_as(kind: SchemaKind, instance: &Value) -> Result<(), Vec<ValidationError>> {
    let errors = schema_errors(kind, instance);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn schema_errors(kind: SchemaKind, instance: &Value) -> Vec<ValidationError> {
    let mut errors: Vec<ValidationError> = kind
        .validator()
        .iter_errors(instance)
        .map(|e| ValidationError {
            pointer: e.instance_path().as_str().to_owned(),
            message: e.to_string(),
        })
        .collect();
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    errors.dedup();
    errors
}

fn duplicate_topics(config: &Value) -> Vec<ValidationError> {
    let Some(webhooks) = config.get("webhooks").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut errors = Vec::new();
    for (i, registration) in webhooks.iter().enumerate() {
        let Some(topic) = registration.get("topic").and_then(Value::as_str) else {
            continue;
        };
        match seen.iter().find(|(t, _)| *t == topic) {
            Some((_, first)) => errors.push(ValidationError {
                pointer: format!("/webhooks/{i}/topic"),
                message: format!(
                    "topic {topic:?} is already registered by /webhooks/{first}: one address per topic per business"
                ),
            }),
            None => seen.push((topic, i)),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn committed_schemas_compile_and_declare_themselves() {
        for kind in [
            SchemaKind::Registration,
            SchemaKind::Update,
            SchemaKind::Config,
        ] {
            let schema = kind.schema();
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
            assert!(schema["$id"].as_str().unwrap().ends_with(".schema.json"));
            let _ = compile(schema);
        }
    }

    #[test]
    fn a_valid_config_passes() {
        let config = json!({"businessId": "b", "webhooks": [
            {"topic": "messages", "address": "https://example.com/m"},
            {"topic": "delivery_status", "address": "https://example.com/d", "type": "zapier",
             "configuration": {"echo": true, "channelTypes": ["whatsapp"],
                               "filters": [{"field": "campaign_name", "expression": "x-*"}]}},
        ]});
        assert_eq!(validate(&config), Ok(()));
    }

    #[test]
    fn every_error_is_reported_with_its_pointer() {
        let config = json!({"webhooks": [
            {"topic": "message", "address": "http://example.com/m"},
            {"topic": "delivery_status", "address": "https://example.com/d",
             "configuration": {"filters": [{"field": "f"}], "chanelTypes": []}},
        ], "extra": 1});
        let errors = validate(&config).unwrap_err();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        for expected in [
            "",
            "/webhooks/0/topic",
            "/webhooks/0/address",
            "/webhooks/1/configuration",
            "/webhooks/1/configuration/filters/0",
        ] {
            assert!(
                pointers.contains(&expected),
                "{expected} missing from {errors:#?}"
            );
        }
    }

    #[test]
    fn two_registrations_of_one_topic_are_an_error() {
        let config = json!({"webhooks": [
            {"topic": "messages", "address": "https://example.com/a"},
            {"topic": "delivery_status", "address": "https://example.com/b"},
            {"topic": "messages", "address": "https://example.com/c"},
        ]});
        let errors = validate(&config).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].pointer, "/webhooks/2/topic");
        assert!(errors[0].message.contains("/webhooks/0"));
    }

    #[test]
    fn a_registration_needs_https_and_a_known_type() {
        assert!(validate_registration(
            &json!({"topic": "messages", "address": "https://x.example/h"})
        )
        .is_ok());
        for bad in [
            json!({"topic": "messages", "address": "ftp://x.example/h"}),
            json!({"topic": "messages", "address": "https://"}),
            json!({"topic": "messages", "address": "https://x.example/h", "type": "Custom"}),
            json!({"topic": "messages"}),
            json!({"topic": "messages", "address": "https://x.example/h", "configuration": {"echo": "yes"}}),
        ] {
            assert!(validate_registration(&bad).is_err(), "{bad} was accepted");
        }
    }
}
