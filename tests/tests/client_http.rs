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

const KEY: &str = "sk_test_Zq8vXr4T1b";
const BUSINESS: &str = "biz_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const CREATED_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
const CREATE_PATH: &str = "/v1/businesses/biz_01ARZ3NDEKTSV4RRFFQ69G5FAV/create/webhooks";

/// A mock server on a loopback address (and nowhere else).
async fn start_server() -> MockServer {
    let server = MockServer::start_async().await;
    assert!(
        server.address().ip().is_loopback(),
        "the mock server must listen on loopback, not {}",
        server.address()
    );
    server
}

/// A client without retries: these tests are about how one response maps to a result (what is
/// retried is tested in `client_faults.rs`).
fn client_for(server: &MockServer) -> Client {
    Client::builder(KEY)
        .base_url(server.base_url())
        .retry(connectly_client::RetryPolicy::none())
        .build()
        .expect("a loopback base URL is accepted")
}

/// The three create examples of the reference page, verbatim.
fn example_messages() -> Value {
    json!({
        "topic": "messages",
        "address": "https://example.com/webhook/messages"
    })
}

fn example_delivery_status() -> Value {
    json!({
        "topic": "delivery_status",
        "address": "https://example.com/webhook/delivery"
    })
}

fn example_delivery_status_filtered() -> Value {
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

fn from_example(example: &Value) -> CreateWebhookRequest {
    serde_json::from_value(example.clone()).expect("the reference example is a valid request")
}

/// Connectly's error body, with fields the client must keep.
fn conflict_body() -> Value {
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

fn error_body(message: &str, code: &str, trace: &str) -> Value {
    json!({ "message": message, "code": code, "cntTraceId": trace })
}

fn api_error(body: &Value) -> ApiError {
    serde_json::from_value(body.clone()).expect("a Connectly error body")
}

/// Nothing printed about an error may contain the API key.
fn assert_key_not_shown(error: &Error) {
    let display = error.to_string();
    let debug = format!("{error:?}");
    assert!(!display.contains(KEY), "Display shows the key: {display}");
    assert!(!debug.contains(KEY), "Debug shows the key: {debug}");
}

/// Starts a server whose create endpoint answers as `respond` says, sends the `messages`
/// example, and returns the error the client gives.
async fn create_error(respond: impl FnOnce(httpmock::Then)) -> Error {
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

/// Sends `request` with `create_webhook` and checks the server saw exactly one POST to the
/// create path, with the API key, a JSON content type and a body equal to `example`.
async fn assert_create_sends_exactly(example: Value, request: CreateWebhookRequest) {
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

// 1. The three create examples --------------------------------------------------------------

#[tokio::test]
async fn create_sends_messages_example_exactly_and_returns_id() {
    let example = example_messages();
    let request = from_example(&example);
    assert_create_sends_exactly(example, request).await;
}

#[tokio::test]
async fn create_sends_delivery_status_example_exactly_and_returns_id() {
    let example = example_delivery_status();
    let request = from_example(&example);
    assert_create_sends_exactly(example, request).await;
}

#[tokio::test]
async fn create_sends_filtered_delivery_status_example_exactly_and_returns_id() {
    let example = example_delivery_status_filtered();
    let request = from_example(&example);
    assert_create_sends_exactly(example, request).await;
}

#[tokio::test]
async fn create_request_built_in_rust_sends_messages_example_exactly() {
    let request = CreateWebhookRequest {
        topic: types::Topic::Messages,
        address: "https://example.com/webhook/messages".parse().unwrap(),
        type_: None,
        configuration: None,
    };
    assert_eq!(request, from_example(&example_messages()));
    assert_create_sends_exactly(example_messages(), request).await;
}

#[tokio::test]
async fn create_request_built_in_rust_sends_filtered_example_exactly() {
    let request = CreateWebhookRequest {
        topic: types::Topic::DeliveryStatus,
        address: "https://example.com/webhook/delivery".parse().unwrap(),
        type_: None,
        configuration: Some(types::Configuration {
            channel_types: Some(vec!["whatsapp".parse().unwrap()]),
            filters: Some(vec![types::Filter {
                field: "campaign_name".parse().unwrap(),
                expression: "summer-promo-*".parse().unwrap(),
            }]),
            ..Default::default()
        }),
    };
    assert_eq!(request, from_example(&example_delivery_status_filtered()));
    assert_create_sends_exactly(example_delivery_status_filtered(), request).await;
}

// 2. Documented error statuses ---------------------------------------------------------------

#[tokio::test]
async fn create_409_maps_to_already_registered_keeping_error_body() {
    let server = start_server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(409)
                .header("content-type", "application/json")
                .json_body(conflict_body());
        })
        .await;

    let error = client_for(&server)
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect_err("409 is an error");

    mock.assert_calls_async(1).await;
    assert_key_not_shown(&error);
    assert_eq!(error.status(), Some(StatusCode::CONFLICT));
    assert_eq!(error.api_error(), Some(&api_error(&conflict_body())));
    let display = error.to_string();
    match error {
        Error::AlreadyRegistered { status, body } => {
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(
                body.message.as_deref(),
                Some("an endpoint is already registered for topic messages")
            );
            assert_eq!(body.code.as_deref(), Some("ERROR_CODE_ALREADY_EXISTS"));
            assert_eq!(body.cnt_trace_id.as_deref(), Some("trace-7f3e9a"));
            assert_eq!(body.details.get("topic"), Some(&json!("messages")));
        }
        other => panic!("expected AlreadyRegistered, got {other:?}"),
    }
    // The message, code and trace id are what a user quotes to support: Display keeps them.
    for part in [
        "an endpoint is already registered",
        "ERROR_CODE_ALREADY_EXISTS",
        "trace-7f3e9a",
    ] {
        assert!(display.contains(part), "{display:?} lacks {part:?}");
    }
}

#[tokio::test]
async fn create_401_400_500_map_to_unauthorized_invalid_request_server_keeping_status_and_body() {
    for status in [401u16, 400, 500] {
        let body = error_body(&format!("failed with {status}"), "ERROR_CODE_X", "trace-1");
        let body_for_mock = body.clone();
        let error = create_error(|then| {
            then.status(status)
                .header("content-type", "application/json")
                .json_body(body_for_mock);
        })
        .await;

        assert_key_not_shown(&error);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.api_error(), Some(&api_error(&body)), "{status}");
        let variant_ok = match (status, &error) {
            (401, Error::Unauthorized { status: s, .. }) => s.as_u16() == 401,
            (400, Error::InvalidRequest { status: s, .. }) => s.as_u16() == 400,
            (500, Error::Server { status: s, .. }) => s.as_u16() == 500,
            _ => false,
        };
        assert!(variant_ok, "{status} mapped to {error:?}");
    }
}

#[tokio::test]
async fn list_401_maps_to_unauthorized_and_500_to_server() {
    for (status, expect_unauthorized) in [(401u16, true), (500, false)] {
        let server = start_server().await;
        let body = error_body("nope", "ERROR_CODE_Y", "trace-2");
        let body_for_mock = body.clone();
        server
            .mock_async(|when, then| {
                when.method(Method::GET)
                    .path(format!("/v1/businesses/{BUSINESS}/webhooks"));
                then.status(status)
                    .header("content-type", "application/json")
                    .json_body(body_for_mock);
            })
            .await;

        let error = client_for(&server)
            .list_webhooks(BUSINESS)
            .await
            .expect_err("an error status");

        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.api_error(), Some(&api_error(&body)));
        match error {
            Error::Unauthorized { .. } if expect_unauthorized => {}
            Error::Server { .. } if !expect_unauthorized => {}
            other => panic!("{status} mapped to {other:?}"),
        }
    }
}

