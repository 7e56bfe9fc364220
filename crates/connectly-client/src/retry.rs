//! The retry policy: which failures are worth another attempt, and how long to wait first.

use std::{
    hash::{BuildHasher, Hasher},
    time::Duration,
};

use crate::Error;

/// Default number of retries after the first attempt (so at most 3 requests per call).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default upper bound of the first backoff (full jitter: the wait is drawn from `0..=bound`,
/// and the bound doubles with each retry).
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Default cap on the backoff bound of any one retry.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Default time budget for retrying: no retry starts later than this after the call began.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(30);

/// When and how [`crate::Client`] sends a request again. Set it with
/// [`crate::ClientBuilder::retry`]; the default is on, with the `DEFAULT_*` values of this crate.
///
/// - **What is retried**: list, update, delete (and every other call that reads or is
///   idempotent) after a connection failure (refused, reset, DNS, TLS, a timeout) and after
///   429, 502, 503 and 504. A create is retried only when it certainly was not applied: the
///   connection could not be established, or Connectly answered 429. A create that may have
///   reached Connectly (a timeout, a connection lost mid-answer, a 502/503/504) is never sent
///   again: it could register twice. See [`Error::outcome_unknown`].
/// - **How long to wait**: `Retry-After` when the server sends it (seconds or HTTP-date),
///   never less; otherwise exponential backoff with full jitter: a random wait in
///   `0..=min(max_backoff, initial_backoff × 2^retry)`.
/// - **When to stop**: after `max_retries` retries, or when the wait would end later than
///   `budget` after the call began (the last error is returned, its `Retry-After` included).
///   Each attempt is still bounded by the request timeout, so a call ends within
///   `budget` + [`crate::ClientBuilder::timeout`].
///
/// ```
/// use std::time::Duration;
/// use connectly_client::{Client, RetryPolicy};
/// let client = Client::builder("sk_test")
///     .retry(RetryPolicy::default().max_retries(5).budget(Duration::from_secs(60)))
///     .build()?;
/// let no_retries = Client::builder("sk_test").retry(RetryPolicy::none()).build()?;
/// # Ok::<(), connectly_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            budget: DEFAULT_RETRY_BUDGET,
        }
    }
}

impl RetryPolicy {
    /// Never retry: every call sends one request.
    pub fn none() -> Self {
        Self::default().max_retries(0)
    }

    /// Retries after the first attempt (default [`DEFAULT_MAX_RETRIES`]; 0 disables retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Upper bound of the first backoff (default [`DEFAULT_INITIAL_BACKOFF`]).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Cap on the backoff bound of any one retry (default [`DEFAULT_MAX_BACKOFF`]). It does
    /// not shorten a `Retry-After`: a server's longer wait is honoured while the budget allows.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No retry starts later than this after the call began (default [`DEFAULT_RETRY_BUDGET`]).
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// The retries after the first attempt.
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// What to do after attempt number `attempt` (1-based) failed with `error`, `elapsed`
    /// after the call began.
    pub(crate) fn decide(
        &self,
        safety: Safety,
        error: &Error,
        attempt: u32,
        elapsed: Duration,
    ) -> Decision {
        let Some(reason) = retry_reason(safety, error) else {
            return Decision::Stop(None);
        };
        if attempt > self.max_retries {
            return Decision::Stop(Some("no retries left"));
        }
        let delay = match error.retry_after() {
            Some(asked) => asked,
            None => self.backoff(attempt - 1),
        };
        if elapsed.saturating_add(delay) > self.budget {
            return Decision::Stop(Some("the retry budget would be exceeded"));
        }
        Decision::Retry { reason, delay }
    }

    /// Full jitter: uniform in `0..=min(max_backoff, initial_backoff × 2^retry)`.
    fn backoff(&self, retry: u32) -> Duration {
        let bound = self
            .initial_backoff
            .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
            .min(self.max_backoff);
        bound.mul_f64(random_fraction())
    }
}

/// Whether an operation may be sent again when its outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Reading, or idempotent (list, update, delete, reports): sending it twice does no harm.
    Idempotent,
    /// Sending it twice may do it twice (create): only retried when it certainly was not
    /// applied.
    NotIdempotent,
}

/// What [`RetryPolicy::decide`] says.
#[derive(Debug, PartialEq)]
pub(crate) enum Decision {
    /// Wait `delay`, then send again.
    Retry {
        /// Why (for the trace).
        reason: &'static str,
        /// How long to wait first.
        delay: Duration,
    },
    /// Return the error; if it was retryable, why no retry was made.
    Stop(Option<&'static str>),
}

/// Why `error` is worth another attempt of an operation of this safety, if it is.
fn retry_reason(safety: Safety, error: &Error) -> Option<&'static str> {
    let idempotent = safety == Safety::Idempotent;
    match error {
        // Nothing left: any operation may be sent.
        Error::Timeout(e) if Error::not_sent(e) => Some("connect timeout"),
        Error::Transport(e) if Error::not_sent(e) => Some("connection failed"),
        Error::Timeout(_) if idempotent => Some("timeout"),
        Error::Transport(_) if idempotent => Some("connection lost"),
        Error::InvalidInput { .. } => None,
        _ => match error.status()?.as_u16() {
            // Refused before being processed.
            429 => Some("429 Too Many Requests"),
            502 if idempotent => Some("502 Bad Gateway"),
            503 if idempotent => Some("503 Service Unavailable"),
            504 if idempotent => Some("504 Gateway Timeout"),
            _ => None,
        },
    }
}

/// A number in `[0, 1)` from the standard library's per-instance random hasher keys.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_within_the_doubling_bound() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for (retry, bound) in [(0, 100), (1, 200), (2, 350), (40, 350)] {
            let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(retry)).collect();
            assert!(
                waits.iter().all(|w| *w <= Duration::from_millis(bound)),
                "{retry}"
            );
            // Full jitter: spread over the range, not bunched at its top.
            assert!(
                waits.iter().any(|w| *w < Duration::from_millis(bound / 2)),
                "{retry}"
            );
            assert!(
                waits.iter().any(|w| *w > Duration::from_millis(bound / 2)),
                "{retry}"
            );
        }
    }
}
