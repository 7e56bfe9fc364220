//! Timeouts: a server that never answers or stalls, a full listen queue, and the documented
//! default timeouts.

use super::*;

#[tokio::test]
async fn timeout_when_the_server_accepts_and_never_answers() {
    let server = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .timeout(SHORT_TIMEOUT)
        .build()
        .unwrap();

    let started = Instant::now();
    let result = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;
    let elapsed = started.elapsed();

    match &result {
        Err(error @ Error::Timeout(_)) => assert_key_not_shown(error),
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(elapsed >= SHORT_TIMEOUT, "gave up after only {elapsed:?}");
    // The server really had the whole request and stalled: it never wrote a byte.
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].head.starts_with("POST "),
        "{}",
        requests[0].head
    );
    assert!(!requests[0].body.is_empty());
}

#[tokio::test]
async fn timeout_when_the_server_stalls_in_the_middle_of_the_body() {
    // Status line and headers arrive at once, announcing 100 bytes; 7 follow, then nothing.
    let stalled = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    content-length: 100\r\n\r\n{\"id\":\""
        .to_vec();
    let server = RawServer::start(Reply::BytesThenStall(stalled)).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .timeout(SHORT_TIMEOUT)
        .retry(fast_retries())
        .build()
        .unwrap();

    let started = Instant::now();
    let create = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;
    let list = guarded(client.list_webhooks(BUSINESS)).await;
    let elapsed = started.elapsed();

    for result in [create.map(drop), list.map(drop)] {
        match &result {
            Err(error @ Error::Timeout(_)) => assert_key_not_shown(error),
            other => panic!("expected Timeout, got {other:?}"),
        }
    }
    // The create, which may have been applied, is sent once; the list is retried.
    let sent = 1 + (1 + DEFAULT_MAX_RETRIES as usize);
    assert!(
        elapsed >= sent as u32 * SHORT_TIMEOUT,
        "gave up after only {elapsed:?}"
    );
    assert_eq!(server.requests().len(), sent);
}

/// A loopback listener whose accept queue is full, and the connections that fill it (keep
/// them): a listener with a backlog of 0 that never accepts. Once one connection waits in its
/// accept queue, Linux drops further SYNs, so a connect hangs until the connect timeout. Proven
/// full: a probe connect does not complete within 200 ms (a loopback connect takes
/// microseconds).
async fn full_listener() -> (tokio::net::TcpListener, Vec<TcpStream>, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => queued.push(stream),
            Ok(Err(e)) => panic!("connect to {addr} failed: {e}"),
            Err(_) => return (listener, queued, addr),
        }
    }
    panic!("the accept queue of {addr} never filled");
}

#[tokio::test]
async fn connect_timeout_when_the_listen_queue_is_full() {
    let (_listener, _queued, addr) = full_listener().await;
    let client = Client::builder(KEY)
        .base_url(format!("http://{addr}"))
        .connect_timeout(SHORT_TIMEOUT)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    let started = Instant::now();
    let result = guarded(client.list_webhooks(BUSINESS)).await;
    let elapsed = started.elapsed();

    match &result {
        Err(error @ Error::Timeout(_)) => assert_key_not_shown(error),
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(elapsed >= SHORT_TIMEOUT, "gave up after only {elapsed:?}");
    // Nothing was sent: a create may be sent again.
    assert!(!result.unwrap_err().outcome_unknown());
}

/// Runs a call of a client with the default timeouts on paused time (tokio moves the clock to
/// the next timer whenever every task waits), so that 30 s pass at once: the call's result and
/// how much (virtual) time it took. Nothing here sleeps.
async fn on_paused_time<T>(call: impl Future<Output = T>) -> (T, Duration) {
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let bound = 4 * DEFAULT_TIMEOUT;
    let result = tokio::time::timeout(bound, call)
        .await
        .unwrap_or_else(|_| panic!("no timeout within {bound:?}"));
    (result, started.elapsed())
}

/// Issue 27.7: the documented default request timeout is the one the client applies (not only
/// what the builder stores). Breaks if `build` drops `.timeout(..)` (no timeout: the bound
/// above fails) or if the default is another value.
#[tokio::test]
async fn default_request_timeout_is_applied_and_is_the_documented_constant() {
    let server = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let client = client_with(&server.base_url(), RetryPolicy::none());

    let (result, waited) = on_paused_time(client.list_webhooks(BUSINESS)).await;

    match &result {
        Err(Error::Timeout(e)) => assert!(!e.is_connect(), "{e:?}"),
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(
        waited >= DEFAULT_TIMEOUT && waited < DEFAULT_TIMEOUT + Duration::from_secs(1),
        "timed out after {waited:?}"
    );
    assert_eq!(server.requests().len(), 1, "the request was sent");
}

/// Issue 27.7: the documented default connect timeout is the one the client applies. Breaks if
/// `build` drops `.connect_timeout(..)` (the request timeout ends it at 30 s instead) or if the
/// default is another value.
#[tokio::test]
async fn default_connect_timeout_is_applied_and_is_the_documented_constant() {
    let (_listener, _queued, addr) = full_listener().await;
    let client = client_with(&format!("http://{addr}"), RetryPolicy::none());

    let (result, waited) = on_paused_time(client.list_webhooks(BUSINESS)).await;

    match &result {
        Err(Error::Timeout(e)) => assert!(e.is_connect(), "{e:?}"),
        other => panic!("expected a connect Timeout, got {other:?}"),
    }
    assert!(
        waited >= DEFAULT_CONNECT_TIMEOUT
            && waited < DEFAULT_CONNECT_TIMEOUT + Duration::from_secs(1),
        "timed out after {waited:?}"
    );
}
