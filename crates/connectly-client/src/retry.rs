//! The retry policy, and the one table of what a failed attempt says about its request
//! ([`RULES`]): whether it may have been applied, and whether it is worth another attempt.
//! [`Error::outcome_unknown`] and [`RetryPolicy::decide`] both read it, nothing else decides.

use std::{
    hash::{BuildHasher, Hasher},
    time::Duration,
};

use reqwest::StatusCode;

use crate::Error;

/// Default number of retries after the first attempt (so at most 3 requests per call).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most retries a policy makes, whatever [`RetryPolicy::max_retries`] asks (so at most 11
/// requests per call).
pub const MAX_RETRIES: u32 = 10;
/// The shortest wait before a retry, even when `Retry-After` says 0 or the jittered backoff
/// draws less: a server answering 429 at once cannot make a loop of requests.
pub const MIN_RETRY_DELAY: Duration = Duration::from_millis(100);
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
/// - **What is retried**: a failure the crate's table ("Errors, timeouts and retries" in the
///   crate documentation) calls transient (no connection, a timeout, a lost connection, 429,
///   502, 503, 504), when the operation is idempotent (list, update, delete, reports) or the
///   request certainly was not applied (no connection, 429). So a create that may have reached
///   Connectly (a timeout, a connection lost mid-answer, a 502/503/504) is never sent again: it
///   could register twice. See [`Error::outcome_unknown`].
/// - **How long to wait**: `Retry-After` when the server sends it (seconds or HTTP-date),
///   never less; otherwise exponential backoff with full jitter: a random wait in
///   `0..=min(max_backoff, initial_backoff × 2^retry)`. Never less than [`MIN_RETRY_DELAY`]
///   (100 ms) either way.
/// - **When to stop**: after `max_retries` retries (at most [`MAX_RETRIES`], 10), or when the
///   wait would end later than `budget` after the call began (the last error is returned, its
///   `Retry-After` included). Each attempt is still bounded by the request timeout, so a call
///   ends within `budget` + [`crate::ClientBuilder::timeout`].
///
/// ```
/// use std::time::Duration;
/// use connectly_client::{Client, RetryPolicy, MAX_RETRIES};
/// let client = Client::builder("sk_test")
///     .retry(RetryPolicy::default().max_retries(5).budget(Duration::from_secs(60)))
///     .build()?;
/// let no_retries = Client::builder("sk_test").retry(RetryPolicy::none()).build()?;
/// assert_eq!(RetryPolicy::default().max_retries(1000).retries(), MAX_RETRIES);
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

    /// Retries after the first attempt (default [`DEFAULT_MAX_RETRIES`]; 0 disables retries),
    /// clamped to [`MAX_RETRIES`].
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries.min(MAX_RETRIES);
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
        let rule = Rule::of(error);
        if !rule.retried(safety) {
            return Decision::Stop(None);
        }
        let reason = rule.what;
        if attempt > self.max_retries {
            return Decision::Stop(Some("no retries left"));
        }
        let delay = match error.retry_after() {
            Some(asked) => asked,
            None => self.backoff(attempt - 1),
        }
        .max(MIN_RETRY_DELAY);
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

// What a failure says about its request -------------------------------------------------------

/// What a failed attempt saw, as [`RULES`] tells it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Refused before anything was sent (an invalid argument, a request that cannot be built).
    NotSent,
    /// No connection was established (refused, DNS, TLS handshake, connect timeout).
    NotConnected,
    /// Connected, then no complete answer within the request timeout.
    TimedOut,
    /// Connected, then the connection dropped (or the answer was garbled) before it was whole.
    ConnectionLost,
    /// An answer with this status, whatever became of its body (Connectly's error, an HTML page,
    /// undecodable, over the size cap).
    Status(StatusCode),
}

/// Which failures a row of [`RULES`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// That failure without a status.
    Seen(Seen),
    /// This status.
    Status(u16),
    /// A status of this class (`4` for 4xx) that no [`Key::Status`] row names.
    Class(u16),
    /// A status no other row covers (600 to 999).
    OtherStatus,
}

/// One row of [`RULES`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    /// The failures it is about.
    pub(crate) key: Key,
    /// What it is, in the crate documentation's table and as the `retry_reason` of a trace.
    pub(crate) what: &'static str,
    /// Whether the request may have been applied although no answer says so: then a create is
    /// not sent again ([`Error::outcome_unknown`]).
    pub(crate) maybe_applied: bool,
    /// Whether another attempt may well succeed.
    pub(crate) transient: bool,
}

