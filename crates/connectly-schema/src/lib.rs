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
//! ]});
//! let errors = connectly_schema::validate(&config).unwrap_err();
//! let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
//! // the typo, the missing `address`, and the second registration of the topic:
//! assert!(pointers.contains(&"/webhooks/1/adress"));
//! assert!(pointers.contains(&"/webhooks/1"));
//! assert!(pointers.contains(&"/webhooks/1/topic"));
//! ```

#![deny(missing_docs)]

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

pub use connectly_document::{
    escape_pointer_token, Diagnostic, Document, ParseError, Position, MAX_ALIAS_BYTES, MAX_DEPTH,
};
use serde_json::Value;

/// The JSON Schema (draft 2020-12) of one webhook registration, as committed in
/// `schemas/create-webhook.schema.json`.
pub const REGISTRATION_SCHEMA: &str = include_str!("../schemas/create-webhook.schema.json");

/// The JSON Schema (draft 2020-12) of the body of Update Webhook, as committed in
/// `schemas/update-webhook.schema.json`.
pub const UPDATE_SCHEMA: &str = include_str!("../schemas/update-webhook.schema.json");

/// The JSON Schema (draft 2020-12) of an event Connectly POSTs to a registered address, as
/// committed in `schemas/webhook-event.schema.json`.
pub const EVENT_SCHEMA: &str = include_str!("../schemas/webhook-event.schema.json");

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
    /// An event ([`EVENT_SCHEMA`]).
    Event,
    /// A config file ([`CONFIG_SCHEMA`]).
    Config,
}

impl SchemaKind {
    /// The schema's text.
    pub fn text(self) -> &'static str {
        match self {
            SchemaKind::Registration => REGISTRATION_SCHEMA,
            SchemaKind::Update => UPDATE_SCHEMA,
            SchemaKind::Event => EVENT_SCHEMA,
            SchemaKind::Config => CONFIG_SCHEMA,
        }
    }

    /// The schema as JSON.
    pub fn schema(self) -> &'static Value {
        static REGISTRATION: LazyLock<Value> = LazyLock::new(|| parse_schema(REGISTRATION_SCHEMA));
        static UPDATE: LazyLock<Value> = LazyLock::new(|| parse_schema(UPDATE_SCHEMA));
        static EVENT: LazyLock<Value> = LazyLock::new(|| parse_schema(EVENT_SCHEMA));
        static CONFIG: LazyLock<Value> = LazyLock::new(|| parse_schema(CONFIG_SCHEMA));
        match self {
            SchemaKind::Registration => &REGISTRATION,
            SchemaKind::Update => &UPDATE,
            SchemaKind::Event => &EVENT,
            SchemaKind::Config => &CONFIG,
        }
    }

    fn validator(self) -> &'static jsonschema::Validator {
        static REGISTRATION: LazyLock<jsonschema::Validator> =
            LazyLock::new(|| compile(SchemaKind::Registration.schema()));
        static UPDATE: LazyLock<jsonschema::Validator> =
            LazyLock::new(|| compile(SchemaKind::Update.schema()));
        static EVENT: LazyLock<jsonschema::Validator> =
            LazyLock::new(|| compile(SchemaKind::Event.schema()));
        static CONFIG: LazyLock<jsonschema::Validator> =
            LazyLock::new(|| compile(SchemaKind::Config.schema()));
        match self {
            SchemaKind::Registration => &REGISTRATION,
            SchemaKind::Update => &UPDATE,
            SchemaKind::Event => &EVENT,
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
    connectly_document::compile_schema(schema).expect("a valid draft 2020-12 schema")
}

/// One problem found in a config or a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON pointer (RFC 6901) to the value at fault; for a missing key, the object that should
    /// hold it; for an unknown key, the key itself (`/webhooks/0/adress`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What kind of problem, for tools that want to say more (see [`ValidationError::hint`]).
    pub kind: ErrorKind,
}

/// The kind of a [`ValidationError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A key the schema does not allow; `known` lists the keys it does.
    UnknownProperty {
        /// The unexpected key.
        name: String,
        /// The keys allowed at that place.
        known: Vec<String>,
    },
    /// A required key is missing.
    MissingProperty {
        /// The missing key.
        name: String,
    },
    /// A value outside an enumeration.
    NotAllowed {
        /// The allowed values.
        allowed: Vec<Value>,
    },
    /// A second registration for a topic; `first` points at the first one.
    DuplicateTopic {
        /// Pointer to the registration that has the topic already.
        first: String,
    },
    /// Anything else (type, format, pattern, length...); `expected` is the description of
    /// the value the schema wants there, when it has one.
    Other {
        /// The schema's description of the expected value.
        expected: Option<String>,
    },
}

