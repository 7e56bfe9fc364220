//! The verbs that read and act on a journal: `status`, `events list|show`, `replay`, `dead
//! list|retry|purge`, `export --jsonl`, each with its typed `--json` document.

use connectly_relay::{
    now_ms, Filter, PgOptions, PgStore, Record, Selector, SqliteStore, State, Store,
};
use serde::Serialize;
use serde_json::Value;

use super::{rfc3339, DeadCommand, EventsCommand, RelayCommand, StoreArg};
use crate::output::{self, Printer};
use crate::Failure;

/// Opens an existing journal (the read and act verbs never create one, nor migrate one).
fn open_existing(store: &StoreArg) -> Result<Box<dyn Store>, Failure> {
    if let Some(path) = store.path() {
        if !path.exists() {
            return Err(Failure::failed(format!(
                "no journal at {}",
                connectly_net::printable(&path.display().to_string())
            ))
            .hint("pass --store PATH|URL: the file or database `connectly relay serve --store` writes"));
        }
    }
    open(
        store,
        PgOptions {
            migrate: false,
            ..PgOptions::default()
        },
    )
}

/// Opens the journal `--store` names: an SQLite file (created when missing), or a Postgres
/// database opened with `options`.
pub(super) fn open(store: &StoreArg, options: PgOptions) -> Result<Box<dyn Store>, Failure> {
    let opened: Result<Box<dyn Store>, _> = match store.postgres() {
        Some(url) => PgStore::open(url, options).map(|s| Box::new(s) as Box<dyn Store>),
        None => SqliteStore::open(&store.store).map(|s| Box::new(s) as Box<dyn Store>),
    };
    opened.map_err(|e| Failure::failed("cannot open the journal").caused_by(&e))
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
        RelayCommand::Serve(args) => super::serve::serve(printer, *args).await,
        RelayCommand::Status(store) => {
            let status = open_existing(&store)?.status().map_err(failed)?;
            if printer.json_mode() {
                return printer.json(&StatusDoc {
                    store: store.shown(),
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