/// The second column of [`RULES`].
#[derive(Clone, Copy)]
enum Applied {
    /// It may have been applied.
    Maybe,
    /// It certainly was not.
    Not,
}

/// The third column of [`RULES`].
#[derive(Clone, Copy)]
enum Kind {
    /// Another attempt may well succeed.
    Transient,
    /// Another attempt would fail the same way.
    Lasting,
}

use Applied::{Maybe, Not};
use Kind::{Lasting, Transient};

const fn row(key: Key, what: &'static str, applied: Applied, kind: Kind) -> Rule {
    Rule {
        key,
        what,
        maybe_applied: matches!(applied, Maybe),
        transient: matches!(kind, Transient),
    }
}

/// The one rule for "may this request have been applied?" and "is it worth another attempt?",
/// read by [`Error::outcome_unknown`] and [`RetryPolicy::decide`]; the crate documentation
/// shows it as a table (a unit test checks they agree). A status is read by its own row, else
/// by its class's.
///
/// Connectly documents 400, 401, 404, 409 and 500. A 502, 503 or 504 comes from something in
/// front of Connectly that may have forwarded the request, so it may have been applied. 429 and
/// a connection that was never established certainly were not.
#[rustfmt::skip]
pub(crate) const RULES: &[Rule] = &[
    row(Key::Seen(Seen::NotSent), "refused before sending (an invalid argument)", Not, Lasting),
    row(Key::Seen(Seen::NotConnected), "no connection (refused, DNS, TLS handshake, connect timeout)", Not, Transient),
    row(Key::Seen(Seen::TimedOut), "timeout after connecting", Maybe, Transient),
    row(Key::Seen(Seen::ConnectionLost), "connection lost before the whole answer", Maybe, Transient),
    row(Key::Status(400), "400 Bad Request", Not, Lasting),
    row(Key::Status(401), "401 Unauthorized", Not, Lasting),
    row(Key::Status(404), "404 Not Found", Not, Lasting),
    row(Key::Status(409), "409 Conflict", Not, Lasting),
    row(Key::Status(429), "429 Too Many Requests", Not, Transient),
    row(Key::Status(500), "500 Internal Server Error", Maybe, Lasting),
    row(Key::Status(502), "502 Bad Gateway", Maybe, Transient),
    row(Key::Status(503), "503 Service Unavailable", Maybe, Transient),
    row(Key::Status(504), "504 Gateway Timeout", Maybe, Transient),
    row(Key::Class(1), "1xx (no final answer)", Maybe, Lasting),
    row(Key::Class(2), "2xx that cannot be read (undocumented, undecodable, over the cap)", Maybe, Lasting),
    row(Key::Class(3), "3xx (redirects are not followed)", Not, Lasting),
    row(Key::Class(4), "other 4xx", Not, Lasting),
    row(Key::Class(5), "other 5xx", Maybe, Lasting),
    row(Key::OtherStatus, "any other status", Maybe, Lasting),
];

impl Rule {
    /// The row of [`RULES`] for what `error` saw.
    pub(crate) fn of(error: &Error) -> &'static Rule {
        Self::for_seen(seen(error))
    }

    /// The row for `seen`: its own, or for a status the row naming it, else its class's.
    pub(crate) fn for_seen(seen: Seen) -> &'static Rule {
        let wanted = |key: Key| RULES.iter().find(|rule| rule.key == key);
        match seen {
            Seen::Status(status) => {
                let code = status.as_u16();
                wanted(Key::Status(code))
                    .or_else(|| wanted(Key::Class(code / 100)))
                    .or_else(|| wanted(Key::OtherStatus))
            }
            other => wanted(Key::Seen(other)),
        }
        .expect("RULES has a row for every failure")
    }

    /// Whether an operation of this safety is sent again after this failure: when it is
    /// transient, and the operation is idempotent or certainly was not applied.
    pub(crate) fn retried(&self, safety: Safety) -> bool {
        self.transient && (safety == Safety::Idempotent || !self.maybe_applied)
    }
}

