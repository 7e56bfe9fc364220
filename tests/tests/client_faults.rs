//! Fault injection against `connectly_client::Client`, on loopback only (127.0.0.1): servers
//! that stall, hang up, redirect, stream without end or answer garbage; the API key checked
//! against every place it could leak (tracing output of every crate, errors, panics); and
//! property tests of what the client sends and of how it takes arbitrary response bytes.
//!
//! Where httpmock cannot inject the fault (a stall, a hang-up, a body cut short, an endless
//! chunked body, a count of accepted connections), a tiny raw server ([`RawServer`]) on a tokio
//! `TcpListener` does. Nothing here sleeps: a timeout is asserted as the client returning
//! `Error::Timeout` after at least the configured time and well within a generous bound, and
//! every client call is wrapped in [`GUARD`] so that a client that hangs fails instead of
//! blocking the test run.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use connectly_client::{
    types::{self, CreateWebhookRequest},
    Client, Error, RetryPolicy, StatusCode, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT, MAX_RETRIES, MIN_RETRY_DELAY,
};
use httpmock::{Method, MockServer};
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const KEY: &str = "sk_test_Fault9Kq2Zr7Xw";
const BUSINESS: &str = "biz_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const CREATE_PATH: &str = "/v1/businesses/biz_01ARZ3NDEKTSV4RRFFQ69G5FAV/create/webhooks";
/// The request timeout configured where a test waits for `Error::Timeout`.
const SHORT_TIMEOUT: Duration = Duration::from_millis(300);
/// The generous bound within which a client call must return (it never hangs the test run).
const GUARD: Duration = Duration::from_secs(5);

fn messages_registration() -> CreateWebhookRequest {
    CreateWebhookRequest {
        topic: types::Topic::Messages,
        address: "https://example.com/webhook/messages".parse().unwrap(),
        type_: None,
        configuration: None,
    }
}

fn client_at(base_url: &str) -> Client {
    Client::builder(KEY)
        .base_url(base_url)
        .build()
        .expect("a loopback base URL is accepted")
}

/// The default retry policy with 1 ms backoffs, so that tests of what is retried do not wait.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(1))
}

/// Runs a client call, failing the test when it has not returned within [`GUARD`].
async fn guarded<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, call)
        .await
        .unwrap_or_else(|_| panic!("the client call did not return within {GUARD:?}"))
}

/// Everything printed about an error (Display, Debug, alternate forms, every source) must not
/// contain the API key.
fn assert_key_not_shown(error: &Error) {
    let mut shown = vec![
        error.to_string(),
        format!("{error:#}"),
        format!("{error:?}"),
        format!("{error:#?}"),
    ];
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        shown.push(s.to_string());
        shown.push(format!("{s:?}"));
        source = s.source();
    }
    for text in shown {
        assert!(!text.contains(KEY), "the API key leaks: {text}");
    }
}

// A raw loopback HTTP/1.1 server --------------------------------------------------------------

/// What [`RawServer`] does with each request once it has read it whole.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes, then closes the connection.
    Bytes(Vec<u8>),
    /// Writes these bytes (possibly none), then holds the connection open and writes nothing
    /// more, until the test's runtime ends.
    BytesThenStall(Vec<u8>),
    /// Closes the connection without writing anything.
    Close,
    /// The n-th request (0-based, over all connections) gets the n-th reply; the last one
    /// repeats.
    Script(Vec<Reply>),
    /// Answers 200 with a chunked body that never ends: writes chunks until the client hangs up
    /// or [`ENDLESS_BOUND`] bytes are written (then closes without the final chunk).
    EndlessChunked,
}

/// The most an [`Reply::EndlessChunked`] server writes.
const ENDLESS_BOUND: usize = 256 * 1024 * 1024;

/// One request as received.
#[derive(Clone, Debug)]
struct Received {
    head: String,
    body: Vec<u8>,
}

/// A loopback server that counts connections, records requests and answers each with a
/// [`Reply`]. It runs as tasks of the runtime that started it, and ends with that runtime.
struct RawServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Received>>>,
    /// Body bytes written by [`Reply::EndlessChunked`], and whether it stopped writing.
    streamed: Arc<AtomicUsize>,
    stream_done: Arc<tokio::sync::Notify>,
}

impl RawServer {
    async fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let server = RawServer {
            addr,
            connections: Arc::default(),
            requests: Arc::default(),
            streamed: Arc::default(),
            stream_done: Arc::default(),
        };
        let connections = server.connections.clone();
        let requests = server.requests.clone();
        let streamed = server.streamed.clone();
        let stream_done = server.stream_done.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                let (reply, requests) = (reply.clone(), requests.clone());
                let (streamed, stream_done) = (streamed.clone(), stream_done.clone());
                tokio::spawn(async move {
                    serve(stream, reply, requests, streamed, stream_done).await;
                });
            }
        });
        server
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    reply: Reply,
    requests: Arc<Mutex<Vec<Received>>>,
    streamed: Arc<AtomicUsize>,
    stream_done: Arc<tokio::sync::Notify>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let mut reply = reply;
    {
        let mut requests = requests.lock().unwrap();
        requests.push(request);
        if let Reply::Script(script) = reply {
            reply = script[(requests.len() - 1).min(script.len() - 1)].clone();
        }
    }
    match reply {
        Reply::Script(_) => unreachable!("a script holds plain replies"),
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::BytesThenStall(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            // Hold the connection open, silent, until the runtime drops this task.
            std::future::pending::<()>().await;
        }
        Reply::Close => drop(stream),
        Reply::EndlessChunked => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                        transfer-encoding: chunked\r\n\r\n";
            let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
            chunk.extend(std::iter::repeat_n(b' ', 64 * 1024));
            chunk.extend_from_slice(b"\r\n");
            if stream.write_all(head.as_bytes()).await.is_ok() {
                while streamed.load(Ordering::SeqCst) < ENDLESS_BOUND {
                    if stream.write_all(&chunk).await.is_err() {
                        break;
                    }
                    streamed.fetch_add(64 * 1024, Ordering::SeqCst);
                }
            }
            stream_done.notify_one();
        }
    }
}

/// Reads one request: the head up to the blank line, then `content-length` bytes of body.
async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    Some(Received { head, body })
}

/// A complete HTTP/1.1 response that closes the connection.
fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

// 1. Timeouts ----------------------------------------------------------------------------------

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

// 2. Create is never retried -------------------------------------------------------------------

