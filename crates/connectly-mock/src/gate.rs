//! What every request goes through before its handler, in this order: the key is checked from
//! the headers alone (a request without an accepted key gets 401 and its body is never read),
//! then the body is read under the size cap and the body timeout, then the request is logged
//! (its body only once accepted), and the observer hears of the answer.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::app::{lock, Shared};
use crate::errors::error;
use crate::log::{RecordedRequest, ServedRequest};

pub(crate) async fn gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let Some(observer) = &shared.config.on_request else {
        return admit(&shared, parts, body, next).await;
    };
    let (method, path) = (parts.method.to_string(), parts.uri.path().to_owned());
    let response = admit(&shared, parts, body, next).await;
    observer(&ServedRequest {
        method,
        path,
        status: response.status().as_u16(),
        latency: started.elapsed(),
    });
    response
}

async fn admit(shared: &Shared, parts: Parts, body: Body, next: Next) -> Response {
    let config = &shared.config;
    let authenticated = parts
        .headers
        .get("x-api-key")
        .is_some_and(|key| accepted(&config.api_keys, key.as_bytes()));
    if !authenticated {
        // Dropped unread: hyper closes the connection rather than drain it.
        drop(body);
        record(shared, &parts, false, Bytes::new());
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "missing or invalid X-API-Key",
            json!({}),
        );
    }
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!(
                "the request body is larger than {} bytes",
                config.max_body_bytes
            ),
            json!({"limit": config.max_body_bytes}),
        )
    };
    let declared_too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > config.max_body_bytes);
    if declared_too_large {
        record(shared, &parts, true, Bytes::new());
        return too_large();
    }
    let body = match tokio::time::timeout(
        config.body_read_timeout,
        to_bytes(body, config.max_body_bytes),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            record(shared, &parts, true, Bytes::new());
            return too_large();
        }
        Err(_) => {
            record(shared, &parts, true, Bytes::new());
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                format!(
                    "the request body did not arrive within {} s",
                    config.body_read_timeout.as_secs_f64()
                ),
                json!({"timeoutSeconds": config.body_read_timeout.as_secs_f64()}),
            );
        }
    };
    record(shared, &parts, true, body.clone());
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// Whether `given` is one of `keys`, in time that does not depend on where a key and `given`
/// first differ (each key is compared whole, and every key is compared).
fn accepted(keys: &[String], given: &[u8]) -> bool {
    keys.iter()
        .fold(subtle::Choice::from(0), |found, key| {
            found | key.as_bytes().ct_eq(given)
        })
        .into()
}

fn record(shared: &Shared, parts: &Parts, authenticated: bool, body: Bytes) {
    if shared.config.request_log_capacity > 0 {
        let request = RecordedRequest::new(parts, authenticated, body);
        lock(&shared.log).push(request);
    }
}

#[cfg(test)]
mod tests {
    use super::accepted;

    #[test]
    fn every_key_is_accepted_and_nothing_else() {
        let keys = ["key-a".to_owned(), "key-b".to_owned()];
        assert!(accepted(&keys, b"key-a"));
        assert!(accepted(&keys, b"key-b"));
        for wrong in [&b"key-c"[..], b"key-", b"key-aa", b"", b"KEY-A"] {
            assert!(!accepted(&keys, wrong), "{wrong:?}");
        }
        assert!(!accepted(&[], b""));
    }
}
