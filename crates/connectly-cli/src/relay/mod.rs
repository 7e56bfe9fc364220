//! `connectly relay serve | status | events | replay | dead | export`: the never-lose-an-event
//! receiver of `connectly-relay` in the foreground, and the verbs that read and act on its
//! journal (they work while `relay serve` runs: it picks replayed events up within a second).

mod journal;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::events::{parse_secret, Secret};
use clap::{ArgGroup, Args, Subcommand};
use connectly_relay::{now_ms, parse_duration, DeliveryKey, Schedule};

/// The journal used when `--store` is not given.
const DEFAULT_STORE: &str = "connectly-relay.db";

const RELAY_HELP: &str = "\
A 200 from `relay serve` means the event's raw body and signature header are on disk (fsync):
anything it cannot store gets 503 with Retry-After, so Connectly tries again. A bad signature gets
401 and is never stored; a correctly signed body of any shape is stored. A retry of the same body
is answered 200 and neither stored nor forwarded twice (within --retention).

Forwarding to your handler is at least once (a crash between its 2xx and the record sends the
event again: deduplicate on x-connectly-relay-key) and in no particular order.

Examples:
  export CONNECTLY_WEBHOOK_SECRET=whsec_...
  connectly relay serve --listen 127.0.0.1:8787 --forward-to http://127.0.0.1:3000/webhook
  connectly relay status
  connectly relay events list --state pending --since 1h
  connectly relay dead retry";

const SERVE_HELP: &str = "\
Listens for Connectly's POSTs (any path; GET /metrics is Prometheus text). Each correctly signed
event is committed to the journal (--store: an SQLite file in WAL mode with synchronous=FULL, or a
Postgres database with synchronous_commit=on; commits are grouped, one fsync for many events under
load) before the 200. Each is then POSTed to --forward-to with its original bytes, content-type
and x-connectly-hmac-sha256 header (verify it with the same secret), plus x-connectly-relay-key
(the SHA-256 of the body) and x-connectly-relay-attempt (1, 2, ...). A 2xx is delivered; anything
else, a timeout or a refused connection is tried again by --retry-schedule (each delay ±20 %
jitter); after its last attempt the event is dead (`relay dead list`, `relay dead retry`). Events
wait for your handler on disk, not in memory. No order is promised.

Several relays may share one Postgres database (--store postgres://... or
CONNECTLY_RELAY_DATABASE_URL): dedup, pending events, dead letters and replay are shared. Each
relay claims the events it sends for --lease; when one dies, another sends its events after the
lease. The schema is created or migrated at start (the other verbs never migrate).

SIGTERM or Ctrl-C: stop accepting, answer the requests in flight, finish the forwards in flight,
exit 0. A second Ctrl-C stops at once; a kill -9 loses nothing that was answered 200.

Past --max-connections, a new connection waits in the system's listen queue until one closes:
Connectly sees a slower answer, never a refusal, and nothing is lost.";

const SERVE_EXAMPLES: &str = "\
Examples:
  connectly relay serve --forward-to http://127.0.0.1:3000/webhook --secret whsec_new --secret whsec_old
  connectly relay serve --forward-to https://handler.internal/connectly --store /var/lib/connectly/relay.db \\
      --listen 0.0.0.0:8787 --allow-non-loopback
  CONNECTLY_RELAY_DATABASE_URL=postgres://relay@127.0.0.1/connectly \\
      connectly relay serve --forward-to http://127.0.0.1:3000/webhook   # on each instance";

const STATUS_HELP: &str = "\
Examples:
  connectly relay status
  connectly relay status --store /var/lib/connectly/relay.db --json";

const EVENTS_HELP: &str = "\
Examples:
  connectly relay events list --state dead
  connectly relay events list --since 2026-01-31T00:00:00Z --until 1h --json
  connectly relay events show 3f2a...(64 hex digits)";

const REPLAY_HELP: &str = "\
The selected events become pending again with their attempts reset, and a running `relay serve`
sends them within a second (one that is not running, when it starts). Delivered events are sent
again too: your handler sees a duplicate key.

Examples:
  connectly relay replay --key 3f2a...(64 hex digits)
  connectly relay replay --since 2026-01-31T10:00:00Z --until 2026-01-31T11:00:00Z
  connectly relay replay --state dead";

const DEAD_HELP: &str = "\
Examples:
  connectly relay dead list
  connectly relay dead retry
  connectly relay dead purge --yes";

const EXPORT_HELP: &str = "\
One JSON object per line and per event, oldest first: {\"key\", \"state\", \"attempts\",
\"receivedAt\", \"nextAt\", \"lastAttemptAt\", \"deliveredAt\", \"lastError\", \"contentType\",
\"signature\", \"bytes\", \"body\" (the text, or null when not UTF-8), \"bodyBase64\"}.

