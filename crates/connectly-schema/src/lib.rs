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

use std::collections::{HashMap, HashSet};
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

/// Which of the four committed schemas.
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
    /// Every schema, in the order `connectly schema` lists them.
    pub const ALL: [SchemaKind; 4] = [
        SchemaKind::Registration,
        SchemaKind::Update,
        SchemaKind::Event,
        SchemaKind::Config,
    ];

    /// What a document of this schema is, in words (`a config file`).
    pub fn noun(self) -> &'static str {
        match self {
            SchemaKind::Registration => "a registration",
            SchemaKind::Update => "an update",
            SchemaKind::Event => "an event",
            SchemaKind::Config => "a config file",
        }
    }

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
        /// The value found.
        found: Value,
        /// The allowed values.
        allowed: Vec<Value>,
    },
    /// A value of the wrong JSON type (`"yes"` where a boolean belongs).
    WrongType {
        /// The value found.
        found: Value,
        /// The types the schema allows there (`"boolean"`, `"string"`...).
        expected: Vec<String>,
    },
    /// A string that does not start as the schema's pattern requires (`http://` where an
    /// `https://` URL belongs).
    WrongPrefix {
        /// The string found.
        found: String,
        /// The literal start the pattern requires (`https://`).
        prefix: String,
    },
    /// The whole document is empty (nothing, or only comments).
    Empty {
        /// What it needs, from the schema: `` `webhooks` (a list, each item with `topic` and `address`) ``.
        needs: String,
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
            ErrorKind::UnknownProperty { name, known } => match closest(name, known) {
                Some(key) => Some(format!("did you mean `{key}`?")),
                None if !known.is_empty() => Some(format!(
                    "allowed keys: {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                None => None,
            },
            ErrorKind::MissingProperty { name } => Some(format!("add `{name}`")),
            ErrorKind::NotAllowed { found, allowed } => {
                let names: Vec<String> = allowed
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                match found.as_str().and_then(|f| closest(f, &names)) {
                    Some(near) => Some(format!("did you mean {:?}?", near)),
                    None => Some(format!(
                        "use one of: {}",
                        allowed
                            .iter()
                            .map(Value::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            }
            ErrorKind::WrongType { found, expected } => type_hint(found, expected),
            ErrorKind::WrongPrefix { found, prefix } => Some(match found.split_once("://") {
                Some((_, rest)) => format!("write `{prefix}{rest}`"),
                None => format!("it must start with `{prefix}`"),
            }),
            ErrorKind::Empty { needs } => Some(format!("it needs {needs}")),
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
    let (errors, _) = validate_at_most(config, usize::MAX);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The most registrations a config may list. The API allows one per topic per business, so a
/// real config lists a handful; a longer list is one error, and only its first registrations
/// are checked (so a hostile list of a hundred thousand costs no more than this many).
pub const MAX_REGISTRATIONS: usize = 1_000;

/// When [`validate_at_most`] keeps fewer errors than all, it stops counting the others here: the
/// count it returns is then a lower bound ("at least"), and a file with a hundred thousand
/// mistakes costs no more than ten thousand.
pub const MAX_ERRORS_COUNTED: usize = 10_000;

/// [`validate`], keeping at most `limit` errors (the first found, sorted by pointer) and
/// counting the others up to [`MAX_ERRORS_COUNTED`] (unless `limit` is `usize::MAX`): returns
/// the errors kept and how many there are in all (at least, when it is `MAX_ERRORS_COUNTED`).
///
/// ```
/// let config = serde_json::json!({"webhooks": [{}, {}, {}]});
/// let (kept, total) = connectly_schema::validate_at_most(&config, 2);
/// assert_eq!((kept.len(), total), (2, 6)); // each: no `topic`, no `address`
/// ```
pub fn validate_at_most(config: &Value, limit: usize) -> (Vec<ValidationError>, usize) {
    // A list past the cap is one error, and only its first registrations are checked.
    let too_many = config
        .get("webhooks")
        .and_then(Value::as_array)
        .filter(|w| w.len() > MAX_REGISTRATIONS);
    let truncated;
    let config = match too_many {
        Some(webhooks) => {
            let mut copy = config.clone();
            copy["webhooks"] = Value::Array(webhooks[..MAX_REGISTRATIONS].to_vec());
            truncated = copy;
            &truncated
        }
        None => config,
    };
    let (mut errors, mut total) = schema_errors(SchemaKind::Config, config, limit);
    if let Some(webhooks) = too_many {
        total += 1;
        if errors.len() < limit {
            errors.push(ValidationError {
                pointer: format!("/webhooks/{MAX_REGISTRATIONS}"),
                message: format!(
                    "{} registrations: a config holds at most {MAX_REGISTRATIONS} (one per topic \
                     per business); only the first {MAX_REGISTRATIONS} were checked",
                    webhooks.len()
                ),
                kind: ErrorKind::Other { expected: None },
            });
        }
    }
    for error in duplicate_topics(config) {
        if limit != usize::MAX && total >= MAX_ERRORS_COUNTED {
            break;
        }
        total += 1;
        if errors.len() < limit {
            errors.push(error);
        }
    }
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    (errors, total)
}

/// Validates one registration (a Create Webhook body). Returns every error.
pub fn validate_registration(registration: &Value) -> Result<(), Vec<ValidationError>> {
    validate_as(SchemaKind::Registration, registration)
}

/// Validates `instance` against one schema alone (for a config, [`validate`] also checks topics).
pub fn validate_as(kind: SchemaKind, instance: &Value) -> Result<(), Vec<ValidationError>> {
    let (errors, _) = schema_errors(kind, instance, usize::MAX);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The schema's errors, at most `limit` of them, and how many there are in all.
fn schema_errors(
    kind: SchemaKind,
    instance: &Value,
    limit: usize,
) -> (Vec<ValidationError>, usize) {
    use jsonschema::error::ValidationErrorKind as K;
    let root = kind.schema();
    if instance.is_null()
        && schema_at(root, "").and_then(|s| s.get("type")) == Some(&"object".into())
    {
        let empty = ValidationError {
            pointer: String::new(),
            message: format!(
                "{} cannot be empty (the document holds nothing but comments or whitespace)",
                kind.noun()
            ),
            kind: ErrorKind::Empty {
                needs: needs(root, ""),
            },
        };
        return (vec![empty], 1);
    }
    let mut errors = Vec::new();
    let mut total = 0;
    for e in kind.validator().iter_errors(instance) {
        total += match e.kind() {
            K::AdditionalProperties { unexpected } => unexpected.len(),
            _ => 1,
        };
        if limit != usize::MAX && total >= MAX_ERRORS_COUNTED {
            total = MAX_ERRORS_COUNTED;
            break;
        }
        if errors.len() >= limit {
            continue;
        }
        let pointer = e.instance_path().as_str().to_owned();
        let here = schema_at(root, &pointer);
        let found = || e.instance().clone().into_owned();
        let error = match e.kind() {
            K::AdditionalProperties { unexpected } => {
                let known: Vec<String> = here
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
                            known: known.clone(),
                        },
                    });
                }
                continue;
            }
            K::Required { property } => ValidationError {
                message: format!("missing required key {property}"),
                kind: ErrorKind::MissingProperty {
                    name: property.as_str().unwrap_or_default().to_owned(),
                },
                pointer,
            },
            // An enumeration, in either form (`enum`, or a `oneOf` of `const`s).
            K::Enum { .. } | K::OneOfNotValid { .. } | K::AnyOf { .. }
                if enum_at(kind, &pointer).is_some() =>
            {
                let allowed = enum_at(kind, &pointer).unwrap_or_default();
                not_one_of(e.instance(), allowed, pointer)
            }
            K::Type { .. } => ValidationError {
                message: e.to_string(),
                kind: ErrorKind::WrongType {
                    found: found(),
                    expected: here.map(schema_types).unwrap_or_default(),
                },
                pointer,
            },
            K::Pattern { pattern } => match (literal_prefix(pattern), found().as_str()) {
                (Some(prefix), Some(text)) if !text.starts_with(&prefix) => ValidationError {
                    message: format!("{text:?} does not start with `{prefix}`"),
                    kind: ErrorKind::WrongPrefix {
                        found: text.to_owned(),
                        prefix,
                    },
                    pointer,
                },
                _ => other(e.to_string(), here, pointer),
            },
            _ => other(e.to_string(), here, pointer),
        };
        errors.push(error);
    }
    let found = errors.len();
    drop_meant_keys(&mut errors);
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    errors.dedup();
    let dropped = found - errors.len();
    (errors, total - dropped)
}

fn other(message: String, here: Option<&Value>, pointer: String) -> ValidationError {
    ValidationError {
        message,
        kind: ErrorKind::Other {
            expected: here
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .map(|d| d.lines().next().unwrap_or_default().to_owned()),
        },
        pointer,
    }
}

/// A `missing required key K` beside an unknown key that is a near miss of `K` says the same
/// thing twice: only the unknown key (`did you mean K?`) is kept.
fn drop_meant_keys(errors: &mut Vec<ValidationError>) {
    let meant: HashSet<(String, String)> = errors
        .iter()
        .filter_map(|e| match &e.kind {
            ErrorKind::UnknownProperty { name, known } => {
                let parent = &e.pointer[..e.pointer.rfind('/').unwrap_or(0)];
                closest(name, known).map(|k| (parent.to_owned(), k.to_owned()))
            }
            _ => None,
        })
        .collect();
    errors.retain(|e| match &e.kind {
        ErrorKind::MissingProperty { name } => !meant.contains(&(e.pointer.clone(), name.clone())),
        _ => true,
    });
}

/// The candidate closest to `name` (case-insensitive Damerau–Levenshtein), when close enough to
/// be a typo of it. The one rule for "did you mean" (keys and enumeration values).
fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&name, &k.to_lowercase()), k))
        .min()
        .filter(|(distance, _)| *distance <= 2.max(name.len() / 3))
        .map(|(_, k)| k.as_str())
}

