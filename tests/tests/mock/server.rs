//! The server: shutdown, stalled and slow connections, credentials checked before bodies, where
//! it listens, and the observer.

use super::*;

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
async fn a_stalled_request_does_not_block_the_others() {
    let mock = MockServer::start().await.unwrap();
    // A client that announces a body and never sends it: its connection waits on its own.
    let stalled = stalled_create(&mock, "content-type: application/json\r\n", "{\"topic\"").await;
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
    let mock = MockServer::start_with(
        MockConfig::default().body_read_timeout(std::time::Duration::from_millis(300)),
    )
    .await
    .unwrap();
    let mut stalled =
        stalled_create(&mock, "content-type: application/json\r\n", "{\"topic\"").await;
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
    let mut stalled = stalled_create(&mock, "", "{").await;
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
