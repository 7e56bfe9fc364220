//! connectly-mock, driven by the generated client (and by raw HTTP where the client cannot send
//! the fault), in-process on loopback.

use connectly_client::{types, Client, Error, StatusCode};
use connectly_mock::{MockConfig, MockServer};
use connectly_tests::{assert_error_body, client_for as client};
use serde_json::{json, Value};

mod registrations;
mod request_errors;
mod request_log;
mod server;

pub(super) const BIZ: &str = "biz_1";

pub(super) fn registration(topic: &str, address: &str) -> types::CreateWebhookRequest {
    serde_json::from_value(json!({"topic": topic, "address": address})).unwrap()
}

/// A raw request with the mock's key: (status, body as JSON).
pub(super) async fn raw(
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

pub(super) use connectly_tests::raw::read_until_closed;

/// A connection that sent a create's head (the mock's key, `extra` header lines, a 100-byte
/// body announced) and `partial` of the body, and sends nothing more.
pub(super) async fn stalled_create(
    mock: &MockServer,
    extra: &str,
    partial: &str,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stalled = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    let head = format!(
        "POST /v1/businesses/{BIZ}/create/webhooks HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\n\
         {extra}content-length: 100\r\n\r\n",
        mock.api_key()
    );
    stalled
        .write_all(format!("{head}{partial}").as_bytes())
        .await
        .unwrap();
    stalled
}
