//! The HTTP side: `POST` (any path) takes an event, `GET /metrics` shows the counters.
//!
//! A POST goes through, in order: the signature header must be there (401, body unread), the
//! declared length must be under the cap (413), the body is read under the cap and the body
//! timeout (413, 408), the signature must match the raw bytes (401: never stored), then the
//! event is queued for the writer (503 + `Retry-After` when the queue is full) and answered 200
//! only once its commit returned (503 + `Retry-After` when the commit failed). A body already
//! stored is answered 200 and not stored again.

use std::sync::Arc;
use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use connectly_webhook::{DeliveryKey, Verifier, SIGNATURE_HEADER};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::metrics::{Metrics, Refusal};
use crate::now_ms;
use crate::schedule::Schedule;
use crate::store::{NewEvent, Store, Write, Written};
use crate::writer::Job;

/// What the route needs.
pub(crate) struct Ingest {
    pub(crate) verifier: Verifier,
    pub(crate) writer: mpsc::Sender<Job>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) schedule: Schedule,
    pub(crate) max_body_bytes: usize,
    pub(crate) body_read_timeout: Duration,
}

/// Seconds a sender is asked to wait after a full queue.
const RETRY_AFTER_FULL: u32 = 1;
/// Seconds a sender is asked to wait after a failed commit.
const RETRY_AFTER_JOURNAL: u32 = 5;

pub(crate) fn router(ingest: Arc<Ingest>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(receive)
        .with_state(ingest)
}

async fn metrics(State(ingest): State<Arc<Ingest>>) -> Response {
    let store = ingest.store.clone();
    let pending = tokio::task::spawn_blocking(move || store.status())
        .await
        .ok()
        .and_then(Result::ok)
        .map(|status| status.pending);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        ingest.metrics.render(pending),
    )
        .into_response()
}

fn refuse(metrics: &Metrics, why: Refusal, message: &str) -> Response {
    metrics.refused(why);
    let (status, retry_after) = match why {
        Refusal::Signature => (StatusCode::UNAUTHORIZED, None),
        Refusal::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None),
        Refusal::BodyTimeout => (StatusCode::REQUEST_TIMEOUT, None),
        Refusal::QueueFull | Refusal::ShuttingDown => {
            (StatusCode::SERVICE_UNAVAILABLE, Some(RETRY_AFTER_FULL))
        }
        Refusal::Journal => (StatusCode::SERVICE_UNAVAILABLE, Some(RETRY_AFTER_JOURNAL)),
    };
    let mut response = (status, format!("{message}\n")).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

async fn receive(State(ingest): State<Arc<Ingest>>, request: Request) -> Response {
    let metrics = &ingest.metrics;
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, "POST events here\n").into_response();
    }
    let Some(signature) = parts
        .headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        // Dropped unread: hyper closes the connection rather than drain it.
        drop(body);
        return refuse(
            metrics,
            Refusal::Signature,
            "missing x-connectly-hmac-sha256 signature",
        );
    };
    let too_large = format!("the body is larger than {} bytes", ingest.max_body_bytes);
    let declared_too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > ingest.max_body_bytes as u64);
    if declared_too_large {
        drop(body);
        return refuse(metrics, Refusal::TooLarge, &too_large);
    }
    let raw = match tokio::time::timeout(
        ingest.body_read_timeout,
        to_bytes(body, ingest.max_body_bytes),
    )
    .await
    {
        Ok(Ok(raw)) => raw,
        Ok(Err(_)) => return refuse(metrics, Refusal::TooLarge, &too_large),
        Err(_) => {
            return refuse(
                metrics,
                Refusal::BodyTimeout,
                "the body did not arrive in time",
            )
        }
    };
    if ingest.verifier.verify(&raw, Some(&signature)).is_err() {
        return refuse(
            metrics,
            Refusal::Signature,
            "the x-connectly-hmac-sha256 signature does not match the body",
        );
    }
    metrics.received_one();
    let key = DeliveryKey::of(&raw);
    let received_at = now_ms();
    // The schedule's first delay is the wait before the first attempt (0: at once).
    let next_at = ingest
        .schedule
        .due_at(0, &key, received_at)
        .unwrap_or(received_at);
    let event = NewEvent {
        key,
        body: raw.to_vec(),
        signature,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        received_at,
        next_at,
    };
    let (reply, answer) = oneshot::channel();
    metrics.queue_changed(1);
    let job = Job {
        write: Write::Insert(event),
        reply,
    };
    if let Err(error) = ingest.writer.try_send(job) {
        metrics.queue_changed(-1);
        return match error {
            mpsc::error::TrySendError::Full(_) => refuse(
                metrics,
                Refusal::QueueFull,
                "the relay's ingest queue is full; try again",
            ),
            mpsc::error::TrySendError::Closed(_) => refuse(
                metrics,
                Refusal::ShuttingDown,
                "the relay is stopping; try again",
            ),
        };
    }
    match answer.await {
        Ok(Ok(Written::Stored)) => {
            metrics.stored_one();
            ingest.wake.notify_one();
            (StatusCode::OK, "stored\n").into_response()
        }
        Ok(Ok(_)) => {
            metrics.deduplicated_one();
            (StatusCode::OK, "already stored\n").into_response()
        }
        Ok(Err(_)) | Err(_) => refuse(
            metrics,
            Refusal::Journal,
            "the relay could not store the event; try again",
        ),
    }
}
