//! [`LiveApi`]: a fake of the live Connectly API that answers with whatever registrations a test
//! gives it, as the real API may (topics added after this version, two registrations for one
//! topic), where the mock would refuse to hold them. On 127.0.0.1, with its own runtime.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::cli::{connectly, BIZ, KEY};

#[derive(Default)]
struct Shared {
    registrations: Vec<Value>,
    requests: Vec<String>,
    created: usize,
}

type St = Arc<Mutex<Shared>>;

/// The fake: list, create, update and delete for any business, over one list of registrations.
pub struct LiveApi {
    addr: SocketAddr,
    shared: St,
    _rt: tokio::runtime::Runtime,
}

impl LiveApi {
    /// Serves `registrations` (JSON objects as Get Webhooks lists them) to the key [`KEY`].
    pub fn start(registrations: Value) -> Self {
        let shared: St = Arc::new(Mutex::new(Shared {
            registrations: registrations.as_array().cloned().unwrap_or_default(),
            ..Shared::default()
        }));
        let app = Router::new()
            .route("/v1/businesses/{business}/webhooks", get(list))
            .route("/v1/businesses/{business}/create/webhooks", post(create))
            .route(
                "/v1/businesses/{business}/update/webhooks/{id}",
                put(update),
            )
            .route(
                "/v1/businesses/{business}/delete/webhooks/{id}",
                delete(remove),
            )
            .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
            .with_state(shared.clone());
        let rt = crate::runtime();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            shared,
            _rt: rt,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received, as `METHOD PATH`.
    pub fn requests(&self) -> Vec<String> {
        self.shared.lock().unwrap().requests.clone()
    }

    /// The requests received that change something (everything but the lists).
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| !r.starts_with("GET "))
            .collect()
    }

    /// The registrations now.
    pub fn registrations(&self) -> Vec<Value> {
        self.shared.lock().unwrap().registrations.clone()
    }

    /// The ids of the registrations now.
    pub fn ids(&self) -> Vec<String> {
        self.registrations()
            .iter()
            .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// `connectly ARGS --base-url <this> --business-id BIZ`, the key in the environment.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = connectly(args);
        cmd.env("CONNECTLY_API_KEY", KEY).args([
            "--base-url",
            &self.base_url(),
            "--business-id",
            BIZ,
        ]);
        cmd
    }
}

/// Records every request; refuses any other key with 401.
async fn gate(
    State(shared): State<St>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let line = format!("{} {}", request.method(), request.uri().path());
    shared.lock().unwrap().requests.push(line);
    if request.headers().get("x-api-key").map(|v| v.as_bytes()) != Some(KEY.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "bad key"})),
        )
            .into_response();
    }
    next.run(request).await
}

async fn list(State(shared): State<St>, Path(business): Path<String>) -> Json<Value> {
    let webhooks = shared.lock().unwrap().registrations.clone();
    Json(json!({"entity": {"businessId": business, "webhooks": webhooks}}))
}

async fn create(
    State(shared): State<St>,
    Path(_business): Path<String>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut shared = shared.lock().unwrap();
    shared.created += 1;
    let id = format!("wh_new_{}", shared.created);
    let mut registration = body;
    registration["id"] = json!(id);
    shared.registrations.push(registration);
    Json(json!({ "id": id }))
}

async fn update(
    State(shared): State<St>,
    Path((_business, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    let mut shared = shared.lock().unwrap();
    let Some(registration) = shared.registrations.iter_mut().find(|r| r["id"] == id) else {
        return (StatusCode::NOT_FOUND, Json(not_found(&id)));
    };
    for key in ["address", "configuration"] {
        if let Some(value) = body.get(key) {
            registration[key] = value.clone();
        }
    }
    (StatusCode::OK, Json(json!({})))
}

async fn remove(
    State(shared): State<St>,
    Path((_business, id)): Path<(String, String)>,
) -> impl IntoResponse {
    let mut shared = shared.lock().unwrap();
    let before = shared.registrations.len();
    shared.registrations.retain(|r| r["id"] != id);
    if shared.registrations.len() == before {
        return (StatusCode::NOT_FOUND, Json(not_found(&id)));
    }
    (StatusCode::OK, Json(json!({})))
}

/// Connectly's error body for an unknown id, quoting the id as given (so that a test can make the
/// server's message hold any text).
fn not_found(id: &str) -> Value {
    json!({"message": format!("no webhook {id}"), "type": "ERROR_TYPE_NOT_FOUND",
           "code": "ERROR_CODE_NOT_FOUND", "cntTraceId": "trace"})
}
