//! The three documented create examples, sent exactly.

use super::*;

/// The request read from `example` is sent as `example`, exactly.
async fn assert_example_sent_exactly(example: Value) {
    let request = from_example(&example);
    assert_create_sends_exactly(example, request).await;
}

#[tokio::test]
async fn create_sends_messages_example_exactly_and_returns_id() {
    assert_example_sent_exactly(example_messages()).await;
}

#[tokio::test]
async fn create_sends_delivery_status_example_exactly_and_returns_id() {
    assert_example_sent_exactly(example_delivery_status()).await;
}

#[tokio::test]
async fn create_sends_filtered_delivery_status_example_exactly_and_returns_id() {
    assert_example_sent_exactly(example_delivery_status_filtered()).await;
}

#[tokio::test]
async fn create_request_built_in_rust_sends_messages_example_exactly() {
    let request = CreateWebhookRequest {
        topic: types::Topic::Messages,
        address: "https://example.com/webhook/messages".parse().unwrap(),
        type_: None,
        configuration: None,
    };
    assert_eq!(request, from_example(&example_messages()));
    assert_create_sends_exactly(example_messages(), request).await;
}

#[tokio::test]
async fn create_request_built_in_rust_sends_filtered_example_exactly() {
    let request = CreateWebhookRequest {
        topic: types::Topic::DeliveryStatus,
        address: "https://example.com/webhook/delivery".parse().unwrap(),
        type_: None,
        configuration: Some(types::Configuration {
            channel_types: Some(vec!["whatsapp".parse().unwrap()]),
            filters: Some(vec![types::Filter {
                field: "campaign_name".parse().unwrap(),
                expression: "summer-promo-*".parse().unwrap(),
            }]),
            ..Default::default()
        }),
    };
    assert_eq!(request, from_example(&example_delivery_status_filtered()));
    assert_create_sends_exactly(example_delivery_status_filtered(), request).await;
}