Examples:
  connectly relay export --jsonl > events.jsonl";

/// `relay serve --help`'s text after the options.
fn serve_help() -> String {
    format!(
        "{SERVE_HELP}\n{}\n\n{SERVE_EXAMPLES}",
        crate::listen::bounds_help(
            connectly_relay::HEADER_READ_TIMEOUT,
            connectly_relay::BODY_READ_TIMEOUT,
            connectly_relay::DEFAULT_MAX_HEADER_BYTES
        )
    )
}

/// `connectly relay ...`.
#[derive(Subcommand, Debug)]
#[command(after_help = RELAY_HELP)]
pub(crate) enum RelayCommand {
    /// Receive Connectly's events, store each durably before answering 200, and forward them to
    /// your handler.
    #[command(after_help = serve_help())]
    Serve(Box<ServeArgs>),
    /// Counts by state and the oldest pending event.
    #[command(after_help = STATUS_HELP)]
    Status(StoreArg),
    /// List or show stored events.
    #[command(subcommand, after_help = EVENTS_HELP)]
    Events(EventsCommand),
    /// Send events again: one, those received in a time range, or those in a state.
    #[command(after_help = REPLAY_HELP)]
    Replay(ReplayArgs),
    /// The dead letters: events whose every attempt failed.
    #[command(subcommand, after_help = DEAD_HELP)]
    Dead(DeadCommand),
    /// Print every stored event, body included.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
}

/// `--store`.
#[derive(Args)]
pub(crate) struct StoreArg {
    /// The journal: an SQLite file, or a Postgres database several relays share
    /// (postgres://user:password@host/db).
    #[arg(long = "store", value_name = "PATH|URL", default_value = DEFAULT_STORE,
          env = "CONNECTLY_RELAY_DATABASE_URL", hide_env_values = true)]
    store: String,
}

impl std::fmt::Debug for StoreArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreArg")
            .field("store", &self.shown())
            .finish()
    }
}

impl StoreArg {
    /// The Postgres URL, when `--store` is one.
    fn postgres(&self) -> Option<&str> {
        connectly_relay::is_postgres_url(&self.store).then_some(self.store.as_str())
    }

    /// The SQLite file, when `--store` is one.
    fn path(&self) -> Option<PathBuf> {
        self.postgres()
            .is_none()
            .then(|| PathBuf::from(&self.store))
    }

    /// The journal as it may be shown: a file's path, or the database's URL without its
    /// password.
    fn shown(&self) -> String {
        match self.postgres() {
            Some(url) => connectly_relay::shown_postgres_url(url),
            None => self.store.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on: loopback, unless --allow-non-loopback.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR", value_parser = crate::listen::parse)]
    listen: SocketAddr,
    /// Allow --listen on an address that is not loopback (e.g. 0.0.0.0).
    #[arg(long)]
    allow_non_loopback: bool,
    /// Your handler: HTTPS (plain http only for loopback: `127.0.0.0/8`, `localhost`, `[::1]`).
    #[arg(long, value_name = "URL")]
    forward_to: String,
    #[command(flatten)]
    store: StoreArg,
    /// A webhook secret to accept (repeatable, for a rotation; never printed).
    #[arg(long = "secret", env = "CONNECTLY_WEBHOOK_SECRET", hide_env_values = true,
          value_name = "S", value_parser = parse_secret, required = true)]
    secrets: Vec<Secret>,
    /// How long delivered events are kept, which is how long a retry of one is recognised.
    #[arg(long, value_name = "TIME", default_value = "7d", value_parser = parse_duration)]
    retention: Duration,
    /// Forward attempts at once.
    #[arg(long, value_name = "N", default_value_t = connectly_relay::DEFAULT_CONCURRENCY as u16,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// The delay before each attempt, comma-separated: the first before the first attempt, the
    /// last before the last.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "0s,5s,5m,30m,2h,5h,10h,10h"
    )]
    retry_schedule: Schedule,
    /// Time allowed for one forward attempt.
    #[arg(long, value_name = "TIME", default_value = "30s", value_parser = parse_duration)]
    forward_timeout: Duration,
    /// Postgres only, 2s or more: how long a relay's claim on the events it holds lasts after
    /// its last renewal; when a relay dies mid-forward, another sends its events after this
    /// [default: twice --forward-timeout, at least 2s].
    #[arg(long, value_name = "TIME", value_parser = parse_lease)]
    lease: Option<Duration>,
    /// Largest event body, in bytes (413 above it).
    #[arg(long, value_name = "BYTES", default_value_t = connectly_relay::DEFAULT_MAX_BODY_BYTES)]
    max_body: usize,
    #[command(flatten)]
    max_connections: crate::listen::MaxConnections,
    /// Events waiting for the journal before new ones get 503.
    #[arg(long, value_name = "N", default_value_t = connectly_relay::DEFAULT_QUEUE_CAPACITY)]
    queue: usize,
    /// Events per commit at most (1: one fsync per event).
    #[arg(long, value_name = "N", default_value_t = connectly_relay::DEFAULT_MAX_BATCH)]
    max_batch: usize,
}