/// The `type`s a subschema allows.
fn schema_types(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The literal text a regular expression requires at the start (`^https://[^/]+` → `https://`),
/// when it has one.
fn literal_prefix(pattern: &str) -> Option<String> {
    let rest = pattern.strip_prefix('^')?;
    let prefix: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '_'))
        .collect();
    (!prefix.is_empty()).then_some(prefix)
}

/// How to write `found` as one of the `expected` types, when there is a common slip to name.
fn type_hint(found: &Value, expected: &[String]) -> Option<String> {
    let wants = |t: &str| expected.iter().any(|e| e == t);
    match found {
        Value::String(s) if wants("boolean") => {
            let word = match s.to_lowercase().as_str() {
                "yes" | "y" | "on" | "true" => "true",
                "no" | "n" | "off" | "false" => "false",
                _ => return Some("write `true` or `false`, without quotes".to_owned()),
            };
            Some(format!(
                "write `{word}`, without quotes (YAML 1.2 reads {s:?} as a string)"
            ))
        }
        Value::String(s)
            if (wants("integer") || wants("number")) && s.trim().parse::<f64>().is_ok() =>
        {
            Some(format!("write `{}`, without quotes", s.trim()))
        }
        Value::Number(_) | Value::Bool(_) if wants("string") => {
            Some(format!("quote it: `\"{found}\"`"))
        }
        Value::Null if expected.len() == 1 => Some(format!(
            "the value is missing (empty): write {} after the key",
            match expected[0].as_str() {
                "array" => "a list",
                "object" => "a mapping",
                "integer" => "an integer",
                t =>
                    return Some(format!(
                        "the value is missing (empty): write a {t} after the key"
                    )),
            }
        )),
        _ => None,
    }
}

