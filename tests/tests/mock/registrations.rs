//! Registrations: create, list, update and delete, the one-per-topic rule (also under concurrent
//! creates), and the delivery reports list.

use super::*;

#[tokio::test]
async fn create_then_list_shows_registrations_in_creation_order_with_ulid_ids() {
    let mock = MockServer::start().await.unwrap();
    assert!(mock.addr().ip().is_loopback());
    let client = client(&mock);
    let first = client
        .create_webhook(BIZ, &registration("messages", "https://example.com/m"))
        .await
        .unwrap();
    let second = client
        .create_webhook(
            BIZ,
            &registration("delivery_status", "https://example.com/d"),
        )
        .await
        .unwrap();
    for id in [&first.id, &second.id] {
        assert_eq!(id.len(), 26, "{id} is not a ULID");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }
    let list = client.list_webhooks(BIZ).await.unwrap();
    assert_eq!(list.business_id.as_deref(), Some(BIZ));
    let ids: Vec<&str> = list.webhooks.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, [first.id.as_str(), second.id.as_str()]);
    assert_eq!(list.webhooks[0].known_topic(), Some(types::Topic::Messages));
    assert_eq!(list.webhooks[1].address, "https://example.com/d");
    // Another business sees nothing.
    assert!(client
        .list_webhooks("biz_2")
        .await
        .unwrap()
        .webhooks
        .is_empty());
}

#[tokio::test]
async fn second_create_of_a_topic_is_409_and_works_again_after_delete() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    let first = client
        .create_webhook(BIZ, &registration("messages", "https://example.com/m"))
        .await
        .unwrap();
    let error = client
        .create_webhook(BIZ, &registration("messages", "https://example.com/other"))
        .await
        .unwrap_err();
    match &error {
        Error::AlreadyRegistered { status, body } => {
            assert_eq!(*status, StatusCode::CONFLICT);
            assert!(
                body.message.as_deref().unwrap().contains(&first.id),
                "{body:?}"
            );
        }
        other => panic!("expected AlreadyRegistered, got {other:?}"),
    }
    // The same topic in another business is fine.
    client
        .create_webhook("biz_2", &registration("messages", "https://example.com/m"))
        .await
        .unwrap();
    client.delete_webhook(BIZ, &first.id).await.unwrap();
    assert!(client.list_webhooks(BIZ).await.unwrap().webhooks.is_empty());
    let again = client
        .create_webhook(BIZ, &registration("messages", "https://example.com/m2"))
        .await
        .unwrap();
    assert_ne!(again.id, first.id);
}

#[tokio::test]
async fn update_is_visible_in_the_list_and_merges_configuration() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    let created: types::CreateWebhookRequest = serde_json::from_value(json!({
        "topic": "delivery_status", "address": "https://example.com/d",
        "configuration": {"echo": true, "channelTypes": ["whatsapp"]}
    }))
    .unwrap();
    let id = client.create_webhook(BIZ, &created).await.unwrap().id;
    let update: types::UpdateWebhookRequest = serde_json::from_value(json!({
        "address": "https://example.com/v2",
        "configuration": {"filters": [{"field": "campaign_name", "expression": "x-*"}]}
    }))
    .unwrap();
    client.update_webhook(BIZ, &id, &update).await.unwrap();

    let list = client.list_webhooks(BIZ).await.unwrap();
    assert_eq!(list.webhooks.len(), 1);
    let stored = &list.webhooks[0];
    assert_eq!(stored.id, id, "update keeps the id");
    assert_eq!(stored.address, "https://example.com/v2");
    assert_eq!(stored.known_topic(), Some(types::Topic::DeliveryStatus));
    let configuration = stored.configuration.as_ref().unwrap();
    assert_eq!(
        configuration.echo,
        Some(true),
        "fields not given keep their value"
    );
    assert_eq!(configuration.channel_types.as_ref().map(Vec::len), Some(1));
    assert_eq!(configuration.filters.as_ref().map(Vec::len), Some(1));
}

#[tokio::test]
async fn update_cannot_change_the_topic() {
    let mock = MockServer::start().await.unwrap();
    let id = client(&mock)
        .create_webhook(BIZ, &registration("messages", "https://example.com/m"))
        .await
        .unwrap()
        .id;
    let path = format!("/v1/businesses/{BIZ}/update/webhooks/{id}");
    let body = json!({"topic": "delivery_status"}).to_string().into_bytes();
    let (status, body) = raw(&mock, reqwest::Method::PUT, &path, body).await;
    assert_eq!(status, 400);
    assert_error_body(&body);
    assert!(
        body["message"].as_str().unwrap().contains("topic"),
        "{body}"
    );
    assert_eq!(mock.registrations(BIZ)[0]["topic"], "messages");
}

#[tokio::test]
async fn unknown_webhook_ids_are_404_on_update_and_delete() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    let id = client
        .create_webhook(BIZ, &registration("messages", "https://example.com/m"))
        .await
        .unwrap()
        .id;
    let update = types::UpdateWebhookRequest {
        address: Some("https://example.com/x".parse().unwrap()),
        configuration: None,
    };
    for result in [
        client.update_webhook(BIZ, "01NOSUCHWEBHOOK", &update).await,
        client.delete_webhook(BIZ, "01NOSUCHWEBHOOK").await,
        // A real id, but of another business.
        client.delete_webhook("biz_2", &id).await,
    ] {
        assert!(
            matches!(result, Err(Error::NotFound { status, .. }) if status == StatusCode::NOT_FOUND),
            "{result:?}"
        );
    }
    assert_eq!(mock.registrations(BIZ).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_creates_of_one_topic_give_one_200_and_31_409() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .create_webhook(
                        BIZ,
                        &registration("messages", &format!("https://example.com/{i}")),
                    )
                    .await
            })
        })
        .collect();
    let (mut created, mut conflicts) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(Error::AlreadyRegistered { .. }) => conflicts += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!((created, conflicts), (1, 31));
    assert_eq!(mock.registrations(BIZ).len(), 1);
}

#[tokio::test]
async fn list_reports_answers_a_plausible_list_filtered_by_type() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    let all = client.list_reports(BIZ, None).await.unwrap();
    let types: Vec<&str> = all.iter().map(|r| r.type_.as_str()).collect();
    assert_eq!(types, ["campaign.daily.v1", "campaign.monthly.v1"]);
    for report in &all {
        let run = report.last_run.as_ref().unwrap();
        assert_eq!(run.status, types::ReportRunStatus::Completed);
        let result = run.result.as_ref().unwrap();
        assert!(result.url.starts_with("https://"), "{}", result.url);
        let (created, expires) = (
            result.created_at.as_deref().unwrap(),
            result.expires_at.as_deref().unwrap(),
        );
        assert!(created < expires, "{created} < {expires}");
        assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");
    }
    let daily = client
        .list_reports(BIZ, Some("campaign.daily.v1"))
        .await
        .unwrap();
    assert_eq!(daily.len(), 1);
    assert_eq!((&daily[0].id, &daily[0].name), (&all[0].id, &all[0].name));
    assert!(client
        .list_reports(BIZ, Some("no.such.type"))
        .await
        .unwrap()
        .is_empty());
    // The type goes in the query, percent-encoded.
    let last = mock.requests().pop().unwrap();
    assert_eq!(last.query.as_deref(), Some("type=no.such.type"));
    assert!(matches!(
        client.list_reports(BIZ, Some("")).await,
        Err(Error::InvalidInput { .. })
    ));
}
