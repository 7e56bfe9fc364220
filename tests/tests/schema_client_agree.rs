//! The JSON Schemas (connectly-schema) and the client's generated types (connectly-client) come
//! from the same spec by two routes; these tests prove the two agree: every registration the
//! schema accepts, the client reads and writes back unchanged, and everything the client writes,
//! the schema accepts.

use connectly_client::types;
use connectly_schema::{validate, validate_registration, SchemaKind};
use serde_json::{json, Value};

fn enum_values(def: &str) -> Vec<Value> {
    connectly_schema::allowed_values(&SchemaKind::Registration.schema()["$defs"][def])
        .unwrap_or_else(|| panic!("{def} has an enum"))
        .into_iter()
        .cloned()
        .collect()
}

/// Registrations built from every enum value and every optional part, all valid by the schema.
fn accepted_registrations() -> Vec<Value> {
    let configurations = [
        None,
        Some(json!({})),
        Some(json!({"echo": false})),
        Some(json!({"channelTypes": ["whatsapp", "sms"], "echo": true})),
        Some(json!({"filters": [{"field": "campaign_name", "expression": "summer-promo-*"}]})),
        Some(
            json!({"webengageConfiguration": {"webengageToken": "t", "webengageWebhookUrl": "https://we.example/h"}}),
        ),
    ];
    let mut out = Vec::new();
    for topic in enum_values("Topic") {
        for type_ in std::iter::once(None).chain(enum_values("WebhookType").into_iter().map(Some)) {
            for configuration in &configurations {
                let mut r = json!({"topic": topic, "address": "https://example.com/h?x=1"});
                if let Some(t) = &type_ {
                    r["type"] = t.clone();
                }
                if let Some(c) = configuration {
                    r["configuration"] = c.clone();
                }
                out.push(r);
            }
        }
    }
    out.extend(
        SchemaKind::Registration.schema()["examples"]
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    out
}

#[test]
fn every_accepted_registration_round_trips_through_the_client_types() {
    let registrations = accepted_registrations();
    assert!(registrations.len() > 40);
    for registration in registrations {
        assert_eq!(
            validate_registration(&registration),
            Ok(()),
            "{registration}"
        );
        let typed: types::CreateWebhookRequest = serde_json::from_value(registration.clone())
            .unwrap_or_else(|e| panic!("the client cannot read {registration}: {e}"));
        let written = serde_json::to_value(&typed).unwrap();
        assert_eq!(written, registration, "the client changed the registration");
        assert_eq!(validate_registration(&written), Ok(()));
    }
}

#[test]
fn what_the_client_writes_the_schema_accepts() {
    for topic in [types::Topic::Messages, types::Topic::DeliveryStatus] {
        for type_ in [
            None,
            Some(types::WebhookType::Custom),
            Some(types::WebhookType::Zapier),
            Some(types::WebhookType::Webengage),
            Some(types::WebhookType::IntegromatMake),
        ] {
            let registration = types::CreateWebhookRequest {
                topic,
                address: "https://example.com/hook".parse().unwrap(),
                type_,
                configuration: Some(types::Configuration {
                    channel_types: Some(vec!["whatsapp".parse().unwrap()]),
                    echo: Some(true),
                    filters: Some(vec![types::Filter {
                        field: "campaign_name".parse().unwrap(),
                        expression: "a*".parse().unwrap(),
                    }]),
                    webengage_configuration: None,
                }),
            };
            let json = serde_json::to_value(&registration).unwrap();
            assert_eq!(validate_registration(&json), Ok(()), "{json}");
            let config = json!({"businessId": "b", "webhooks": [json]});
            assert_eq!(validate(&config), Ok(()));
            let typed: types::WebhooksConfig = serde_json::from_value(config.clone()).unwrap();
            assert_eq!(serde_json::to_value(typed).unwrap(), config);
        }
    }
}

#[test]
fn every_enum_value_of_the_schema_is_a_client_variant_and_back() {
    for value in enum_values("Topic") {
        let typed: types::Topic = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(typed).unwrap(), value);
    }
    for value in enum_values("WebhookType") {
        let typed: types::WebhookType = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(typed).unwrap(), value);
    }
    assert_eq!(
        serde_json::to_value(types::WebhookType::default()).unwrap(),
        SchemaKind::Registration.schema()["$defs"]["WebhookType"]["default"]
    );
}

#[test]
fn the_client_refuses_what_the_schema_refuses_in_constrained_strings() {
    for address in [
        "http://example.com/h",
        "https://",
        "ftp://x",
        "https://exa mple.com",
    ] {
        let json = json!({"topic": "messages", "address": address});
        assert!(validate_registration(&json).is_err(), "{address}");
        assert!(address.parse::<types::HttpsUrl>().is_err(), "{address}");
    }
    assert!(
        serde_json::from_value::<types::Filter>(json!({"field": "", "expression": "x"})).is_err()
    );
    assert!(
        validate_registration(&json!({"topic": "messages", "address": "https://x.example",
        "configuration": {"filters": [{"field": "", "expression": "x"}]}}))
        .is_err()
    );
}