#[tokio::test]
async fn create_is_sent_once_when_the_server_hangs_up_without_answering() {
    let server = RawServer::start(Reply::Close).await;
    let client = client_at(&server.base_url());

    let result = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;

    match &result {
        Err(error @ Error::Transport(_)) => assert_key_not_shown(error),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "the create was sent again");
    assert_eq!(server.connections(), 1, "the client reconnected");
}

#[tokio::test]
async fn create_is_sent_once_when_the_server_answers_503() {
    let server = RawServer::start(Reply::Bytes(response(
        503,
        "text/html",
        b"<h1>Service Unavailable</h1>",
    )))
    .await;
    let client = client_at(&server.base_url());

    let result = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;

    match &result {
        Err(Error::UnexpectedStatus { status, .. }) => {
            assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "the create was sent again");
    assert_eq!(server.connections(), 1, "the client reconnected");
}

// 3. The API key never goes to another host ------------------------------------------------------

#[tokio::test]
async fn redirect_307_308_to_another_loopback_port_never_reaches_it() {
    // The other "host": a raw server that counts every connection, not just matched requests.
    let elsewhere = RawServer::start(Reply::Bytes(response(
        200,
        "application/json",
        br#"{"id":"stolen","entity":{"webhooks":[]}}"#,
    )))
    .await;
    let server = MockServer::start_async().await;
    assert!(server.address().ip().is_loopback());
    assert_ne!(server.address().port(), elsewhere.addr.port());
    let client = client_at(&server.base_url());

    for status in [307u16, 308] {
        let mut redirects = Vec::new();
        for (method, path) in [
            (Method::POST, CREATE_PATH.to_owned()),
            (Method::GET, format!("/v1/businesses/{BUSINESS}/webhooks")),
        ] {
            let location = format!("{}{path}", elsewhere.base_url());
            redirects.push(
                server
                    .mock_async(|when, then| {
                        when.method(method).path(path);
                        then.status(status).header("location", location);
                    })
                    .await,
            );
        }

        let create = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;
        let list = guarded(client.list_webhooks(BUSINESS)).await;

        assert_eq!(
            elsewhere.connections(),
            0,
            "{status}: the redirect was followed"
        );
        for result in [create.map(drop), list.map(drop)] {
            match &result {
                Err(error @ Error::UnexpectedStatus { status: got, .. }) => {
                    assert_eq!(got.as_u16(), status);
                    assert_key_not_shown(error);
                }
                other => panic!("{status}: expected UnexpectedStatus, got {other:?}"),
            }
        }
        for redirect in redirects {
            redirect.assert_calls_async(1).await;
            redirect.delete_async().await;
        }
    }

    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
    assert!(elsewhere.requests().is_empty());
}

// 4. The API key in tracing output and in errors -------------------------------------------------

/// An in-memory `MakeWriter` target.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[test]
fn api_key_is_absent_from_trace_level_output_of_every_crate() {
    // `log` records (reqwest logs through `log`) become tracing events of the current
    // dispatcher; `tracing` events (hyper-util, h2) go there directly.
    let _ = tracing_log::LogTracer::init();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    runtime.block_on(async {
        let ok = RawServer::start(Reply::Bytes(response(
            200,
            "application/json",
            br#"{"id":"wh_1"}"#,
        )))
        .await;
        let unauthorized = RawServer::start(Reply::Bytes(response(
            401,
            "application/json",
            br#"{"message":"invalid API key","code":"ERROR_CODE_UNAUTHENTICATED"}"#,
        )))
        .await;
        let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;

        let client = client_at(&ok.base_url());
        tracing::info!(?client, "client under test");
        guarded(client.create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect("create");
        let error = guarded(client_at(&unauthorized.base_url()).list_webhooks(BUSINESS))
            .await
            .expect_err("401");
        tracing::error!(%error, ?error, "401");
        let slow = Client::builder(KEY)
            .base_url(stalled.base_url())
            .timeout(SHORT_TIMEOUT)
            .build()
            .unwrap();
        let error = guarded(slow.create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect_err("timeout");
        tracing::error!(%error, ?error, "timeout");
        let error = guarded(client_at("http://127.0.0.1:1").list_webhooks(BUSINESS))
            .await
            .expect_err("nothing listens on port 1");
        tracing::error!(%error, ?error, "transport");
    });
    drop(runtime);

    let text = captured.text();
    assert!(
        !text.contains(KEY),
        "the API key is in the trace output:\n{text}"
    );
    // The capture works and saw the client's own traffic, not only this test's events.
    assert!(text.contains("client under test"), "{text}");
    let from_http_stack = text
        .lines()
        .filter(|l| ["reqwest", "hyper", "h2"].iter().any(|c| l.contains(c)))
        .count();
    eprintln!("{from_http_stack} trace lines from reqwest/hyper/h2");
    if std::env::var_os("SHOW_TRACE").is_some() {
        eprintln!("{text}");
    }
    assert!(from_http_stack > 0, "no event from the HTTP stack:\n{text}");
}

#[tokio::test]
async fn api_key_is_absent_from_display_debug_and_sources_of_every_error() {
    let server = MockServer::start_async().await;
    let mut errors = Vec::new();
    for (status, body) in [
        (401u16, json!({"message": "invalid API key"})),
        (
            409,
            json!({"message": "already registered", "cntTraceId": "t"}),
        ),
        (400, json!({"message": "bad"})),
        (500, json!({})),
        (418, json!({"message": "teapot"})),
    ] {
        let mock = server
            .mock_async(|when, then| {
                when.method(Method::POST).path(CREATE_PATH);
                then.status(status).json_body(body);
            })
            .await;
        errors.push(
            guarded(
                client_at(&server.base_url()).create_webhook(BUSINESS, &messages_registration()),
            )
            .await
            .expect_err("an error status"),
        );
        mock.delete_async().await;
    }
    let mock = server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(200).body("not json");
        })
        .await;
    let decode =
        guarded(client_at(&server.base_url()).create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect_err("decode");
    assert!(matches!(decode, Error::Decode { .. }), "{decode:?}");
    errors.push(decode);
    mock.delete_async().await;
    let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let timeout = guarded(
        Client::builder(KEY)
            .base_url(stalled.base_url())
            .timeout(SHORT_TIMEOUT)
            .build()
            .unwrap()
            .create_webhook(BUSINESS, &messages_registration()),
    )
    .await
    .expect_err("timeout");
    assert!(matches!(timeout, Error::Timeout(_)), "{timeout:?}");
    errors.push(timeout);
    let transport = guarded(client_at("http://127.0.0.1:1").list_webhooks(BUSINESS))
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(transport, Error::Transport(_)), "{transport:?}");
    errors.push(transport);
    let too_large = RawServer::start(Reply::EndlessChunked).await;
    errors.push(
        guarded(client_at(&too_large.base_url()).list_webhooks(BUSINESS))
            .await
            .expect_err("over the cap"),
    );
    errors.push(
        guarded(client_at(&server.base_url()).delete_webhook(BUSINESS, ".."))
            .await
            .expect_err("a dot segment"),
    );

    let mut kinds: Vec<_> = errors
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "Unauthorized",
            "AlreadyRegistered",
            "InvalidRequest",
            "Server",
            "UnexpectedStatus",
            "Decode",
            "Timeout",
            "Transport",
            "ResponseTooLarge",
            "InvalidInput"
        ]
    );
    for error in &errors {
        assert_key_not_shown(error);
    }
}

