//! The forwarder: sends stored events to the user's handler, at least once. It reads due events
//! from the journal in batches into a queue of at most `concurrency` (with at most `concurrency`
//! in flight, at most twice that many bodies in memory; the rest wait on disk), POSTs each with
//! its original bytes, content type and signature plus `x-connectly-relay-key` and
//! `x-connectly-relay-attempt`, and records the outcome through the writer: delivered on 2xx;
//! otherwise the next attempt by the [`Schedule`], or dead.
//!
//! An outcome is recorded only after the attempt ended, so a crash between the handler's 2xx
//! and the record sends the event again: duplicates are possible, loss is not. No order is
//! promised: attempts run concurrently and a failed event comes back later.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use connectly_net::Url;
use connectly_webhook::{DeliveryKey, SIGNATURE_HEADER};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::metrics::{Forwarded, Metrics};
use crate::schedule::Schedule;
use crate::store::{Outcome, Record, Store, Write, Written};
use crate::writer::{Job, Reply};
use crate::{now_ms, RELAY_ATTEMPT_HEADER, RELAY_KEY_HEADER};

/// The longest the forwarder sleeps before looking at the journal again, so events made
/// pending by another process (`relay replay`, `relay dead retry`) are picked up.
pub(crate) const POLL: Duration = Duration::from_millis(500);

/// How often delivered events older than the retention window are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// The most delivered events one purge forgets (25 ms of the writer's time on this machine): a
/// purge that comes back full is followed by another at once, each its own commit, so events
/// arriving meanwhile wait for one chunk, never for the whole backlog of expired events.
pub const PURGE_CHUNK: usize = 1_000;

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

/// How long after a look at the journal an arrival may trigger the next one: arrivals are
/// picked up in batches (at most this much later) rather than one look per event.
const LOOK_GAP: Duration = Duration::from_millis(2);

/// The events this forwarder holds: queued (read, not started), being sent, being recorded.
/// Each held event is in exactly one place, and a look at the journal skips them all: never two
/// attempts of one event at once.
#[derive(Default)]
struct Held {
    queue: VecDeque<Record>,
    sending: HashMap<tokio::task::Id, DeliveryKey>,
    recording: HashMap<tokio::task::Id, DeliveryKey>,
    keys: HashSet<DeliveryKey>,
}

