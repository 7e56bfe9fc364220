//! End-to-end tests of `connectly_client::Client` against a local httpmock server (loopback
//! only): the exact requests sent for the documented examples, the mapping of every response
//! to `Error`, path-segment encoding, client construction, and the generated httpmock helpers.
//!
//! httpmock 0.8 matches `path(..)` against `http::Uri::path()` of the request as received
//! (`HttpMockRequest::uri()` re-parses the raw request target; see
//! `server/matchers/readers.rs::request_value::path`), i.e. the *raw, still percent-encoded*
//! path, compared case-sensitively. So `path("/v1/businesses/a%2Fb%20c%3Fd/create/webhooks")`
//! only matches when the client put exactly those bytes on the wire. `json_body(..)` uses
//! assert-json-diff in `CompareMode::Strict`: an extra key, a missing key or a `null` where the
//! example has no key all fail to match.

use std::time::Duration;

use connectly_client::{
    types::{self, CreateWebhookRequest},
    ApiError, BuildError, Client, Error, StatusCode,
};
use httpmock::{Method, MockServer};
use serde_json::{json, Value};

mod building;
mod create_examples;
mod error_statuses;
mod generated_helpers;
mod path_segments;
mod response_bodies;
mod round_trip;
mod undocumented;

pub(super) const KEY: &str = "sk_test_Zq8vXr4T1b";
pub(super) const BUSINESS: &str = "biz_01ARZ3NDEKTSV4RRFFQ69G5FAV";
pub(super) const CREATED_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
pub(super) const CREATE_PATH: &str =
    "/v1/businesses/biz_01ARZ3NDEKTSV4RRFFQ69G5FAV/create/webhooks";

/// A mock server on a loopback address (and nowhere else).
pub(super) async fn start_server() -> MockServer {
    let server = MockServer::start_async().await;
    assert!(
        server.address().ip().is_loopback(),
        "the mock server must listen on loopback, not {}",
        server.address()
    );
    server
}

/// A client without retries: these tests are about how one response maps to a result (what is
/// retried is tested in `client_faults/retries.rs`).
pub(super) fn client_for(server: &MockServer) -> Client {
    Client::builder(KEY)
        .base_url(server.base_url())
        .retry(connectly_client::RetryPolicy::none())
        .build()
        .expect("a loopback base URL is accepted")
}

/// The three create examples of the reference page, verbatim.
pub(super) fn example_messages() -> Value {
    json!({
        "topic": "messages",
        "address": "https://example.com/webhook/messages"
    })
}

pub(super) fn example_delivery_status() -> Value {
    json!({
        "topic": "delivery_status",
        "address": "https://example.com/webhook/delivery"
    })
}

pub(super) fn example_delivery_status_filtered() -> Value {
    json!({
        "topic": "delivery_status",
        "address": "https://example.com/webhook/delivery",
        "configuration": {
            "channelTypes": ["whatsapp"],
            "filters": [
                { "field": "campaign_name", "expression": "summer-promo-*" }
            ]
        }
    })
}

pub(super) fn from_example(example: &Value) -> CreateWebhookRequest {
    serde_json::from_value(example.clone()).expect("the reference example is a valid request")
}

/// Connectly's error body, with fields the client must keep.
pub(super) fn conflict_body() -> Value {
    json!({
        "message": "an endpoint is already registered for topic messages",
        "type": "ERROR_TYPE_INVALID_REQUEST",
        "code": "ERROR_CODE_ALREADY_EXISTS",
        "userTitle": "Already registered",
        "userMessage": "Update the existing webhook instead.",
        "cntTraceId": "trace-7f3e9a",
        "details": { "topic": "messages" }
    })
}

pub(super) fn error_body(message: &str, code: &str, trace: &str) -> Value {
    json!({ "message": message, "code": code, "cntTraceId": trace })
}

pub(super) fn api_error(body: &Value) -> ApiError {
    serde_json::from_value(body.clone()).expect("a Connectly error body")
}

