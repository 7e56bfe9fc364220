//! connectly-mock, driven by the generated client (and by raw HTTP where the client cannot send
//! the fault), in-process on loopback.

use connectly_client::{types, Client, Error, StatusCode};
use connectly_mock::{MockConfig, MockServer};
use connectly_tests::{assert_error_body, client_for as client};
use serde_json::{json, Value};

const BIZ: &str = "biz_1";

fn registration(topic: &str, address: &str) -> types::CreateWebhookRequest {
    serde_json::from_value(json!({"topic": topic, "address": address})).unwrap()
}

/// A raw request with the mock's key: (status, body as JSON).
async fn raw(
    mock: &MockServer,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", mock.base_url()))
        .header("x-api-key", mock.api_key())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

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

#[tokio::test]
async fn shutdown_stops_the_server() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    client.list_webhooks(BIZ).await.unwrap();
    mock.shutdown().await.unwrap();
    let error = client.list_webhooks(BIZ).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
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
async fn a_stalled_request_does_not_block_the_others() {
    use tokio::io::AsyncWriteExt;
    let mock = MockServer::start().await.unwrap();
    // A client that announces a body and never sends it: its connection waits on its own.
    let mut stalled = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /v1/businesses/{BIZ}/create/webhooks HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\n\
                 content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"topic\"",
                mock.api_key()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let client = client(&mock);
    let created = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client.create_webhook(BIZ, &registration("messages", "https://example.com/m")),
    )
    .await
    .expect("another request is served while one stalls")
    .unwrap();
    assert_eq!(
        client.list_webhooks(BIZ).await.unwrap().webhooks[0].id,
        created.id
    );
    drop(stalled);
}

/// Reads what the server sends on `stream` until it closes the connection or `deadline`
/// passes; `None` if it was still open then.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    deadline: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(deadline, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test]
async fn a_keyless_request_gets_401_before_its_body_is_sent_and_its_body_is_never_logged() {
    use tokio::io::AsyncWriteExt;
    let mock = MockServer::start().await.unwrap();
    // Headers announcing a 1 MiB body, and no body: the answer must not wait for it.
    let mut stream = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /v1/businesses/{BIZ}/create/webhooks HTTP/1.1\r\nhost: x\r\n\
                 content-type: application/json\r\ncontent-length: {}\r\n\r\n",
                1024 * 1024
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, std::time::Duration::from_secs(5))
        .await
        .expect("answered and closed without waiting for the body");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    // A keyless request whose body is sent: answered 401, logged without its body.
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/businesses/{BIZ}/create/webhooks",
            mock.base_url()
        ))
        .header("x-api-key", "wrong-key")
        .body(r#"{"topic": "messages", "address": "https://example.com/secret-body"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert!(!request.authenticated);
        assert!(request.body.is_empty(), "{request:?}");
    }
    assert!(mock.registrations(BIZ).is_empty());
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

#[tokio::test]
async fn a_connection_that_sends_partial_headers_is_closed_within_the_timeout_while_others_are_served(
) {
    use tokio::io::AsyncWriteExt;
    let timeout = std::time::Duration::from_millis(500);
    let mock = MockServer::start_with(MockConfig::default().header_read_timeout(timeout))
        .await
        .unwrap();
    let mut slow = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    slow.write_all(
        format!("GET /v1/businesses/{BIZ}/webhooks HTTP/1.1\r\nhost: x\r\nx-api-k").as_bytes(),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    // Others are served meanwhile.
    client(&mock).list_webhooks(BIZ).await.unwrap();
    let answer = read_until_closed(&mut slow, std::time::Duration::from_secs(10))
        .await
        .expect("the connection with partial headers was closed");
    assert!(!answer.contains("200 OK"), "{answer}");
    let waited = started.elapsed();
    assert!(
        waited >= timeout / 2,
        "closed after {waited:?}, before the timeout"
    );
    client(&mock).list_webhooks(BIZ).await.unwrap();
    assert_eq!(
        connectly_mock::HEADER_READ_TIMEOUT,
        MockConfig::default().header_read_timeout,
        "the documented default is the one used"
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_408_and_is_not_logged() {
    use tokio::io::AsyncWriteExt;
    let mock = MockServer::start_with(
        MockConfig::default().body_read_timeout(std::time::Duration::from_millis(300)),
    )
    .await
    .unwrap();
    let mut stalled = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /v1/businesses/{BIZ}/create/webhooks HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\n\
                 content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"topic\"",
                mock.api_key()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stalled, std::time::Duration::from_secs(10))
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("ERROR_CODE_REQUEST_TIMEOUT"), "{answer}");
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].authenticated && requests[0].body.is_empty());
}

