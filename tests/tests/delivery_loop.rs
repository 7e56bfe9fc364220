//! The whole loop offline: register an address with the client, have the mock deliver a signed
//! sample event to it (`POST /v1/businesses/{id}/mock/deliver`), and receive it with the axum
//! extractor of connectly-webhook. Everything stays on loopback; a registered address anywhere
//! else is refused before any connection.

use std::io::ErrorKind;

use connectly_client::types;
use connectly_mock::{MockConfig, MockServer};
use connectly_tests::{assert_error_body, client_for, Receiver};
use connectly_webhook::{parse, Event, Verifier};
use serde_json::{json, Value};

const SECRET: &str = "whsec_loop_7Qm2";

async fn mock_delivering(secret: &str) -> MockServer {
    MockServer::start_with(MockConfig::default().deliver_secret(secret))
        .await
        .unwrap()
}

async fn register(mock: &MockServer, business: &str, topic: &str, address: &str) {
    let registration: types::CreateWebhookRequest =
        serde_json::from_value(json!({"topic": topic, "address": address})).unwrap();
    client_for(mock)
        .create_webhook(business, &registration)
        .await
        .unwrap();
}

/// `POST .../mock/deliver?QUERY` with the mock's key: (status, body as JSON).
async fn deliver(mock: &MockServer, business: &str, query: &str) -> (u16, Value) {
    deliver_with_key(mock, business, query, mock.api_key()).await
}

async fn deliver_with_key(
    mock: &MockServer,
    business: &str,
    query: &str,
    key: &str,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/businesses/{business}/mock/deliver?{query}",
            mock.base_url()
        ))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn register_deliver_receive_verify_for_every_sample() {
    let receiver = Receiver::start(Verifier::new(SECRET)).await;
    let port = receiver.port();
    let mock = mock_delivering(SECRET).await;
    // One address per topic, spelt in each accepted way.
    let addresses = [
        ("messages", format!("https://127.0.0.1:{port}/webhook")),
        (
            "delivery_status",
            format!("https://localhost:{port}/webhook"),
        ),
        (
            "report",
            format!("https://127.0.0.1:{port}/webhook?topic=report"),
        ),
    ];
    for (topic, address) in &addresses {
        register(&mock, "biz_loop", topic, address).await;
    }

    // Every sample of the spec, by its topic.
    let mut delivered = 0;
    for sample in connectly_webhook::samples() {
        let (topic, name) = (sample.topic(), sample.name);
        let address = &addresses.iter().find(|(t, _)| *t == topic).unwrap().1;
        let (status, body) =
            deliver(&mock, "biz_loop", &format!("topic={topic}&sample={name}")).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(
            body,
            json!({"address": address, "topic": topic, "sample": name, "status": 200, "body": "ok"})
        );
        // The handler ran (so the signature was verified) before the receiver answered.
        let (event, headers) = receiver.next_event();
        assert_eq!(event, parse(sample.body.as_bytes()).unwrap(), "{name}");
        assert!(!matches!(event, Event::Unknown(_)), "{name}");
        assert_eq!(event.topic(), topic);
        assert_eq!(
            headers["content-type"], "text/plain; charset=utf-8",
            "the content type Connectly sends"
        );
        assert_eq!(
            headers[connectly_webhook::SIGNATURE_HEADER],
            connectly_webhook::sign(SECRET, sample.body.as_bytes()).as_str()
        );
        delivered += 1;
    }
    assert_eq!(delivered, 17);

    // Without `sample`: the default sample of each topic.
    for (topic, kind) in [
        ("messages", "text"),
        ("delivery_status", "sent"),
        ("report", "report"),
    ] {
        let (status, body) = deliver(&mock, "biz_loop", &format!("topic={topic}")).await;
        assert_eq!((status, &body["sample"]), (200, &json!(kind)), "{body}");
        let (event, _) = receiver.next_event();
        let sample = connectly_webhook::sample(kind).unwrap();
        assert_eq!(event, parse(sample.body.as_bytes()).unwrap());
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_receiver_and_its_401_reported_back() {
    let receiver = Receiver::start(Verifier::new(SECRET)).await;
    let port = receiver.port();
    let mock = mock_delivering("whsec_not_the_receivers").await;
    let address = format!("https://127.0.0.1:{port}/webhook");
    register(&mock, "biz_wrong", "messages", &address).await;

    let (status, body) = deliver(&mock, "biz_wrong", "topic=messages&sample=button_flag").await;
    assert_eq!(
        status, 200,
        "the mock delivered; the receiver refused: {body}"
    );
    assert_eq!(body["status"], 401, "{body}");
    assert_eq!(body["address"], address.as_str());
    assert!(
        body["body"].as_str().unwrap().contains("does not match"),
        "{body}"
    );
    // The handler never ran for an unverified event.
    receiver.assert_nothing_received();
}

#[tokio::test]
async fn addresses_off_loopback_are_refused_without_any_connection() {
    let mock = mock_delivering(SECRET).await;

    // A public host: refused, and nothing could have been sent (this test runs offline).
    register(
        &mock,
        "biz_public",
        "messages",
        "https://example.com/webhook",
    )
    .await;
    let (status, body) = deliver(&mock, "biz_public", "topic=messages").await;
    assert_eq!(status, 400, "{body}");
    assert_error_body(&body);
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("loopback"), "{message}");
    assert!(message.contains("https://example.com/webhook"), "{message}");
    assert_eq!(body["type"], "ERROR_TYPE_INVALID_REQUEST");

    // Hosts that are not on the list (127.0.0.0/8, localhost, [::1]) but that the system would
    // route to this machine: a listener there proves that no connection was even attempted.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for (business, address) in [
        ("biz_any", format!("https://0.0.0.0:{port}/webhook")),
        (
            "biz_mapped",
            format!("https://[::ffff:127.0.0.1]:{port}/webhook"),
        ),
        (
            "biz_sub",
            format!("https://localhost.example.com:{port}/webhook"),
        ),
    ] {
        register(&mock, business, "delivery_status", &address).await;
        let (status, body) = deliver(&mock, business, "topic=delivery_status&sample=read").await;
        assert_eq!(status, 400, "{address}: {body}");
        assert!(body["message"].as_str().unwrap().contains("loopback"));
    }
    // A completed handshake would be waiting in the accept queue by now.
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "the mock connected to a refused address"
    );
}

