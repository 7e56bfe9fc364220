//! One call of an operation: the rate limit, the attempts, the retry decisions and the call's
//! tracing span.

use std::{future::Future, pin::Pin, time::Instant};

use tracing::{field::Empty, Instrument as _, Span};

use crate::{
    error::{self, Outcome},
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

impl Client {
    /// Runs `operation` with the retry policy, inside one `connectly` span that records the
    /// operation, the business id, the attempt, the status, the elapsed time and the last retry
    /// reason. Each retry is an `INFO` event; the end of the call a `DEBUG` event.
    ///
    /// The attempts run inside the span (so the HTTP stack's own events are in it) only when a
    /// subscriber wants the span; otherwise they are awaited as they are, without a wrapper.
    ///
    /// The retry machinery (decisions, backoff, the later attempts) is a separate future, boxed
    /// and built only after a failure, so that its state is not part of every call's future.
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
        match self.attempt(&span, 1, &operation).await {
            Ok((value, status)) => {
                succeeded(&span, 1, status, started);
                (Ok(value), Attempts::default())
            }
            Err(error) => {
                self.after_failure(op.safety, span, started, &operation, error)
                    .await
            }
        }
    }

    /// The retries of a call whose first attempt failed, boxed: a cold path, kept out of line
    /// and out of the call's future.
    #[cold]
    #[inline(never)]
    fn after_failure<'a, T, F, Fut>(
        &'a self,
        safety: Safety,
        span: Span,
        started: Instant,
        operation: &'a F,
        error: Error,
    ) -> Pin<Box<impl Future<Output = (Result<T, Error>, Attempts)> + 'a>>
    where
        T: 'a,
        F: Fn() -> Fut,
        Fut: Future<Output = Outcome<T>> + 'a,
    {
        Box::pin(self.retries(safety, span, started, operation, error))
    }

    /// What follows a failed first attempt: retry decisions, waits and further attempts, until
    /// one succeeds or the policy stops.
    async fn retries<T, F, Fut>(
        &self,
        safety: Safety,
        span: Span,
        started: Instant,
        operation: &F,
        mut error: Error,
    ) -> (Result<T, Error>, Attempts)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Outcome<T>>,
    {
        let mut attempts = Attempts::default();
        let mut attempt = 1u32;
        loop {
            if let Some(status) = error.status() {
                span.record("status", status.as_u16());
            }
            let elapsed = started.elapsed();
            match self.retry.decide(safety, &error, attempt, elapsed) {
                Decision::Retry { reason, delay } => {
                    span.record("retry_reason", reason);
                    span.in_scope(|| tracing::info!(attempt, reason, ?delay, %error, "retrying"));
                    attempts.earlier_outcome_unknown |= error.outcome_unknown();
                    tokio::time::sleep(delay).await;
                }
                Decision::Stop(why) => {
                    span.record("elapsed_ms", elapsed.as_millis() as u64);
                    span.in_scope(|| {
                        tracing::debug!(attempt, ?elapsed, not_retried = why, %error, "call failed")
                    });
                    return (Err(error), attempts);
                }
            }
            attempt += 1;
            match self.attempt(&span, attempt, operation).await {
                Ok((value, status)) => {
                    succeeded(&span, attempt, status, started);
                    return (Ok(value), attempts);
                }
                Err(next) => error = next,
            }
        }
    }

    /// One attempt, after its turn under the rate limit: `operation` observed by the transport
    /// hook (inside `span` when a subscriber wants it), and its outcome turned into the call's
    /// result (a success by [`error::success`], inside the attempt's scope, without building a
    /// further future; anything else by [`error::from_failure`], boxed: it is not the common
    /// path).
    async fn attempt<T, F, Fut>(
        &self,
        span: &Span,
        attempt: u32,
        operation: &F,
    ) -> Result<(T, Option<reqwest::StatusCode>), Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Outcome<T>>,
    {
        if let Some(limit) = &self.rate_limit {
            limit.acquire().await;
        }
        let settled = if span.is_disabled() {
            transport::observe(operation, error::success).await
        } else {
            span.record("attempt", attempt);
            transport::observe(operation, error::success)
                .instrument(span.clone())
                .await
        };
        match settled {
            Ok(success) => Ok(success),
            Err(failure) => Err(self.failed(*failure).await),
        }
    }

    /// The error of a failed attempt, boxed: a cold path, kept out of line and out of the
    /// attempt's future.
    #[cold]
    #[inline(never)]
    fn failed<'a, T: 'a>(
        &'a self,
        failure: error::Failure<T>,
    ) -> Pin<Box<impl Future<Output = Error> + 'a>> {
        Box::pin(error::from_failure(
            failure.outcome,
            error::Context {
                state: failure.state,
                limit: self.api.inner.max_response_bytes,
                key: self.api_key.expose(),
            },
        ))
    }
}

/// The call's span (disabled, and nearly free, when no subscriber wants it).
#[inline(never)]
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

/// Records a successful attempt in the span, when a subscriber wants it.
fn succeeded(span: &Span, attempt: u32, status: Option<reqwest::StatusCode>, started: Instant) {
    if span.is_disabled() {
        return;
    }
    if let Some(status) = status {
        span.record("status", status.as_u16());
    }
    let elapsed = started.elapsed();
    span.record("elapsed_ms", elapsed.as_millis() as u64);
    span.in_scope(|| tracing::debug!(attempt, ?elapsed, "call succeeded"));
}
