//! The [`Store`] operations other than claiming: the batch writes (pipelined in one transaction),
//! reads, counts, replay and purge, and the mapping of a row to a [`Record`].

use std::collections::HashSet;

use connectly_webhook::DeliveryKey;
use futures_util::future::{try_join, try_join_all};
use tokio_postgres::types::Type;
use tokio_postgres::{Row, Statement};

use super::{Failure, PgStore, COLUMNS};
use crate::store::{
    record, BadColumn, Columns, Filter, Keys, NewEvent, Outcome, Record, Selector, Status, Store,
    StoreError, Write, Written,
};

impl Columns for Row {
    type Error = Failure;
    fn bytes(&self, index: usize) -> Result<Vec<u8>, Failure> {
        Ok(self.try_get(index)?)
    }
    fn text(&self, index: usize) -> Result<String, Failure> {
        Ok(self.try_get(index)?)
    }
    fn text_or_null(&self, index: usize) -> Result<Option<String>, Failure> {
        Ok(self.try_get(index)?)
    }
    fn integer(&self, index: usize) -> Result<i64, Failure> {
        if is_int4(self, index) {
            Ok(self.try_get::<_, i32>(index)?.into())
        } else {
            Ok(self.try_get(index)?)
        }
    }
    fn integer_or_null(&self, index: usize) -> Result<Option<i64>, Failure> {
        if is_int4(self, index) {
            Ok(self.try_get::<_, Option<i32>>(index)?.map(i64::from))
        } else {
            Ok(self.try_get(index)?)
        }
    }
    fn invalid(&self, bad: BadColumn) -> Failure {
        bad.into()
    }
}

/// Whether a column is an `INTEGER` (`attempts`; the times are `BIGINT`s).
fn is_int4(row: &Row, index: usize) -> bool {
    row.columns().get(index).map(|c| c.type_()) == Some(&Type::INT4)
}

pub(super) fn records(rows: &[Row]) -> Result<Vec<Record>, Failure> {
    rows.iter().map(record).collect()
}

/// The write statements, prepared once per connection (deadpool caches them).
struct Prepared {
    insert: Statement,
    delivered: Statement,
    retry: Statement,
    dead: Statement,
}

/// Where an outcome's `UPDATE` finds its event: pending, by key, through the key's index only.
/// `state = 'pending'` is written as a filter no index can serve: written plainly, a plan made
/// while the table was small (a prepared statement's generic plan) may find the key by reading
/// every pending event through the index of due events, milliseconds per outcome once thousands
/// are pending (the stall once seen in the Postgres bench).
const PENDING_BY_KEY: &str = "key = $1 AND (state = 'pending') IS TRUE";

/// The statements that record an attempt's outcome: delivered, failed (again at `$4`), dead.
pub(super) fn outcome_statements() -> [String; 3] {
    // Every outcome ends the claim: the event is free for whoever is due to send it.
    const DONE: &str = "attempts = attempts + 1, last_attempt_at = $2, claimed_by = NULL, \
                        lease_until = NULL";
    [
        format!(
            "UPDATE connectly_relay_events SET state = 'delivered', {DONE}, \
             delivered_at = $2, next_at = NULL, last_error = NULL WHERE {PENDING_BY_KEY}"
        ),
        format!(
            "UPDATE connectly_relay_events SET {DONE}, last_error = $3, next_at = $4 \
             WHERE {PENDING_BY_KEY}"
        ),
        format!(
            "UPDATE connectly_relay_events SET state = 'dead', {DONE}, last_error = $3, \
             next_at = NULL WHERE {PENDING_BY_KEY}"
        ),
    ]
}

/// The purge of up to `$2` delivered events received before `$1`, the oldest first, skipping rows
/// another relay's purge holds; the chosen rows are then found by their ids (an array, so that
/// the plan looks each up rather than scanning the table to join them). It is not kept prepared:
/// it runs once a minute (a chunk at a time while more expired), and a fresh plan sees the
/// table's size, where a generic plan made while the table was small may read all of it.
pub(super) const PURGE: &str = "DELETE FROM connectly_relay_events WHERE id = ANY(ARRAY(\
     SELECT id FROM connectly_relay_events WHERE state = 'delivered' AND received_at < $1 \
     ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED))";