#[tokio::test]
async fn update_and_delete_404_map_to_not_found_keeping_status_and_body() {
    let server = start_server().await;
    let body = error_body("webhook not found", "ERROR_CODE_NOT_FOUND", "trace-404");
    let update_mock = server
        .mock_async(|when, then| {
            when.method(Method::PUT)
                .path(format!("/v1/businesses/{BUSINESS}/update/webhooks/wh_gone"));
            then.status(404)
                .header("content-type", "application/json")
                .json_body(body.clone());
        })
        .await;
    let delete_mock = server
        .mock_async(|when, then| {
            when.method(Method::DELETE)
                .path(format!("/v1/businesses/{BUSINESS}/delete/webhooks/wh_gone"));
            then.status(404)
                .header("content-type", "application/json")
                .json_body(body.clone());
        })
        .await;
    let client = client_for(&server);
    let update = types::UpdateWebhookRequest {
        address: Some("https://example.com/webhook/v2/messages".parse().unwrap()),
        configuration: None,
    };

    let errors = [
        client
            .update_webhook(BUSINESS, "wh_gone", &update)
            .await
            .expect_err("404"),
        client
            .delete_webhook(BUSINESS, "wh_gone")
            .await
            .expect_err("404"),
    ];

    update_mock.assert_calls_async(1).await;
    delete_mock.assert_calls_async(1).await;
    for error in errors {
        assert_key_not_shown(&error);
        assert_eq!(error.api_error(), Some(&api_error(&body)));
        match error {
            Error::NotFound { status, body } => {
                assert_eq!(status, StatusCode::NOT_FOUND);
                assert_eq!(body.cnt_trace_id.as_deref(), Some("trace-404"));
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

// 3. Documented error statuses with a body that is not Connectly's JSON ----------------------

#[tokio::test]
async fn documented_error_status_with_empty_body_still_maps_to_its_variant() {
    for status in [401u16, 409, 400, 500] {
        let error = create_error(|then| {
            then.status(status);
        })
        .await;

        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.api_error(), Some(&ApiError::default()), "{status}");
        let variant_ok = matches!(
            (status, &error),
            (401, Error::Unauthorized { .. })
                | (409, Error::AlreadyRegistered { .. })
                | (400, Error::InvalidRequest { .. })
                | (500, Error::Server { .. })
        );
        assert!(variant_ok, "empty {status} mapped to {error:?}");
    }
}

#[tokio::test]
async fn documented_error_status_with_html_body_still_maps_to_its_variant() {
    let html =
        "<html><head><title>502</title></head><body><h1>Internal Server Error</h1></body></html>";
    let server = start_server().await;
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(500)
                .header("content-type", "text/html")
                .body(html);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(Method::DELETE)
                .path(format!("/v1/businesses/{BUSINESS}/delete/webhooks/wh_1"));
            then.status(404)
                .header("content-type", "text/html")
                .body("<h1>Not Found</h1>");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/v1/businesses/{BUSINESS}/webhooks"));
            then.status(401)
                .header("content-type", "text/plain")
                .body("Unauthorized\r\n");
        })
        .await;
    let client = client_for(&server);

    let error = client
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect_err("500");
    assert!(
        matches!(&error, Error::Server { status, body } if *status == StatusCode::INTERNAL_SERVER_ERROR && **body == ApiError::default()),
        "HTML 500 mapped to {error:?}"
    );

    let error = client
        .delete_webhook(BUSINESS, "wh_1")
        .await
        .expect_err("404");
    assert!(
        matches!(&error, Error::NotFound { status, .. } if *status == StatusCode::NOT_FOUND),
        "HTML 404 mapped to {error:?}"
    );

    let error = client.list_webhooks(BUSINESS).await.expect_err("401");
    assert!(
        matches!(&error, Error::Unauthorized { status, .. } if *status == StatusCode::UNAUTHORIZED),
        "text 401 mapped to {error:?}"
    );
}

// 4. Undocumented statuses -------------------------------------------------------------------

#[tokio::test]
async fn undocumented_418_maps_to_unexpected_status_with_excerpt() {
    let error = create_error(|then| {
        then.status(418).body("I'm a teapot\n");
    })
    .await;

    assert_key_not_shown(&error);
    assert_eq!(error.status(), Some(StatusCode::IM_A_TEAPOT));
    match error {
        Error::UnexpectedStatus {
            status,
            body,
            excerpt,
            retry_after,
        } => {
            assert_eq!(status, StatusCode::IM_A_TEAPOT);
            assert_eq!(body, None, "a text body is not Connectly's error object");
            assert_eq!(excerpt, "I'm a teapot\\n");
            assert_eq!(retry_after, None);
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

#[tokio::test]
async fn undocumented_429_maps_to_unexpected_status_keeping_retry_after_and_body() {
    let server = start_server().await;
    let body = error_body("rate limited", "ERROR_CODE_RATE_LIMITED", "trace-429");
    let body_for_mock = body.clone();
    server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/v1/businesses/{BUSINESS}/webhooks"));
            then.status(429)
                .header("retry-after", "7")
                .header("content-type", "application/json")
                .json_body(body_for_mock);
        })
        .await;

    let error = client_for(&server)
        .list_webhooks(BUSINESS)
        .await
        .expect_err("429");

    assert_eq!(error.api_error(), Some(&api_error(&body)));
    match error {
        Error::UnexpectedStatus {
            status,
            body: kept,
            excerpt,
            retry_after,
        } => {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
            assert_eq!(kept.as_deref(), Some(&api_error(&body)));
            assert!(excerpt.contains("rate limited"), "{excerpt:?}");
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

#[tokio::test]
async fn undocumented_503_with_html_maps_to_unexpected_status_not_server() {
    let html = "<html><body>Service Unavailable</body></html>";
    let error = create_error(|then| {
        then.status(503)
            .header("content-type", "text/html")
            .header("retry-after", "120")
            .body(html);
    })
    .await;

    match error {
        Error::UnexpectedStatus {
            status,
            body,
            excerpt,
            retry_after,
        } => {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(body, None, "an HTML page is not Connectly's error object");
            assert_eq!(excerpt, html);
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

#[tokio::test]
async fn status_undocumented_for_the_operation_maps_to_unexpected_status() {
    // 404 is documented for update/delete, not for create: there it is unexpected.
    let body = error_body("no such business", "ERROR_CODE_NOT_FOUND", "trace-3");
    let body_for_mock = body.clone();
    let error = create_error(|then| {
        then.status(404)
            .header("content-type", "application/json")
            .json_body(body_for_mock);
    })
    .await;

    match error {
        Error::UnexpectedStatus {
            status,
            body: kept,
            retry_after,
            ..
        } => {
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(kept.as_deref(), Some(&api_error(&body)));
            assert_eq!(retry_after, None);
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let server = start_server().await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200).json_body(json!({ "id": "stolen" }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(307)
                .header("location", server.url("/elsewhere"));
        })
        .await;

    let error = client_for(&server)
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect_err("a redirect is not success");

    assert!(
        matches!(&error, Error::UnexpectedStatus { status, .. } if *status == StatusCode::TEMPORARY_REDIRECT),
        "{error:?}"
    );
    elsewhere.assert_calls_async(0).await;
}

// 5. list / update / delete round trip --------------------------------------------------------

#[tokio::test]
async fn list_update_delete_round_trip() {
    let server = start_server().await;
    // The documented list body, plus fields the spec does not know at every level.
    let list_mock = server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/v1/businesses/{BUSINESS}/webhooks"))
                .header("x-api-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({
                    "entity": {
                        "businessId": BUSINESS,
                        "webhooks": [
                            {
                                "id": "wh_01ARZ3NDEKTSV4RRFFQ69G5FAV",
                                "topic": "messages",
                                "address": "https://example.com/webhook/messages",
                                "configuration": {
                                    "echo": false,
                                    "channelTypes": ["whatsapp"],
                                    "filters": [],
                                    "futureOption": 1
                                },
                                "createdAt": "2024-01-01T00:00:00Z"
                            }
                        ],
                        "nextPageToken": ""
                    },
                    "requestId": "req-1"
                }));
        })
        .await;
    let update_mock = server
        .mock_async(|when, then| {
            when.method(Method::PUT)
                .path(format!(
                    "/v1/businesses/{BUSINESS}/update/webhooks/wh_01ARZ3NDEKTSV4RRFFQ69G5FAV"
                ))
                .header("x-api-key", KEY)
                .header("content-type", "application/json")
                .json_body(json!({ "address": "https://example.com/webhook/v2/messages" }));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({}));
        })
        .await;
    let delete_mock = server
        .mock_async(|when, then| {
            when.method(Method::DELETE)
                .path(format!(
                    "/v1/businesses/{BUSINESS}/delete/webhooks/wh_01ARZ3NDEKTSV4RRFFQ69G5FAV"
                ))
                .header("x-api-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body("{}");
        })
        .await;
    let client = client_for(&server);

    let list = client.list_webhooks(BUSINESS).await.expect("list");
    assert_eq!(list.business_id.as_deref(), Some(BUSINESS));
    assert_eq!(
        list.webhooks,
        vec![types::WebhookRegistration {
            id: "wh_01ARZ3NDEKTSV4RRFFQ69G5FAV".to_owned(),
            topic: types::Topic::Messages.to_string(),
            address: "https://example.com/webhook/messages".to_owned(),
            type_: None,
            configuration: Some(types::Configuration {
                echo: Some(false),
                channel_types: Some(vec!["whatsapp".parse().unwrap()]),
                filters: Some(vec![]),
                webengage_configuration: None,
            }),
        }]
    );

    let id = &list.webhooks[0].id;
    let update = types::UpdateWebhookRequest {
        address: Some("https://example.com/webhook/v2/messages".parse().unwrap()),
        configuration: None,
    };
    client
        .update_webhook(BUSINESS, id, &update)
        .await
        .expect("update");
    client.delete_webhook(BUSINESS, id).await.expect("delete");

    list_mock.assert_calls_async(1).await;
    update_mock.assert_calls_async(1).await;
    delete_mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn list_accepts_an_empty_registration_list() {
    let server = start_server().await;
    server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/v1/businesses/{BUSINESS}/webhooks"));
            then.status(200)
                .json_body(json!({ "entity": { "webhooks": [] } }));
        })
        .await;

    let list = client_for(&server).list_webhooks(BUSINESS).await.unwrap();

    assert_eq!(list.business_id, None);
    assert!(list.webhooks.is_empty());
}

// 6. Path segments ----------------------------------------------------------------------------

#[tokio::test]
async fn business_id_with_slash_space_and_question_mark_stays_in_its_path_segment() {
    let server = start_server().await;
    // Raw (percent-encoded) paths: httpmock compares against the request target as sent.
    let create = server
        .mock_async(|when, then| {
            when.method(Method::POST)
                .path("/v1/businesses/a%2Fb%20c%3Fd/create/webhooks")
                .query_param_count(".*", ".*", 0);
            then.status(200).json_body(json!({ "id": CREATED_ID }));
        })
        .await;
    let list = server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path("/v1/businesses/a%2Fb%20c%3Fd/webhooks")
                .query_param_count(".*", ".*", 0);
            then.status(200)
                .json_body(json!({ "entity": { "webhooks": [] } }));
        })
        .await;
    let update = server
        .mock_async(|when, then| {
            when.method(Method::PUT)
                .path("/v1/businesses/a%2Fb%20c%3Fd/update/webhooks/w%23h%2F1%25")
                .query_param_count(".*", ".*", 0);
            then.status(200).json_body(json!({}));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(Method::DELETE)
                .path("/v1/businesses/a%2Fb%20c%3Fd/delete/webhooks/w%23h%2F1%25")
                .query_param_count(".*", ".*", 0);
            then.status(200).json_body(json!({}));
        })
        .await;
    let client = client_for(&server);
    let business = "a/b c?d";
    let webhook = "w#h/1%";

    let created = client
        .create_webhook(business, &from_example(&example_messages()))
        .await
        .expect("create");
    assert_eq!(created.id, CREATED_ID);
    client.list_webhooks(business).await.expect("list");
    let no_change = types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    };
    client
        .update_webhook(business, webhook, &no_change)
        .await
        .expect("update");
    client
        .delete_webhook(business, webhook)
        .await
        .expect("delete");

    create.assert_calls_async(1).await;
    list.assert_calls_async(1).await;
    update.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
}

#[tokio::test]
async fn ids_with_a_backslash_are_refused_before_sending() {
    // `encode_path` keeps `\`, and for http(s) URLs the URL parser reads it as `/`: unchecked,
    // business id `..\other` lists `/v1/other/webhooks`, and a webhook id can walk to another
    // business's delete path. Such ids are refused; nothing reaches the server.
    let server = start_server().await;
    let anything = server
        .mock_async(|_when, then| {
            then.status(200)
                .json_body(json!({ "entity": { "webhooks": [] } }));
        })
        .await;
    let client = client_for(&server);
    let update = types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    };

    let results = [
        (
            "list business",
            client.list_webhooks(r"..\other").await.map(drop),
        ),
        (
            "list business",
            client.list_webhooks(r"a\b").await.map(drop),
        ),
        (
            "create business",
            client
                .create_webhook(r"..\..\v2", &from_example(&example_messages()))
                .await
                .map(drop),
        ),
        (
            "delete webhook",
            client
                .delete_webhook(BUSINESS, r"..\..\..\biz_other\delete\webhooks\wh_2")
                .await,
        ),
        (
            "update webhook",
            client.update_webhook(BUSINESS, r"wh\1", &update).await,
        ),
    ];
    for (what, result) in results {
        assert!(
            matches!(result, Err(Error::InvalidInput { .. })),
            "{what}: expected InvalidInput, got {result:?}"
        );
    }

    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn dot_segment_and_empty_ids_are_refused_before_sending() {
    let server = start_server().await;
    let anything = server
        .mock_async(|_when, then| {
            then.status(200).json_body(json!({ "id": CREATED_ID }));
        })
        .await;
    let client = client_for(&server);
    let request = from_example(&example_messages());
    let update = types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    };

    for bad in ["..", ".", ""] {
        let results = [
            (
                "create business",
                client.create_webhook(bad, &request).await.map(drop),
            ),
            ("list business", client.list_webhooks(bad).await.map(drop)),
            (
                "update business",
                client.update_webhook(bad, "wh_1", &update).await,
            ),
            (
                "update webhook",
                client.update_webhook(BUSINESS, bad, &update).await,
            ),
            ("delete business", client.delete_webhook(bad, "wh_1").await),
            ("delete webhook", client.delete_webhook(BUSINESS, bad).await),
        ];
        for (what, result) in results {
            match result {
                Err(Error::InvalidInput { .. }) => {}
                other => panic!("{what} {bad:?}: expected InvalidInput, got {other:?}"),
            }
        }
    }

    anything.assert_calls_async(0).await;
}