/// What the object at `pointer` needs, from the schema's `required` (one level into lists):
/// `` `webhooks` (a list, each item with `topic` and `address`) ``.
fn needs(root: &Value, pointer: &str) -> String {
    let required = |p: &str| -> Vec<String> {
        schema_at(root, p)
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|k| k.as_str().map(|k| format!("`{k}`")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let and = |items: Vec<String>| match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    and(required(pointer)
        .into_iter()
        .map(|key| {
            let child = format!("{pointer}/{}", key.trim_matches('`'));
            let is_list =
                schema_at(root, &child).map(schema_types) == Some(vec!["array".to_owned()]);
            let each = required(&format!("{child}/0"));
            if is_list && !each.is_empty() {
                format!("{key} (a list, each item with {})", and(each))
            } else {
                key
            }
        })
        .collect())
}

/// The values an enumeration allows, or `None` when `schema` is not one: the `const` of each
/// `oneOf` (or `anyOf`) branch (the form the generated schemas use, so that every value has a description),
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
    ["oneOf", "anyOf"].iter().find_map(|key| {
        let branches = schema.get(*key)?.as_array()?;
        let values: Option<Vec<&Value>> = branches.iter().map(|b| b.get("const")).collect();
        values.filter(|v| !v.is_empty())
    })
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
        kind: ErrorKind::NotAllowed {
            found: instance.clone(),
            allowed,
        },
        pointer,
    }
}

