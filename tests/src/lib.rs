//! Helpers shared by the workspace's integration tests (`tests/tests/main.rs`) and the
//! `connectly` binary's (`crates/connectly-cli/tests/main.rs`): one axum test receiver, a
//! client pointed at a mock, Connectly's error-body check, the bare create server the benches
//! compare against, (in [`cli`]) running the binary, (in [`raw`]) raw connections for the faults
//! a client cannot send, and [`LiveApi`], a fake of the live API holding what the mock refuses
//! to (unknown topics, two registrations for one topic).
//! Everything listens on and talks to loopback only.

#![deny(missing_docs)]

pub mod cli;
mod live;
pub mod postgres;
pub mod raw;
mod receiver;
mod sink;

pub use live::LiveApi;

/// The examples of the repository's front page (`README.md`), compiled and run by
/// `cargo test --doc` like every crate's.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
pub use receiver::{Receiver, Seen};
pub use sink::{Forward, Sink};

use connectly_client::Client;
use connectly_mock::MockServer;
use serde_json::Value;

/// A multi-thread runtime with one worker: it serves loopback servers while a test blocks
/// (on a child process, say).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A client for `mock`: its base URL and the key it accepts.
pub fn client_for(mock: &MockServer) -> Client {
    Client::builder(mock.api_key())
        .base_url(mock.base_url())
        .build()
        .unwrap()
}

/// Fails unless `body` has the four string fields of Connectly's error body.
pub fn assert_error_body(body: &Value) {
    for field in ["message", "type", "code", "cntTraceId"] {
        assert!(body[field].is_string(), "{field} missing from {body}");
    }
}

/// A bare axum route that answers every create with a fixed id: no key check, no validation, no
/// state. The benches' baseline (the client's request overhead, the mock's throughput); returns
/// its `http://127.0.0.1:PORT` base URL. Call it inside a Tokio runtime.
pub async fn bare_create_server() -> String {
    use axum::routing::post;
    let router = axum::Router::new().route(
        "/v1/businesses/{business_id}/create/webhooks",
        post(|| async {
            (
                [("content-type", "application/json")],
                r#"{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}"#,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}
