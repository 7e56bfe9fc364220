//! [`SqliteStore`]: the journal in one SQLite file (rusqlite, SQLite bundled), in WAL mode with
//! `synchronous=FULL`, so a committed transaction is on disk when `COMMIT` returns. One
//! connection writes (the relay's writer thread), another reads. The schema is versioned with
//! `PRAGMA user_version`: [`MIGRATIONS`] runs the steps a file has not had yet.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use connectly_webhook::DeliveryKey;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::store::RECORD_COLUMNS as COLUMNS;
use crate::store::{
    BadColumn, Columns, Filter, Keys, NewEvent, Outcome, Record, Selector, Status, Store,
    StoreError, Write, Written,
};

/// The schema, one step per version: step `i` takes a file from `user_version` `i` to `i + 1`.
/// Append steps; never edit one that shipped.
pub const MIGRATIONS: &[&str] = &["CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        key BLOB NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        received_at INTEGER NOT NULL,
        next_at INTEGER,
        last_attempt_at INTEGER,
        last_error TEXT,
        delivered_at INTEGER,
        content_type TEXT,
        signature TEXT NOT NULL,
        body BLOB NOT NULL
    );
    CREATE INDEX events_due ON events (state, next_at);
    CREATE INDEX events_received ON events (received_at);"];

/// The purge of up to `?2` delivered events received before `?1`, the oldest first, read through
/// the index of `received_at`: left to itself SQLite picks the index of states and sorts every
/// delivered event for each chunk.
const PURGE: &str = "DELETE FROM events WHERE id IN (SELECT id FROM events \
                     INDEXED BY events_received WHERE state = 'delivered' AND received_at < ?1 \
                     ORDER BY received_at LIMIT ?2)";

/// How long a statement waits for another process's lock (`relay replay` while `relay serve`
/// runs) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite journal.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it if needed) the journal at `path` and brings its schema up to date.
    /// Fails when the file cannot be opened or written, or was made by a newer version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        let shown = path.display().to_string();
        let failed = |what: &str, e: rusqlite::Error| StoreError::new(format!("{what} {shown}"), e);
        let mut writer = Connection::open(&path).map_err(|e| failed("open", e))?;
        writer
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| failed("configure", e))?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| failed("switch to WAL", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(
                format!("switch to WAL {shown}"),
                format!("SQLite kept the journal mode {mode:?}"),
            ));
        }
        writer
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| failed("configure", e))?;
        migrate(&mut writer).map_err(|e| StoreError::new(format!("migrate {shown}"), e))?;
        let reader = Connection::open(&path).map_err(|e| failed("open", e))?;
        reader
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| failed("configure", e))?;
        Ok(Self {
            path,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read<T>(
        &self,
        operation: &str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        f(&lock(&self.reader)).map_err(|e| StoreError::new(operation, e))
    }

    fn change<T>(
        &self,
        operation: &str,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut connection = lock(&self.writer);
        let run = || {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run().map_err(|e: rusqlite::Error| StoreError::new(operation, e))
    }
}

fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding it left no transaction open (rusqlite rolls back on drop).
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn migrate(connection: &mut Connection) -> Result<(), String> {
    let latest = MIGRATIONS.len() as i64;
    let mut run = || -> rusqlite::Result<Option<i64>> {
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if !(0..=latest).contains(&version) {
            return Ok(Some(version));
        }
        for step in &MIGRATIONS[version as usize..] {
            tx.execute_batch(step)?;
        }
        tx.pragma_update(None, "user_version", latest)?;
        tx.commit()?;
        Ok(None)
    };
    match run() {
        Ok(None) => Ok(()),
        Ok(Some(version)) => Err(format!(
            "the file's schema version {version} is not one this program knows (0 to {latest}): \
             a newer connectly made it"
        )),
        Err(e) => Err(e.to_string()),
    }
}

impl Columns for Row<'_> {
    type Error = rusqlite::Error;
    fn bytes(&self, index: usize) -> rusqlite::Result<Vec<u8>> {
        self.get(index)
    }
    fn text(&self, index: usize) -> rusqlite::Result<String> {
        self.get(index)
    }
    fn text_or_null(&self, index: usize) -> rusqlite::Result<Option<String>> {
        self.get(index)
    }
    fn integer(&self, index: usize) -> rusqlite::Result<i64> {
        self.get(index)
    }
    fn integer_or_null(&self, index: usize) -> rusqlite::Result<Option<i64>> {
        self.get(index)
    }
    fn invalid(&self, bad: BadColumn) -> rusqlite::Error {
        let kind = self
            .get_ref(bad.index)
            .map_or(rusqlite::types::Type::Null, |value| value.data_type());
        rusqlite::Error::FromSqlConversionFailure(bad.index, kind, Box::new(bad))
    }
}

fn record(row: &Row<'_>) -> rusqlite::Result<Record> {
    crate::store::record(row)
}

fn insert(tx: &rusqlite::Transaction<'_>, event: &NewEvent) -> rusqlite::Result<Written> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO events (key, state, attempts, received_at, next_at, content_type, signature, body) \
             VALUES (?1, 'pending', 0, ?2, ?6, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![
            event.key.as_bytes().as_slice(),
            event.received_at,
            event.content_type,
            event.signature,
            event.body,
            event.next_at
        ])?;
    Ok(if changed == 1 {
        Written::Stored
    } else {
        Written::Duplicate
    })
}