// 5. Panic messages ------------------------------------------------------------------------------

#[test]
fn panic_message_formatting_the_client_does_not_contain_the_api_key() {
    let builder = Client::builder(KEY).base_url("http://127.0.0.1:1");
    let client = builder.clone().build().unwrap();
    let panics: Vec<Box<dyn FnOnce() + '_>> = vec![
        Box::new(|| panic!("{client:?}")),
        Box::new(|| panic!("{client:#?}")),
        Box::new(|| panic!("{builder:?}")),
        Box::new(|| failed_with(client.clone()).unwrap()),
        Box::new(|| failed_with(builder.clone()).expect("building")),
    ];
    for panicking in panics {
        let payload = catch_unwind(AssertUnwindSafe(panicking)).expect_err("it panics");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .expect("a formatted panic message");
        assert!(message.contains("127.0.0.1:1"), "{message}");
        assert!(
            !message.contains(KEY),
            "the API key is in a panic message: {message}"
        );
    }
}

/// A failed result, for `unwrap` and `expect` to format the value in their panic message.
fn failed_with<T>(value: T) -> Result<(), T> {
    Err(value)
}

// 6. Property tests --------------------------------------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    // Any characters, control characters, quotes and backslashes included.
    prop_oneof!["(?s).{1,12}", "[\"\\\\/\\n\\t\u{0}-\u{1f}a-z]{1,8}"]
}

fn https_url() -> impl Strategy<Value = String> {
    (
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z]{2,6}){1,2}",
        "(:[1-9][0-9]{0,3})?",
        "(/[A-Za-z0-9._~!$&'()*+,;=:@-]{0,10}){0,3}",
        "(\\?[a-z0-9=&]{0,10})?",
    )
        .prop_map(|(host, port, path, query)| format!("https://{host}{port}{path}{query}"))
}

fn configuration() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::collection::vec(text(), 0..3)),
        proptest::option::of(proptest::collection::vec((text(), text()), 0..3)),
        proptest::option::of((text(), https_url())),
    )
        .prop_map(|(echo, channel_types, filters, webengage)| {
            let mut c = json!({});
            if let Some(echo) = echo {
                c["echo"] = json!(echo);
            }
            if let Some(channel_types) = channel_types {
                c["channelTypes"] = json!(channel_types);
            }
            if let Some(filters) = filters {
                c["filters"] = filters
                    .into_iter()
                    .map(|(field, expression)| json!({"field": field, "expression": expression}))
                    .collect();
            }
            if let Some((token, url)) = webengage {
                c["webengageConfiguration"] =
                    json!({"webengageToken": token, "webengageWebhookUrl": url});
            }
            c
        })
}

fn registration() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("messages"), Just("delivery_status")],
        proptest::option::of(prop_oneof![
            Just("custom"),
            Just("zapier"),
            Just("webengage"),
            Just("integromat_make")
        ]),
        https_url(),
        proptest::option::of(configuration()),
    )
        .prop_map(|(topic, type_, address, configuration)| {
            let mut r = json!({"topic": topic, "address": address});
            if let Some(type_) = type_ {
                r["type"] = json!(type_);
            }
            if let Some(configuration) = configuration {
                r["configuration"] = configuration;
            }
            r
        })
}

#[test]
fn proptest_every_accepted_registration_is_sent_unchanged() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(RawServer::start(Reply::Bytes(response(
        200,
        "application/json",
        br#"{"id":"wh_1"}"#,
    ))));
    let client = client_at(&server.base_url());
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    });

    runner
        .run(&registration(), |registration| {
            prop_assume!(connectly_schema::validate_registration(&registration).is_ok());
            let typed: CreateWebhookRequest = serde_json::from_value(registration.clone())
                .map_err(|e| TestCaseError::fail(format!("the client cannot read it: {e}")))?;
            let before = server.requests().len();

            let created = runtime
                .block_on(guarded(client.create_webhook(BUSINESS, &typed)))
                .map_err(|e| TestCaseError::fail(format!("create failed: {e}")))?;

            prop_assert_eq!(created.id, "wh_1");
            let requests = server.requests();
            prop_assert_eq!(requests.len(), before + 1);
            let sent = &requests[before];
            prop_assert!(
                sent.head
                    .starts_with(&format!("POST {CREATE_PATH} HTTP/1.1\r\n")),
                "{}",
                sent.head
            );
            let body: Value = serde_json::from_slice(&sent.body)
                .map_err(|e| TestCaseError::fail(format!("the body is not JSON: {e}")))?;
            // Exactly as given: an empty `channelTypes` or `filters` goes out as `[]` (an
            // update with `[]` clears the list, so it must not be dropped).
            prop_assert_eq!(&body, &registration);
            prop_assert!(connectly_schema::validate_registration(&body).is_ok());
            Ok(())
        })
        .unwrap();
}

fn response_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        "[{}\\[\\]\":,.a-z0-9 \\\\\u{80}-\u{10ffff}-]{0,80}".prop_map(String::into_bytes),
        "(?s).{0,40}".prop_map(|s| json!({ "id": s }).to_string().into_bytes()),
        "(?s).{0,40}".prop_map(|s| json!({ "message": s, "code": 7 }).to_string().into_bytes()),
    ]
}

