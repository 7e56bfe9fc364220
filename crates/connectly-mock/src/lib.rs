//! An embeddable, stateful fake of Connectly's webhooks API, for tests and demos.
//!
//! It behaves like the documented API, not like a list of canned answers: a registration made
//! with create shows up in list, a second registration of a topic answers 409, update and delete
//! answer 404 for unknown ids, and every request body is validated with the same JSON Schemas
//! users get from `connectly-schema`. It listens on `127.0.0.1` and an ephemeral port by default.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = connectly_mock::MockServer::start().await?;
//! let client = connectly_client::Client::builder(mock.api_key()).base_url(mock.base_url()).build()?;
//! assert!(client.list_webhooks("biz_1").await?.webhooks.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! Behaviour, per the API reference:
//!
//! | request | answer |
//! | --- | --- |
//! | missing or unknown `X-API-Key` | 401 |
//! | body over [`MockConfig::max_body_bytes`] (1 MiB by default) | 413 |
//! | malformed JSON, or a body the schema refuses | 400, the message names each field |
//! | create for a topic the business already registered | 409 |
//! | update or delete of an unknown id (for that business) | 404 |
//! | an unknown path | 404; a known path with another method: 405 |
//!
//! Every error has Connectly's error body (`message`, `type`, `code`, `cntTraceId`, `details`).
//! Ids are ULIDs; list returns a business's registrations in creation order. Every request (the
//! last [`REQUEST_LOG_CAPACITY`] by default) is kept in a log ([`MockServer::requests`]) so tests can assert
//! on what a client sent.
//!
//! # Delivering sample events
//!
//! Started with a webhook secret ([`MockConfig::deliver_secret`], or
//! `connectly mock --deliver-secret S`), the mock can also play Connectly's sending side, so that
//! register → receive → verify runs offline. This endpoint is the mock's own, not Connectly's:
//!
//! ```text
//! POST /v1/businesses/{businessId}/mock/deliver?topic=T[&kind=K]
//! X-API-Key: <an accepted key>        (like every other endpoint; no body)
//! ```
//!
//! - `topic`: `messages` or `delivery_status` (required).
//! - `kind`: the sample event to send (see `connectly_webhook::samples`): `text`, `attachment`,
//!   `button`, `referral` for `messages` (default `text`); `sent`, `delivered`, `read`, `failed`
//!   for `delivery_status` (default `sent`).
//!
//! The mock takes the business's registration for the topic and POSTs the sample's JSON body to
//! its address, exactly as `connectly events send` does and as Connectly does: headers
//! `content-type: text/plain; charset=utf-8` and `x-connectly-hmac-sha256` (the Base64
//! HMAC-SHA256 of the body keyed with the secret), no redirects followed, at most
//! [`DELIVERY_TIMEOUT`]. The registration's `configuration` (filters, channel types, echo) is not
//! applied. Answers:
//!
//! | case | answer |
//! | --- | --- |
//! | the receiver answered (any status) | 200 `{"address", "topic", "kind", "status", "body"}`: the registered address, the receiver's status code and the start of its body (4 KiB at most) |
//! | the mock was started without a deliver secret | 409 `FAILED_PRECONDITION` |
//! | `topic` missing or unknown, `kind` unknown or of the other topic | 400 `INVALID_REQUEST` |
//! | no registration of the business for the topic | 404 `NOT_FOUND` |
//! | the registered address is not on a loopback host | 400 `INVALID_REQUEST`; nothing is sent |
//! | the receiver could not be reached or did not answer in time | 502 `BAD_GATEWAY` |
//!
//! **Loopback only.** The mock delivers only to `127.0.0.0/8`, `localhost` (always resolved to
//! `127.0.0.1` / `::1`, never through DNS) and `[::1]`, with no proxy; any other host is refused
//! before any connection is made. **Plain HTTP.** Registered addresses must be `https://` (the
//! schema requires it) but a local receiver has no certificate, so the mock sends to a loopback
//! `https://127.0.0.1:PORT/path` address over plain `http://127.0.0.1:PORT/path` (same port:
//! give one, as the default would become 80). This rule is the mock's only: Connectly itself
//! delivers over HTTPS.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use connectly_mock::{MockConfig, MockServer};
//! let mock = MockServer::start_with(MockConfig::default().deliver_secret("whsec_test")).await?;
//! // ... register https://127.0.0.1:PORT/webhook for `messages` and start a receiver there, then:
//! let url = format!("{}/v1/businesses/biz_1/mock/deliver?topic=messages&kind=button", mock.base_url());
//! let answer = reqwest::Client::new().post(url).header("x-api-key", mock.api_key()).send().await?;
//! assert_eq!(answer.status(), 404); // here: nothing registered yet
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod deliver;

