//! The generated typed httpmock helpers.

use super::*;

#[tokio::test]
async fn generated_httpmock_helpers_mock_create_and_conflict() {
    use connectly_client::mock::MockServerExt;

    let server = start_server().await;
    let first = from_example(&example_messages());
    let second = from_example(&example_delivery_status());
    let first_for_mock = first.clone();
    let second_for_mock = second.clone();
    let conflict = api_error(&conflict_body());
    let conflict_for_mock = conflict.clone();
    let created = server.create_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap())
            .body(&first_for_mock);
        then.ok(&types::CreateWebhookResponse {
            id: CREATED_ID.to_owned(),
        });
    });
    let conflicted = server.create_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap())
            .body(&second_for_mock);
        then.conflict(&conflict_for_mock);
    });
    let deleted = server.delete_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap())
            .webhook_id(&CREATED_ID.parse().unwrap());
        then.ok(&types::Acknowledgement(serde_json::Map::new()));
    });
    let client = client_for(&server);

    let response = client.create_webhook(BUSINESS, &first).await.unwrap();
    assert_eq!(response.id, CREATED_ID);
    match client.create_webhook(BUSINESS, &second).await {
        Err(Error::AlreadyRegistered { status, body }) => {
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(*body, conflict);
        }
        other => panic!("expected AlreadyRegistered, got {other:?}"),
    }
    client.delete_webhook(BUSINESS, CREATED_ID).await.unwrap();

    created.assert_calls_async(1).await;
    conflicted.assert_calls_async(1).await;
    deleted.assert_calls_async(1).await;
}

/// The generated client on its own, built with the default context, reads a normal answer
/// whole: the transport hook's cap defaults to the client's, not to 0.
#[tokio::test]
async fn the_generated_client_alone_reads_a_whole_answer() {
    use connectly_client::mock::MockServerExt;

    let server = start_server().await;
    let created = server.create_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap());
        then.ok(&types::CreateWebhookResponse {
            id: CREATED_ID.to_owned(),
        });
    });
    let api = connectly_client::generated::Client::new(&server.base_url(), Default::default());
    let response = api
        .create_webhook(
            &BUSINESS.parse().unwrap(),
            &from_example(&example_messages()),
        )
        .await
        .unwrap();
    assert_eq!(response.into_inner().id, CREATED_ID);
    created.assert();
}
