//! A Connectly webhook receiver that never loses a signed event.
//!
//! Connectly documents no event id, no retry schedule, no delivery log and no replay. The relay
//! gives a written guarantee instead: **a 200 means the event is on disk.** It answers
//! Connectly's POST with 200 only after the exact raw body and the original
//! `x-connectly-hmac-sha256` header are committed (fsync) to a journal ([`Store`]:
//! [`SqliteStore`], one file for one relay, or [`PgStore`], one Postgres database shared by
//! several relays). What it cannot persist gets 503 with `Retry-After`, never a 200; a
//! bad signature gets 401 and is never stored; a correctly signed body of any shape is stored.
//!
//! - **Dedup.** A retry of the same body (same [`DeliveryKey`], the SHA-256 of the raw body) is
//!   answered 200 and neither stored nor forwarded twice, for as long as the delivered event is
//!   kept ([`RelayConfig::retention`], 7 days by default; pending and dead events are kept until
//!   delivered or purged).
//! - **Forwarding** to the user's handler is at least once: the original bytes, content type and
//!   signature header (so the handler verifies with the same secret), plus
//!   [`RELAY_KEY_HEADER`] and [`RELAY_ATTEMPT_HEADER`]. A 2xx is delivered; anything else, a
//!   timeout or a refused connection is tried again by the [`Schedule`] (Svix's, with jitter),
//!   at most [`RelayConfig::concurrency`] at once, then the event is dead (`relay dead retry`).
//!   **No order is promised**, neither global nor per sender: attempts run concurrently, and an
//!   event that failed comes back after later ones.
//! - **Backpressure.** A full ingest queue or a journal that fails to commit answers 503 with
//!   `Retry-After`. Events wait for the handler on disk, not in memory: the forwarder reads a
//!   few due events at a time. Past [`RelayConfig::max_connections`] a new connection waits in
//!   the listen queue until one closes (a slower answer, never a refusal); headers past
//!   [`RelayConfig::max_header_bytes`] get 431, through the mock's server
//!   (`connectly_net::server`).
//! - **Group commit.** One writer thread commits whatever queued while the previous commit was
//!   syncing, up to [`RelayConfig::max_batch`] rows in one transaction.
//! - **Shutdown** ([`Relay::shutdown`], SIGTERM for `connectly relay serve`): stop accepting,
//!   finish the commits and forwards in flight, exit. A `kill -9` loses nothing answered 200.
//!
//! The receiving crate (`connectly-webhook`) stays free of storage: the relay uses its
//! [`Verifier`] and [`DeliveryKey`]; the HTTP side knows only the [`Store`] trait.

#![deny(missing_docs)]

mod forward;
mod ingest;
mod metrics;
mod postgres;
mod schedule;
mod server;
mod sqlite;
mod store;
mod writer;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use connectly_net::Url;
pub use connectly_webhook::{DeliveryKey, Verifier};
pub use forward::PURGE_CHUNK;
pub use metrics::{Forwarded, Metrics, Refusal};
pub use postgres::{
    is_postgres_url, shown_postgres_url, PgOptions, PgStore, MIN_LEASE, PG_MIGRATIONS,
};
pub use schedule::{parse_duration, Schedule, JITTER};
pub use server::{serve, Relay};
pub use sqlite::{SqliteStore, MIGRATIONS};
pub use store::{
    Filter, Keys, NewEvent, Outcome, Record, Selector, State, Status, Store, StoreError, Write,
    Written,
};

/// The header carrying the event's delivery key (64 hex digits) on every forward.
pub const RELAY_KEY_HEADER: &str = "x-connectly-relay-key";
/// The header carrying the attempt's number (1 for the first) on every forward.
pub const RELAY_ATTEMPT_HEADER: &str = "x-connectly-relay-attempt";