// 7. Building a client ------------------------------------------------------------------------

#[test]
fn plain_http_base_url_to_non_loopback_host_is_refused() {
    for url in [
        "http://api.connectly.ai",
        "http://example.com:8080/prefix",
        "http://10.0.0.1:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
    ] {
        match Client::builder(KEY).base_url(url).build() {
            Err(BuildError::InsecureBaseUrl { url: given }) => assert_eq!(given, url),
            other => panic!("{url}: expected InsecureBaseUrl, got {other:?}"),
        }
    }
}

#[test]
fn loopback_http_and_https_base_urls_are_accepted() {
    for url in [
        "http://127.0.0.1:1",
        "http://localhost:1",
        "http://[::1]:1",
        "https://api.connectly.ai",
    ] {
        let client = Client::builder(KEY)
            .base_url(url)
            .build()
            .unwrap_or_else(|e| panic!("{url} refused: {e}"));
        assert_eq!(client.base_url(), url);
    }
}

#[test]
fn api_key_with_crlf_is_refused_without_showing_the_key() {
    let secret = "sk_live_Hh2kQ9secret";
    let key = format!("{secret}\r\nX-Injected: 1");
    let error = Client::builder(key.as_str())
        .base_url("http://127.0.0.1:1")
        .build()
        .expect_err("CR LF cannot go in a header");

    assert!(matches!(error, BuildError::InvalidApiKey(_)), "{error:?}");
    let display = error.to_string();
    let debug = format!("{error:?}");
    for shown in [&display, &debug] {
        assert!(!shown.contains(secret), "the key leaks: {shown}");
        assert!(!shown.contains("X-Injected"), "the key leaks: {shown}");
    }
}