#[test]
fn proptest_random_response_bytes_never_panic_and_give_an_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let statuses = prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(404),
        Just(409),
        Just(418),
        Just(429),
        Just(500),
        Just(503)
    ];

    runner
        .run(&(statuses, response_bytes()), |(status, bytes)| {
            let result = runtime.block_on(async {
                let server =
                    RawServer::start(Reply::Bytes(response(status, "application/json", &bytes)))
                        .await;
                guarded(
                    client_at(&server.base_url())
                        .create_webhook(BUSINESS, &messages_registration()),
                )
                .await
            });
            let valid = serde_json::from_slice::<types::CreateWebhookResponse>(&bytes).is_ok();
            let error = match result {
                Ok(created) => {
                    prop_assert!(
                        status == 200 && valid,
                        "{status} {bytes:?} gave Ok({created:?})"
                    );
                    return Ok(());
                }
                Err(error) => error,
            };
            // Formatting never panics either.
            let _ = (error.to_string(), format!("{error:?}"));
            prop_assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
            let variant_ok = match (status, &error) {
                (200, Error::Decode { excerpt, .. }) => !valid && short_and_printable(excerpt),
                (400, Error::InvalidRequest { .. })
                | (401, Error::Unauthorized { .. })
                | (409, Error::AlreadyRegistered { .. })
                | (500, Error::Server { .. }) => true,
                (404 | 418 | 429 | 503, Error::UnexpectedStatus { excerpt, .. }) => {
                    short_and_printable(excerpt)
                }
                _ => false,
            };
            prop_assert!(variant_ok, "{} with {:?} gave {:?}", status, bytes, error);
            Ok(())
        })
        .unwrap();
}

fn short_and_printable(excerpt: &str) -> bool {
    excerpt.chars().count() <= 201 && !excerpt.chars().any(char::is_control)
}

// 7. Unknown fields, cut bodies, endless bodies ------------------------------------------------------

#[tokio::test]
async fn unknown_extra_fields_in_create_update_and_delete_responses_are_accepted() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(200)
                .json_body(json!({"id": "x", "new": 1, "nested": {"a": [null, true]}}));
        })
        .await;
    for method in [Method::PUT, Method::DELETE] {
        server
            .mock_async(|when, then| {
                when.method(method);
                then.status(200).json_body(json!({"new": 1, "ok": "yes"}));
            })
            .await;
    }
    let client = client_at(&server.base_url());
    let update = types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    };

    let created = guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect("extra fields are accepted");
    guarded(client.update_webhook(BUSINESS, "wh_1", &update))
        .await
        .expect("extra fields are accepted");
    guarded(client.delete_webhook(BUSINESS, "wh_1"))
        .await
        .expect("extra fields are accepted");

    assert_eq!(created.id, "x");
}

