//! The one table between the flags of `webhooks create` / `update` and the request body: read
//! one way to build a body from flags ([`Given`], validated by [`checked`] with the schema users
//! get), the other way to name the flag behind a schema error's pointer and to turn a
//! registration back into the command that creates it ([`create_command`]).

use connectly_schema::{validate_as, SchemaKind};
use serde_json::{json, Map, Value};

use crate::{ConfigFlags, Failure};

/// How the values of a flag become the JSON at its pointer, and back.
#[derive(Clone, Copy)]
enum Shape {
    /// One string.
    Text,
    /// `true` or `false`.
    Bool,
    /// Repeatable; a list of strings.
    Texts,
    /// Repeatable `FIELD=EXPR`; a list of `{field, expression}`.
    Filters,
}

/// A flag of `webhooks create` / `update` and where its value goes in the request body.
struct FlagSpec {
    flag: &'static str,
    pointer: &'static str,
    shape: Shape,
    /// The values given on the command line, as typed.
    given: fn(&Given) -> Vec<String>,
}

/// The one table between flags and request bodies: read one way to build a body from flags,
/// the other way to name the flag behind a schema error's pointer and to turn a registration
/// back into the command that creates it.
const FLAGS: &[FlagSpec] = &[
    FlagSpec {
        flag: "--topic",
        pointer: "/topic",
        shape: Shape::Text,
        given: |g| g.topic.map(str::to_owned).into_iter().collect(),
    },
    FlagSpec {
        flag: "--address",
        pointer: "/address",
        shape: Shape::Text,
        given: |g| g.address.map(str::to_owned).into_iter().collect(),
    },
    FlagSpec {
        flag: "--type",
        pointer: "/type",
        shape: Shape::Text,
        given: |g| g.type_.map(str::to_owned).into_iter().collect(),
    },
    FlagSpec {
        flag: "--echo",
        pointer: "/configuration/echo",
        shape: Shape::Bool,
        given: |g| {
            g.configuration
                .echo
                .map(|e| e.to_string())
                .into_iter()
                .collect()
        },
    },
    FlagSpec {
        flag: "--channel-type",
        pointer: "/configuration/channelTypes",
        shape: Shape::Texts,
        given: |g| g.configuration.channel_types.clone(),
    },
    FlagSpec {
        flag: "--filter",
        pointer: "/configuration/filters",
        shape: Shape::Filters,
        given: |g| {
            g.configuration
                .filters
                .iter()
                .map(|(field, expression)| format!("{field}={expression}"))
                .collect()
        },
    },
    FlagSpec {
        flag: "--webengage-token",
        pointer: "/configuration/webengageConfiguration/webengageToken",
        shape: Shape::Text,
        given: |g| {
            g.configuration
                .webengage_token
                .clone()
                .into_iter()
                .collect()
        },
    },
    FlagSpec {
        flag: "--webengage-webhook-url",
        pointer: "/configuration/webengageConfiguration/webengageWebhookUrl",
        shape: Shape::Text,
        given: |g| {
            g.configuration
                .webengage_webhook_url
                .clone()
                .into_iter()
                .collect()
        },
    },
];

/// The flags of one `webhooks create` or `update` command line.
pub(crate) struct Given<'a> {
    pub(crate) topic: Option<&'a str>,
    pub(crate) address: Option<&'a str>,
    pub(crate) type_: Option<&'a str>,
    pub(crate) configuration: &'a ConfigFlags,
}