pub use deliver::DELIVERY_TIMEOUT;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use connectly_schema::{validate_as, SchemaKind};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The API key a [`MockServer`] accepts when none is configured.
pub const DEFAULT_API_KEY: &str = "mock-api-key";

/// Largest request body accepted by default, in bytes (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How many requests the log keeps by default: past that, the oldest are dropped, so a
/// long-running mock does not grow without bound.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

/// How to start a [`MockServer`].
///
/// ```
/// let config = connectly_mock::MockConfig::default()
///     .api_key("key-a")
///     .api_key("key-b")
///     .max_body_bytes(64 * 1024);
/// assert_eq!(config.api_keys, ["key-a", "key-b"]);
/// ```
#[derive(Clone)]
pub struct MockConfig {
    /// Address to listen on (default `127.0.0.1:0`: loopback, an ephemeral port).
    pub listen: SocketAddr,
    /// Accepted API keys (default: [`DEFAULT_API_KEY`] alone).
    pub api_keys: Vec<String>,
    /// Largest request body, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// How many requests the log keeps (default [`REQUEST_LOG_CAPACITY`]).
    pub request_log_capacity: usize,
    /// The webhook secret that signs the events of the deliver endpoint (see the crate docs);
    /// `None` (the default) leaves delivery off.
    pub deliver_secret: Option<String>,
}

impl std::fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockConfig")
            .field("listen", &self.listen)
            .field(
                "api_keys",
                &format_args!("[{} redacted]", self.api_keys.len()),
            )
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_log_capacity", &self.request_log_capacity)
            .field(
                "deliver_secret",
                &self.deliver_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_log_capacity: REQUEST_LOG_CAPACITY,
            deliver_secret: None,
        }
    }
}

impl MockConfig {
    /// Listens on `addr`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Accepts `key`. The first call replaces the default key; later calls add keys.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        if self.api_keys == [DEFAULT_API_KEY] {
            self.api_keys.clear();
        }
        self.api_keys.push(key.into());
        self
    }

    /// Refuses bodies over `limit` bytes with 413.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Keeps the last `capacity` requests in the log (0 keeps none).
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = capacity;
        self
    }

    /// Enables the deliver endpoint (`POST /v1/businesses/{businessId}/mock/deliver`, see the
    /// crate docs), signing events with `secret`. It only ever sends to loopback addresses.
    pub fn deliver_secret(mut self, secret: impl Into<String>) -> Self {
        self.deliver_secret = Some(secret.into());
        self
    }
}

/// One request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path exactly as sent (still percent-encoded).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Every header but `x-api-key`, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Whether `x-api-key` held one of the accepted keys.
    pub authenticated: bool,
    /// The body (cut at the size limit when it was over).
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Default)]
struct Store {
    /// Registrations per business, in creation order.
    businesses: HashMap<String, Vec<Map<String, Value>>>,
}