#[derive(Subcommand, Debug)]
pub(crate) enum EventsCommand {
    /// A table (or --json) of stored events, oldest first.
    #[command(after_help = EVENTS_HELP)]
    List(ListArgs),
    /// One event, body included.
    #[command(after_help = EVENTS_HELP)]
    Show {
        /// Its delivery key (64 hex digits).
        #[arg(value_parser = parse_key)]
        key: DeliveryKey,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Only events in this state.
    #[arg(long, value_name = "S", value_parser = ["pending", "delivered", "dead"])]
    state: Option<String>,
    #[command(flatten)]
    range: Range,
    /// At most N events.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    limit: usize,
    #[command(flatten)]
    store: StoreArg,
}

/// `--since` / `--until`.
#[derive(Args, Debug)]
pub(crate) struct Range {
    /// Received at or after T: RFC 3339, Unix seconds, or a time ago (`30m`, `2h`, `7d`).
    #[arg(long, value_name = "T", value_parser = parse_time)]
    since: Option<i64>,
    /// Received before T (same forms as --since).
    #[arg(long, value_name = "T", value_parser = parse_time)]
    until: Option<i64>,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("which").required(true).args(["key", "since", "until", "state"])))]
pub(crate) struct ReplayArgs {
    /// One event, by its delivery key.
    #[arg(long, value_parser = parse_key, conflicts_with_all = ["since", "until", "state"])]
    key: Option<DeliveryKey>,
    #[command(flatten)]
    range: Range,
    /// Every event in this state.
    #[arg(long, value_name = "S", value_parser = ["pending", "delivered", "dead"], conflicts_with_all = ["since", "until"])]
    state: Option<String>,
    #[command(flatten)]
    store: StoreArg,
}

#[derive(Subcommand, Debug)]
pub(crate) enum DeadCommand {
    /// A table (or --json) of the dead events.
    #[command(after_help = DEAD_HELP)]
    List(StoreArg),
    /// Send every dead event again, with a fresh schedule.
    #[command(after_help = DEAD_HELP)]
    Retry(StoreArg),
    /// Delete every dead event (asks on a terminal; off one, needs --yes).
    #[command(after_help = DEAD_HELP)]
    Purge {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// JSON Lines (the one format).
    #[arg(long, required = true)]
    jsonl: bool,
    #[command(flatten)]
    store: StoreArg,
}

fn parse_key(text: &str) -> Result<DeliveryKey, String> {
    text.parse()
}

/// RFC 3339, Unix seconds, or a time ago (`2h`) → Unix milliseconds.
fn parse_time(text: &str) -> Result<i64, String> {
    if let Some(at) = connectly_webhook::parse_timestamp(text) {
        let ms = match at.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        };
        return Ok(ms);
    }
    match parse_duration(text) {
        Ok(ago) if text.ends_with(|c: char| c.is_ascii_alphabetic()) => {
            Ok(now_ms() - i64::try_from(ago.as_millis()).unwrap_or(i64::MAX / 2))
        }
        _ => Err(format!(
            "expected RFC 3339 (2026-01-31T10:00:00Z), Unix seconds or a time ago (30m, 2h, 7d), not {text:?}"
        )),
    }
}

/// Unix milliseconds as RFC 3339 in UTC, to the millisecond (the calendar is jiff's).
fn rfc3339(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(at) => at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        // Outside jiff's range (years -9999 to 9999): the number, rather than a wrong date.
        Err(_) => format!("{ms} ms since 1970"),
    }
}

pub(crate) use journal::run;

/// `--lease`: a duration of at least [`MIN_LEASE`](connectly_relay::MIN_LEASE).
fn parse_lease(text: &str) -> Result<Duration, String> {
    let lease = parse_duration(text)?;
    if lease < connectly_relay::MIN_LEASE {
        return Err(format!(
            "a lease shorter than {:?} could lapse between two renewals (made at the forwarder's \
             looks at the journal, at least every {:?}) and an event be sent by two relays",
            connectly_relay::MIN_LEASE,
            connectly_relay::MIN_LEASE / 4
        ));
    }
    Ok(lease)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc_to_the_millisecond() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_733_306_400_123), "2024-12-04T10:00:00.123Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Ok(1000));
    }
}