impl Given<'_> {
    /// The request body the flags describe (empty when no flag was given).
    pub(crate) fn body(&self) -> Map<String, Value> {
        let mut body = Value::Object(Map::new());
        for spec in FLAGS {
            let values = (spec.given)(self);
            if values.is_empty() {
                continue;
            }
            let value = match spec.shape {
                Shape::Text => Value::String(values[0].clone()),
                Shape::Bool => Value::Bool(values[0] == "true"),
                Shape::Texts => json!(values),
                Shape::Filters => values
                    .iter()
                    .filter_map(|v| v.split_once('='))
                    .map(|(field, expression)| json!({"field": field, "expression": expression}))
                    .collect(),
            };
            set_pointer(&mut body, spec.pointer, value);
        }
        match body {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

fn set_pointer(root: &mut Value, pointer: &str, value: Value) {
    let mut target = root;
    let mut keys = pointer.trim_start_matches('/').split('/').peekable();
    while let Some(key) = keys.next() {
        let Value::Object(map) = target else { return };
        if keys.peek().is_none() {
            map.insert(key.to_owned(), value);
            return;
        }
        target = map
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// The command-line flag that sets the value at `pointer` (the longest entry of [`FLAGS`] that
/// the pointer starts with).
fn flag_for(pointer: &str) -> &'static str {
    FLAGS
        .iter()
        .filter(|spec| {
            pointer == spec.pointer
                || pointer
                    .strip_prefix(spec.pointer)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|spec| spec.pointer.len())
        .map(|spec| spec.flag)
        .unwrap_or(if pointer.starts_with("/configuration") {
            "configuration"
        } else {
            "request"
        })
}

/// The `connectly webhooks create` command line that registers `registration` (a Create Webhook
/// body) for `business`, shell-quoted.
pub(crate) fn create_command(business: &str, registration: &Value) -> String {
    let mut words = vec![
        "connectly webhooks create".to_owned(),
        format!("--business-id {}", shell_quote(business)),
    ];
    for spec in FLAGS {
        let Some(value) = registration.pointer(spec.pointer) else {
            continue;
        };
        let values: Vec<String> = match (spec.shape, value) {
            (Shape::Text, Value::String(s)) => vec![s.clone()],
            (Shape::Bool, Value::Bool(b)) => vec![b.to_string()],
            (Shape::Texts, Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            (Shape::Filters, Value::Array(items)) => items
                .iter()
                .map(|f| {
                    format!(
                        "{}={}",
                        f["field"].as_str().unwrap_or_default(),
                        f["expression"].as_str().unwrap_or_default()
                    )
                })
                .collect(),
            _ => continue,
        };
        for value in values {
            words.push(format!("{} {}", spec.flag, shell_quote(&value)));
        }
    }
    words.join(" ")
}

fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Validates a request body built from flags with the schema users get, naming the flag at
/// fault, then converts it to the client's type.
pub(crate) fn checked<T: serde::de::DeserializeOwned>(
    kind: SchemaKind,
    body: Map<String, Value>,
) -> Result<T, Failure> {
    let body = Value::Object(body);
    if let Err(errors) = validate_as(kind, &body) {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", flag_for(&e.pointer), e.message))
            .collect();
        return Err(Failure::usage(lines.join("\n")));
    }
    serde_json::from_value(body).map_err(|e| Failure::usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WebhooksCommand;
    use clap::Parser;

    /// Splits a command line the way a POSIX shell reads what [`shell_quote`] writes.
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        let mut started = false;
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    started = true;
                }
                '\\' if !quoted => {
                    word.extend(chars.next());
                    started = true;
                }
                ' ' if !quoted => {
                    if started {
                        words.push(std::mem::take(&mut word));
                        started = false;
                    }
                }
                c => {
                    word.push(c);
                    started = true;
                }
            }
        }
        if started {
            words.push(word);
        }
        words
    }

    /// The body `connectly ARGS` builds from its flags.
    fn body_of(args: &[String]) -> (String, Value) {
        let cli = crate::Cli::try_parse_from(args).unwrap();
        let crate::Command::Webhooks {
            api,
            command:
                WebhooksCommand::Create {
                    topic,
                    address,
                    type_,
                    configuration,
                    ..
                },
        } = cli.command
        else {
            panic!("a create command");
        };
        let given = Given {
            topic: Some(&topic),
            address: Some(&address),
            type_: type_.as_deref(),
            configuration: &configuration,
        };
        (
            api.business_id.unwrap_or_default(),
            Value::Object(given.body()),
        )
    }

    #[test]
    fn the_flag_table_reads_both_ways() {
        let registration = json!({
            "topic": "delivery_status",
            "address": "https://example.com/it's?a=1&b=2",
            "type": "webengage",
            "configuration": {
                "echo": true,
                "channelTypes": ["whatsapp", "sms"],
                "filters": [{"field": "campaign_name", "expression": "summer promo *"}],
                "webengageConfiguration": {"webengageToken": "t", "webengageWebhookUrl": "https://w.example"}
            }
        });
        let line = create_command("biz 1", &registration);
        let words = shell_words(&line);
        assert_eq!(words[..3], ["connectly", "webhooks", "create"], "{line}");
        let (business, body) = body_of(&words);
        assert_eq!(business, "biz 1", "{line}");
        assert_eq!(body, registration, "{line}");
        assert!(validate_as(SchemaKind::Registration, &body).is_ok());
    }

    #[test]
    fn a_schema_error_names_the_flag_behind_its_pointer() {
        assert_eq!(flag_for("/address"), "--address");
        assert_eq!(flag_for("/configuration/filters/0/expression"), "--filter");
        assert_eq!(flag_for("/configuration/channelTypes/1"), "--channel-type");
        assert_eq!(
            flag_for("/configuration/webengageConfiguration/webengageWebhookUrl"),
            "--webengage-webhook-url"
        );
        assert_eq!(flag_for("/configuration/other"), "configuration");
        assert_eq!(
            flag_for("/addressee"),
            "request",
            "a prefix of a key is not the key"
        );
    }
}