#[tokio::test]
async fn body_cut_short_by_a_hang_up_is_a_transport_error_even_when_it_parses() {
    // 64 bytes announced; the 13 sent are a complete, valid create response.
    let cut = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                content-length: 64\r\n\r\n{\"id\":\"wh_1\"}"
        .to_vec();
    let server = RawServer::start(Reply::Bytes(cut)).await;

    let result =
        guarded(client_at(&server.base_url()).create_webhook(BUSINESS, &messages_registration()))
            .await;

    match &result {
        Err(error @ Error::Transport(_)) => assert_key_not_shown(error),
        other => panic!("a truncated response must not succeed; got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn endless_chunked_body_stops_at_the_response_cap() {
    const CAP: usize = 256 * 1024;
    let server = RawServer::start(Reply::EndlessChunked).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .max_response_bytes(CAP)
        .build()
        .unwrap();

    let result = guarded(client.list_webhooks(BUSINESS)).await;

    match result {
        Err(Error::ResponseTooLarge { status, limit }) => {
            assert_eq!(status, StatusCode::OK);
            assert_eq!(limit, CAP);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    // The client hung up: the server's writes failed long before its own bound.
    guarded(server.stream_done.notified()).await;
    let streamed = server.streamed.load(Ordering::SeqCst);
    assert!(
        streamed < ENDLESS_BOUND,
        "the server wrote all {streamed} bytes"
    );
}

/// What the transport saw of one response (its status, a body cut at the cap) belongs to that
/// call alone, even when another call of the same client, in the same task, ends in between.
///
/// The create's answer is held between its head and its body; meanwhile a list of the same
/// client gets a body over the cap and ends in `ResponseTooLarge`. The create must still
/// succeed: a state shared by the client (or by the task) would show it the list's cut body.
#[tokio::test]
async fn a_response_over_the_cap_does_not_leak_into_a_concurrent_call_of_the_same_client() {
    const CAP: usize = 256;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let create_head_sent = Arc::new(tokio::sync::Notify::new());
    let list_done = Arc::new(tokio::sync::Notify::new());
    let (head_sent, done) = (create_head_sent.clone(), list_done.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (head_sent, done) = (head_sent.clone(), done.clone());
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                if request.head.starts_with("POST ") {
                    const CREATED: &[u8] = br#"{"id":"wh_1"}"#;
                    let created = response(200, "application/json", CREATED);
                    let body_at = created.len() - CREATED.len();
                    stream.write_all(&created[..body_at]).await.unwrap();
                    stream.flush().await.unwrap();
                    head_sent.notify_one();
                    done.notified().await;
                    stream.write_all(&created[body_at..]).await.unwrap();
                } else {
                    let webhooks = format!(r#"{{"webhooks":[],"pad":"{}"}}"#, "x".repeat(CAP));
                    let list = response(200, "application/json", webhooks.as_bytes());
                    stream.write_all(&list).await.unwrap();
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    let client = Client::builder(KEY)
        .base_url(format!("http://{addr}"))
        .max_response_bytes(CAP)
        .build()
        .unwrap();

    let registration = messages_registration();
    let (created, listed) = guarded(async {
        tokio::join!(client.create_webhook(BUSINESS, &registration), async {
            create_head_sent.notified().await;
            let listed = client.list_webhooks(BUSINESS).await;
            list_done.notify_one();
            listed
        },)
    })
    .await;

    match listed {
        Err(Error::ResponseTooLarge { status, limit }) => {
            assert_eq!((status, limit), (StatusCode::OK, CAP));
        }
        other => panic!("expected ResponseTooLarge for the list, got {other:?}"),
    }
    assert_eq!(
        created.expect("the create's own response is fine").id,
        "wh_1"
    );
}

// Inputs: ids that would leave their path segment -------------------------------------------

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

// Responses: a 2xx body that is truncated JSON or the wrong shape -----------------------------

#[tokio::test]
async fn success_with_truncated_or_wrong_shape_json_is_a_decode_error_with_status_and_excerpt() {
    for body in [
        r#"{"id": "01ARZ3ND"#,
        r#"{"identifier": "x"}"#,
        "[]",
        r#""01ARZ""#,
        r#"{"id": 7}"#,
        "",
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(Method::POST).path(CREATE_PATH);
                then.status(200)
                    .header("content-type", "application/json")
                    .body(body);
            })
            .await;
        let error = client_at(&server.base_url())
            .create_webhook(BUSINESS, &messages_registration())
            .await
            .expect_err("not the documented body");
        match &error {
            Error::Decode {
                status, excerpt, ..
            } => {
                assert_eq!(*status, Some(StatusCode::OK), "{body:?}");
                assert_eq!(excerpt, body, "the excerpt shows what came back");
            }
            other => panic!("{body:?} gave {other:?}"),
        }
        assert!(!format!("{error} {error:?}").contains(KEY));
    }
}

// Whether a failed call may still have been applied, and whether it is sent again ----------------

/// A failure a test server (or no server) makes.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Answers this status with an HTML page.
    Status(u16),
    /// Answers 200 with a body that is not the documented JSON.
    Undecodable,
    /// Answers 200 with a body over the client's cap ([`TABLE_CAP`]).
    TooLarge,
    /// Reads the request and never answers (the client's timeout is [`SHORT_TIMEOUT`]).
    Stall,
    /// Reads the request and hangs up.
    HangUp,
    /// Nothing listens: the connection is refused.
    Refused,
}

/// The response cap of the clients of [`every_failure_follows_the_one_table`].
const TABLE_CAP: usize = 256;

impl Fault {
    fn reply(self) -> Reply {
        match self {
            Fault::Status(code) => status(code),
            Fault::Undecodable => Reply::Bytes(response(200, "application/json", b"{\"id\":")),
            Fault::TooLarge => Reply::Bytes(response(
                200,
                "application/json",
                format!(r#"{{"id":"wh_1","pad":"{}"}}"#, "x".repeat(TABLE_CAP)).as_bytes(),
            )),
            Fault::Stall => Reply::BytesThenStall(Vec::new()),
            Fault::HangUp => Reply::Close,
            Fault::Refused => unreachable!("no server"),
        }
    }
}

/// The expected rule, written here independently of the client's table: (what the attempt saw,
/// may it have been applied?, transient?). Every status the client can see: one of each class
/// (101, 201, 307, 418, 501, 600) and every status the rule names (400, 401, 404, 409, 429,
/// 500, 502, 503, 504), and the failures without a usable answer.
const EXPECTED: &[(Fault, bool, bool)] = &[
    (Fault::Refused, false, true),
    (Fault::Stall, true, true),
    (Fault::HangUp, true, true),
    (Fault::Undecodable, true, false),
    (Fault::TooLarge, true, false),
    (Fault::Status(101), true, false),
    (Fault::Status(201), true, false),
    (Fault::Status(307), false, false),
    (Fault::Status(400), false, false),
    (Fault::Status(401), false, false),
    (Fault::Status(404), false, false),
    (Fault::Status(409), false, false),
    (Fault::Status(418), false, false),
    (Fault::Status(429), false, true),
    (Fault::Status(500), true, false),
    (Fault::Status(501), true, false),
    (Fault::Status(502), true, true),
    (Fault::Status(503), true, true),
    (Fault::Status(504), true, true),
    (Fault::Status(600), true, false),
];

/// One call (a create, or a list), its first attempt failing with `fault`, the second
/// succeeding: its result, and how many attempts were made.
async fn call_after(fault: Fault, create: bool, retry: RetryPolicy) -> (Result<(), Error>, usize) {
    let server = match fault {
        Fault::Refused => None,
        fault => {
            let ok = if create {
                Reply::Bytes(response(200, "application/json", br#"{"id":"wh_1"}"#))
            } else {
                list_ok()
            };
            Some(RawServer::start(Reply::Script(vec![fault.reply(), ok])).await)
        }
    };
    let base_url = server
        .as_ref()
        .map_or_else(|| "http://127.0.0.1:1".to_owned(), RawServer::base_url);
    let client = Client::builder(KEY)
        .base_url(base_url)
        .timeout(SHORT_TIMEOUT)
        .max_response_bytes(TABLE_CAP)
        .retry(retry)
        .build()
        .unwrap();
    // Attempts are counted by the server, or (when nothing listens) by the retry events.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let result = {
        let _default = tracing::subscriber::set_default(subscriber);
        if create {
            guarded(client.create_webhook(BUSINESS, &messages_registration()))
                .await
                .map(drop)
        } else {
            guarded(client.list_webhooks(BUSINESS)).await.map(drop)
        }
    };
    let attempts = match &server {
        Some(server) => server.requests().len(),
        None => 1 + captured.text().matches("retrying").count(),
    };
    (result, attempts)
}

/// Issue 27.3: one rule says whether a failed request may have been applied and whether it is
/// sent again. For every row: `outcome_unknown`, and whether a create (not idempotent) and a
/// list (idempotent) are retried: when transient, and idempotent or certainly not applied.
#[tokio::test(flavor = "current_thread")]
async fn every_failure_follows_the_one_table() {
    let once = fast_retries().max_retries(1);
    for &(fault, applied, transient) in EXPECTED {
        for create in [true, false] {
            let what = format!("{fault:?} on a {}", if create { "create" } else { "list" });
            // Not retried: the error itself.
            let (result, attempts) = call_after(fault, create, RetryPolicy::none()).await;
            let error = result.expect_err(&what);
            assert_eq!(attempts, 1, "{what}");
            assert_eq!(error.outcome_unknown(), applied, "{what}: {error:?}");
            assert_key_not_shown(&error);
            // Retried once at most: the second attempt succeeds if there is one.
            let retried = transient && (!create || !applied);
            let (result, attempts) = call_after(fault, create, once.clone()).await;
            assert_eq!(attempts, 1 + usize::from(retried), "{what}: {result:?}");
            if retried && !matches!(fault, Fault::Refused) {
                result.unwrap_or_else(|e| panic!("{what}: the retry failed: {e:?}"));
            }
        }
    }
    // Refused before anything was sent: known not applied, and not worth another attempt.
    let error = guarded(client_at("http://127.0.0.1:1").delete_webhook(BUSINESS, ".."))
        .await
        .expect_err("a dot segment");
    assert!(!error.outcome_unknown(), "{error:?}");
}

// 8. Retries, the rate limit and the trace of a call -------------------------------------------

const LIST_PATH: &str = "/v1/businesses/biz_01ARZ3NDEKTSV4RRFFQ69G5FAV/webhooks";

/// A complete HTTP/1.1 response with extra headers, that closes the connection.
fn response_with(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

fn list_ok() -> Reply {
    Reply::Bytes(response(
        200,
        "application/json",
        br#"{"entity":{"businessId":"biz_01ARZ3NDEKTSV4RRFFQ69G5FAV","webhooks":[]}}"#,
    ))
}

fn status(code: u16) -> Reply {
    Reply::Bytes(response(code, "text/html", b"<h1>try later</h1>"))
}

fn client_with(base_url: &str, retry: RetryPolicy) -> Client {
    Client::builder(KEY)
        .base_url(base_url)
        .retry(retry)
        .build()
        .unwrap()
}

#[tokio::test]
async fn list_answering_503_503_200_succeeds_with_exactly_3_requests() {
    let server = RawServer::start(Reply::Script(vec![status(503), status(503), list_ok()])).await;

    let list = guarded(client_with(&server.base_url(), fast_retries()).list_webhooks(BUSINESS))
        .await
        .expect("the third answer is a 200");

    assert!(list.webhooks.is_empty());
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests
        .iter()
        .all(|r| r.head.starts_with(&format!("GET {LIST_PATH} "))));
}

#[tokio::test]
async fn update_and_delete_are_retried_on_502_503_504_and_a_lost_connection() {
    let ok = Reply::Bytes(response(200, "application/json", b"{}"));
    let update = types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    };
    for failure in [status(502), status(503), status(504), Reply::Close] {
        let server = RawServer::start(Reply::Script(vec![failure.clone(), ok.clone()])).await;
        let client = client_with(&server.base_url(), fast_retries());
        guarded(client.update_webhook(BUSINESS, "wh_1", &update))
            .await
            .expect("retried");
        assert_eq!(server.requests().len(), 2);
        let server = RawServer::start(Reply::Script(vec![failure, ok.clone()])).await;
        let client = client_with(&server.base_url(), fast_retries());
        guarded(client.delete_webhook(BUSINESS, "wh_1"))
            .await
            .expect("retried");
        assert_eq!(server.requests().len(), 2);
    }
}

/// `ClientBuilder::on_retry` hears of every retry, before its wait, and of nothing else: the
/// request as sent, the attempt about to be sent out of how many, the wait, the table's reason
/// and the error's line with the echoed key redacted.
#[tokio::test]
async fn on_retry_is_called_once_per_retry_with_the_attempt_about_to_be_sent() {
    let echo = Reply::Bytes(response(
        503,
        "text/html",
        format!("<h1>busy</h1> key {KEY}").as_bytes(),
    ));
    let server = RawServer::start(Reply::Script(vec![echo.clone(), echo, list_ok()])).await;
    let notices = Arc::new(Mutex::new(Vec::new()));
    let heard = notices.clone();
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .retry(fast_retries().max_retries(3))
        .on_retry(move |notice| heard.lock().unwrap().push(notice.clone()))
        .build()
        .unwrap();

    guarded(client.list_webhooks(BUSINESS))
        .await
        .expect("the third answer is a 200");

    let notices = notices.lock().unwrap().clone();
    assert_eq!(server.requests().len(), 3);
    let attempts: Vec<(u32, u32)> = notices
        .iter()
        .map(|n| (n.attempt, n.max_attempts))
        .collect();
    assert_eq!(attempts, [(2, 4), (3, 4)], "{notices:#?}");
    for notice in &notices {
        assert_eq!(
            (notice.method.as_str(), notice.path.as_str()),
            ("GET", LIST_PATH)
        );
        assert_eq!(notice.reason, "503 Service Unavailable");
        assert!(notice.delay >= MIN_RETRY_DELAY, "{notice:?}");
        assert!(
            notice
                .error
                .starts_with("503 Service Unavailable: unexpected response")
                && notice.error.contains("key [redacted]")
                && !notice.error.contains(&KEY[4..12]),
            "{notice:?}"
        );
    }
    assert!(
        notices[1].elapsed >= notices[0].elapsed + notices[0].delay,
        "{notices:#?}"
    );

    // A call that is not retried (a create after a 503 may have been applied) tells nothing.
    let server = RawServer::start(status(503)).await;
    let heard = Arc::new(AtomicUsize::new(0));
    let count = heard.clone();
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .retry(fast_retries())
        .on_retry(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect_err("a 503");
    assert_eq!(heard.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_for() {
    let server = RawServer::start(Reply::Script(vec![
        Reply::Bytes(response_with(429, &[("retry-after", "1")], b"{}")),
        list_ok(),
    ]))
    .await;
    // Backoff alone would wait at most 1 ms: only Retry-After can make it 1 s.
    let client = client_with(&server.base_url(), fast_retries());

    let started = Instant::now();
    guarded(client.list_webhooks(BUSINESS))
        .await
        .expect("the second answer is a 200");

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_for() {
    // Three seconds ahead, cut to whole seconds by the format: the date is at least two seconds
    // after `asked`, however long the request takes to get there.
    let asked = Instant::now();
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    let server = RawServer::start(Reply::Script(vec![
        Reply::Bytes(response_with(503, &[("retry-after", &date)], b"{}")),
        list_ok(),
    ]))
    .await;
    let client = client_with(&server.base_url(), fast_retries());

    guarded(client.list_webhooks(BUSINESS))
        .await
        .expect("the second answer is a 200");

    assert!(
        asked.elapsed() >= Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn create_is_never_resent_after_502_503_504_a_timeout_or_a_lost_connection() {
    for failure in [status(502), status(503), status(504), Reply::Close] {
        let server = RawServer::start(Reply::Script(vec![failure, status(200)])).await;
        let client = client_with(&server.base_url(), fast_retries().max_retries(5));
        let error = guarded(client.create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect_err("the first answer is a failure");
        assert_eq!(
            server.requests().len(),
            1,
            "{error:?}: the create was sent again"
        );
    }
    let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let client = Client::builder(KEY)
        .base_url(stalled.base_url())
        .timeout(SHORT_TIMEOUT)
        .retry(fast_retries().max_retries(5))
        .build()
        .unwrap();
    let error = guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect_err("timeout");
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert_eq!(stalled.requests().len(), 1, "the create was sent again");
}

#[tokio::test]
async fn create_is_retried_after_429_which_was_not_applied() {
    let server = RawServer::start(Reply::Script(vec![
        Reply::Bytes(response_with(429, &[("retry-after", "0")], b"{}")),
        Reply::Bytes(response(200, "application/json", br#"{"id":"wh_1"}"#)),
    ]))
    .await;

    let created = guarded(
        client_with(&server.base_url(), fast_retries())
            .create_webhook(BUSINESS, &messages_registration()),
    )
    .await
    .expect("the second answer is a 200");

    assert_eq!(created.id, "wh_1");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_budget_caps_the_attempts() {
    let server = RawServer::start(status(503)).await;

    let error = guarded(
        client_with(&server.base_url(), fast_retries().max_retries(4)).list_webhooks(BUSINESS),
    )
    .await
    .expect_err("always 503");

    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.requests().len(), 5, "1 attempt + 4 retries");
    let server = RawServer::start(status(503)).await;
    guarded(client_with(&server.base_url(), RetryPolicy::none()).list_webhooks(BUSINESS))
        .await
        .expect_err("always 503");
    assert_eq!(server.requests().len(), 1, "retries disabled");
}

/// Issue 33.8: a server answering 429 with `Retry-After: 0` at once cannot drive a loop of
/// requests: however many retries are asked for, at most [`MAX_RETRIES`] are made, each after at
/// least [`MIN_RETRY_DELAY`].
#[tokio::test]
async fn retry_after_0_on_429_is_bounded_by_the_retry_cap_and_the_minimum_wait() {
    let server = RawServer::start(Reply::Bytes(response_with(
        429,
        &[("retry-after", "0")],
        b"{}",
    )))
    .await;
    let client = client_with(
        &server.base_url(),
        RetryPolicy::default().max_retries(u32::MAX),
    );

    let started = Instant::now();
    let error = guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect_err("always 429");
    let elapsed = started.elapsed();

    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(server.requests().len(), 1 + MAX_RETRIES as usize);
    assert!(
        elapsed >= MAX_RETRIES * MIN_RETRY_DELAY,
        "{} requests in {elapsed:?}",
        server.requests().len()
    );
}

#[tokio::test]
async fn retry_budget_caps_the_time() {
    // A Retry-After beyond the budget is not waited for: the 429 comes back at once, with it.
    let server = RawServer::start(Reply::Bytes(response_with(
        429,
        &[("retry-after", "3600")],
        b"{}",
    )))
    .await;
    let client = client_with(
        &server.base_url(),
        fast_retries()
            .max_retries(10)
            .budget(Duration::from_secs(5)),
    );
    let error = guarded(client.list_webhooks(BUSINESS))
        .await
        .expect_err("429");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.requests().len(), 1);

    // Attempts that each time out after 200 ms, a 500 ms budget, 10 retries allowed: retries
    // stop once the budget is spent (after the 2nd or 3rd attempt), each attempt still bounded
    // by the request timeout.
    let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let attempt_timeout = Duration::from_millis(200);
    let client = Client::builder(KEY)
        .base_url(stalled.base_url())
        .timeout(attempt_timeout)
        .retry(
            fast_retries()
                .max_retries(10)
                .budget(Duration::from_millis(500)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = guarded(client.list_webhooks(BUSINESS))
        .await
        .expect_err("timeouts");
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    let attempts = stalled.requests().len();
    assert!((2..=3).contains(&attempts), "{attempts} attempts");
    assert!(elapsed >= attempts as u32 * attempt_timeout, "{elapsed:?}");
}

#[tokio::test]
async fn delete_answering_404_after_a_lost_attempt_has_succeeded() {
    let not_found = Reply::Bytes(response(
        404,
        "application/json",
        br#"{"message":"no such webhook"}"#,
    ));
    // The first attempt's connection drops after the request, or a gateway answers 503 (it
    // may have forwarded it): it may have deleted it.
    for first in [Reply::Close, status(503)] {
        let server = RawServer::start(Reply::Script(vec![first, not_found.clone()])).await;
        guarded(client_with(&server.base_url(), fast_retries()).delete_webhook(BUSINESS, "wh_1"))
            .await
            .expect("gone either way");
        assert_eq!(server.requests().len(), 2);
    }
    // A 404 as the first answer is still NotFound; so is one after a 429, which applied nothing.
    for script in [
        vec![not_found.clone()],
        vec![status(429), not_found.clone()],
    ] {
        let server = RawServer::start(Reply::Script(script)).await;
        let error = guarded(
            client_with(&server.base_url(), fast_retries()).delete_webhook(BUSINESS, "wh_1"),
        )
        .await
        .expect_err("404");
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn rate_limit_spaces_the_requests_of_a_client_and_its_clones() {
    let server = RawServer::start(list_ok()).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .rate_limit(20)
        .build()
        .unwrap();
    let clone = client.clone();

    let started = Instant::now();
    for _ in 0..3 {
        guarded(client.list_webhooks(BUSINESS)).await.unwrap();
        guarded(clone.list_webhooks(BUSINESS)).await.unwrap();
    }

    // 6 requests at 20/s: the first at once, then one every 50 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn trace_of_a_retrying_run_records_each_call_and_never_the_key() {
    let _ = tracing_log::LogTracer::init();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    runtime.block_on(async {
        // The server echoes the key in its failures, as a careless proxy might.
        let echo = format!(r#"{{"message":"key {KEY} is throttled"}}"#);
        let server = RawServer::start(Reply::Script(vec![
            Reply::Bytes(response(503, "application/json", echo.as_bytes())),
            Reply::Bytes(response_with(429, &[("retry-after", "0")], echo.as_bytes())),
            list_ok(),
        ]))
        .await;
        let client = client_with(&server.base_url(), fast_retries());
        guarded(client.list_webhooks(BUSINESS))
            .await
            .expect("third time");
        let failing = RawServer::start(Reply::Bytes(response(
            503,
            "text/html",
            format!("<p>{KEY}</p>").as_bytes(),
        )))
        .await;
        let error =
            guarded(client_with(&failing.base_url(), fast_retries()).list_webhooks(BUSINESS))
                .await
                .expect_err("always 503");
        tracing::error!(%error, ?error, "gave up");
        guarded(client_at("http://127.0.0.1:1").list_webhooks(BUSINESS))
            .await
            .expect_err("refused");
    });
    drop(runtime);

    let text = captured.text();
    assert!(!text.contains(KEY), "the API key is in the trace:\n{text}");
    // The span and its fields, and one event per retry.
    assert!(text.contains("operation=\"list_webhooks\""), "{text}");
    assert!(
        text.contains(&format!("business_id=\"{BUSINESS}\"")),
        "{text}"
    );
    assert!(
        text.contains("retry_reason=\"429 Too Many Requests\""),
        "{text}"
    );
    assert!(
        text.contains("status=200") && text.contains("elapsed_ms="),
        "{text}"
    );
    assert!(text.contains("attempt=3"), "{text}");
    let retries = text.lines().filter(|l| l.contains("retrying")).count();
    assert_eq!(retries, 2 + 2 + 2, "{text}");
    if std::env::var_os("SHOW_TRACE").is_some() {
        eprintln!("{text}");
    }
}

// 9. What the client shows of what a server sent --------------------------------------------------

/// Everything an error can show: Display, Debug, every source, and the kept body and excerpt.
fn everything_shown(error: &Error) -> String {
    let mut shown = vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ];
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        shown.push(s.to_string());
        shown.push(format!("{s:?}"));
        source = s.source();
    }
    if let Some(body) = error.api_error() {
        shown.push(serde_json::to_string(body).unwrap());
    }
    if let Error::UnexpectedStatus { excerpt, .. } | Error::Decode { excerpt, .. } = error {
        shown.push(excerpt.clone());
    }
    shown.join("\n")
}

/// An error from a create (or, for `Some(path)`, a list) answered with these bytes.
async fn error_for(reply: Vec<u8>, list: bool) -> Error {
    let server = RawServer::start(Reply::Bytes(reply)).await;
    let client = client_with(&server.base_url(), RetryPolicy::none());
    if list {
        guarded(client.list_webhooks(BUSINESS)).await.map(drop)
    } else {
        guarded(client.create_webhook(BUSINESS, &messages_registration()))
            .await
            .map(drop)
    }
    .expect_err("an error answer")
}

#[tokio::test]
async fn api_key_echoed_by_the_server_is_redacted_from_every_error() {
    let echoed = json!({
        "message": format!("invalid key {KEY}"),
        "code": KEY,
        "userMessage": format!("[{KEY}]"),
        "details": {"key": KEY, KEY: [KEY]},
    })
    .to_string();
    let html = format!("<html><body>Bad key: {KEY}</body></html>");
    // A list entry whose `echo` is the key (a string, not a boolean): the JSON decoder's
    // message quotes it.
    let quoted = format!(
        r#"{{"entity":{{"webhooks":[{{"id":"wh_1","topic":"messages","address":"https://a.b/","configuration":{{"echo":"{KEY}"}}}}]}}}}"#
    );
    let errors = [
        error_for(response(401, "application/json", echoed.as_bytes()), false).await,
        error_for(response(409, "application/json", echoed.as_bytes()), false).await,
        error_for(response(429, "application/json", echoed.as_bytes()), false).await,
        error_for(response(503, "text/html", html.as_bytes()), false).await,
        error_for(response(200, "application/json", html.as_bytes()), false).await,
        error_for(response(200, "application/json", quoted.as_bytes()), true).await,
    ];

    for error in &errors {
        let shown = everything_shown(error);
        assert!(!shown.contains(KEY), "the API key is shown:\n{shown}");
        assert!(shown.contains("[redacted]"), "nothing was echoed?\n{shown}");
    }
    assert!(matches!(errors[5], Error::Decode { .. }), "{:?}", errors[5]);
}

/// Issue 33.8: a server that echoes the key in another case, or cut at its start or its end,
/// shows none of it: no 8 consecutive characters of the key, in any case, in any error.
#[tokio::test]
async fn api_key_echoed_upper_cased_or_cut_at_either_end_is_redacted() {
    let upper = KEY.to_uppercase();
    let echoes = [
        upper.as_str(),
        &KEY[4..],              // truncated at the start
        &KEY[..KEY.len() - 4],  // truncated at the end
        &KEY[3..KEY.len() - 3], // both
    ];
    for echo in echoes {
        let body =
            json!({"message": format!("bad key {echo}"), "details": {echo: echo}}).to_string();
        let html = format!("<p>key={echo};</p>");
        let errors = [
            error_for(response(401, "application/json", body.as_bytes()), false).await,
            error_for(response(429, "application/json", body.as_bytes()), false).await,
            error_for(response(503, "text/html", html.as_bytes()), false).await,
            error_for(response(200, "application/json", html.as_bytes()), false).await,
        ];
        for error in &errors {
            let shown = everything_shown(error).to_lowercase();
            let key = KEY.to_lowercase();
            for part in key.as_bytes().windows(8) {
                let part = std::str::from_utf8(part).unwrap();
                assert!(
                    !shown.contains(part),
                    "{echo:?}: {part:?} is shown:\n{shown}"
                );
            }
            assert!(shown.contains("[redacted]"), "nothing was echoed?\n{shown}");
        }
    }
}

#[tokio::test]
async fn control_characters_from_the_server_are_escaped_in_error_messages() {
    let body = json!({"message": "gone\u{1b}[2J\u{1b}]0;pwned\u{7}", "code": "X\rY"}).to_string();
    let html = "<h1>\u{1b}[2J\u{202e}gnirts</h1>";
    let errors = [
        error_for(response(409, "application/json", body.as_bytes()), false).await,
        error_for(response(418, "application/json", body.as_bytes()), false).await,
        error_for(response(503, "text/html", html.as_bytes()), false).await,
        error_for(response(200, "application/json", html.as_bytes()), false).await,
    ];

    for error in &errors {
        let displayed = format!("{error}");
        let mut chain = vec![displayed.clone()];
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            chain.push(s.to_string());
            source = s.source();
        }
        for text in chain {
            assert!(
                !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "a raw control character reaches the terminal: {text:?}"
            );
        }
        assert!(displayed.contains("\\u{1b}[2J"), "{displayed}");
    }
}

#[test]
fn a_password_in_the_base_url_is_never_echoed() {
    for url in [
        "http://admin:hunter2@127.0.0.1:1/",
        "https://admin:hunter2@api.example.com/",
        "http://admin:hunter2@example.com/",
        "http://admin:hunter2@127.0.0.1:99999999/",
        "http://admin:hun/ter2@[::1/",
    ] {
        let error = Client::builder(KEY).base_url(url).build().expect_err(url);
        let shown = format!("{error} {error:?} {error:#?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("ter2"),
            "{url}: {shown}"
        );
        assert!(!shown.contains(KEY), "{url}: {shown}");
    }
}
