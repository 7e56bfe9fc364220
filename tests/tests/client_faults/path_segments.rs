//! Inputs: ids that would leave their path segment.

use super::*;

#[tokio::test]
async fn ids_with_reserved_non_ascii_and_encoded_dots_stay_in_their_segment() {
    // The in-process fake records each path exactly as it arrived on the wire.
    let mock = connectly_mock::MockServer::start().await.unwrap();
    let client = Client::builder(mock.api_key())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let cases = [
        ("Zürich 東京", "Z%C3%BCrich%20%E6%9D%B1%E4%BA%AC"),
        ("a/../b", "a%2F..%2Fb"),
        ("..x", "..x"),
        ("%2e%2e", "%252e%252e"),
        ("q?x=1#f", "q%3Fx=1%23f"),
    ];
    for (id, encoded) in cases {
        mock.clear_requests();
        client.list_webhooks(id).await.unwrap();
        let _ = client.delete_webhook(BUSINESS, id).await;
        let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                format!("/v1/businesses/{encoded}/webhooks"),
                format!("/v1/businesses/{BUSINESS}/delete/webhooks/{encoded}"),
            ],
            "{id:?}"
        );
        assert!(
            mock.requests().iter().all(|r| r.query.is_none()),
            "{id:?} made a query"
        );
        // And the server decoded it back to the same id.
        assert_eq!(
            client
                .list_webhooks(id)
                .await
                .unwrap()
                .business_id
                .as_deref(),
            Some(id)
        );
    }
}
