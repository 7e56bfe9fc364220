//! list / update / delete round trip.

use super::*;

#[tokio::test]
async fn list_update_delete_round_trip() {
    let server = start_server().await;
    // The documented list body, plus fields the spec does not know at every level.
    let list_mock = server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/v1/businesses/{BUSINESS}/webhooks"))
                .header("x-api-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({
                    "entity": {
                        "businessId": BUSINESS,
                        "webhooks": [
                            {
                                "id": "wh_01ARZ3NDEKTSV4RRFFQ69G5FAV",
                                "topic": "messages",
                                "address": "https://example.com/webhook/messages",
                                "configuration": {
                                    "echo": false,
                                    "channelTypes": ["whatsapp"],
                                    "filters": [],
                                    "futureOption": 1
                                },
                                "createdAt": "2024-01-01T00:00:00Z"
                            }
                        ],
                        "nextPageToken": ""
                    },
                    "requestId": "req-1"
                }));
        })
        .await;
    let update_mock = server
        .mock_async(|when, then| {
            when.method(Method::PUT)
                .path(format!(
                    "/v1/businesses/{BUSINESS}/update/webhooks/wh_01ARZ3NDEKTSV4RRFFQ69G5FAV"
                ))
                .header("x-api-key", KEY)
                .header("content-type", "application/json")
                .json_body(json!({ "address": "https://example.com/webhook/v2/messages" }));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({}));
        })
        .await;
    let delete_mock = server
        .mock_async(|when, then| {
            when.method(Method::DELETE)
                .path(format!(
                    "/v1/businesses/{BUSINESS}/delete/webhooks/wh_01ARZ3NDEKTSV4RRFFQ69G5FAV"
                ))
                .header("x-api-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body("{}");
        })
        .await;
    let client = client_for(&server);

    let list = client.list_webhooks(BUSINESS).await.expect("list");
    assert_eq!(list.business_id.as_deref(), Some(BUSINESS));
    assert_eq!(
        list.webhooks,
        vec![types::WebhookRegistration {
            id: "wh_01ARZ3NDEKTSV4RRFFQ69G5FAV".to_owned(),
            topic: types::Topic::Messages.to_string(),
            address: "https://example.com/webhook/messages".to_owned(),
            type_: None,
            configuration: Some(types::Configuration {
                echo: Some(false),
                channel_types: Some(vec!["whatsapp".parse().unwrap()]),
                filters: Some(vec![]),
                webengage_configuration: None,
            }),
            // A field this version does not know is kept, not dropped.
            extra: [("createdAt".to_owned(), json!("2024-01-01T00:00:00Z"),)]
                .into_iter()
                .collect(),
        }]
    );

    let id = &list.webhooks[0].id;
    let update = types::UpdateWebhookRequest {
        address: Some("https://example.com/webhook/v2/messages".parse().unwrap()),
        configuration: None,
    };
    client
        .update_webhook(BUSINESS, id, &update)
        .await
        .expect("update");
    client.delete_webhook(BUSINESS, id).await.expect("delete");

    list_mock.assert_calls_async(1).await;
    update_mock.assert_calls_async(1).await;
    delete_mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn list_accepts_an_empty_registration_list() {
    let server = start_server().await;
    server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/v1/businesses/{BUSINESS}/webhooks"));
            then.status(200)
                .json_body(json!({ "entity": { "webhooks": [] } }));
        })
        .await;

    let list = client_for(&server).list_webhooks(BUSINESS).await.unwrap();

    assert_eq!(list.business_id, None);
    assert!(list.webhooks.is_empty());
}
