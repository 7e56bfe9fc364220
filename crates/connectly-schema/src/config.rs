//! A config file's rules beyond JSON Schema: at most [`MAX_REGISTRATIONS`] registrations, and
//! one registration per topic (the API answers 409 to a second); [`validate`] and
//! [`validate_at_most`] check them beside the config schema.

use std::collections::HashMap;

use serde_json::Value;

use crate::validator::schema_errors;
use crate::{ErrorKind, SchemaKind, ValidationError, MAX_ERRORS_COUNTED};

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
}
