//! The forwarder: sends stored events to the user's handler, at least once. It reads due events
//! from the journal a few at a time (at most `concurrency` in flight; the rest wait on disk, not
//! in memory), POSTs each with its original bytes, content type and signature plus
//! `x-connectly-relay-key` and `x-connectly-relay-attempt`, and records the outcome through the
//! writer: delivered on 2xx; otherwise the next attempt by the [`Schedule`], or dead.
//!
//! An outcome is recorded only after the attempt ended, so a crash between the handler's 2xx
//! and the record sends the event again: duplicates are possible, loss is not. No order is
//! promised: attempts run concurrently and a failed event comes back later.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use connectly_net::Url;
use connectly_webhook::{DeliveryKey, SIGNATURE_HEADER};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinSet;

use crate::metrics::{Forwarded, Metrics};
use crate::schedule::Schedule;
use crate::store::{Outcome, Record, Store, Write};
use crate::writer::Job;
use crate::{now_ms, RELAY_ATTEMPT_HEADER, RELAY_KEY_HEADER};

/// The longest the forwarder sleeps before looking at the journal again, so events made
/// pending by another process (`relay replay`, `relay dead retry`) are picked up.
pub(crate) const POLL: Duration = Duration::from_millis(500);

/// How often delivered events older than the retention window are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60);

pub(crate) struct Forwarder {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) writer: mpsc::Sender<Job>,
    pub(crate) client: reqwest::Client,
    pub(crate) target: Url,
    pub(crate) schedule: Schedule,
    pub(crate) concurrency: usize,
    pub(crate) retention: Duration,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) wake: Arc<Notify>,
}

struct Attempt {
    client: reqwest::Client,
    target: Url,
    schedule: Schedule,
    writer: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
}

impl Forwarder {
    /// Runs until `stop` turns true, then lets the attempts in flight finish and record.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        let concurrency = self.concurrency.max(1);
        let attempt = Arc::new(Attempt {
            client: self.client.clone(),
            target: self.target.clone(),
            schedule: self.schedule.clone(),
            writer: self.writer.clone(),
            metrics: self.metrics.clone(),
        });
        // The events being attempted, by task: never two attempts of one event at once.
        let mut in_flight: HashMap<tokio::task::Id, DeliveryKey> = HashMap::new();
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut last_purge: Option<tokio::time::Instant> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            if last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                last_purge = Some(tokio::time::Instant::now());
                let cutoff =
                    now_ms() - i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX);
                let (reply, _) = oneshot::channel();
                let _ = self
                    .writer
                    .try_send(Job {
                        write: Write::PurgeDelivered { before: cutoff },
                        reply,
                    })
                    .map(|()| self.metrics.queue_changed(1));
            }
            let mut wait = POLL;
            let free = concurrency - tasks.len();
            if free > 0 {
                let now = now_ms();
                let store = self.store.clone();
                let want = free + in_flight.len();
                let looked = tokio::task::spawn_blocking(move || {
                    let due = store.due(now, want)?;
                    let next = if due.len() < want {
                        store.next_due(now)?
                    } else {
                        Some(now)
                    };
                    Ok::<_, crate::StoreError>((due, next))
                })
                .await;
                // When the journal cannot be read, look again later: the events stay stored.
                if let Ok(Ok((due, next))) = looked {
                    for record in due {
                        if tasks.len() >= concurrency {
                            break;
                        }
                        if !in_flight.values().any(|key| *key == record.key) {
                            let key = record.key;
                            let task = tasks.spawn(attempt.clone().run(record));
                            in_flight.insert(task.id(), key);
                        }
                    }
                    if let Some(next) = next {
                        let until = u64::try_from(next - now).unwrap_or(0);
                        wait = wait.min(Duration::from_millis(until));
                    }
                    if tasks.len() >= concurrency {
                        wait = POLL;
                    }
                }
            }
            tokio::select! {
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    // A panicked attempt recorded nothing: its event is still pending.
                    let id = match done {
                        Ok((id, ())) => id,
                        Err(error) => error.id(),
                    };
                    in_flight.remove(&id);
                }
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}

impl Attempt {
    async fn run(self: Arc<Self>, record: Record) {
        let key = record.key;
        let number = record.attempts.saturating_add(1);
        self.metrics.in_flight_changed(true);
        let result = self.send(&record, number).await;
        self.metrics.in_flight_changed(false);
        let at = now_ms();
        let outcome = match result {
            Ok(()) => {
                self.metrics.forwarded(Forwarded::Delivered);
                Outcome::Delivered
            }
            Err(error) => {
                let next_at = self.schedule.due_at(number, &key, at);
                self.metrics.forwarded(if next_at.is_some() {
                    Forwarded::Retry
                } else {
                    Forwarded::Dead
                });
                Outcome::Failed { error, next_at }
            }
        };
        let (reply, answer) = oneshot::channel();
        self.metrics.queue_changed(1);
        let job = Job {
            write: Write::Attempt { key, at, outcome },
            reply,
        };
        if self.writer.send(job).await.is_err() {
            self.metrics.queue_changed(-1);
        }
        // Recorded or not (a failed commit leaves the event pending: it is sent again).
        let _ = answer.await;
    }

    async fn send(&self, record: &Record, number: u32) -> Result<(), String> {
        let mut request = self
            .client
            .post(self.target.clone())
            .header(SIGNATURE_HEADER, &record.signature)
            .header(RELAY_KEY_HEADER, record.key.to_string())
            .header(RELAY_ATTEMPT_HEADER, number.to_string())
            .body(record.body.clone());
        if let Some(content_type) = &record.content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => {
                // Read (a little of) the answer so the connection can be reused.
                let _ = tokio::time::timeout(Duration::from_secs(1), response.bytes()).await;
                Ok(())
            }
            Ok(response) => Err(format!("the handler answered {}", response.status())),
            Err(error) => Err(describe(&error)),
        }
    }
}

/// A reqwest error as one sentence, without the URL (it may hold credentials).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
