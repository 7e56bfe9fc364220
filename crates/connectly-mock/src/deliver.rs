#![doc = include_str!("deliver.md")]
//!
//! The same text is [`CONTRACT`] (which `connectly mock --help` prints, with [`facts`]). The
//! limits: [`DELIVERY_TIMEOUT`], and [`connectly_webhook::send::ANSWER_EXCERPT_BYTES`] of the
//! receiver's answer.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use connectly_mock::{MockConfig, MockServer};
//! let mock = MockServer::start_with(MockConfig::default().deliver_secret("whsec_test")).await?;
//! // ... register https://127.0.0.1:PORT/webhook for `messages` and start a receiver there, then:
//! let url = format!("{}/v1/businesses/biz_1/mock/deliver?topic=messages&sample=text", mock.base_url());
//! let answer = reqwest::Client::new().post(url).header("x-api-key", mock.api_key()).send().await?;
//! assert_eq!(answer.status(), 404); // here: nothing registered yet
//! # Ok(())
//! # }
//! ```

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{lock, Shared};
use crate::errors::{check_param, error, invalid, json_response};
use connectly_client::types;

/// The deliver endpoint's contract, as the text of this module's documentation (Markdown).
pub const CONTRACT: &str = include_str!("deliver.md");

/// How long the deliver endpoint waits for a receiver (connection and whole answer).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

use connectly_webhook::TOPICS;

/// What [`CONTRACT`] leaves to the code, as text: the topics and their samples, and the
/// limits.
///
/// ```
/// let facts = connectly_mock::deliver::facts();
/// assert!(facts.contains("messages: text (default)"));
/// ```
pub fn facts() -> String {
    let mut text = String::from("Topics and samples:\n");
    for topic in TOPICS {
        let default = connectly_webhook::default_sample(topic).map(|s| s.name);
        let names: Vec<String> = connectly_webhook::sample_names(topic)
            .into_iter()
            .map(|k| {
                if Some(k) == default {
                    format!("{k} (default)")
                } else {
                    k.to_owned()
                }
            })
            .collect();
        text.push_str(&format!("  {topic}: {}\n", names.join(", ")));
    }
    text.push_str(&format!(
        "Delivery timeout: {} s; the answer's body is cut at {} bytes.",
        DELIVERY_TIMEOUT.as_secs(),
        connectly_webhook::send::ANSWER_EXCERPT_BYTES
    ));
    text
}

/// The query: `topic` and `sample`, nothing else (percent-escapes decoded).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliverQuery {
    topic: Option<String>,
    sample: Option<String>,
}

/// The `topic` and `sample` query parameters, checked.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn topic_and_sample(query: DeliverQuery) -> Result<(&'static str, &'static str), Response> {
    let Some(topic) = query.topic else {
        return Err(invalid(
            format!(
                "missing query parameter topic: expected one of {}",
                TOPICS.join(", ")
            ),
            json!({"field": "topic", "topics": TOPICS}),
        ));
    };
    let sample =
        connectly_webhook::choose_sample(&topic, query.sample.as_deref()).map_err(|e| {
            invalid(
                e.to_string(),
                json!({"field": e.field(), "samples": e.samples(), "topics": TOPICS}),
            )
        })?;
    Ok((sample.topic(), sample.name))
}

