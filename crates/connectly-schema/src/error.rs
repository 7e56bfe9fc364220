//! [`ValidationError`] and its [`ErrorKind`], and the hints: what to write instead, said from
//! the kind (the closest key or value, the allowed values, the common slips of YAML typing).

use std::fmt;

use serde_json::Value;

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

/// The candidate closest to `name` (case-insensitive Damerau–Levenshtein), when close enough to
/// be a typo of it. The one rule for "did you mean" (keys and enumeration values).
pub(crate) fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&name, &k.to_lowercase()), k))
        .min()
        .filter(|(distance, _)| *distance <= 2.max(name.len() / 3))
        .map(|(_, k)| k.as_str())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{validate, validate_registration};
    use serde_json::json;

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
}