struct Shared {
    api_keys: Vec<String>,
    max_body_bytes: usize,
    request_log_capacity: usize,
    deliver_secret: Option<String>,
    store: Mutex<Store>,
    log: Mutex<VecDeque<RecordedRequest>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake Connectly API. Dropping it stops the server; [`MockServer::shutdown`] stops it
/// and waits.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server on `127.0.0.1` and an ephemeral port, accepting [`DEFAULT_API_KEY`].
    pub async fn start() -> io::Result<Self> {
        Self::start_with(MockConfig::default()).await
    }

    /// Starts a server with `config`.
    pub async fn start_with(config: MockConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (router, shared) = app(config);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:43121`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The first accepted API key.
    pub fn api_key(&self) -> &str {
        self.shared.api_keys.first().map_or("", String::as_str)
    }

    /// The requests received so far, oldest first (the last [`MockConfig::request_log_capacity`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// The registrations of `business_id`, as list would return them.
    pub fn registrations(&self, business_id: &str) -> Vec<Value> {
        lock(&self.shared.store)
            .businesses
            .get(business_id)
            .map(|list| list.iter().cloned().map(Value::Object).collect())
            .unwrap_or_default()
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves the fake API on `listener` until `shutdown` completes (for a foreground server such
/// as `connectly mock`, with Ctrl-C as the signal).
pub async fn serve(
    listener: TcpListener,
    config: MockConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (router, _) = app(config);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

fn app(config: MockConfig) -> (Router, Arc<Shared>) {
    let shared = Arc::new(Shared {
        api_keys: config.api_keys,
        max_body_bytes: config.max_body_bytes,
        request_log_capacity: config.request_log_capacity,
        deliver_secret: config.deliver_secret,
        store: Mutex::default(),
        log: Mutex::default(),
    });
    let router = Router::new()
        .route("/v1/businesses/{business_id}/create/webhooks", post(create))
        .route("/v1/businesses/{business_id}/webhooks", get(list))
        .route(
            "/v1/businesses/{business_id}/update/webhooks/{webhook_id}",
            put(update),
        )
        .route(
            "/v1/businesses/{business_id}/delete/webhooks/{webhook_id}",
            delete(remove),
        )
        .route(
            "/v1/businesses/{business_id}/mock/deliver",
            post(deliver::deliver),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            record_and_authenticate,
        ))
        .with_state(shared.clone());
    (router, shared)
}

/// Connectly's error body.
fn error(status: StatusCode, kind: &str, message: impl Into<String>, details: Value) -> Response {
    let body = json!({
        "message": message.into(),
        "type": format!("ERROR_TYPE_{kind}"),
        "code": format!("ERROR_CODE_{kind}"),
        "cntTraceId": ulid::Ulid::generate().to_string(),
        "details": details,
    });
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Reads the body under the size cap, logs the request, and checks the API key, before routing.
async fn record_and_authenticate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let authenticated = parts
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|key| shared.api_keys.iter().any(|k| k == key));
    let declared_too_large = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > shared.max_body_bytes);
    let body = if declared_too_large {
        None
    } else {
        to_bytes(body, shared.max_body_bytes).await.ok()
    };
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: recorded_headers(&parts.headers),
        authenticated,
        body: body.clone().unwrap_or_default(),
    };
    if shared.request_log_capacity > 0 {
        let mut log = lock(&shared.log);
        while log.len() >= shared.request_log_capacity {
            log.pop_front();
        }
        log.push_back(recorded);
    }
    let Some(body) = body else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!(
                "the request body is larger than {} bytes",
                shared.max_body_bytes
            ),
            json!({"limit": shared.max_body_bytes}),
        );
    };
    if !authenticated {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "missing or invalid X-API-Key",
            json!({}),
        );
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

fn recorded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| *name != "x-api-key")
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Parses and validates a JSON body, or answers 400 naming each field at fault.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn parse_body(body: &Bytes, kind: SchemaKind) -> Result<Map<String, Value>, Response> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("malformed JSON body: {e}"),
            json!({}),
        )
    })?;
    if let Err(errors) = validate_as(kind, &value) {
        let message = errors
            .iter()
            .map(|e| {
                let field = if e.pointer.is_empty() {
                    "body"
                } else {
                    e.pointer.as_str()
                };
                format!("{field}: {}", e.message)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let details: Vec<Value> = errors
            .iter()
            .map(|e| json!({"field": e.pointer, "message": e.message}))
            .collect();
        return Err(error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("invalid field values: {message}"),
            json!({"errors": details}),
        ));
    }
    match value {
        Value::Object(map) => Ok(map),
        _ => unreachable!("both schemas require an object"),
    }
}

async fn create(
    State(shared): State<Arc<Shared>>,
    Path(business_id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = match parse_body(&body, SchemaKind::Registration) {
        Ok(map) => map,
        Err(response) => return response,
    };
    let topic = fields["topic"].as_str().unwrap_or_default().to_owned();
    let mut store = lock(&shared.store);
    let list = store.businesses.entry(business_id).or_default();
    if let Some(existing) = list.iter().find(|r| r["topic"] == topic.as_str()) {
        let id = existing["id"].as_str().unwrap_or_default().to_owned();
        return error(
            StatusCode::CONFLICT,
            "ALREADY_EXISTS",
            format!("an endpoint is already registered for topic {topic:?} (id {id}); use Update Webhook instead"),
            json!({"webhookId": id}),
        );
    }
    let id = ulid::Ulid::generate().to_string();
    // `id` first, as the list example shows it.
    let mut registration = Map::new();
    registration.insert("id".to_owned(), Value::String(id.clone()));
    registration.extend(fields);
    list.push(registration);
    json_response(StatusCode::OK, &json!({"id": id}))
}

async fn list(State(shared): State<Arc<Shared>>, Path(business_id): Path<String>) -> Response {
    let store = lock(&shared.store);
    let webhooks: Vec<Value> = store
        .businesses
        .get(&business_id)
        .map(|list| list.iter().cloned().map(Value::Object).collect())
        .unwrap_or_default();
    json_response(
        StatusCode::OK,
        &json!({"entity": {"businessId": business_id, "webhooks": webhooks}}),
    )
}

async fn update(
    State(shared): State<Arc<Shared>>,
    Path((business_id, webhook_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let changes = match parse_body(&body, SchemaKind::Update) {
        Ok(map) => map,
        Err(response) => return response,
    };
    let mut store = lock(&shared.store);
    let Some(registration) = store
        .businesses
        .get_mut(&business_id)
        .and_then(|list| list.iter_mut().find(|r| r["id"] == webhook_id.as_str()))
    else {
        return unknown_webhook(&webhook_id);
    };
    if let Some(address) = changes.get("address") {
        registration.insert("address".to_owned(), address.clone());
    }
    if let Some(Value::Object(given)) = changes.get("configuration") {
        // Fields given inside `configuration` overwrite the stored ones; the others stay.
        let stored = registration
            .entry("configuration")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(stored) = stored {
            for (key, value) in given {
                stored.insert(key.clone(), value.clone());
            }
        }
    }
    json_response(StatusCode::OK, &json!({}))
}

async fn remove(
    State(shared): State<Arc<Shared>>,
    Path((business_id, webhook_id)): Path<(String, String)>,
) -> Response {
    let mut store = lock(&shared.store);
    let list = store.businesses.get_mut(&business_id);
    match list.and_then(|l| {
        l.iter()
            .position(|r| r["id"] == webhook_id.as_str())
            .map(|i| (l, i))
    }) {
        Some((list, index)) => {
            list.remove(index);
            json_response(StatusCode::OK, &json!({}))
        }
        None => unknown_webhook(&webhook_id),
    }
}

fn unknown_webhook(webhook_id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("no webhook {webhook_id:?} for this business"),
        json!({"webhookId": webhook_id}),
    )
}

async fn not_found(method: Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("no such endpoint: {method} {}", uri.path()),
        json!({}),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{method} is not allowed on {}", uri.path()),
        json!({}),
    )
}