#[tokio::test]
async fn deliver_errors_have_connectlys_error_body() {
    // Not enabled: 409.
    let plain = MockServer::start().await.unwrap();
    register(&plain, "biz_e", "messages", "https://127.0.0.1:9/webhook").await;
    let (status, body) = deliver(&plain, "biz_e", "topic=messages").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["type"], "ERROR_TYPE_FAILED_PRECONDITION");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("--deliver-secret"));

    let mock = mock_delivering(SECRET).await;
    // A port nothing listens on (bound, then released).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    register(
        &mock,
        "biz_e",
        "messages",
        &format!("https://127.0.0.1:{closed}/webhook"),
    )
    .await;
    for (query, expected) in [
        ("topic=messages&sample=sticker", 400),
        ("topic=messages&sample=delivered", 400),
        ("topic=delivery_status&sample=text", 400),
        ("topic=report&sample=sent", 400),
        ("topic=orders", 400),
        ("sample=text", 400),
        ("topic=messages&colour=red", 400),
        ("topic=messages&topic=messages", 400),
        ("topic=delivery_status", 404),
        ("topic=messages", 502),
    ] {
        let (status, body) = deliver(&mock, "biz_e", query).await;
        assert_eq!(status, expected, "{query}: {body}");
        assert_error_body(&body);
        assert!(!body.to_string().contains(SECRET));
    }
    let (status, body) = deliver(&mock, "biz_unknown", "topic=messages").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = deliver_with_key(&mock, "biz_e", "topic=messages", "wrong").await;
    assert_eq!(status, 401, "{body}");
    // The sample/topic mismatch names the samples of the topic.
    let (_, body) = deliver(&mock, "biz_e", "topic=messages&sample=read").await;
    let kinds: Vec<&str> = connectly_webhook::samples_of("messages")
        .map(|s| s.name)
        .collect();
    assert_eq!(kinds.len(), 11);
    assert_eq!(body["details"]["samples"], json!(kinds));
    assert_eq!(body["details"]["field"], "sample");
}

#[test]
fn the_config_debug_never_shows_the_deliver_secret() {
    let config = MockConfig::default().deliver_secret(SECRET);
    let text = format!("{config:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("redacted"), "{text}");
}

#[tokio::test]
async fn delivery_only_ever_targets_the_registered_address_and_the_query_is_decoded() {
    let seen = Receiver::start(Verifier::new(SECRET)).await;
    let seen_elsewhere = Receiver::start(Verifier::new(SECRET)).await;
    let (registered, elsewhere) = (seen.port(), seen_elsewhere.port());
    let mock = mock_delivering(SECRET).await;
    let address = format!("https://127.0.0.1:{registered}/webhook");
    register(&mock, "biz_only", "delivery_status", &address).await;

    // A request that tries to name another target is refused and nothing is sent anywhere.
    for query in [
        format!("topic=delivery_status&address=https://127.0.0.1:{elsewhere}/webhook"),
        format!("topic=delivery_status&to=http://127.0.0.1:{elsewhere}/webhook"),
        "topic=delivery_status&topic=messages".to_owned(),
    ] {
        let (status, body) = deliver(&mock, "biz_only", &query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_error_body(&body);
    }
    seen.assert_nothing_received();
    seen_elsewhere.assert_nothing_received();

    // Percent-escapes in the query are decoded (axum's Query): `delivery%5Fstatus`.
    let (status, body) = deliver(&mock, "biz_only", "topic=delivery%5Fstatus&sample=rea%64").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["address"], address.as_str());
    assert_eq!(body["sample"], "read");
    seen.next_event();
    seen_elsewhere.assert_nothing_received();
}
