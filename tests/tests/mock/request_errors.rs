//! Answers to bad requests: a missing or unknown key, malformed or invalid JSON, a body over the
//! limit, unknown paths and methods.

use super::*;

#[tokio::test]
async fn a_missing_or_unknown_api_key_is_401() {
    let mock = MockServer::start_with(MockConfig::default().api_key("key-a").api_key("key-b"))
        .await
        .unwrap();
    for key in ["key-a", "key-b"] {
        let client = Client::builder(key)
            .base_url(mock.base_url())
            .build()
            .unwrap();
        client.list_webhooks(BIZ).await.unwrap();
    }
    let wrong = Client::builder(connectly_mock::DEFAULT_API_KEY)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let error = wrong.list_webhooks(BIZ).await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    let response = reqwest::Client::new()
        .get(format!("{}/v1/businesses/{BIZ}/webhooks", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_error_body(&response.json().await.unwrap());
}

#[tokio::test]
async fn malformed_json_and_invalid_values_are_400_naming_the_field() {
    let mock = MockServer::start().await.unwrap();
    let path = format!("/v1/businesses/{BIZ}/create/webhooks");
    let (status, body) = raw(
        &mock,
        reqwest::Method::POST,
        &path,
        b"{\"topic\": ".to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("malformed JSON"),
        "{body}"
    );

    for (sent, field) in [
        (
            json!({"topic": "messages", "address": "http://example.com/m"}),
            "/address",
        ),
        (
            json!({"topic": "message", "address": "https://example.com/m"}),
            "/topic",
        ),
        (
            json!({"topic": "messages", "adress": "https://example.com/m"}),
            "adress",
        ),
        (
            json!({"topic": "messages", "address": "https://example.com/m",
                   "configuration": {"filters": [{"field": "campaign_name"}]}}),
            "/configuration/filters/0",
        ),
    ] {
        let (status, body) = raw(
            &mock,
            reqwest::Method::POST,
            &path,
            sent.to_string().into_bytes(),
        )
        .await;
        assert_eq!(status, 400, "{sent}");
        assert_error_body(&body);
        assert!(
            body["message"].as_str().unwrap().contains(field),
            "{field} not named in {body}"
        );
    }
    assert!(
        mock.registrations(BIZ).is_empty(),
        "nothing invalid is stored"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let mock = MockServer::start_with(MockConfig::default().max_body_bytes(1024))
        .await
        .unwrap();
    let path = format!("/v1/businesses/{BIZ}/create/webhooks");
    let padding = "x".repeat(2048);
    let big = json!({"topic": "messages", "address": format!("https://example.com/{padding}")});
    let (status, body) = raw(
        &mock,
        reqwest::Method::POST,
        &path,
        big.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 413);
    assert_error_body(&body);
    // The default limit is 1 MiB.
    let mock = MockServer::start().await.unwrap();
    let (status, _) = raw(
        &mock,
        reqwest::Method::POST,
        &path,
        vec![b' '; 1024 * 1024 + 1],
    )
    .await;
    assert_eq!(status, 413);
    let small = json!({"topic": "messages", "address": "https://example.com/m"});
    let (status, _) = raw(
        &mock,
        reqwest::Method::POST,
        &path,
        small.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "the server still answers after a refused body");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_error_bodies_and_no_request_breaks_the_server() {
    let mock = MockServer::start().await.unwrap();
    let (status, body) = raw(&mock, reqwest::Method::GET, "/v2/nothing", Vec::new()).await;
    assert_eq!(status, 404);
    assert_error_body(&body);
    let (status, body) = raw(
        &mock,
        reqwest::Method::PATCH,
        &format!("/v1/businesses/{BIZ}/webhooks"),
        Vec::new(),
    )
    .await;
    assert_eq!(status, 405);
    assert_error_body(&body);
    for junk in [
        vec![0xff, 0xfe, 0x00],
        b"[]".to_vec(),
        b"null".to_vec(),
        b"\"x\"".to_vec(),
        Vec::new(),
    ] {
        let (status, _) = raw(
            &mock,
            reqwest::Method::POST,
            &format!("/v1/businesses/{BIZ}/create/webhooks"),
            junk,
        )
        .await;
        assert_eq!(status, 400);
    }
    client(&mock).list_webhooks(BIZ).await.unwrap();
}