#[test]
fn client_and_builder_debug_do_not_show_the_api_key() {
    let builder = Client::builder(KEY).base_url("http://127.0.0.1:1");
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let client_debug = format!("{client:?}");

    assert!(!client_debug.contains(KEY), "{client_debug}");
    assert!(!builder_debug.contains(KEY), "{builder_debug}");
    assert!(client_debug.contains("127.0.0.1:1"), "{client_debug}");
}

// 8. Undecodable success body -----------------------------------------------------------------

#[tokio::test]
async fn success_status_with_non_json_body_maps_to_decode_with_status_and_excerpt() {
    let error = create_error(|then| {
        then.status(200)
            .header("content-type", "text/html")
            .body("<html>maintenance</html>");
    })
    .await;

    assert_key_not_shown(&error);
    assert_eq!(error.status(), Some(StatusCode::OK));
    match error {
        Error::Decode {
            status, excerpt, ..
        } => {
            assert_eq!(status, Some(StatusCode::OK));
            assert_eq!(excerpt, "<html>maintenance</html>");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

// 9. Response cap -----------------------------------------------------------------------------

/// A success over the cap is refused, whether the cut body fails to decode or (padding after the
/// object) still decodes: what arrived is not the whole response. An error status over the cap
/// likewise.
#[tokio::test]
async fn response_larger_than_max_response_bytes_maps_to_response_too_large() {
    const CAP: usize = 256;
    // Valid JSON for the operation: only the cap makes the call fail.
    let big_ok = json!({ "id": "x".repeat(CAP) }).to_string();
    let padded_ok = format!(r#"{{"id":"x"}}{}"#, " ".repeat(CAP));
    let big_error = json!({ "message": "y".repeat(CAP) }).to_string();
    assert!(big_ok.len() > CAP && padded_ok.len() > CAP && big_error.len() > CAP);
    let server = start_server().await;
    for (business, body) in [("biz_big", &big_ok), ("biz_padded", &padded_ok)] {
        server
            .mock_async(|when, then| {
                when.method(Method::POST)
                    .path(format!("/v1/businesses/{business}/create/webhooks"));
                then.status(200)
                    .header("content-type", "application/json")
                    .body(body);
            })
            .await;
    }
    server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/v1/businesses/{BUSINESS}/webhooks"));
            then.status(500)
                .header("content-type", "application/json")
                .body(&big_error);
        })
        .await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .max_response_bytes(CAP)
        .build()
        .unwrap();

    for business in ["biz_big", "biz_padded"] {
        let result = client
            .create_webhook(business, &from_example(&example_messages()))
            .await;
        match result {
            Err(Error::ResponseTooLarge { status, limit }) => {
                assert_eq!(status, StatusCode::OK, "{business}");
                assert_eq!(limit, CAP);
            }
            other => panic!("{business}: expected ResponseTooLarge, got {other:?}"),
        }
    }

    let error = client
        .list_webhooks(BUSINESS)
        .await
        .expect_err("over the cap");
    match error {
        Error::ResponseTooLarge { status, limit } => {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(limit, CAP);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn response_of_exactly_max_response_bytes_is_accepted() {
    let body = json!({ "id": CREATED_ID }).to_string();
    let server = start_server().await;
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(200)
                .header("content-type", "application/json")
                .body(&body);
        })
        .await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .max_response_bytes(body.len())
        .build()
        .unwrap();

    let created = client
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect("a body exactly at the cap fits");

    assert_eq!(created.id, CREATED_ID);
}

// 10. The generated typed httpmock helpers ----------------------------------------------------

#[tokio::test]
async fn generated_httpmock_helpers_mock_create_and_conflict() {
    use connectly_client::mock::MockServerExt;

    let server = start_server().await;
    let first = from_example(&example_messages());
    let second = from_example(&example_delivery_status());
    let first_for_mock = first.clone();
    let second_for_mock = second.clone();
    let conflict = api_error(&conflict_body());
    let conflict_for_mock = conflict.clone();
    let created = server.create_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap())
            .body(&first_for_mock);
        then.ok(&types::CreateWebhookResponse {
            id: CREATED_ID.to_owned(),
        });
    });
    let conflicted = server.create_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap())
            .body(&second_for_mock);
        then.conflict(&conflict_for_mock);
    });
    let deleted = server.delete_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap())
            .webhook_id(&CREATED_ID.parse().unwrap());
        then.ok(&types::Acknowledgement(serde_json::Map::new()));
    });
    let client = client_for(&server);

    let response = client.create_webhook(BUSINESS, &first).await.unwrap();
    assert_eq!(response.id, CREATED_ID);
    match client.create_webhook(BUSINESS, &second).await {
        Err(Error::AlreadyRegistered { status, body }) => {
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(*body, conflict);
        }
        other => panic!("expected AlreadyRegistered, got {other:?}"),
    }
    client.delete_webhook(BUSINESS, CREATED_ID).await.unwrap();

    created.assert_calls_async(1).await;
    conflicted.assert_calls_async(1).await;
    deleted.assert_calls_async(1).await;
}

/// The generated client on its own, built with the default context, reads a normal answer
/// whole: the transport hook's cap defaults to the client's, not to 0.
#[tokio::test]
async fn the_generated_client_alone_reads_a_whole_answer() {
    use connectly_client::mock::MockServerExt;

    let server = start_server().await;
    let created = server.create_webhook(|when, then| {
        when.business_id(&BUSINESS.parse().unwrap());
        then.ok(&types::CreateWebhookResponse {
            id: CREATED_ID.to_owned(),
        });
    });
    let api = connectly_client::generated::Client::new(&server.base_url(), Default::default());
    let response = api
        .create_webhook(
            &BUSINESS.parse().unwrap(),
            &from_example(&example_messages()),
        )
        .await
        .unwrap();
    assert_eq!(response.into_inner().id, CREATED_ID);
    created.assert();
}
