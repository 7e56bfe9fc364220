//! `POST /v1/businesses/{businessId}/mock/deliver?topic=T&kind=K`: the mock plays Connectly's
//! sending side and POSTs a signed sample event to a business's registered (loopback) address.
//! The contract is in the crate docs.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use crate::{error, json_response, lock, Shared};

/// How long the deliver endpoint waits for a receiver (connection and whole answer).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

use connectly_webhook::TOPICS;

fn invalid(message: impl Into<String>, details: Value) -> Response {
    error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message, details)
}

/// The `topic` and `kind` query parameters, checked.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn topic_and_kind(uri: &Uri) -> Result<(&'static str, &'static str), Response> {
    let (mut topic, mut kind) = (None, None);
    for pair in uri.query().unwrap_or_default().split('&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            "topic" => &mut topic,
            "kind" => &mut kind,
            _ => {
                return Err(invalid(
                    format!("unknown query parameter {name:?}: expected topic and kind"),
                    json!({"field": name}),
                ))
            }
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(invalid(
                format!("query parameter {name:?} given twice"),
                json!({"field": name}),
            ));
        }
    }
    let Some(topic) = topic else {
        return Err(invalid(
            format!(
                "missing query parameter topic: expected one of {}",
                TOPICS.join(", ")
            ),
            json!({"field": "topic", "topics": TOPICS}),
        ));
    };
    let sample = connectly_webhook::choose_sample(&topic, kind.as_deref()).map_err(|e| {
        invalid(
            e.to_string(),
            json!({"field": e.field(), "kinds": e.kinds(), "topics": TOPICS}),
        )
    })?;
    let (topic, kind) = (sample.topic(), sample.name);
    Ok((topic, kind))
}

pub(crate) async fn deliver(
    State(shared): State<Arc<Shared>>,
    Path(business_id): Path<String>,
    uri: Uri,
) -> Response {
    let Some(secret) = shared.deliver_secret.as_deref() else {
        return error(
            StatusCode::CONFLICT,
            "FAILED_PRECONDITION",
            "event delivery is not enabled: start the mock with a deliver secret \
             (`connectly mock --deliver-secret S`, or MockConfig::deliver_secret)",
            json!({}),
        );
    };
    let (topic, kind) = match topic_and_kind(&uri) {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    let registered = lock(&shared.store)
        .businesses
        .get(&business_id)
        .and_then(|list| list.iter().find(|r| r["topic"] == topic))
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                r["address"].as_str().unwrap_or_default().to_owned(),
            )
        });
    let Some((webhook_id, address)) = registered else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("business {business_id:?} has no webhook registered for topic {topic}"),
            json!({"topic": topic}),
        );
    };

    // Safety first: nothing leaves loopback.
    let mut target = match reqwest::Url::parse(&address) {
        Ok(url) if matches!(url.scheme(), "https" | "http") => url,
        _ => {
            return invalid(
                format!("the registered address {address:?} is not an http(s) URL"),
                json!({"webhookId": webhook_id, "address": address}),
            )
        }
    };
    if !connectly_net::is_loopback(&target) {
        return invalid(
            format!(
                "refusing to deliver to {address}: the mock only delivers to loopback hosts \
                 (127.0.0.0/8, localhost, [::1]); nothing was sent"
            ),
            json!({"webhookId": webhook_id, "address": address}),
        );
    }
    // A local receiver has no certificate: https://127.0.0.1:PORT/path is reached over plain
    // http://127.0.0.1:PORT/path (the mock's rule only).
    if target.set_scheme("http").is_err() {
        return invalid(
            format!("cannot deliver to {address:?}"),
            json!({"webhookId": webhook_id, "address": address}),
        );
    }

    let sample = connectly_webhook::sample(kind).expect("kinds come from the samples");
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
            "kind": kind,
            "status": answer.status.as_u16(),
            "body": String::from_utf8_lossy(&answer.excerpt),
        }),
    )
}