impl ValidationError {
    /// Whether the pointer names a key (an unknown one) rather than a value: tools locate such
    /// errors at the key.
    pub fn points_at_key(&self) -> bool {
        matches!(self.kind, ErrorKind::UnknownProperty { .. })
    }

    /// A suggestion for fixing the error, when there is a useful one: `did you mean `address`?`
    /// for a misspelt key, the allowed values of an enumeration, the key to add.
    ///
    /// ```
    /// let config = serde_json::json!({"webhooks": [{"topic": "messages", "adress": "https://x.example"}]});
    /// let errors = connectly_schema::validate(&config).unwrap_err();
    /// let typo = errors.iter().find(|e| e.pointer == "/webhooks/0/adress").unwrap();
    /// assert_eq!(typo.hint().as_deref(), Some("did you mean `address`?"));
    /// ```
    pub fn hint(&self) -> Option<String> {
        match &self.kind {
            ErrorKind::UnknownProperty { name, known } => {
                let best = known
                    .iter()
                    .map(|k| {
                        (
                            strsim::damerau_levenshtein(&name.to_lowercase(), &k.to_lowercase()),
                            k,
                        )
                    })
                    .min();
                match best {
                    Some((distance, key)) if distance <= 2.max(name.len() / 3) => {
                        Some(format!("did you mean `{key}`?"))
                    }
                    _ if !known.is_empty() => Some(format!(
                        "allowed keys: {}",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    _ => None,
                }
            }
            ErrorKind::MissingProperty { name } => Some(format!("add `{name}`")),
            ErrorKind::NotAllowed { allowed } => Some(format!(
                "use one of: {}",
                allowed
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            ErrorKind::DuplicateTopic { first } => Some(format!(
                "keep one registration per topic: merge it with {first} or remove one"
            )),
            ErrorKind::Other { expected } => expected.as_ref().map(|d| format!("expected: {d}")),
        }
    }
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
    use jsonschema::error::ValidationErrorKind as K;
    let mut errors = Vec::new();
    for e in kind.validator().iter_errors(instance) {
        let pointer = e.instance_path().as_str().to_owned();
        match e.kind() {
            K::AdditionalProperties { unexpected } => {
                let known = schema_at(kind.schema(), &pointer)
                    .and_then(|s| s.get("properties"))
                    .and_then(Value::as_object)
                    .map(|props| props.keys().cloned().collect())
                    .unwrap_or_default();
                for name in unexpected {
                    errors.push(ValidationError {
                        pointer: format!("{pointer}/{}", escape_pointer_token(name)),
                        message: format!("unknown key {name:?}"),
                        kind: ErrorKind::UnknownProperty {
                            name: name.clone(),
                            known: Vec::clone(&known),
                        },
                    });
                }
            }
            K::Required { property } => errors.push(ValidationError {
                message: format!("missing required key {property}"),
                kind: ErrorKind::MissingProperty {
                    name: property.as_str().unwrap_or_default().to_owned(),
                },
                pointer,
            }),
            K::Enum { options } => errors.push(ValidationError {
                message: e.to_string(),
                kind: ErrorKind::NotAllowed {
                    allowed: options.as_array().cloned().unwrap_or_default(),
                },
                pointer,
            }),
            K::OneOfNotValid { .. } if enum_at(kind, &pointer).is_some() => {
                let allowed = enum_at(kind, &pointer).unwrap_or_default();
                errors.push(not_one_of(e.instance(), allowed, pointer));
            }
            _ => errors.push(ValidationError {
                message: e.to_string(),
                kind: ErrorKind::Other {
                    expected: schema_at(kind.schema(), &pointer)
                        .and_then(|s| s.get("description"))
                        .and_then(Value::as_str)
                        .map(|d| d.lines().next().unwrap_or_default().to_owned()),
                },
                pointer,
            }),
        }
    }
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    errors.dedup();
    errors
}

/// The values an enumeration allows, or `None` when `schema` is not one: the `const` of each
/// `oneOf` branch (the form the generated schemas use, so that every value has a description),
/// or the items of an `enum`.
///
/// ```
/// let topic = connectly_schema::SchemaKind::Registration.schema()["$defs"]["Topic"].clone();
/// let values = connectly_schema::allowed_values(&topic).unwrap();
/// assert!(values.contains(&&serde_json::json!("messages")));
/// ```
pub fn allowed_values(schema: &Value) -> Option<Vec<&Value>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().collect());
    }
    let branches = schema.get("oneOf")?.as_array()?;
    let values: Option<Vec<&Value>> = branches.iter().map(|b| b.get("const")).collect();
    values.filter(|v| !v.is_empty())
}

fn enum_at(kind: SchemaKind, pointer: &str) -> Option<Vec<Value>> {
    let values = allowed_values(schema_at(kind.schema(), pointer)?)?;
    Some(values.into_iter().cloned().collect())
}

/// A value outside a `oneOf` of `const`s, said as for an `enum`: `"x" is not one of "a" or "b"`.
fn not_one_of(instance: &Value, allowed: Vec<Value>, pointer: String) -> ValidationError {
    let mut list: Vec<String> = allowed.iter().map(Value::to_string).collect();
    let last = list.pop().unwrap_or_default();
    let list = match list.is_empty() {
        true => last,
        false => format!("{} or {last}", list.join(", ")),
    };
    ValidationError {
        message: format!("{instance} is not one of {list}"),
        kind: ErrorKind::NotAllowed { allowed },
        pointer,
    }
}

/// The subschema that describes the value at `pointer` of an instance, following `$ref`s into
/// `$defs`, `properties` and `items` (all the committed schemas use).
pub fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let resolve = |mut schema: &'a Value| {
        while let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            schema = root.pointer(target.strip_prefix('#')?)?;
        }
        Some(schema)
    };
    let mut schema = resolve(root)?;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = match schema.get("properties").and_then(|p| p.get(&token)) {
            Some(property) => property,
            None if token.parse::<usize>().is_ok() => schema.get("items")?,
            None => return None,
        };
        schema = resolve(next)?;
    }
    Some(schema)
}

