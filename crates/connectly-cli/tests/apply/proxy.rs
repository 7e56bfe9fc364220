//! A loopback HTTP proxy in front of the mock that fails on purpose (used by the failure,
//! many-businesses, unreachable and upsert tests).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

/// What the proxy does to one request.
#[derive(Clone)]
pub(super) enum Fault {
    /// Refuse the N-th change request (1-based) with 400, without forwarding it: certainly not
    /// carried out.
    FailBefore(usize),
    /// Forward the N-th change request, then break the answer off (the connection drops after
    /// the server carried it out): the outcome is unknown to the client.
    DropAfter(usize),
    /// Answer 500 to requests for this path, without forwarding them.
    FailPath(String),
    /// Before forwarding the first create, register the same topic directly (another client
    /// winning a race).
    RaceCreate,
}

struct ProxyState {
    upstream: String,
    fault: Fault,
    changes: AtomicUsize,
    /// The `METHOD PATH` of the faulty change request: a retry of it meets the same fault and
    /// is not counted again.
    target: std::sync::Mutex<Option<String>>,
    http: reqwest::Client,
}

/// A loopback HTTP proxy in front of the mock that fails on purpose.
pub(super) struct Proxy {
    pub(super) base_url: String,
}

impl Proxy {
    pub(super) fn start(fake: &Fake, fault: Fault) -> Self {
        let state = Arc::new(ProxyState {
            upstream: fake.mock.base_url(),
            fault,
            changes: AtomicUsize::new(0),
            target: std::sync::Mutex::new(None),
            http: reqwest::Client::new(),
        });
        let listener = fake
            .rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(forward).with_state(state);
        fake.rt
            .spawn(async move { axum::serve(listener, app).await });
        Self {
            base_url: format!("http://{addr}"),
        }
    }
}

async fn forward(
    axum::extract::State(state): axum::extract::State<Arc<ProxyState>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let key = request
        .headers()
        .get("x-api-key")
        .cloned()
        .unwrap_or_else(|| axum::http::HeaderValue::from_static(""));
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let line = format!("{method} {path}");
    let n = {
        let mut target = state.target.lock().unwrap();
        if method == "GET" {
            0
        } else if target.as_deref() == Some(line.as_str()) {
            // A retry of the faulty request.
            state.changes.load(Ordering::SeqCst)
        } else {
            let n = state.changes.fetch_add(1, Ordering::SeqCst) + 1;
            if matches!(state.fault, Fault::FailBefore(k) | Fault::DropAfter(k) if k == n) {
                *target = Some(line.clone());
            }
            n
        }
    };
    let failure = |status| {
        (
            status,
            [("content-type", "application/json")],
            r#"{"message": "failed on purpose"}"#,
        )
            .into_response()
    };
    match &state.fault {
        Fault::FailBefore(k) if n == *k => return failure(axum::http::StatusCode::BAD_REQUEST),
        Fault::FailPath(p) if *p == path => {
            return failure(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
        }
        Fault::RaceCreate if method == "POST" && n == 1 => {
            let mut competing: Value = serde_json::from_slice(&body).unwrap();
            competing["address"] = json!("https://example.com/the-other-client");
            state
                .http
                .post(format!("{}{path}", state.upstream))
                .header("x-api-key", key.clone())
                .json(&competing)
                .send()
                .await
                .unwrap();
        }
        _ => {}
    }
    let answer = state
        .http
        .request(method, format!("{}{path}", state.upstream))
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let bytes = answer.bytes().await.unwrap();
    if matches!(state.fault, Fault::DropAfter(k) if n == k) {
        // Carried out upstream; the answer's body breaks off.
        let broken = futures_util::stream::iter([
            Ok(bytes.slice(..bytes.len() / 2)),
            Err(std::io::Error::other("dropped on purpose")),
        ]);
        return (status, axum::body::Body::from_stream(broken)).into_response();
    }
    (status, [("content-type", "application/json")], bytes).into_response()
}