/// Whether `host` (the request's `Host` header) names this mock, listening on `listen`: a
/// loopback name or address (`localhost`, `127.0.0.0/8`, `[::1]`) or the listening address
/// itself, with the listening port. Anything else is how a page in a browser reaches a mock on
/// loopback through DNS rebinding (its own name, resolved to 127.0.0.1): then the mock must not
/// act. The error says why, in a sentence.
fn check_host(host: Option<&HeaderValue>, listen: SocketAddr) -> Result<(), String> {
    let expected = || {
        format!(
            "expected localhost:{port}, 127.0.0.1:{port}, [::1]:{port} or {listen}",
            port = listen.port()
        )
    };
    let Some(host) = host else {
        return Err(format!("the request has no Host header; {}", expected()));
    };
    let shown = String::from_utf8_lossy(host.as_bytes());
    let authority: Option<Authority> = host.to_str().ok().and_then(|h| h.parse().ok());
    let names_this_mock = authority.is_some_and(|authority| {
        let name = authority.host();
        let ip = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        let this_host = name.eq_ignore_ascii_case("localhost")
            || ip.is_some_and(|ip| ip.to_canonical().is_loopback() || ip == listen.ip());
        this_host && authority.port_u16().unwrap_or(80) == listen.port()
    });
    if names_this_mock {
        Ok(())
    } else {
        Err(format!(
            "refusing to deliver: the Host header {shown:?} does not name this mock ({}); a web \
             page can reach a mock on loopback through DNS rebinding under its own name",
            expected()
        ))
    }
}

pub(crate) async fn deliver(
    State(shared): State<Arc<Shared>>,
    Path(business_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<DeliverQuery>, QueryRejection>,
) -> Response {
    if let Err(message) = check_host(headers.get(header::HOST), shared.config.listen) {
        return error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            message,
            json!({"field": "Host"}),
        );
    }
    if let Err(response) = check_param::<types::BusinessId>("businessId", &business_id) {
        return response;
    }
    let Some(secret) = shared.config.deliver_secret.as_deref() else {
        return error(
            StatusCode::CONFLICT,
            "FAILED_PRECONDITION",
            "event delivery is not enabled: start the mock with a deliver secret \
             (`connectly mock --deliver-secret S`, or MockConfig::deliver_secret)",
            json!({}),
        );
    };
    let query = match query {
        Ok(Query(query)) => query,
        Err(rejection) => {
            return invalid(
                format!(
                    "{}: the query takes topic and sample only \
                     (the event goes to the registered address)",
                    rejection.body_text()
                ),
                json!({}),
            )
        }
    };
    let (topic, name) = match topic_and_sample(query) {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    let registered = lock(&shared.store)
        .for_topic(&business_id, topic)
        .map(|r| (r.id.clone(), r.address.clone()));
    let Some((webhook_id, address)) = registered else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("business {business_id:?} has no webhook registered for topic {topic}"),
            json!({"topic": topic}),
        );
    };
    let refused = |message: String| -> Response {
        invalid(
            message,
            json!({"webhookId": webhook_id, "address": address}),
        )
    };

    // Safety first: nothing leaves loopback.
    let mut target = match reqwest::Url::parse(&address) {
        Ok(url) if matches!(url.scheme(), "https" | "http") => url,
        _ => {
            return refused(format!(
                "the registered address {address:?} is not an http(s) URL"
            ))
        }
    };
    if !connectly_net::is_loopback(&target) {
        return refused(format!(
            "refusing to deliver to {address}: the mock only delivers to loopback hosts \
             (127.0.0.0/8, localhost, [::1]); nothing was sent"
        ));
    }
    // A local receiver has no certificate: https://127.0.0.1:PORT/path is reached over plain
    // http://127.0.0.1:PORT/path (the mock's rule only).
    if target.set_scheme("http").is_err() {
        return refused(format!("cannot deliver to {address:?}"));
    }

    let sample = connectly_webhook::sample(name).expect("names come from the samples");
    let answer = match connectly_webhook::send::send_event(
        &target,
        secret.as_bytes(),
        sample.body.as_bytes().to_vec(),
        DELIVERY_TIMEOUT,
    )
    .await
    {
        Ok(answer) => answer,
        Err(e) => {
            return error(
                StatusCode::BAD_GATEWAY,
                "BAD_GATEWAY",
                format!("could not deliver to {address}: {e}"),
                json!({"webhookId": webhook_id, "address": address}),
            )
        }
    };
    json_response(
        StatusCode::OK,
        &json!({
            "address": address,
            "topic": topic,
            "sample": name,
            "status": answer.status.as_u16(),
            "body": Value::String(String::from_utf8_lossy(&answer.excerpt).into_owned()),
        }),
    )
}
