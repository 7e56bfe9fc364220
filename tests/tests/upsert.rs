//! `connectly_client::reconcile` and `Client::upsert_webhook` against the mock: an update sends
//! an empty list as `[]` (so clearing is done in place), and upsert never makes a second
//! registration.

use connectly_client::{reconcile, types, UpsertOutcome};
use connectly_mock::MockServer;
use connectly_tests::client_for;
use serde_json::{json, Value};

const BIZ: &str = "biz_upsert";

fn registration(value: Value) -> types::CreateWebhookRequest {
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn an_update_sends_an_empty_list_and_clears_it_in_place() {
    let mock = MockServer::start().await.unwrap();
    let client = client_for(&mock);
    let filtered = registration(
        json!({"topic": "messages", "address": "https://example.com/m",
        "configuration": {"filters": [{"field": "campaign_name", "expression": "a*"}],
                          "channelTypes": ["whatsapp"]}}),
    );
    let id = client.create_webhook(BIZ, &filtered).await.unwrap().id;
    let plain = registration(json!({"topic": "messages", "address": "https://example.com/m"}));
    mock.clear_requests();

    let outcome = client.upsert_webhook(BIZ, &plain).await.unwrap();
    assert_eq!(outcome.outcome, UpsertOutcome::Updated);
    assert_eq!(outcome.id, id, "in place");

    // On the wire: the PUT carries the lists, empty.
    let put = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("an update");
    assert_eq!(
        put.json().unwrap()["configuration"],
        json!({"channelTypes": [], "echo": false, "filters": []})
    );
    let live = client.list_webhooks(BIZ).await.unwrap().webhooks;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].id, id);
    assert_eq!(
        reconcile::reconcile(Some(&live[0]), &plain),
        reconcile::Reconcile::Unchanged { id }
    );
}

#[test]
fn an_absent_list_is_not_sent_and_an_empty_one_is() {
    let mut configuration = types::Configuration::default();
    assert_eq!(serde_json::to_value(&configuration).unwrap(), json!({}));
    configuration.filters = Some(vec![]);
    assert_eq!(
        serde_json::to_value(&configuration).unwrap(),
        json!({"filters": []})
    );
}

#[tokio::test]
async fn upsert_of_an_existing_registration_returns_its_id_and_sends_no_create() {
    let mock = MockServer::start().await.unwrap();
    let client = client_for(&mock);
    let wanted = registration(json!({"topic": "messages", "address": "https://example.com/m"}));
    let first = client.upsert_webhook(BIZ, &wanted).await.unwrap();
    assert_eq!(first.outcome, UpsertOutcome::Created);
    mock.clear_requests();
    let again = client.upsert_webhook(BIZ, &wanted).await.unwrap();
    assert_eq!(again.outcome, UpsertOutcome::Unchanged);
    assert_eq!(again.id, first.id);
    let methods: Vec<String> = mock.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET"], "only a list");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upserts_of_one_topic_end_with_one_registration() {
    let mock = MockServer::start().await.unwrap();
    let client = client_for(&mock);
    let wanted = registration(json!({"topic": "messages", "address": "https://example.com/m"}));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            let wanted = wanted.clone();
            tokio::spawn(async move { client.upsert_webhook(BIZ, &wanted).await })
        })
        .collect();
    let mut ids = Vec::new();
    let mut created = 0;
    for task in tasks {
        let done = task.await.unwrap().unwrap();
        created += usize::from(done.outcome == UpsertOutcome::Created);
        ids.push(done.id);
    }
    let live = mock.registrations(BIZ);
    assert_eq!(live.len(), 1, "{live:?}");
    assert!(ids.iter().all(|id| *id == live[0]["id"]), "{ids:?}");
    assert_eq!(created, 1, "exactly one call created it");
}

#[tokio::test]
async fn upsert_refuses_a_type_change_and_sends_nothing() {
    let mock = MockServer::start().await.unwrap();
    let client = client_for(&mock);
    let zapier = registration(
        json!({"topic": "messages", "address": "https://example.com/m", "type": "zapier"}),
    );
    client.create_webhook(BIZ, &zapier).await.unwrap();
    mock.clear_requests();
    let custom = registration(json!({"topic": "messages", "address": "https://example.com/m"}));
    let error = client.upsert_webhook(BIZ, &custom).await.unwrap_err();
    assert!(error.to_string().contains("delete it first"), "{error}");
    assert!(mock.requests().iter().all(|r| r.method == "GET"));
}
