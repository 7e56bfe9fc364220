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
use tracing_subscriber::fmt::format::FmtSpan;

mod api_key;
mod bodies;
mod create_once;
mod path_segments;
mod properties;
mod retries;
mod server_text;
mod timeouts;
mod trace;

pub(super) const KEY: &str = "sk_test_Fault9Kq2Zr7Xw";
pub(super) const BUSINESS: &str = "biz_01ARZ3NDEKTSV4RRFFQ69G5FAV";
pub(super) const CREATE_PATH: &str =
    "/v1/businesses/biz_01ARZ3NDEKTSV4RRFFQ69G5FAV/create/webhooks";
/// The request timeout configured where a test waits for `Error::Timeout`.
pub(super) const SHORT_TIMEOUT: Duration = Duration::from_millis(300);
/// The generous bound within which a client call must return (it never hangs the test run).
pub(super) const GUARD: Duration = Duration::from_secs(5);

pub(super) fn messages_registration() -> CreateWebhookRequest {
    CreateWebhookRequest {
        topic: types::Topic::Messages,
        address: "https://example.com/webhook/messages".parse().unwrap(),
        type_: None,
        configuration: None,
    }
}

pub(super) fn client_at(base_url: &str) -> Client {
    Client::builder(KEY)
        .base_url(base_url)
        .build()
        .expect("a loopback base URL is accepted")
}

/// The default retry policy with 1 ms backoffs, so that tests of what is retried do not wait.
pub(super) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(1))
}

/// Runs a client call, failing the test when it has not returned within [`GUARD`].
pub(super) async fn guarded<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, call)
        .await
        .unwrap_or_else(|_| panic!("the client call did not return within {GUARD:?}"))
}

/// Everything printed about an error (Display, Debug, alternate forms, every source) must not
/// contain the API key.
pub(super) fn assert_key_not_shown(error: &Error) {
    let mut shown = display_and_debug(error);
    shown.push(format!("{error:#}"));
    for text in shown {
        assert!(!text.contains(KEY), "the API key leaks: {text}");
    }
}

/// The Display and both Debug forms of `error`, then the Display and Debug of each source.
pub(super) fn display_and_debug(error: &Error) -> Vec<String> {
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
    shown
}

// A raw loopback HTTP/1.1 server --------------------------------------------------------------

/// What [`RawServer`] does with each request once it has read it whole.
#[derive(Clone)]
pub(super) enum Reply {
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
pub(super) const ENDLESS_BOUND: usize = 256 * 1024 * 1024;

/// One request as received.
#[derive(Clone, Debug)]
pub(super) struct Received {
    head: String,
    body: Vec<u8>,
}

/// A loopback server that counts connections, records requests and answers each with a
/// [`Reply`]. It runs as tasks of the runtime that started it, and ends with that runtime.
pub(super) struct RawServer {
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

pub(super) async fn serve(
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
pub(super) async fn read_request(stream: &mut TcpStream) -> Option<Received> {
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
pub(super) fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

// Captured tracing output -------------------------------------------------------------------

/// An in-memory `MakeWriter` target.
#[derive(Clone, Default)]
pub(super) struct Captured(Arc<Mutex<Vec<u8>>>);

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

    /// Makes a subscriber that writes here the events up to `level` (and the span events
    /// `spans`) the thread's default, while the guard lives. `log` records (reqwest logs through
    /// `log`) become tracing events of that subscriber too; `tracing` events (hyper-util, h2)
    /// go there directly.
    pub(super) fn install(
        &self,
        level: tracing::Level,
        spans: tracing_subscriber::fmt::format::FmtSpan,
    ) -> tracing::subscriber::DefaultGuard {
        let _ = tracing_log::LogTracer::init();
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_span_events(spans)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

/// A current-thread runtime, for the tests that are not `#[tokio::test]`s.
pub(super) fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// Scripted replies and a client with a retry policy -------------------------------------------

pub(super) const LIST_PATH: &str = "/v1/businesses/biz_01ARZ3NDEKTSV4RRFFQ69G5FAV/webhooks";

/// A complete HTTP/1.1 response with extra headers, that closes the connection.
pub(super) fn response_with(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
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

pub(super) fn list_ok() -> Reply {
    Reply::Bytes(response(
        200,
        "application/json",
        br#"{"entity":{"businessId":"biz_01ARZ3NDEKTSV4RRFFQ69G5FAV","webhooks":[]}}"#,
    ))
}

pub(super) fn status(code: u16) -> Reply {
    Reply::Bytes(response(code, "text/html", b"<h1>try later</h1>"))
}

pub(super) fn client_with(base_url: &str, retry: RetryPolicy) -> Client {
    Client::builder(KEY)
        .base_url(base_url)
        .retry(retry)
        .build()
        .unwrap()
}
