//! `connectly relay serve | status | events | replay | dead | export`: the never-lose-an-event
//! receiver of `connectly-relay` in the foreground, and the verbs that read and act on its
//! journal (they work while `relay serve` runs: it picks replayed events up within a second).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand};
use connectly_relay::{
    now_ms, parse_duration, DeliveryKey, Filter, Metrics, Record, RelayConfig, Schedule, Selector,
    SqliteStore, State, Store, Url, Verifier,
};
use serde::Serialize;
use serde_json::Value;

use crate::events::{parse_secret, Secret};
use crate::output::{self, Printer};
use crate::Failure;

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
event is committed to the journal (--store, SQLite in WAL mode with synchronous=FULL; commits are
grouped, one fsync for many events under load) before the 200. Each is then POSTed to
--forward-to with its original bytes, content-type and x-connectly-hmac-sha256 header (verify it
with the same secret), plus x-connectly-relay-key (the SHA-256 of the body) and
x-connectly-relay-attempt (1, 2, ...). A 2xx is delivered; anything else, a timeout or a refused
connection is tried again by --retry-schedule (each delay ±20 % jitter); after its last attempt
the event is dead (`relay dead list`, `relay dead retry`). Events wait for your handler on disk,
not in memory. No order is promised.

SIGTERM or Ctrl-C: stop accepting, answer the requests in flight, finish the forwards in flight,
exit 0. A second Ctrl-C stops at once; a kill -9 loses nothing that was answered 200.

Examples:
  connectly relay serve --forward-to http://127.0.0.1:3000/webhook --secret whsec_new --secret whsec_old
  connectly relay serve --forward-to https://handler.internal/connectly --store /var/lib/connectly/relay.db \\
      --listen 0.0.0.0:8787 --allow-non-loopback";

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

/// `connectly relay ...`.
#[derive(Subcommand, Debug)]
#[command(after_help = RELAY_HELP)]
pub(crate) enum RelayCommand {
    /// Receive Connectly's events, store each durably before answering 200, and forward them to
    /// your handler.
    #[command(after_help = SERVE_HELP)]
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
#[derive(Args, Debug)]
pub(crate) struct StoreArg {
    /// The journal (an SQLite file).
    #[arg(long = "store", value_name = "PATH", default_value = DEFAULT_STORE)]
    path: PathBuf,
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
    /// Largest event body, in bytes (413 above it).
    #[arg(long, value_name = "BYTES", default_value_t = connectly_relay::DEFAULT_MAX_BODY_BYTES)]
    max_body: usize,
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

/// Unix milliseconds as RFC 3339 in UTC, to the millisecond.
fn rfc3339(ms: i64) -> String {
    let (days, in_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let seconds = in_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        in_day % 1000
    )
}

/// Opens an existing journal (the read and act verbs never create one).
fn open_existing(store: &StoreArg) -> Result<SqliteStore, Failure> {
    if !store.path.exists() {
        return Err(Failure::failed(format!(
            "no journal at {}",
            connectly_net::printable(&store.path.display().to_string())
        ))
        .hint("pass --store PATH: the file `connectly relay serve --store PATH` writes"));
    }
    open(&store.path)
}

fn open(path: &Path) -> Result<SqliteStore, Failure> {
    SqliteStore::open(path).map_err(|e| Failure::failed("cannot open the journal").caused_by(&e))
}

fn failed(e: connectly_relay::StoreError) -> Failure {
    Failure::failed("the journal could not be read or written").caused_by(&e)
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}

/// An event in `--json` output (and, with its body, in `export`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordDoc {
    key: String,
    state: &'static str,
    attempts: u32,
    received_at: String,
    next_at: Option<String>,
    last_attempt_at: Option<String>,
    delivered_at: Option<String>,
    last_error: Option<String>,
    content_type: Option<String>,
    bytes: usize,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    body: Option<BodyDoc>,
}

/// An event's stored request, in `events show --json` and `export`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BodyDoc {
    signature: String,
    /// The body as text, when it is UTF-8.
    body: Option<String>,
    body_base64: String,
}

fn record_doc(record: &Record, with_body: bool) -> RecordDoc {
    use base64::Engine as _;
    RecordDoc {
        key: record.key.to_string(),
        state: record.state.as_str(),
        attempts: record.attempts,
        received_at: rfc3339(record.received_at),
        next_at: time(record.next_at),
        last_attempt_at: time(record.last_attempt_at),
        delivered_at: time(record.delivered_at),
        last_error: record.last_error.clone(),
        content_type: record.content_type.clone(),
        bytes: record.body.len(),
        body: with_body.then(|| BodyDoc {
            signature: record.signature.clone(),
            body: std::str::from_utf8(&record.body).ok().map(str::to_owned),
            body_base64: base64::engine::general_purpose::STANDARD.encode(&record.body),
        }),
    }
}