/// The subschema that describes the value at `pointer` of an instance, following `$ref`s (and
/// one-schema `allOf`s) into `$defs`, `properties` and `items` (all the committed schemas use).
pub fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    // A `$ref`, or an `allOf` of one schema (how the spec gives a referenced type a description
    // of its own), stands for the schema it names.
    let resolve = |mut schema: &'a Value| loop {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            schema = root.pointer(target.strip_prefix('#')?)?;
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            return Some(schema);
        }
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
        for kind in SchemaKind::ALL {
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
        // No redundant `missing required key "address"` beside the typo that meant it.
        assert!(
            errors.iter().all(|e| e.pointer != "/webhooks/0"),
            "{errors:#?}"
        );
        assert_eq!(
            find("/webhooks/0/topic").hint().as_deref(),
            Some("did you mean \"messages\"?")
        );
        let missing = validate_registration(&json!({"topic": "messages"})).unwrap_err();
        assert_eq!(missing[0].hint().as_deref(), Some("add `address`"));
        let far =
            validate_registration(&json!({"topic": "zzzzzzzz", "address": "https://x.example"}))
                .unwrap_err();
        assert_eq!(
            far[0].hint().as_deref(),
            Some("use one of: \"messages\", \"delivery_status\", \"report\"")
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
            http[0].message,
            "\"http://x\" does not start with `https://`"
        );
        assert_eq!(http[0].hint().as_deref(), Some("write `https://x`"));
        let far = validate(&json!({"webhooks": [], "zzzzzzzz": 1})).unwrap_err();
        assert_eq!(
            far[0].hint().as_deref(),
            Some("allowed keys: `businessId`, `webhooks`")
        );
    }

    /// Issue 16: the common schema failures get a message a person can act on, derived from
    /// the schema.
    #[test]
    fn common_failures_get_human_messages_and_hints() {
        let empty = validate(&Value::Null).unwrap_err();
        assert_eq!(empty.len(), 1, "{empty:#?}");
        assert!(
            empty[0].message.contains("a config file cannot be empty"),
            "{empty:#?}"
        );
        assert_eq!(
            empty[0].hint().as_deref(),
            Some("it needs `webhooks` (a list, each item with `topic` and `address`)")
        );

        let hint_at = |config: Value, pointer: &str| {
            let errors = validate(&config).unwrap_err();
            errors
                .iter()
                .find(|e| e.pointer == pointer)
                .unwrap_or_else(|| panic!("{pointer}: {errors:#?}"))
                .hint()
        };
        let with = |configuration: Value| {
            json!({"webhooks": [{"topic": "messages", "address": "https://x.example/h",
                                 "configuration": configuration}]})
        };
        assert_eq!(
            hint_at(
                with(json!({"echo": "yes"})),
                "/webhooks/0/configuration/echo"
            )
            .as_deref(),
            Some("write `true`, without quotes (YAML 1.2 reads \"yes\" as a string)")
        );
        assert_eq!(
            hint_at(
                with(json!({"echo": "maybe"})),
                "/webhooks/0/configuration/echo"
            )
            .as_deref(),
            Some("write `true` or `false`, without quotes")
        );
        assert_eq!(
            hint_at(json!({"businessId": 12, "webhooks": []}), "/businessId").as_deref(),
            Some("quote it: `\"12\"`")
        );
        assert_eq!(
            hint_at(json!({"webhooks": null}), "/webhooks").as_deref(),
            Some("the value is missing (empty): write a list after the key")
        );
        let zaiper = json!({"webhooks": [{"topic": "messages", "address": "https://x.example/h", "type": "zaiper"}]});
        assert_eq!(
            hint_at(zaiper, "/webhooks/0/type").as_deref(),
            Some("did you mean \"zapier\"?")
        );
        assert_eq!(
            hint_at(
                json!({"webhooks": [{"topic": "messages", "address": "ftp://x.example/h"}]}),
                "/webhooks/0/address"
            )
            .as_deref(),
            Some("write `https://x.example/h`")
        );
    }

    #[test]
    fn enumerations_are_read_in_either_form() {
        let values = [json!("a"), json!("b")];
        let refs: Vec<&Value> = values.iter().collect();
        assert_eq!(allowed_values(&json!({"enum": values})), Some(refs.clone()));
        assert_eq!(
            allowed_values(&json!({"anyOf": [{"const": "a", "description": "A"}, {"const": "b"}]})),
            Some(refs)
        );
        assert_eq!(
            allowed_values(&json!({"oneOf": [{"const": "a"}, {"type": "string"}]})),
            None
        );
        assert_eq!(
            literal_prefix("^https://[^\\s/?#]+[^\\s]*$").as_deref(),
            Some("https://")
        );
        assert_eq!(literal_prefix("[a-z]+"), None);
    }

    #[test]
    fn a_list_past_the_cap_is_one_error_and_checked_only_up_to_it() {
        let webhooks: Vec<Value> = (0..=MAX_REGISTRATIONS)
            .map(|i| json!({"topic": i}))
            .collect();
        let (errors, total) = validate_at_most(&json!({ "webhooks": webhooks }), usize::MAX);
        let last = errors
            .iter()
            .filter(|e| e.pointer.starts_with("/webhooks/1000"))
            .count();
        assert_eq!(last, 1, "{:#?}", &errors[errors.len() - 3..]);
        assert!(errors
            .iter()
            .any(|e| e.message.starts_with("1001 registrations")));
        assert_eq!(total, errors.len());
    }

    #[test]
    fn duplicate_topics_are_found_in_one_pass() {
        // 80,000 registrations (the issue's quadratic case took 38 s): each topic but the last
        // unique, the last a repeat of the first.
        let mut webhooks: Vec<Value> = (0..80_000)
            .map(|i| json!({"topic": format!("t{i}")}))
            .collect();
        webhooks.push(json!({"topic": "t0"}));
        let errors = duplicate_topics(&json!({ "webhooks": webhooks }));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/webhooks/80000/topic");
        assert_eq!(
            errors[0].kind,
            ErrorKind::DuplicateTopic {
                first: "/webhooks/0".into()
            }
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
