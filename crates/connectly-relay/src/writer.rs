//! The one writer: a thread that owns every write to the [`Store`] and commits in groups. It
//! waits for a write, takes every other write already queued (up to the batch cap), commits
//! them in one transaction (one fsync), and only then answers each. Writes queue while a commit
//! syncs, so under load each commit carries many events and ingest is not bounded by one fsync
//! per event; when idle a write is committed at once, without waiting for company.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::store::{Store, StoreError, Write, Written};

/// What a queued write is answered with.
pub(crate) type Reply = Result<Written, Arc<StoreError>>;

/// A queued write and who waits for it.
pub(crate) struct Job {
    pub(crate) write: Write,
    pub(crate) reply: oneshot::Sender<Reply>,
}

/// Starts the writer thread; it ends once every sender is dropped and the queue is empty.
pub(crate) fn spawn(
    store: Arc<dyn Store>,
    capacity: usize,
    max_batch: usize,
    metrics: Arc<Metrics>,
) -> std::io::Result<(mpsc::Sender<Job>, std::thread::JoinHandle<()>)> {
    let (tx, mut rx) = mpsc::channel::<Job>(capacity.max(1));
    let max_batch = max_batch.max(1);
    let thread = std::thread::Builder::new()
        .name("connectly-relay-writer".to_owned())
        .spawn(move || {
            let mut writes = Vec::with_capacity(max_batch);
            let mut replies = Vec::with_capacity(max_batch);
            while let Some(first) = rx.blocking_recv() {
                writes.push(first.write);
                replies.push(first.reply);
                while writes.len() < max_batch {
                    match rx.try_recv() {
                        Ok(job) => {
                            writes.push(job.write);
                            replies.push(job.reply);
                        }
                        Err(_) => break,
                    }
                }
                metrics.queue_changed(-(writes.len() as i64));
                let started = Instant::now();
                let result = store.write(&writes);
                metrics.committed(writes.len(), started.elapsed());
                match result {
                    Ok(written) if written.len() == replies.len() => {
                        for (reply, written) in replies.drain(..).zip(written) {
                            let _ = reply.send(Ok(written));
                        }
                    }
                    Ok(written) => {
                        let error = Arc::new(StoreError::new(
                            "commit",
                            format!(
                                "the store answered {} results for {} writes",
                                written.len(),
                                replies.len()
                            ),
                        ));
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(error.clone()));
                        }
                    }
                    Err(error) => {
                        let error = Arc::new(error);
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(error.clone()));
                        }
                    }
                }
                writes.clear();
            }
        })?;
    Ok((tx, thread))
}
