//! The request log: what the client sent without the key, bounded by entries and by bytes.

use super::*;

#[tokio::test]
async fn the_request_log_shows_what_the_client_sent_without_the_key() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    client
        .create_webhook("a/b c", &registration("messages", "https://example.com/m"))
        .await
        .unwrap();
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/businesses/a%2Fb%20c/create/webhooks");
    assert!(request.authenticated);
    assert_eq!(
        request.json(),
        Some(json!({"topic": "messages", "address": "https://example.com/m"}))
    );
    assert!(request
        .headers
        .iter()
        .all(|(name, value)| name != "x-api-key" && !value.contains(mock.api_key())));
    // The decoded id is the business of the registration.
    assert_eq!(
        client.list_webhooks("a/b c").await.unwrap().webhooks.len(),
        1
    );
    mock.clear_requests();
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn the_request_log_keeps_only_the_last_requests() {
    let mock = MockServer::start_with(MockConfig::default().request_log_capacity(3))
        .await
        .unwrap();
    let client = client(&mock);
    for i in 0..5 {
        client.list_webhooks(&format!("biz_{i}")).await.unwrap();
    }
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v1/businesses/biz_2/webhooks",
            "/v1/businesses/biz_3/webhooks",
            "/v1/businesses/biz_4/webhooks"
        ]
    );
    let silent = MockServer::start_with(MockConfig::default().request_log_capacity(0))
        .await
        .unwrap();
    self::client(&silent).list_webhooks(BIZ).await.unwrap();
    assert!(silent.requests().is_empty());
    assert_eq!(
        connectly_mock::REQUEST_LOG_CAPACITY,
        MockConfig::default().request_log_capacity
    );
}

#[tokio::test]
async fn the_request_log_is_bounded_by_bytes_not_only_entries() {
    let mock = MockServer::start_with(MockConfig::default().request_log_bytes(4 * 1024))
        .await
        .unwrap();
    let padding = "x".repeat(1000);
    for i in 0..20 {
        // Refused by the schema (400) but accepted by the gate: each is logged with its body.
        let body = json!({"topic": "messages", "address": format!("https://example.com/{i}/{padding}"), "x": i});
        raw(
            &mock,
            reqwest::Method::POST,
            &format!("/v1/businesses/{BIZ}/create/webhooks"),
            body.to_string().into_bytes(),
        )
        .await;
    }
    let requests = mock.requests();
    let kept: usize = requests.iter().map(|r| r.body.len()).sum();
    assert!(
        (1..=3).contains(&requests.len()),
        "{} requests kept",
        requests.len()
    );
    assert!(kept <= 4 * 1024, "{kept} bytes of bodies kept");
    assert_eq!(
        requests.last().unwrap().json().unwrap()["x"],
        19,
        "the newest is kept"
    );
}
