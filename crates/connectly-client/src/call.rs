//! One call of an operation: the rate limit, the attempts, the retry decisions and the call's
//! tracing span.

use std::future::Future;

use tracing::{field::Empty, Instrument as _};

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
    pub(crate) async fn call<T, F, Fut>(
        &self,
        op: Operation<'_>,
        operation: F,
    ) -> (Result<T, Error>, Attempts)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Outcome<T>>,
    {
        let span = tracing::info_span!(
            "connectly",
            operation = op.name,
            business_id = op.business_id,
            attempt = Empty,
            status = Empty,
            elapsed_ms = Empty,
            retry_reason = Empty,
        );
        let traced = !span.is_disabled();
        // Wall time (the budget is wall time), read without the runtime.
        let started = std::time::Instant::now();
        let mut attempts = Attempts::default();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(limit) = &self.rate_limit {
                limit.acquire().await;
            }
            let result = if traced {
                span.record("attempt", attempt);
                self.attempt(&operation).instrument(span.clone()).await
            } else {
                self.attempt(&operation).await
            };
            let error = match result {
                Ok((value, status)) => {
                    if traced {
                        if let Some(status) = status {
                            span.record("status", status.as_u16());
                        }
                        let elapsed = started.elapsed();
                        span.record("elapsed_ms", elapsed.as_millis() as u64);
                        span.in_scope(|| tracing::debug!(attempt, ?elapsed, "call succeeded"));
                    }
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
        }
    }

    /// One attempt: `operation` observed by the transport hook, and its outcome turned into the
    /// call's result (a success without building a further future; anything else by
    /// [`error::from_failure`]).
    async fn attempt<T, F, Fut>(
        &self,
        operation: &F,
    ) -> Result<(T, Option<reqwest::StatusCode>), Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Outcome<T>>,
    {
        let (outcome, state) = transport::observe(operation).await;
        match error::success(outcome, &state) {
            Ok(value) => Ok((value, state.status)),
            Err(failure) => Err(error::from_failure(
                failure,
                error::Context {
                    state,
                    limit: self.api.inner.max_response_bytes,
                    key: self.api_key.expose(),
                },
            )
            .await),
        }
    }
}