/// Largest event body accepted by default (1 MiB; Connectly's events are a few kB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Connections served at once, by default (512, as the mock; see
/// `connectly_net::server::DEFAULT_MAX_CONNECTIONS`). Past it a new connection waits in the
/// system's listen queue until one closes: Connectly sees a slower answer, never a refusal, and
/// nothing is lost (an event is only ever answered 200 once stored).
pub const DEFAULT_MAX_CONNECTIONS: usize = connectly_net::server::DEFAULT_MAX_CONNECTIONS;
/// Bytes of a request's line and headers read at most, by default (32 KiB; more gets 431).
/// Connectly's headers are well under 1 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = connectly_net::server::DEFAULT_MAX_HEADER_BYTES;
/// The smallest header cap the HTTP server accepts (8 KiB); a smaller
/// [`RelayConfig::max_header_bytes`] is raised to it.
pub const MIN_HEADER_BYTES: usize = connectly_net::server::MIN_HEADER_BYTES;
/// Time to send a request's headers, by default.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Time to send a whole body once its headers are in, by default (then 408).
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long delivered events are kept (and their retries deduplicated), by default.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Forward attempts at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Writes waiting for the writer before ingest answers 503, by default.
pub const DEFAULT_QUEUE_CAPACITY: usize = 4096;
/// Rows per commit at most, by default.
pub const DEFAULT_MAX_BATCH: usize = 256;
/// Time allowed for one forward attempt, by default.
pub const DEFAULT_FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// How to run a relay. Its `Debug` shows no secret and no password of `forward_to`.
#[derive(Clone)]
pub struct RelayConfig {
    /// Where to listen (default `127.0.0.1:0`). Not loopback: only with `allow_non_loopback`.
    pub listen: SocketAddr,
    /// Whether `listen` may be an address other hosts reach.
    pub allow_non_loopback: bool,
    /// The secrets whose signatures are accepted (several during a rotation).
    pub verifier: Verifier,
    /// The user's handler: HTTPS, or plain HTTP to loopback (`connectly_net::check_transport`).
    pub forward_to: Url,
    /// When to try a failed forward again.
    pub schedule: Schedule,
    /// Forward attempts at once.
    pub concurrency: usize,
    /// Time allowed for one forward attempt.
    pub forward_timeout: Duration,
    /// How long delivered events are kept, which is how long their retries are deduplicated.
    pub retention: Duration,
    /// Largest body.
    pub max_body_bytes: usize,
    /// Connections served at once (at least 1); past that, new connections wait in the listen
    /// queue until one closes.
    pub max_connections: usize,
    /// Bytes of a request's line and headers read at most (at least [`MIN_HEADER_BYTES`]);
    /// more gets 431 and the connection is closed.
    pub max_header_bytes: usize,
    /// Time to send the headers.
    pub header_read_timeout: Duration,
    /// Time to send the body.
    pub body_read_timeout: Duration,
    /// Writes queued for the writer before 503.
    pub queue_capacity: usize,
    /// Rows per commit at most (1: one fsync per event).
    pub max_batch: usize,
}

impl std::fmt::Debug for RelayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayConfig")
            .field("listen", &self.listen)
            .field("allow_non_loopback", &self.allow_non_loopback)
            .field("verifier", &self.verifier)
            .field("forward_to", &connectly_net::shown(&self.forward_to))
            .field("schedule", &self.schedule.to_string())
            .field("concurrency", &self.concurrency)
            .field("forward_timeout", &self.forward_timeout)
            .field("retention", &self.retention)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("queue_capacity", &self.queue_capacity)
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl RelayConfig {
    /// A relay on `127.0.0.1:0` accepting `verifier`'s secrets and forwarding to `forward_to`,
    /// with the defaults above.
    pub fn new(verifier: Verifier, forward_to: Url) -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_non_loopback: false,
            verifier,
            forward_to,
            schedule: Schedule::default(),
            concurrency: DEFAULT_CONCURRENCY,
            forward_timeout: DEFAULT_FORWARD_TIMEOUT,
            retention: DEFAULT_RETENTION,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            max_batch: DEFAULT_MAX_BATCH,
        }
    }

    /// Refuses a listen address that is not loopback without `allow_non_loopback`, and a
    /// forward URL that `connectly_net::check_transport` refuses.
    pub fn check(&self) -> io::Result<()> {
        if !self.allow_non_loopback && !connectly_net::is_loopback_listen(self.listen) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "refusing to listen on {}, which is not a loopback address: opt in explicitly \
                     (`connectly relay serve --allow-non-loopback`, RelayConfig::allow_non_loopback)",
                    self.listen
                ),
            ));
        }
        connectly_net::check_transport(&self.forward_to).map_err(|refusal| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot forward to {}: {refusal}",
                    connectly_net::shown(&self.forward_to)
                ),
            )
        })
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