fn attempt(
    tx: &rusqlite::Transaction<'_>,
    key: &DeliveryKey,
    at: i64,
    outcome: &Outcome,
) -> rusqlite::Result<usize> {
    let key = key.as_bytes().as_slice();
    match outcome {
        Outcome::Delivered => tx
            .prepare_cached(
                "UPDATE events SET state = 'delivered', attempts = attempts + 1, last_attempt_at = ?2, \
                 delivered_at = ?2, next_at = NULL, last_error = NULL WHERE key = ?1 AND state = 'pending'",
            )?
            .execute(params![key, at]),
        Outcome::Failed {
            error,
            next_at: Some(next_at),
        } => tx
            .prepare_cached(
                "UPDATE events SET attempts = attempts + 1, last_attempt_at = ?2, last_error = ?3, \
                 next_at = ?4 WHERE key = ?1 AND state = 'pending'",
            )?
            .execute(params![key, at, error, next_at]),
        Outcome::Failed {
            error,
            next_at: None,
        } => tx
            .prepare_cached(
                "UPDATE events SET state = 'dead', attempts = attempts + 1, last_attempt_at = ?2, \
                 last_error = ?3, next_at = NULL WHERE key = ?1 AND state = 'pending'",
            )?
            .execute(params![key, at, error]),
    }
}

impl Store for SqliteStore {
    fn write(&self, batch: &[Write]) -> Result<Vec<Written>, StoreError> {
        self.change(&format!("commit {} writes", batch.len()), |tx| {
            batch
                .iter()
                .map(|write| match write {
                    Write::Insert(event) => insert(tx, event),
                    Write::Attempt { key, at, outcome } => {
                        attempt(tx, key, *at, outcome).map(Written::Applied)
                    }
                    Write::PurgeDelivered { before, limit } => tx
                        .prepare_cached(PURGE)?
                        .execute(params![before, i64::try_from(*limit).unwrap_or(i64::MAX)])
                        .map(Written::Applied),
                })
                .collect()
        })
    }