/// What `error` saw of its request.
fn seen(error: &Error) -> Seen {
    match error {
        Error::InvalidInput { .. } => Seen::NotSent,
        Error::Timeout(e) | Error::Transport(e) if e.is_connect() => Seen::NotConnected,
        Error::Transport(e) if e.is_builder() => Seen::NotSent,
        Error::Timeout(_) => Seen::TimedOut,
        Error::Transport(_) => Seen::ConnectionLost,
        // Every other error was made from a response, and `Error::status` (the one list of
        // those) gives its status; a decode error's, when unknown, was a success status.
        _ => Seen::Status(error.status().unwrap_or(StatusCode::OK)),
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
    use crate::DecodeError;

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

    /// The table in the crate documentation is [`RULES`], row for row.
    #[test]
    fn the_documented_table_is_the_rules() {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let documented: Vec<String> = include_str!("../README.md")
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('|') && !l.starts_with("| ---"))
            .skip(1) // the header
            .map(str::to_owned)
            .collect();
        let rules: Vec<String> = RULES
            .iter()
            .map(|r| {
                format!(
                    "| {} | {} | {} |",
                    r.what,
                    yes(r.maybe_applied),
                    yes(r.transient)
                )
            })
            .collect();
        assert_eq!(documented, rules);
    }

    /// Every status a response can have, and every failure without one, has its row.
    #[test]
    fn every_failure_has_a_row() {
        for code in 100..=999 {
            let status = StatusCode::from_u16(code).unwrap();
            let rule = Rule::for_seen(Seen::Status(status));
            match rule.key {
                Key::Status(c) => assert_eq!(c, code),
                Key::Class(c) => assert_eq!(c, code / 100),
                Key::OtherStatus => assert!(code >= 600),
                Key::Seen(_) => panic!("{code}"),
            }
        }
        for seen in [
            Seen::NotSent,
            Seen::NotConnected,
            Seen::TimedOut,
            Seen::ConnectionLost,
        ] {
            assert_eq!(Rule::for_seen(seen).key, Key::Seen(seen));
        }
    }

    /// An error made from a response is seen as its status; a decode error of an unknown
    /// status, as a success; an argument refused, as nothing sent.
    #[test]
    fn an_error_is_seen_as_what_its_request_met() {
        let gateway = StatusCode::BAD_GATEWAY;
        let too_large = Error::ResponseTooLarge {
            status: gateway,
            limit: 1,
        };
        assert_eq!(seen(&too_large), Seen::Status(gateway));
        assert_eq!(
            seen(&answered_429(None)),
            Seen::Status(StatusCode::TOO_MANY_REQUESTS)
        );
        let decode = |status| Error::Decode {
            status,
            excerpt: String::new(),
            source: DecodeError {
                message: String::new(),
                line: 1,
                column: 1,
            },
        };
        assert_eq!(seen(&decode(None)), Seen::Status(StatusCode::OK));
        assert_eq!(
            seen(&decode(Some(StatusCode::CREATED))),
            Seen::Status(StatusCode::CREATED)
        );
        let invalid = Error::InvalidInput {
            what: "id",
            reason: String::new(),
        };
        assert_eq!(seen(&invalid), Seen::NotSent);
    }

    fn answered_429(retry_after: Option<Duration>) -> Error {
        Error::UnexpectedStatus {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: None,
            excerpt: String::new(),
            retry_after,
        }
    }

    #[test]
    fn retries_are_capped_and_every_wait_has_a_floor() {
        assert_eq!(
            RetryPolicy::default().max_retries(u32::MAX).retries(),
            MAX_RETRIES
        );
        assert_eq!(RetryPolicy::default().max_retries(3).retries(), 3);
        let policy = RetryPolicy::default()
            .max_retries(u32::MAX)
            .initial_backoff(Duration::ZERO)
            .max_backoff(Duration::ZERO);
        for asked in [Some(Duration::ZERO), None] {
            let error = answered_429(asked);
            for attempt in 1..=MAX_RETRIES {
                match policy.decide(Safety::NotIdempotent, &error, attempt, Duration::ZERO) {
                    Decision::Retry { delay, .. } => assert_eq!(delay, MIN_RETRY_DELAY),
                    other => panic!("{attempt}: {other:?}"),
                }
            }
            assert_eq!(
                policy.decide(
                    Safety::NotIdempotent,
                    &error,
                    MAX_RETRIES + 1,
                    Duration::ZERO
                ),
                Decision::Stop(Some("no retries left"))
            );
        }
    }
}