fn duplicate_topics(config: &Value) -> Vec<ValidationError> {
    let Some(webhooks) = config.get("webhooks").and_then(Value::as_array) else {
        return Vec::new();
    };
    // One pass with a hash map: linear in the number of registrations.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, registration) in webhooks.iter().enumerate() {
        let Some(topic) = registration.get("topic").and_then(Value::as_str) else {
            continue;
        };
        match seen.get(topic) {
            Some(first) => errors.push(ValidationError {
                pointer: format!("/webhooks/{i}/topic"),
                message: format!(
                    "topic {topic:?} is already registered by /webhooks/{first}: one address per topic per business"
                ),
                kind: ErrorKind::DuplicateTopic {
                    first: format!("/webhooks/{first}"),
                },
            }),
            None => {
                seen.insert(topic, i);
            }
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
            "/extra",
            "/webhooks/0/topic",
            "/webhooks/0/address",
            "/webhooks/1/configuration/chanelTypes",
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
        assert!(errors[0].hint().unwrap().contains("/webhooks/0"));
    }

    #[test]
    fn errors_say_their_kind_and_hint() {
        let config = json!({"webhooks": [
            {"topic": "message", "adress": "https://example.com/a"},
            {"topic": "messages", "address": "https://example.com/a", "configuration": {"chanelTypes": []}},
        ]});
        let errors = validate(&config).unwrap_err();
        let find = |p: &str| {
            errors
                .iter()
                .find(|e| e.pointer == p)
                .unwrap_or_else(|| panic!("{p}: {errors:#?}"))
        };
        assert_eq!(
            find("/webhooks/0/adress").hint().as_deref(),
            Some("did you mean `address`?")
        );
        assert!(find("/webhooks/0/adress").points_at_key());
        assert_eq!(find("/webhooks/0").hint().as_deref(), Some("add `address`"));
        assert_eq!(
            find("/webhooks/0/topic").hint().as_deref(),
            Some("use one of: \"messages\", \"delivery_status\"")
        );
        assert_eq!(
            find("/webhooks/1/configuration/chanelTypes")
                .hint()
                .as_deref(),
            Some("did you mean `channelTypes`?")
        );
        assert_eq!(
            find("/webhooks/1/configuration/chanelTypes").kind,
            ErrorKind::UnknownProperty {
                name: "chanelTypes".into(),
                known: ["echo", "channelTypes", "filters", "webengageConfiguration"]
                    .map(String::from)
                    .to_vec()
            }
        );
        let http = validate_registration(&json!({"topic": "messages", "address": "http://x"}))
            .unwrap_err();
        assert_eq!(
            http[0].hint().as_deref(),
            Some("expected: A publicly accessible HTTPS URL.")
        );
        let far = validate(&json!({"webhooks": [], "zzzzzzzz": 1})).unwrap_err();
        assert_eq!(
            far[0].hint().as_deref(),
            Some("allowed keys: `businessId`, `webhooks`")
        );
    }

    #[test]
    fn schema_at_follows_refs_properties_and_items() {
        let config = SchemaKind::Config.schema();
        assert_eq!(
            schema_at(config, "/webhooks/3/configuration/filters/0/field").unwrap()["minLength"],
            1
        );
        assert!(allowed_values(schema_at(config, "/webhooks/0/topic").unwrap()).is_some());
        assert!(schema_at(config, "/nope").is_none());
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