/// `relay events list` and `relay dead list`'s `--json` document.
#[derive(Serialize)]
struct Listed {
    events: Vec<RecordDoc>,
}

/// `relay status`'s `--json` document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusDoc {
    store: String,
    pending: u64,
    delivered: u64,
    dead: u64,
    oldest_pending: Option<String>,
}

/// `relay dead purge`'s `--json` document.
#[derive(Serialize)]
struct Purged {
    purged: usize,
}

/// `relay replay` and `relay dead retry`'s `--json` document.
#[derive(Serialize)]
struct Replayed {
    replayed: usize,
}

/// `relay serve`'s first `--json` line: where it listens.
#[derive(Serialize)]
struct Serving {
    url: String,
}

fn print_list(printer: &Printer, records: &[Record]) -> Result<(), Failure> {
    if printer.json_mode() {
        let events = records.iter().map(|r| record_doc(r, false)).collect();
        return printer.json(&Listed { events });
    }
    if records.is_empty() {
        printer.status("no events");
        return Ok(());
    }
    let rows: Vec<[String; 6]> = records
        .iter()
        .map(|r| {
            let when = match r.state {
                State::Pending => r.next_at.map(|t| format!("next {}", rfc3339(t))),
                State::Delivered => r.delivered_at.map(|t| format!("at {}", rfc3339(t))),
                State::Dead => r.last_attempt_at.map(|t| format!("since {}", rfc3339(t))),
            };
            [
                r.key.to_string(),
                r.state.to_string(),
                r.attempts.to_string(),
                rfc3339(r.received_at),
                when.unwrap_or_default(),
                r.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    printer.table(
        ["KEY", "STATE", "ATTEMPTS", "RECEIVED", "WHEN", "LAST ERROR"],
        &rows,
    )
}

fn parse_state(text: Option<&str>) -> Option<State> {
    text.and_then(|s| s.parse().ok())
}

pub(crate) async fn run(printer: &Printer, command: RelayCommand) -> Result<(), Failure> {
    match command {
        RelayCommand::Serve(args) => serve(printer, *args).await,
        RelayCommand::Status(store) => {
            let status = open_existing(&store)?.status().map_err(failed)?;
            if printer.json_mode() {
                return printer.json(&StatusDoc {
                    store: store.path.display().to_string(),
                    pending: status.pending,
                    delivered: status.delivered,
                    dead: status.dead,
                    oldest_pending: time(status.oldest_pending),
                });
            }
            let oldest = status.oldest_pending.map_or(String::new(), |t| {
                format!(" (oldest received {})", rfc3339(t))
            });
            printer.out(&format!(
                "pending    {}{oldest}\ndelivered  {}\ndead       {}\n",
                status.pending, status.delivered, status.dead
            ))
        }
        RelayCommand::Events(EventsCommand::List(args)) => {
            let filter = Filter {
                state: parse_state(args.state.as_deref()),
                since: args.range.since,
                until: args.range.until,
                limit: Some(args.limit),
            };
            let records = open_existing(&args.store)?.list(&filter).map_err(failed)?;
            print_list(printer, &records)
        }
        RelayCommand::Events(EventsCommand::Show { key, store }) => {
            let Some(record) = open_existing(&store)?.get(&key).map_err(failed)? else {
                return Err(Failure::failed(format!("no event with the key {key}"))
                    .kind(crate::failure::Kind::NotFound));
            };
            if printer.json_mode() {
                return printer.json(&record_doc(&record, true));
            }
            let mut text = String::new();
            if let Value::Object(fields) = output::fields(&record_doc(&record, false)).into() {
                for (name, field) in fields {
                    let shown = match field {
                        Value::String(s) => connectly_net::printable(&s).into_owned(),
                        Value::Null => "-".to_owned(),
                        other => other.to_string(),
                    };
                    text.push_str(&format!("{name:<14} {shown}\n"));
                }
            }
            let body = String::from_utf8_lossy(&record.body);
            text.push_str(&format!("\n{}\n", connectly_net::printable(&body)));
            printer.out(&text)
        }
        RelayCommand::Replay(args) => {
            let selector = match (args.key, parse_state(args.state.as_deref())) {
                (Some(key), _) => Selector::Key(key),
                (None, Some(state)) => Selector::State(state),
                (None, None) => Selector::Received {
                    since: args.range.since,
                    until: args.range.until,
                },
            };
            replay(printer, &args.store, &selector)
        }
        RelayCommand::Dead(DeadCommand::List(store)) => {
            let filter = Filter {
                state: Some(State::Dead),
                ..Filter::default()
            };
            let records = open_existing(&store)?.list(&filter).map_err(failed)?;
            print_list(printer, &records)
        }
        RelayCommand::Dead(DeadCommand::Retry(store)) => {
            replay(printer, &store, &Selector::State(State::Dead))
        }
        RelayCommand::Dead(DeadCommand::Purge { yes, store }) => {
            let journal = open_existing(&store)?;
            let dead = journal.status().map_err(failed)?.dead;
            if dead > 0 {
                crate::confirm::destructive(
                    printer,
                    yes,
                    &format!("Delete the {dead} dead events for good? [y/N] "),
                    "purge the dead events",
                )?;
            }
            let purged = if dead > 0 {
                journal.purge_dead().map_err(failed)?
            } else {
                0
            };
            if printer.json_mode() {
                printer.json(&Purged { purged })
            } else {
                printer.line(format!("purged {purged} dead events"))
            }
        }
        RelayCommand::Export(args) => {
            let _ = args.jsonl;
            let records = open_existing(&args.store)?
                .list(&Filter::default())
                .map_err(failed)?;
            for record in &records {
                let line = serde_json::to_string(&record_doc(record, true))
                    .map_err(|e| Failure::failed("cannot write the JSON document").caused_by(&e))?;
                printer.out(&format!("{}\n", output::json_text(&line)))?;
            }
            Ok(())
        }
    }
}

fn replay(printer: &Printer, store: &StoreArg, selector: &Selector) -> Result<(), Failure> {
    let replayed = open_existing(store)?
        .replay(selector, now_ms())
        .map_err(failed)?;
    if printer.json_mode() {
        printer.json(&Replayed { replayed })
    } else {
        printer.line(format!(
            "{replayed} events are pending again; a running `connectly relay serve` sends them within a second"
        ))
    }
}

async fn serve(printer: &Printer, args: ServeArgs) -> Result<(), Failure> {
    let forward_to = Url::parse(&args.forward_to).map_err(|e| {
        Failure::usage(format!(
            "--forward-to {}: {e}",
            connectly_net::shown_str(&args.forward_to)
        ))
    })?;
    let mut secrets = args.secrets.iter();
    let Some(Secret(first)) = secrets.next() else {
        return Err(Failure::usage(
            "relay serve needs the webhook secret (--secret or CONNECTLY_WEBHOOK_SECRET)",
        ));
    };
    let verifier = secrets.fold(Verifier::new(first), |v, Secret(s)| v.also_accept(s));
    let config = RelayConfig {
        listen: args.listen,
        allow_non_loopback: args.allow_non_loopback,
        schedule: args.retry_schedule,
        concurrency: usize::from(args.concurrency),
        forward_timeout: args.forward_timeout,
        retention: args.retention,
        max_body_bytes: args.max_body,
        queue_capacity: args.queue,
        max_batch: args.max_batch,
        ..RelayConfig::new(verifier, forward_to.clone())
    };
    config.check().map_err(|e| Failure::usage(e.to_string()))?;
    let store: Arc<dyn Store> = Arc::new(open(&args.store.path)?);
    let listener = crate::listen::bind(args.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::failed("cannot read the listening address").caused_by(&e))?;
    let mut signals = StopSignals::new();
    let url = format!("http://{addr}/");
    if printer.json_mode() {
        printer.json(&Serving { url })?;
    } else {
        printer.line(url)?;
    }
    printer.status(format!(
        "connectly relay: listening on http://{addr}/, storing in {}, forwarding to {}; \
         SIGTERM or Ctrl-C drains and stops",
        connectly_net::printable(&args.store.path.display().to_string()),
        connectly_net::shown(&forward_to)
    ));
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let (second_tx, second_rx) = tokio::sync::oneshot::channel::<()>();
    let said = printer.clone();
    tokio::spawn(async move {
        signals.next().await;
        said.status(
            "connectly relay: draining: answering the requests in flight, finishing the forwards \
             in flight (Ctrl-C again to stop at once; nothing answered 200 is lost either way)",
        );
        let _ = first_tx.send(());
        signals.next().await;
        let _ = second_tx.send(());
    });
    let metrics = Arc::new(Metrics::default());
    let server = connectly_relay::serve(listener, config, store, metrics.clone(), async {
        let _ = first_rx.await;
    });
    tokio::select! {
        result = server => {
            result.map_err(|e| Failure::failed("the relay failed").caused_by(&e))?;
            printer.status(format!(
                "connectly relay: stopped ({} stored, {} duplicates)",
                metrics.stored(),
                metrics.deduplicated()
            ));
        }
        Ok(()) = second_rx => printer.status("connectly relay: stopped at once"),
    }
    Ok(())
}

/// SIGTERM and SIGINT (Ctrl-C), listened for from its creation on (before the URL is printed,
/// so a supervisor's first SIGTERM already drains).
struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Self {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        if let (Some(term), Some(int)) = (&mut self.term, &mut self.int) {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