impl Prepared {
    async fn on(tx: &deadpool_postgres::Transaction<'_>) -> Result<Self, tokio_postgres::Error> {
        let [delivered, retry, dead] = outcome_statements();
        Ok(Self {
            insert: tx
                .prepare_cached(
                    "INSERT INTO connectly_relay_events \
                     (key, state, attempts, received_at, next_at, content_type, signature, body) \
                     SELECT k, 'pending', 0, r, n, c, s, b FROM unnest($1::bytea[], \
                     $2::bigint[], $3::text[], $4::text[], $5::bytea[], $6::bigint[]) \
                     AS t(k, r, c, s, b, n) \
                     ON CONFLICT (key) DO NOTHING RETURNING key",
                )
                .await?,
            delivered: tx.prepare_cached(&delivered).await?,
            retry: tx.prepare_cached(&retry).await?,
            dead: tx.prepare_cached(&dead).await?,
        })
    }
}

/// The batch's inserts in one statement (their columns as arrays), each key once: the keys it
/// stored.
async fn insert_all(
    tx: &deadpool_postgres::Transaction<'_>,
    st: &Prepared,
    batch: &[Write],
) -> Result<HashSet<Vec<u8>>, tokio_postgres::Error> {
    let mut seen = HashSet::new();
    let events: Vec<&NewEvent> = batch
        .iter()
        .filter_map(|write| match write {
            Write::Insert(event) if seen.insert(event.key) => Some(event),
            _ => None,
        })
        .collect();
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let keys: Vec<&[u8]> = events.iter().map(|e| e.key.as_bytes().as_slice()).collect();
    let received: Vec<i64> = events.iter().map(|e| e.received_at).collect();
    let next: Vec<i64> = events.iter().map(|e| e.next_at).collect();
    let types: Vec<Option<&str>> = events.iter().map(|e| e.content_type.as_deref()).collect();
    let signatures: Vec<&str> = events.iter().map(|e| e.signature.as_str()).collect();
    let bodies: Vec<&[u8]> = events.iter().map(|e| e.body.as_slice()).collect();
    let rows = tx
        .query(
            &st.insert,
            &[&keys, &received, &types, &signatures, &bodies, &next],
        )
        .await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// One write other than an insert. Its request is sent when the future is first polled, so
/// writes polled in order are applied in order.
async fn apply(
    tx: &deadpool_postgres::Transaction<'_>,
    st: &Prepared,
    write: &Write,
) -> Result<Written, tokio_postgres::Error> {
    match write {
        // Inserts are done by `insert_all`.
        Write::Insert(_) => Ok(Written::Duplicate),
        Write::Attempt { key, at, outcome } => {
            let key = key.as_bytes().as_slice();
            let changed = match outcome {
                Outcome::Delivered => tx.execute(&st.delivered, &[&key, at]).await?,
                Outcome::Failed {
                    error,
                    next_at: Some(next_at),
                } => tx.execute(&st.retry, &[&key, at, error, next_at]).await?,
                Outcome::Failed {
                    error,
                    next_at: None,
                } => tx.execute(&st.dead, &[&key, at, error]).await?,
            };
            Ok(Written::Applied(changed as usize))
        }
        Write::PurgeDelivered { before, limit } => {
            let limit = i64::try_from(*limit).unwrap_or(i64::MAX);
            let changed = tx.execute(PURGE, &[before, &limit]).await?;
            Ok(Written::Applied(changed as usize))
        }
    }
}

impl Store for PgStore {
    fn write(&self, batch: &[Write]) -> Result<Vec<Written>, StoreError> {
        let batch = batch.to_vec();
        self.with_client(
            &format!("commit {} writes", batch.len()),
            move |mut client| async move {
                let tx = client.transaction().await?;
                let st = Prepared::on(&tx).await?;
                // Pipelined: the inserts (one statement), then the other writes in order, sent
                // without waiting for each answer. Inserting first changes nothing: an attempt
                // or a purge touches only events stored before this batch (pending or delivered
                // ones), an insert only keys not stored.
                let others = batch
                    .iter()
                    .filter(|write| !matches!(write, Write::Insert(_)))
                    .map(|write| apply(&tx, &st, write));
                let (mut stored, others) =
                    try_join(insert_all(&tx, &st, &batch), try_join_all(others)).await?;
                tx.commit().await?;
                let mut others = others.into_iter();
                let written = batch
                    .iter()
                    .map(|write| match write {
                        Write::Insert(event) if stored.remove(event.key.as_bytes().as_slice()) => {
                            Written::Stored
                        }
                        Write::Insert(_) => Written::Duplicate,
                        _ => others.next().unwrap_or(Written::Applied(0)),
                    })
                    .collect();
                Ok(written)
            },
        )
    }

    fn due(&self, now: i64, limit: usize, held: &Keys) -> Result<Vec<Record>, StoreError> {
        self.claim_due(now, limit, held)
    }

    fn next_due(&self, after: i64) -> Result<Option<i64>, StoreError> {
        self.with_client("read the next due time", move |client| async move {
            let row = client
                .query_one(
                    "SELECT MIN(next_at) FROM connectly_relay_events \
                     WHERE state = 'pending' AND next_at > $1",
                    &[&after],
                )
                .await?;
            Ok(row.try_get(0)?)
        })
    }

    fn get(&self, key: &DeliveryKey) -> Result<Option<Record>, StoreError> {
        let key = key.as_bytes().to_vec();
        self.with_client("read an event", move |client| async move {
            let row = client
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM connectly_relay_events WHERE key = $1"),
                    &[&key],
                )
                .await?;
            row.as_ref().map(record).transpose()
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Record>, StoreError> {
        let state = filter.state.map(|s| s.as_str().to_owned());
        let (since, until) = (filter.since, filter.until);
        let limit = filter.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        self.with_client("list events", move |client| async move {
            let rows = client
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM connectly_relay_events \
                         WHERE ($1::text IS NULL OR state = $1) \
                         AND ($2::bigint IS NULL OR received_at >= $2) \
                         AND ($3::bigint IS NULL OR received_at < $3) \
                         ORDER BY received_at, id LIMIT $4"
                    ),
                    &[&state, &since, &until, &limit],
                )
                .await?;
            records(&rows)
        })
    }

    fn status(&self) -> Result<Status, StoreError> {
        self.with_client("count events", move |client| async move {
            let row = client
                .query_one(
                    "SELECT COUNT(*) FILTER (WHERE state = 'pending'), \
                     COUNT(*) FILTER (WHERE state = 'delivered'), \
                     COUNT(*) FILTER (WHERE state = 'dead'), \
                     MIN(received_at) FILTER (WHERE state = 'pending') \
                     FROM connectly_relay_events",
                    &[],
                )
                .await?;
            let count = |i: usize| -> Result<u64, tokio_postgres::Error> {
                Ok(u64::try_from(row.try_get::<_, i64>(i)?).unwrap_or(0))
            };
            Ok(Status {
                pending: count(0)?,
                delivered: count(1)?,
                dead: count(2)?,
                oldest_pending: row.try_get(3)?,
            })
        })
    }

    fn replay(&self, selector: &Selector, now: i64) -> Result<usize, StoreError> {
        const SET: &str =
            "UPDATE connectly_relay_events SET state = 'pending', attempts = 0, next_at = $1";
        let selector = selector.clone();
        self.with_client("mark events for replay", move |client| async move {
            let changed = match selector {
                Selector::Key(key) => {
                    client
                        .execute(
                            &format!("{SET} WHERE key = $2"),
                            &[&now, &key.as_bytes().as_slice()],
                        )
                        .await?
                }
                Selector::Received { since, until } => {
                    client
                        .execute(
                            &format!(
                                "{SET} WHERE received_at >= COALESCE($2, received_at) \
                                 AND received_at < COALESCE($3, received_at + 1)"
                            ),
                            &[&now, &since, &until],
                        )
                        .await?
                }
                Selector::State(state) => {
                    client
                        .execute(&format!("{SET} WHERE state = $2"), &[&now, &state.as_str()])
                        .await?
                }
            };
            Ok(changed as usize)
        })
    }

    fn purge_dead(&self) -> Result<usize, StoreError> {
        self.with_client("purge dead events", move |client| async move {
            let changed = client
                .execute(
                    "DELETE FROM connectly_relay_events WHERE state = 'dead'",
                    &[],
                )
                .await?;
            Ok(changed as usize)
        })
    }
}
