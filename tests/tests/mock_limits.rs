//! connectly-mock's bounds (issues 33.4, 33.8): the connection cap, the header cap, the lengths
//! the spec sets on ids and fields, every given API key, and the `Host` check of the deliver
//! endpoint. Raw connections where the client cannot send the fault.

use std::time::Duration;

use connectly_client::{types, Error};
use connectly_mock::{MockConfig, MockServer, DEFAULT_API_KEY};
use connectly_tests::{assert_error_body, client_for as client};
use serde_json::{json, Value};

/// Sends `request` on a new connection and reads until the server closes it (the requests here
/// say `connection: close`); `None` if still open after `deadline`.
async fn exchange(mock: &MockServer, request: &[u8], deadline: Duration) -> Option<String> {
    connectly_tests::raw::exchange(mock.addr(), request, deadline).await
}

/// `GET path` with `key` and extra header lines, closing the connection after the answer.
fn get(path: &str, host: &str, key: &str, extra: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nhost: {host}\r\nx-api-key: {key}\r\n{extra}connection: close\r\n\r\n"
    )
    .into_bytes()
}

/// The JSON body of a raw answer.
fn body_of(answer: &str) -> Value {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or(Value::Null)
}

#[tokio::test]
async fn connections_past_max_connections_wait_until_one_closes() {
    let mock = MockServer::start_with(
        MockConfig::default()
            .max_connections(2)
            .header_read_timeout(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let answer = connectly_tests::raw::served_only_once_a_slot_frees(
        mock.addr(),
        2,
        b"GET /v1/businesses/b/webhooks HTTP/1.1\r\nhost: x\r\nx-api-k",
        &get("/v1/businesses/b/webhooks", "x", mock.api_key(), ""),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(
        MockConfig::default().max_connections,
        connectly_mock::MAX_CONNECTIONS
    );
}

#[tokio::test]
async fn headers_over_the_cap_get_431_and_the_connection_is_closed() {
    let mock = MockServer::start().await.unwrap();
    let cap = connectly_mock::MAX_HEADER_BYTES;
    // Under the cap: served.
    let padding = format!("x-padding: {}\r\n", "p".repeat(cap / 2));
    let answer = exchange(
        &mock,
        &get("/v1/businesses/b/webhooks", "x", mock.api_key(), &padding),
        Duration::from_secs(10),
    )
    .await
    .expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Over it, keyless (the 292 KB of issue 33.4): 431, closed, never 401 after reading it all.
    let padding = format!("x-padding: {}\r\n", "p".repeat(300 * 1024));
    let answer = exchange(
        &mock,
        &get("/v1/businesses/b/webhooks", "x", "", &padding),
        Duration::from_secs(10),
    )
    .await
    .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    // Just over it, the whole block possibly in one read: 431 too.
    let padding = format!("x-padding: {}\r\n", "p".repeat(cap + 1024));
    let answer = exchange(
        &mock,
        &get("/v1/businesses/b/webhooks", "x", mock.api_key(), &padding),
        Duration::from_secs(10),
    )
    .await
    .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    // A smaller cap is applied too (raised to the server's minimum, 8 KiB).
    let small = MockServer::start_with(MockConfig::default().max_header_bytes(1))
        .await
        .unwrap();
    let padding = format!("x-padding: {}\r\n", "p".repeat(12 * 1024));
    let answer = exchange(
        &small,
        &get("/v1/businesses/b/webhooks", "x", small.api_key(), &padding),
        Duration::from_secs(10),
    )
    .await
    .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    client(&mock).list_webhooks("b").await.unwrap();
}

#[tokio::test]
async fn ids_and_fields_over_the_specs_max_length_are_400_naming_them_and_not_stored() {
    let mock = MockServer::start().await.unwrap();
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{}{path}", mock.base_url()))
            .header("x-api-key", mock.api_key());
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let ok = json!({"topic": "messages", "address": "https://example.com/m"});
    let long_id = "b".repeat(257);
    let max_id = "b".repeat(256);
    let cases = [
        (
            reqwest::Method::POST,
            format!("/v1/businesses/{long_id}/create/webhooks"),
            Some(ok.clone()),
            "businessId",
        ),
        (
            reqwest::Method::GET,
            format!("/v1/businesses/{long_id}/webhooks"),
            None,
            "businessId",
        ),
        (
            reqwest::Method::PUT,
            format!("/v1/businesses/biz/update/webhooks/{long_id}"),
            Some(json!({})),
            "webhookId",
        ),
        (
            reqwest::Method::DELETE,
            format!("/v1/businesses/biz/delete/webhooks/{long_id}"),
            None,
            "webhookId",
        ),
        (
            reqwest::Method::GET,
            format!("/v1/businesses/{long_id}/reporting/reports"),
            None,
            "businessId",
        ),
        (
            reqwest::Method::GET,
            format!("/v1/businesses/biz/reporting/reports?type={long_id}"),
            None,
            "type",
        ),
        (
            reqwest::Method::POST,
            "/v1/businesses/biz/create/webhooks".to_owned(),
            Some(
                json!({"topic": "messages", "address": format!("https://example.com/{}", "a".repeat(2048))}),
            ),
            "/address",
        ),
        (
            reqwest::Method::POST,
            "/v1/businesses/biz/create/webhooks".to_owned(),
            Some(
                json!({"topic": "messages", "address": "https://example.com/m",
                        "configuration": {"filters": [{"field": "f".repeat(257), "expression": "x"}]}}),
            ),
            "/configuration/filters/0/field",
        ),
        (
            reqwest::Method::POST,
            "/v1/businesses/biz/create/webhooks".to_owned(),
            Some(
                json!({"topic": "messages", "address": "https://example.com/m",
                        "configuration": {"filters": [{"field": "f", "expression": "x".repeat(1025)}]}}),
            ),
            "/configuration/filters/0/expression",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, answer) = send(method.clone(), path.clone(), body).await;
        assert_eq!(status, 400, "{method} {path}: {answer}");
        assert_error_body(&answer);
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{field} not named in {answer}"
        );
    }
    assert!(mock.registrations(&long_id).is_empty());
    assert!(mock.registrations("biz").is_empty());
    // At the limit: accepted.
    let (status, answer) = send(
        reqwest::Method::POST,
        format!("/v1/businesses/{max_id}/create/webhooks"),
        Some(ok),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(mock.registrations(&max_id).len(), 1);
    // The client, generated from the same spec, refuses before sending.
    let error = client(&mock).list_webhooks(&long_id).await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    let too_long: Result<types::HttpsUrl, _> =
        format!("https://example.com/{}", "a".repeat(2048)).parse();
    assert!(too_long.is_err());
}

#[tokio::test]
async fn the_default_key_given_first_is_kept_with_the_keys_given_after_it() {
    let mock = MockServer::start_with(
        MockConfig::default()
            .api_key(DEFAULT_API_KEY)
            .api_key("key-b"),
    )
    .await
    .unwrap();
    for key in [DEFAULT_API_KEY, "key-b"] {
        let answer = exchange(
            &mock,
            &get("/v1/businesses/b/webhooks", "x", key, ""),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{key}: {answer}");
    }
    let answer = exchange(
        &mock,
        &get("/v1/businesses/b/webhooks", "x", "key-c", ""),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn deliver_refuses_a_host_that_does_not_name_the_mock() {
    let mock = MockServer::start_with(MockConfig::default().deliver_secret("whsec_test"))
        .await
        .unwrap();
    let port = mock.addr().port();
    let deliver = "/v1/businesses/biz/mock/deliver?topic=messages";
    let post = |host: &str| {
        format!(
            "POST {deliver} HTTP/1.1\r\nhost: {host}\r\nx-api-key: {}\r\ncontent-length: 0\r\n\
             connection: close\r\n\r\n",
            mock.api_key()
        )
        .into_bytes()
    };
    // DNS rebinding: another name (resolved to 127.0.0.1 by the attacker), or another port.
    for host in [
        format!("rebind.attacker.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "localhost".to_owned(),
    ] {
        let answer = exchange(&mock, &post(&host), Duration::from_secs(10))
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 403"), "{host}: {answer}");
        let body = body_of(&answer);
        assert_error_body(&body);
        assert!(
            body["message"].as_str().unwrap().contains("Host header"),
            "{body}"
        );
    }
    // The mock's own names pass the check (then: nothing registered, 404).
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
    ] {
        let answer = exchange(&mock, &post(&host), Duration::from_secs(10))
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 404"), "{host}: {answer}");
    }
}