    fn due(&self, now: i64, limit: usize, held: &Keys) -> Result<Vec<Record>, StoreError> {
        self.read("read due events", |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE state = 'pending' AND next_at <= ?1 \
                 ORDER BY next_at LIMIT ?2"
            ))?;
            let mut rows =
                statement.query(params![now, limit.saturating_add(held.len()) as i64])?;
            let mut due = Vec::new();
            while due.len() < limit {
                let Some(row) = rows.next()? else { break };
                // A held event's key only: its body is not read again.
                let key = row.get_ref(0)?.as_blob()?;
                let held = <[u8; 32]>::try_from(key)
                    .is_ok_and(|key| held.contains(&DeliveryKey::from_bytes(key)));
                if !held {
                    due.push(record(row)?);
                }
            }
            Ok(due)
        })
    }

    fn next_due(&self, after: i64) -> Result<Option<i64>, StoreError> {
        self.read("read the next due time", |c| {
            c.query_row(
                "SELECT MIN(next_at) FROM events WHERE state = 'pending' AND next_at > ?1",
                [after],
                |row| row.get(0),
            )
        })
    }

    fn get(&self, key: &DeliveryKey) -> Result<Option<Record>, StoreError> {
        self.read("read an event", |c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM events WHERE key = ?1"),
                [key.as_bytes().as_slice()],
                record,
            )
            .optional()
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Record>, StoreError> {
        self.read("list events", |c| {
            let mut sql = format!("SELECT {COLUMNS} FROM events WHERE 1 = 1");
            let mut values: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(state) = filter.state {
                sql.push_str(" AND state = ?");
                values.push(state.as_str().to_owned().into());
            }
            if let Some(since) = filter.since {
                sql.push_str(" AND received_at >= ?");
                values.push(since.into());
            }
            if let Some(until) = filter.until {
                sql.push_str(" AND received_at < ?");
                values.push(until.into());
            }
            sql.push_str(" ORDER BY received_at, id");
            if let Some(limit) = filter.limit {
                sql.push_str(" LIMIT ?");
                values.push((limit as i64).into());
            }
            let mut statement = c.prepare(&sql)?;
            let rows = statement.query_map(params_from_iter(values), record)?;
            rows.collect()
        })
    }

    fn status(&self) -> Result<Status, StoreError> {
        self.read("count events", |c| {
            let mut status = Status::default();
            let mut statement =
                c.prepare_cached("SELECT state, COUNT(*) FROM events GROUP BY state")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let state: String = row.get(0)?;
                let count: i64 = row.get(1)?;
                let count = u64::try_from(count).unwrap_or(0);
                match state.as_str() {
                    "pending" => status.pending = count,
                    "delivered" => status.delivered = count,
                    "dead" => status.dead = count,
                    _ => {}
                }
            }
            status.oldest_pending = c.query_row(
                "SELECT MIN(received_at) FROM events WHERE state = 'pending'",
                [],
                |row| row.get(0),
            )?;
            Ok(status)
        })
    }

    fn replay(&self, selector: &Selector, now: i64) -> Result<usize, StoreError> {
        const SET: &str = "UPDATE events SET state = 'pending', attempts = 0, next_at = ?1";
        self.change("mark events for replay", |tx| match selector {
            Selector::Key(key) => tx.execute(
                &format!("{SET} WHERE key = ?2"),
                params![now, key.as_bytes().as_slice()],
            ),
            Selector::Received { since, until } => tx.execute(
                &format!(
                    "{SET} WHERE received_at >= COALESCE(?2, received_at) \
                     AND received_at < COALESCE(?3, received_at + 1)"
                ),
                params![now, since, until],
            ),
            Selector::State(state) => tx.execute(
                &format!("{SET} WHERE state = ?2"),
                params![now, state.as_str()],
            ),
        })
    }

    fn purge_dead(&self) -> Result<usize, StoreError> {
        self.change("purge dead events", |tx| {
            tx.execute("DELETE FROM events WHERE state = 'dead'", [])
        })
    }
}

#[cfg(test)]
mod tests {
    /// The purge reads expired events in the order of their arrival, through its index: neither
    /// the whole table nor every delivered event, and no sort.
    #[test]
    fn the_purge_reads_expired_events_through_the_index_of_their_arrival() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::SqliteStore::open(dir.path().join("relay.db")).unwrap();
        let plan: Vec<String> = super::lock(&store.reader)
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::PURGE))
            .unwrap()
            .query_map([0, 0], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(
            plan.contains("USING INDEX events_received") && !plan.contains("TEMP B-TREE"),
            "{plan}"
        );
    }
}
