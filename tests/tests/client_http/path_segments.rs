//! Path segments: ids stay in their segment or are refused before sending.

use super::*;

#[tokio::test]
async fn business_id_with_slash_space_and_question_mark_stays_in_its_path_segment() {
    let server = start_server().await;
    // Raw (percent-encoded) paths: httpmock compares against the request target as sent.
    let create = server
        .mock_async(|when, then| {
            when.method(Method::POST)
                .path("/v1/businesses/a%2Fb%20c%3Fd/create/webhooks")
                .query_param_count(".*", ".*", 0);
            then.status(200).json_body(json!({ "id": CREATED_ID }));
        })
        .await;
    let list = server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path("/v1/businesses/a%2Fb%20c%3Fd/webhooks")
                .query_param_count(".*", ".*", 0);
            then.status(200)
                .json_body(json!({ "entity": { "webhooks": [] } }));
        })
        .await;
    let update = server
        .mock_async(|when, then| {
            when.method(Method::PUT)
                .path("/v1/businesses/a%2Fb%20c%3Fd/update/webhooks/w%23h%2F1%25")
                .query_param_count(".*", ".*", 0);
            then.status(200).json_body(json!({}));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(Method::DELETE)
                .path("/v1/businesses/a%2Fb%20c%3Fd/delete/webhooks/w%23h%2F1%25")
                .query_param_count(".*", ".*", 0);
            then.status(200).json_body(json!({}));
        })
        .await;
    let client = client_for(&server);
    let business = "a/b c?d";
    let webhook = "w#h/1%";

    let created = client
        .create_webhook(business, &from_example(&example_messages()))
        .await
        .expect("create");
    assert_eq!(created.id, CREATED_ID);
    client.list_webhooks(business).await.expect("list");
    let no_change = no_change();
    client
        .update_webhook(business, webhook, &no_change)
        .await
        .expect("update");
    client
        .delete_webhook(business, webhook)
        .await
        .expect("delete");

    create.assert_calls_async(1).await;
    list.assert_calls_async(1).await;
    update.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
}

#[tokio::test]
async fn ids_with_a_backslash_are_refused_before_sending() {
    // `encode_path` keeps `\`, and for http(s) URLs the URL parser reads it as `/`: unchecked,
    // business id `..\other` lists `/v1/other/webhooks`, and a webhook id can walk to another
    // business's delete path. Such ids are refused; nothing reaches the server.
    let server = start_server().await;
    let anything = server
        .mock_async(|_when, then| {
            then.status(200)
                .json_body(json!({ "entity": { "webhooks": [] } }));
        })
        .await;
    let client = client_for(&server);
    let update = no_change();

    let results = [
        (
            "list business",
            client.list_webhooks(r"..\other").await.map(drop),
        ),
        (
            "list business",
            client.list_webhooks(r"a\b").await.map(drop),
        ),
        (
            "create business",
            client
                .create_webhook(r"..\..\v2", &from_example(&example_messages()))
                .await
                .map(drop),
        ),
        (
            "delete webhook",
            client
                .delete_webhook(BUSINESS, r"..\..\..\biz_other\delete\webhooks\wh_2")
                .await,
        ),
        (
            "update webhook",
            client.update_webhook(BUSINESS, r"wh\1", &update).await,
        ),
    ];
    for (what, result) in results {
        assert!(
            matches!(result, Err(Error::InvalidInput { .. })),
            "{what}: expected InvalidInput, got {result:?}"
        );
    }

    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn dot_segment_and_empty_ids_are_refused_before_sending() {
    let server = start_server().await;
    let anything = server
        .mock_async(|_when, then| {
            then.status(200).json_body(json!({ "id": CREATED_ID }));
        })
        .await;
    let client = client_for(&server);
    let request = from_example(&example_messages());
    let update = no_change();

    for bad in ["..", ".", ""] {
        let results = [
            (
                "create business",
                client.create_webhook(bad, &request).await.map(drop),
            ),
            ("list business", client.list_webhooks(bad).await.map(drop)),
            (
                "update business",
                client.update_webhook(bad, "wh_1", &update).await,
            ),
            (
                "update webhook",
                client.update_webhook(BUSINESS, bad, &update).await,
            ),
            ("delete business", client.delete_webhook(bad, "wh_1").await),
            ("delete webhook", client.delete_webhook(BUSINESS, bad).await),
        ];
        for (what, result) in results {
            match result {
                Err(Error::InvalidInput { .. }) => {}
                other => panic!("{what} {bad:?}: expected InvalidInput, got {other:?}"),
            }
        }
    }

    anything.assert_calls_async(0).await;
}
