//! One call of an operation, top to bottom: its turn under the rate limit, an attempt (observed
//! by the transport hook, settled into a value or an [`Error`]), the retry decision, the
//! [`RetryNotice`] and the wait, the next attempt; all in the call's `connectly` tracing span.

use std::{fmt, future::Future, sync::Arc, time::Duration, time::Instant};

use tracing::{field::Empty, Instrument as _, Span};

use crate::{
    outcome::{self, Outcome},
    redact::redact,
    retry::{Decision, Safety},
    transport, Client, Error,
};

/// What the span and the retry policy need to know about an operation.
pub(crate) struct Operation<'a> {
    /// The operation's name, as in the spec (`list_webhooks`).
    pub(crate) name: &'static str,
    /// The business the call is about (shown in traces; never the key).
    pub(crate) business_id: &'a str,
    /// Whether sending it twice is harmless. Every new read-only (GET) operation is
    /// [`Safety::Idempotent`], and is then retried like list.
    pub(crate) safety: Safety,
}

/// How a call went beyond its result.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Attempts {
    /// An attempt before the last one failed in a way that may have been applied.
    pub(crate) earlier_outcome_unknown: bool,
}

/// A retry about to happen, as [`crate::ClientBuilder::on_retry`] hears of it: which request,
/// which attempt, how long the wait, and why. It never holds the API key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryNotice {
    /// The request's method (`GET`).
    pub method: String,
    /// The request's path and query as sent (`/v1/businesses/biz_1/webhooks`): the base URL's
    /// path, then the operation's, with the ids and other values of the call percent-encoded.
    /// They are the caller's values: escape them before printing them to a terminal.
    pub path: String,
    /// The attempt about to be sent: 2 for the first retry.
    pub attempt: u32,
    /// The most attempts this call makes: the policy's retries + 1.
    pub max_attempts: u32,
    /// The wait before that attempt.
    pub delay: Duration,
    /// The time since the call began, measured when the wait begins.
    pub elapsed: Duration,
    /// Why it is retried: the row of the crate's failure table (`timeout after connecting`).
    pub reason: &'static str,
    /// What the failed attempt got, on one line: the error's sentence and its innermost cause,
    /// API key redacted (`could not connect to Connectly: Connection refused (os error 111)`).
    pub error: String,
}

/// The hook [`crate::ClientBuilder::on_retry`] sets.
#[derive(Clone)]
pub(crate) struct OnRetry(pub(crate) Arc<dyn Fn(&RetryNotice) + Send + Sync>);

impl fmt::Debug for OnRetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnRetry(..)")
    }
}

impl Client {
    /// Runs `operation` with the retry policy, inside one `connectly` span that records the
    /// operation, the business id, the attempt, the status, the elapsed time and the last retry
    /// reason. Each retry is an `INFO` event and a [`RetryNotice`]; the end of the call a `DEBUG`
    /// event.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        op: Operation<'_>,
        operation: F,
    ) -> (Result<T, Error>, Attempts)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Outcome<T>>,
    {
        let span = call_span(&op);
        // Wall time (the budget is wall time), read without the runtime.
        let started = Instant::now();
        let key = self.api_key.expose();
        let limit = self.api.inner.max_response_bytes;
        let mut attempts = Attempts::default();
        let mut attempt = 1;
        loop {
            if let Some(limit) = &self.rate_limit {
                limit.acquire().await;
            }
            span.record("attempt", attempt);
            let (outcome, seen) = transport::observe(operation())
                .instrument(span.clone())
                .await;
            let error = match outcome::settle(outcome, &seen, limit, key).await {
                Ok(value) => {
                    succeeded(&span, attempt, &seen, started);
                    return (Ok(value), attempts);
                }
                Err(error) => error,
            };
            if let Some(status) = error.status() {
                span.record("status", status.as_u16());
            }
            let elapsed = started.elapsed();
            match self.retry.decide(op.safety, &error, attempt, elapsed) {
                Decision::Retry { reason, delay } => {
                    span.record("retry_reason", reason);
                    span.in_scope(|| tracing::info!(attempt, reason, ?delay, %error, "retrying"));
                    if let Some(OnRetry(on_retry)) = &self.on_retry {
                        let (method, path) = seen.request();
                        on_retry(&RetryNotice {
                            method,
                            path,
                            attempt: attempt + 1,
                            max_attempts: self.retry.retries() + 1,
                            delay,
                            elapsed,
                            reason,
                            error: one_line(&error, key),
                        });
                    }
                    attempts.earlier_outcome_unknown |= error.outcome_unknown();
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Decision::Stop(why) => {
                    span.record("elapsed_ms", elapsed.as_millis() as u64);
                    span.in_scope(|| {
                        tracing::debug!(attempt, ?elapsed, not_retried = why, %error, "call failed")
                    });
                    return (Err(error), attempts);
                }
            }
        }
    }
}

/// The call's span (disabled, and nearly free, when no subscriber wants it).
fn call_span(op: &Operation<'_>) -> Span {
    tracing::info_span!(
        "connectly",
        operation = op.name,
        business_id = op.business_id,
        attempt = Empty,
        status = Empty,
        elapsed_ms = Empty,
        retry_reason = Empty,
    )
}

/// Records a successful attempt in the span, when a subscriber wants it (doing it always
/// measured about 2 points of p50 more in the request-overhead bench).
fn succeeded(span: &Span, attempt: u32, seen: &transport::Observed, started: Instant) {
    if span.is_disabled() {
        return;
    }
    if let Some(status) = seen.status {
        span.record("status", status.as_u16());
    }
    let elapsed = started.elapsed();
    span.record("elapsed_ms", elapsed.as_millis() as u64);
    span.in_scope(|| tracing::debug!(attempt, ?elapsed, "call succeeded"));
}

/// The error's sentence and its innermost cause, on one line, API key redacted.
fn one_line(error: &Error, key: &str) -> String {
    let mut text = error.to_string();
    let mut root = std::error::Error::source(error);
    while let Some(next) = root.and_then(std::error::Error::source) {
        root = Some(next);
    }
    if let Some(root) = root {
        text.push_str(": ");
        text.push_str(&root.to_string());
    }
    redact(&text.replace(['\r', '\n'], " "), key).into_owned()
}