/// Nothing printed about an error may contain the API key.
pub(super) fn assert_key_not_shown(error: &Error) {
    let display = error.to_string();
    let debug = format!("{error:?}");
    assert!(!display.contains(KEY), "Display shows the key: {display}");
    assert!(!debug.contains(KEY), "Debug shows the key: {debug}");
}

/// Starts a server whose create endpoint answers as `respond` says, sends the `messages`
/// example, and returns the error the client gives.
pub(super) async fn create_error(respond: impl FnOnce(httpmock::Then)) -> Error {
    let server = start_server().await;
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            respond(then);
        })
        .await;
    client_for(&server)
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect_err("an error status")
}

/// Starts a server whose list endpoint answers as `respond` says, lists [`BUSINESS`], and
/// returns the error the client gives.
pub(super) async fn list_error(respond: impl FnOnce(httpmock::Then)) -> Error {
    let server = start_server().await;
    server
        .mock_async(|when, then| {
            when.method(Method::GET).path(route_list().1);
            respond(then);
        })
        .await;
    client_for(&server)
        .list_webhooks(BUSINESS)
        .await
        .expect_err("an error status")
}

/// A reply for [`create_error`] or [`list_error`]: `status` with `body` as JSON.
pub(super) fn json_reply(status: u16, body: &Value) -> impl FnOnce(httpmock::Then) {
    let body = body.clone();
    move |then| {
        then.status(status)
            .header("content-type", "application/json")
            .json_body(body);
    }
}

/// The list endpoint of [`BUSINESS`], for [`answer`].
pub(super) fn route_list() -> (Method, String) {
    (Method::GET, format!("/v1/businesses/{BUSINESS}/webhooks"))
}

/// The create endpoint of [`BUSINESS`], for [`answer`].
pub(super) fn route_create() -> (Method, String) {
    (Method::POST, CREATE_PATH.to_owned())
}

/// The update endpoint of webhook `id` of [`BUSINESS`], for [`answer`].
pub(super) fn route_update(id: &str) -> (Method, String) {
    let path = format!("/v1/businesses/{BUSINESS}/update/webhooks/{id}");
    (Method::PUT, path)
}

/// The delete endpoint of webhook `id` of [`BUSINESS`], for [`answer`].
pub(super) fn route_delete(id: &str) -> (Method, String) {
    let path = format!("/v1/businesses/{BUSINESS}/delete/webhooks/{id}");
    (Method::DELETE, path)
}

/// Makes `server` answer requests to `route` with `(status, content_type, body)`; returns the
/// mock, to count its calls.
pub(super) async fn answer<'a>(
    server: &'a MockServer,
    (method, path): (Method, String),
    (status, content_type, body): (u16, &str, impl AsRef<[u8]>),
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(method).path(path);
            then.status(status)
                .header("content-type", content_type)
                .body(body);
        })
        .await
}

/// An update that changes nothing.
pub(super) fn no_change() -> types::UpdateWebhookRequest {
    types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    }
}

/// The fields of an [`Error::UnexpectedStatus`]; fails the test on any other error.
pub(super) fn unexpected_status(
    error: Error,
) -> (StatusCode, Option<Box<ApiError>>, String, Option<Duration>) {
    match error {
        Error::UnexpectedStatus {
            status,
            body,
            excerpt,
            retry_after,
        } => (status, body, excerpt, retry_after),
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

/// Sends `request` with `create_webhook` and checks the server saw exactly one POST to the
/// create path, with the API key, a JSON content type and a body equal to `example`.
pub(super) async fn assert_create_sends_exactly(example: Value, request: CreateWebhookRequest) {
    let server = start_server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(Method::POST)
                .path(CREATE_PATH)
                .header("x-api-key", KEY)
                .header("content-type", "application/json")
                .json_body(example);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({ "id": CREATED_ID }));
        })
        .await;

    let created = client_for(&server)
        .create_webhook(BUSINESS, &request)
        .await
        .expect("the mock answers 200 only to the exact request");

    assert_eq!(created.id, CREATED_ID);
    mock.assert_calls_async(1).await;
}