impl Forwarder {
    /// Runs until `stop` turns true, then lets the attempts in flight finish and record.
    ///
    /// Due events are read from the journal in batches into a queue of at most `concurrency`,
    /// and the journal is read again when the queue is down to half: when the last batch was
    /// full (more is due), when an event arrived (at most every [`LOOK_GAP`]), when the next
    /// event falls due, and at least every [`POLL`] (so that a shared journal can renew this
    /// relay's claims in time). An attempt frees its slot once its outcome is handed to the writer;
    /// its event stays held until the outcome is committed.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        let concurrency = self.concurrency.max(1);
        let low = concurrency / 2;
        let attempt = Arc::new(Attempt {
            client: self.client.clone(),
            target: self.target.clone(),
            schedule: self.schedule.clone(),
            writer: self.writer.clone(),
            metrics: self.metrics.clone(),
        });
        let mut held = Held::default();
        let mut tasks: JoinSet<Option<oneshot::Receiver<Reply>>> = JoinSet::new();
        let mut records: JoinSet<()> = JoinSet::new();
        let mut last_purge: Option<Instant> = None;
        // The purge in the writer's queue, if any, and whether the last one came back full.
        let mut purging: Option<oneshot::Receiver<Reply>> = None;
        let mut purge_again = false;
        let mut last_look: Option<Instant> = None;
        // The last look filled its batch: more may be due at once.
        let mut more = true;
        let mut arrived = false;
        let mut next_due: Option<Instant> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            if purging.is_none()
                && (purge_again || last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY))
            {
                last_purge = Some(Instant::now());
                purge_again = false;
                purging = self.purge();
            }
            while tasks.len() < concurrency {
                let Some(record) = held.queue.pop_front() else {
                    break;
                };
                let key = record.key;
                let task = tasks.spawn(attempt.clone().run(record));
                held.sending.insert(task.id(), key);
            }
            let now = Instant::now();
            let since = last_look.map_or(POLL, |at| now - at);
            let hungry = held.queue.len() <= low
                && (more || next_due.is_some_and(|at| at <= now) || (arrived && since >= LOOK_GAP));
            if hungry || since >= POLL {
                self.look(&mut held, concurrency, &mut more, &mut next_due)
                    .await;
                last_look = Some(Instant::now());
                arrived = false;
                continue;
            }
            let mut wait = POLL - since;
            if held.queue.len() <= low {
                if let Some(at) = next_due {
                    wait = wait.min(at.saturating_duration_since(now));
                }
                if arrived {
                    wait = wait.min(LOOK_GAP.saturating_sub(since));
                }
            }
            tokio::select! {
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    let (id, answer) = match done {
                        Ok((id, answer)) => (id, answer),
                        // A panicked attempt recorded nothing: its event is still pending.
                        Err(error) => (error.id(), None),
                    };
                    let key = held.sending.remove(&id);
                    match (key, answer) {
                        (Some(key), Some(answer)) => {
                            let task = records.spawn(async move {
                                // Recorded or not (a failed commit leaves the event pending: it
                                // is sent again).
                                let _ = answer.await;
                            });
                            held.recording.insert(task.id(), key);
                        }
                        (Some(key), None) => {
                            held.keys.remove(&key);
                        }
                        (None, _) => {}
                    }
                }
                Some(done) = records.join_next_with_id(), if !records.is_empty() => {
                    let id = match done {
                        Ok((id, ())) => id,
                        Err(error) => error.id(),
                    };
                    if let Some(key) = held.recording.remove(&id) {
                        held.keys.remove(&key);
                    }
                }
                purged = async { purging.as_mut().expect("guarded").await },
                    if purging.is_some() =>
                {
                    purging = None;
                    purge_again = matches!(
                        purged,
                        Ok(Ok(Written::Applied(forgotten))) if forgotten >= PURGE_CHUNK
                    );
                }
                () = self.wake.notified() => arrived = true,
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        // The queued events stay pending in the journal; those being sent finish and record.
        while let Some(done) = tasks.join_next().await {
            if let Ok(Some(answer)) = done {
                let _ = answer.await;
            }
        }
        while records.join_next().await.is_some() {}
    }

    /// Reads up to the queue's free room of due events not held, into the queue. When the
    /// journal cannot be read the queue is emptied (its claims may lapse) and the events stay
    /// stored: they are read again later.
    async fn look(
        &self,
        held: &mut Held,
        concurrency: usize,
        more: &mut bool,
        next_due: &mut Option<Instant>,
    ) {
        let room = concurrency.saturating_sub(held.queue.len());
        let now = now_ms();
        let store = self.store.clone();
        let keys = std::mem::take(&mut held.keys);
        let looked = tokio::task::spawn_blocking(move || {
            let due = store.due(now, room, &keys);
            let next = match &due {
                Ok(due) if due.len() < room => store.next_due(now).map(Some),
                _ => Ok(None),
            };
            (keys, due, next)
        })
        .await;
        let Ok((keys, due, next)) = looked else {
            // The task panicked: the keys went with it. Rebuild them from what is held.
            held.queue.clear();
            (*more, *next_due) = (false, None);
            held.keys = held
                .sending
                .values()
                .chain(held.recording.values())
                .copied()
                .collect();
            return;
        };
        held.keys = keys;
        let Ok(due) = due else {
            for record in held.queue.drain(..) {
                held.keys.remove(&record.key);
            }
            (*more, *next_due) = (false, None);
            return;
        };
        if room == 0 {
            // Only a renewal of the claims of what is held: nothing learnt.
            return;
        }
        *more = due.len() >= room;
        for record in due {
            if held.queue.len() >= concurrency {
                break;
            }
            if held.keys.insert(record.key) {
                held.queue.push_back(record);
            }
        }
        // Unknown after a full batch (more is due now) or a failed read: look again at POLL.
        *next_due = match next {
            Ok(Some(Some(at))) => {
                let until = u64::try_from(at - now).unwrap_or(0);
                Some(Instant::now() + Duration::from_millis(until))
            }
            _ => None,
        };
    }

    /// Queues the purge of up to [`PURGE_CHUNK`] delivered events older than the retention
    /// window, and returns where its answer comes; `None` when the writer's queue is full (the
    /// purge comes again at the next [`PURGE_EVERY`]).
    fn purge(&self) -> Option<oneshot::Receiver<Reply>> {
        let cutoff = now_ms() - i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX);
        let (reply, answer) = oneshot::channel();
        let write = Write::PurgeDelivered {
            before: cutoff,
            limit: PURGE_CHUNK,
        };
        self.writer.try_send(Job { write, reply }).ok()?;
        self.metrics.queue_changed(1);
        Some(answer)
    }
}

impl Attempt {
    /// Sends `record` once and hands its outcome to the writer: the writer's answer, or `None`
    /// when the writer is gone (nothing recorded: the event is still pending).
    async fn run(self: Arc<Self>, record: Record) -> Option<oneshot::Receiver<Reply>> {
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
            return None;
        }
        Some(answer)
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