#[tokio::test]
async fn listening_off_loopback_needs_the_opt_in_and_a_key_of_ones_own() {
    let public: std::net::SocketAddr = "0.0.0.0:0".parse().unwrap();
    for config in [
        MockConfig::default().listen(public),
        MockConfig::default().listen(public).allow_non_loopback(),
        MockConfig::default()
            .listen(public)
            .allow_non_loopback()
            .api_key("mine")
            .api_key(connectly_mock::DEFAULT_API_KEY),
        MockConfig::default().listen(public).api_key("mine"),
    ] {
        let error = MockServer::start_with(config.clone())
            .await
            .expect_err("refused before binding");
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::PermissionDenied,
            "{config:?}"
        );
        assert!(
            error.to_string().contains("not a loopback address"),
            "{error}"
        );
    }
    // `serve` applies the same rule to the listener it is given (here a loopback one passes).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let served = connectly_mock::serve(listener, MockConfig::default(), async {});
    tokio::time::timeout(std::time::Duration::from_secs(10), served)
        .await
        .unwrap()
        .unwrap();
    // With both, it is allowed (checked without binding a public port in a test).
    let own = MockConfig::default()
        .allow_non_loopback()
        .api_key("k3y-of-my-own");
    own.check_listen(public).unwrap();
    own.check_listen("[::]:8080".parse().unwrap()).unwrap();
    MockConfig::default()
        .check_listen("[::1]:8080".parse().unwrap())
        .unwrap();
}

#[tokio::test]
async fn the_observer_sees_method_path_status_and_latency_of_every_answer() {
    use tokio::io::AsyncWriteExt;
    // `ServedRequest` has no field for a header or the body: the key cannot reach the observer.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let body_timeout = std::time::Duration::from_millis(200);
    let mock = MockServer::start_with(
        MockConfig::default()
            .body_read_timeout(body_timeout)
            .on_request(move |r| sink.lock().unwrap().push(r.clone())),
    )
    .await
    .unwrap();
    client(&mock).list_webhooks(BIZ).await.unwrap();
    // Refused before the handler (401), and answered only after the body timed out (408).
    let _ = reqwest::Client::new()
        .get(format!("{}/v1/businesses/{BIZ}/webhooks", mock.base_url()))
        .send()
        .await
        .unwrap();
    let mut stalled = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /v1/businesses/{BIZ}/create/webhooks HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\n\
                 content-length: 100\r\n\r\n{{",
                mock.api_key()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stalled, std::time::Duration::from_secs(10))
        .await
        .expect("answered 408 and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    let seen = seen.lock().unwrap().clone();
    let lines: Vec<(&str, String, u16)> = seen
        .iter()
        .map(|r| (r.method.as_str(), r.path.clone(), r.status))
        .collect();
    let path = format!("/v1/businesses/{BIZ}/webhooks");
    assert_eq!(
        lines,
        [
            ("GET", path.clone(), 200),
            ("GET", path, 401),
            ("POST", format!("/v1/businesses/{BIZ}/create/webhooks"), 408),
        ]
    );
    // The latency runs from the headers to the answer, the body's wait included: the 408 is
    // only produced once the body timeout has passed.
    assert!(seen[2].latency >= body_timeout, "{seen:?}");
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
