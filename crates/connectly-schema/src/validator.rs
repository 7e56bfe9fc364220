//! Validating against one schema: [`validate_as`], and each error of the `jsonschema` crate said
//! as a [`ValidationError`] of its [`ErrorKind`], counted up to [`MAX_ERRORS_COUNTED`].

use std::collections::HashSet;

use serde_json::Value;

use crate::error::closest;
use crate::lookup::{literal_prefix, needs, schema_types};
use crate::{
    allowed_values, escape_pointer_token, schema_at, ErrorKind, SchemaKind, ValidationError,
};

/// When [`validate_at_most`](crate::validate_at_most) keeps fewer errors than all, it stops
/// counting the others here: the count it returns is then a lower bound ("at least"), and a file
/// with a hundred thousand mistakes costs no more than ten thousand.
pub const MAX_ERRORS_COUNTED: usize = 10_000;

/// Validates one registration (a Create Webhook body). Returns every error.
pub fn validate_registration(registration: &Value) -> Result<(), Vec<ValidationError>> {
    validate_as(SchemaKind::Registration, registration)
}

/// Validates `instance` against one schema alone (for a config, [`validate`](crate::validate)
/// also checks topics).
pub fn validate_as(kind: SchemaKind, instance: &Value) -> Result<(), Vec<ValidationError>> {
    let (errors, _) = schema_errors(kind, instance, usize::MAX);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The schema's errors, at most `limit` of them, and how many there are in all.
pub(crate) fn schema_errors(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;
    use serde_json::json;

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
