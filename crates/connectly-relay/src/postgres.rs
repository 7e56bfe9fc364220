//! [`PgStore`]: the journal in Postgres, so several relays share dedup, the pending queue, the
//! dead letters and replay.
//!
//! - **Durable.** Every connection starts with `synchronous_commit=on` (a startup option, so no
//!   server default or URL turns it off): `COMMIT` returns once the WAL is flushed on the
//!   server, and only then is a 200 answered. One
//!   transaction per group of writes (the writer's batch), its statements pipelined.
//! - **Dedup across instances.** The delivery key is `UNIQUE`; an insert is `ON CONFLICT (key) DO
//!   NOTHING`, so the same event sent to two relays is stored once.
//! - **Claims with a lease.** [`Store::due`] renews this relay's own claims first, then claims
//!   new due events in one statement (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
//!   RETURNING ...`): `claimed_by` this instance, `lease_until` the database's clock plus the
//!   lease. No transaction stays open across the
//!   HTTP call. Recording an attempt clears the claim; a relay that dies mid-forward leaves its
//!   claims to expire, and another relay takes the events then.
//! - **Migrations** ([`PG_MIGRATIONS`], the table `connectly_relay_migrations`) run at open when
//!   asked ([`PgOptions::migrate`]: `relay serve` does; the other verbs only check), under a
//!   transaction-scoped advisory lock so two relays starting together do not race; a database
//!   migrated by a newer version is refused.
//! - **Postgres down:** operations fail ([`StoreError`], so ingest answers 503 + `Retry-After`);
//!   the pool drops broken connections and opens new ones when Postgres is back.
//!
//! The [`Store`] trait is synchronous: the store owns a small Tokio runtime that drives the
//! driver (tokio-postgres, pooled by deadpool-postgres); a call hands its work to that runtime and
//! waits, so it may come from any thread, inside another runtime or not.

use std::collections::HashSet;
use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use connectly_webhook::DeliveryKey;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::future::{try_join, try_join_all};
use tokio_postgres::config::Host;
use tokio_postgres::{NoTls, Row, Statement};

use crate::store::{
    Filter, NewEvent, Outcome, Record, Selector, Status, Store, StoreError, Write, Written,
};

/// The schema, one step per version: step `i` takes a database from version `i` to `i + 1`
/// (the highest `version` in `connectly_relay_migrations`). Append steps; never edit one that
/// shipped.
pub const PG_MIGRATIONS: &[&str] = &["CREATE TABLE connectly_relay_events (
        id BIGSERIAL PRIMARY KEY,
        key BYTEA NOT NULL UNIQUE CHECK (octet_length(key) = 32),
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        received_at BIGINT NOT NULL,
        next_at BIGINT,
        last_attempt_at BIGINT,
        last_error TEXT,
        delivered_at BIGINT,
        content_type TEXT,
        signature TEXT NOT NULL,
        body BYTEA NOT NULL,
        claimed_by TEXT,
        lease_until BIGINT
    );
    CREATE INDEX connectly_relay_events_due ON connectly_relay_events (state, next_at);
    CREATE INDEX connectly_relay_events_received ON connectly_relay_events (received_at);
    CREATE INDEX connectly_relay_events_claimed ON connectly_relay_events (claimed_by)
        WHERE claimed_by IS NOT NULL;"];

/// The advisory lock key migrations hold (any constant; "cnrelay" in ASCII).
const MIGRATION_LOCK: i64 = 0x0063_6e72_656c_6179;

/// The longest one operation may take (a connection, a commit, a read) before it fails.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per store at most (the writer, the forwarder, `/metrics`, and some slack).
const POOL_SIZE: usize = 8;

/// Now by the database's clock, in Unix milliseconds: leases use it, so the relays' clocks
/// need not agree for a lease to hold.
const DB_NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

const COLUMNS: &str = "key, state, attempts, received_at, next_at, last_attempt_at, last_error, \
                       delivered_at, content_type, signature, body";

/// How to open a [`PgStore`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// How long [`Store::due`]'s claim holds: longer than a forward attempt and its record take
    /// (the relay's default is twice the forward timeout).
    pub lease: Duration,
    /// Create or bring the schema up to date (`relay serve`); otherwise only check that it is
    /// there and current (the read and act verbs).
    pub migrate: bool,
    /// The name this relay claims events with (default: the host's name, the process id and a
    /// random suffix).
    pub instance: Option<String>,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            lease: 2 * crate::DEFAULT_FORWARD_TIMEOUT,
            migrate: true,
            instance: None,
        }
    }
}

/// Whether `store` names a Postgres database (`postgres://` or `postgresql://`) rather than a
/// file.
pub fn is_postgres_url(store: &str) -> bool {
    let lower = store.get(..13).unwrap_or(store).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// A Postgres URL as it may be shown: without its password (in the authority or as a
/// `password=` parameter).
pub fn shown_postgres_url(given: &str) -> String {
    let Ok(url) = connectly_net::Url::parse(given) else {
        // Not a URL the parser takes: everything after the scheme could be a secret.
        return given.split_once("://").map_or_else(
            || "[unparsable URL]".to_owned(),
            |(scheme, _)| format!("{scheme}://[redacted]"),
        );
    };
    let text = connectly_net::shown(&url);
    let Some((base, query)) = text.split_once('?') else {
        return text;
    };
    let query: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.split('=').next() == Some("password") {
                "password=[redacted]"
            } else {
                pair
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// The Postgres journal, shared by every relay given the same database.
pub struct PgStore {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
    shown: String,
    instance: String,
    lease_ms: i64,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.shown)
            .field("instance", &self.instance)
            .field("lease_ms", &self.lease_ms)
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which a runtime's own thread may not do: let it go.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A driver error as one sentence: a server error's severity, code and message only (its detail
/// may quote a row, body included).
fn reason(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        // With its causes (e.g. `error connecting to server: Connection refused`), each once.
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !text.contains(&cause_text) {
                    text.push_str(": ");
                    text.push_str(&cause_text);
                }
                source = cause.source();
            }
            text
        }
    }
}

fn pool_reason(error: &deadpool_postgres::PoolError) -> String {
    match error {
        deadpool_postgres::PoolError::Backend(e) => reason(e),
        deadpool_postgres::PoolError::Timeout(_) => "no connection to Postgres in time".to_owned(),
        other => other.to_string(),
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db?...`), then
    /// migrates it or checks its schema ([`PgOptions::migrate`]). The connection is not
    /// encrypted (no TLS yet): a host other than loopback or a Unix socket is refused unless the
    /// URL says `sslmode=disable`.
    pub fn open(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let shown = shown_postgres_url(url);
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::new(format!("read {shown}"), e))?;
        check_transport(&config, &shown)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // Durable commits on every connection, whatever the server's default: a later `-c` wins.
        let startup = match config.get_options() {
            Some(given) => format!("{given} -c synchronous_commit=on"),
            None => "-c synchronous_commit=on".to_owned(),
        };
        config.options(&startup);
        if config.get_application_name().is_none() {
            config.application_name("connectly-relay");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("connectly-relay-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::new("start the Postgres client", e))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = {
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(POOL_SIZE)
                .runtime(Runtime::Tokio1)
                .wait_timeout(Some(OPERATION_TIMEOUT))
                .create_timeout(Some(CONNECT_TIMEOUT))
                .recycle_timeout(Some(CONNECT_TIMEOUT))
                .build()
                .map_err(|e| StoreError::new("start the Postgres pool", e))?
        };
        let instance = options.instance.unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let host = std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "relay".to_owned());
            format!("{host}:{}:{nanos:08x}", std::process::id())
        });
        let store = Self {
            pool,
            runtime: Some(runtime),
            shown,
            instance,
            lease_ms: i64::try_from(options.lease.as_millis()).unwrap_or(i64::MAX / 4),
        };
        let pool = store.pool.clone();
        let migrate = options.migrate;
        let operation = if migrate { "migrate" } else { "open" };
        store.run(&format!("{operation} {}", store.shown), async move {
            let mut client = pool.get().await.map_err(|e| pool_reason(&e))?;
            schema(&mut client, migrate).await
        })?;
        Ok(store)
    }

    /// The database, as it may be shown (no password).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The name this relay claims events with.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Runs `work` on the store's runtime and waits for it (at most [`OPERATION_TIMEOUT`]).
    fn run<T: Send + 'static>(
        &self,
        operation: &str,
        work: impl Future<Output = Result<T, String>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let Some(runtime) = &self.runtime else {
            return Err(StoreError::new(operation, "the Postgres client stopped"));
        };
        let (tx, rx) = mpsc::sync_channel(1);
        runtime.spawn(async move {
            let result = match tokio::time::timeout(OPERATION_TIMEOUT, work).await {
                Ok(result) => result,
                Err(_) => Err(format!(
                    "no answer from Postgres within {} s",
                    OPERATION_TIMEOUT.as_secs()
                )),
            };
            let _ = tx.send(result);
        });
        match rx.recv() {
            Ok(result) => result.map_err(|reason| StoreError::new(operation, reason)),
            Err(_) => Err(StoreError::new(operation, "the Postgres client stopped")),
        }
    }

    /// Runs `f` with a pooled connection.
    fn with_client<T, F, Fut>(&self, operation: &str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send,
    {
        let pool = self.pool.clone();
        self.run(operation, async move {
            let client = pool.get().await.map_err(|e| pool_reason(&e))?;
            f(client).await.map_err(|e| reason(&e))
        })
    }
}

/// Refuses a host that is neither loopback nor a Unix socket unless `sslmode=disable` says the
/// user accepts an unencrypted connection (this build has no TLS for Postgres).
fn check_transport(config: &tokio_postgres::Config, shown: &str) -> Result<(), StoreError> {
    let remote = config.get_hosts().iter().any(|host| match host {
        Host::Tcp(name) => {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            !(name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()))
        }
        #[cfg(unix)]
        Host::Unix(_) => false,
    });
    if remote && config.get_ssl_mode() != tokio_postgres::config::SslMode::Disable {
        return Err(StoreError::new(
            format!("connect to {shown}"),
            "this build talks to Postgres without TLS, so it connects to loopback or a Unix \
             socket only; add sslmode=disable to the URL to accept an unencrypted connection \
             (a private network), or reach the server through a local tunnel",
        ));
    }
    Ok(())
}

/// Brings the schema to the latest version (`migrate`) or checks that it is there.
async fn schema(client: &mut deadpool_postgres::Object, migrate: bool) -> Result<(), String> {
    let latest = PG_MIGRATIONS.len() as i32;
    let e = |e: tokio_postgres::Error| reason(&e);
    let tx = client.transaction().await.map_err(e)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(e)?;
    let exists: bool = tx
        .query_one(
            "SELECT to_regclass('connectly_relay_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(e)?
        .get(0);
    let version: i32 = if exists {
        tx.query_one(
            "SELECT COALESCE(MAX(version), 0) FROM connectly_relay_migrations",
            &[],
        )
        .await
        .map_err(e)?
        .get(0)
    } else {
        0
    };
    if !(0..=latest).contains(&version) {
        return Err(format!(
            "the database's schema version {version} is not one this program knows (0 to \
             {latest}): a newer connectly migrated it"
        ));
    }
    if version == latest {
        return Ok(());
    }
    if !migrate {
        return Err(format!(
            "the database has no relay journal at schema version {latest} (it is at {version}): \
             `connectly relay serve --store URL` creates or migrates it"
        ));
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS connectly_relay_migrations (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .map_err(e)?;
    for (step, sql) in PG_MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql).await.map_err(e)?;
        tx.execute(
            "INSERT INTO connectly_relay_migrations (version) VALUES ($1)",
            &[&(step as i32 + 1)],
        )
        .await
        .map_err(e)?;
    }
    tx.commit().await.map_err(e)
}

fn record(row: &Row) -> Result<Record, tokio_postgres::Error> {
    let key: Vec<u8> = row.try_get(0)?;
    // The schema's CHECKs hold keys to 32 bytes and states to the three names.
    let key: [u8; 32] = key.try_into().unwrap_or([0; 32]);
    let state: String = row.try_get(1)?;
    let attempts: i32 = row.try_get(2)?;
    Ok(Record {
        key: DeliveryKey::from_bytes(key),
        state: state.parse().unwrap_or(crate::State::Pending),
        attempts: u32::try_from(attempts).unwrap_or(0),
        received_at: row.try_get(3)?,
        next_at: row.try_get(4)?,
        last_attempt_at: row.try_get(5)?,
        last_error: row.try_get(6)?,
        delivered_at: row.try_get(7)?,
        content_type: row.try_get(8)?,
        signature: row.try_get(9)?,
        body: row.try_get(10)?,
    })
}

fn records(rows: &[Row]) -> Result<Vec<Record>, tokio_postgres::Error> {
    rows.iter().map(record).collect()
}

/// The write statements, prepared once per connection (deadpool caches them).
struct Prepared {
    insert: Statement,
    delivered: Statement,
    retry: Statement,
    dead: Statement,
    purge: Statement,
}

impl Prepared {
    async fn on(tx: &deadpool_postgres::Transaction<'_>) -> Result<Self, tokio_postgres::Error> {
        // Every outcome ends the claim: the event is free for whoever is due to send it.
        const DONE: &str = "attempts = attempts + 1, last_attempt_at = $2, claimed_by = NULL, \
                            lease_until = NULL";
        Ok(Self {
            insert: tx
                .prepare_cached(
                    "INSERT INTO connectly_relay_events \
                     (key, state, attempts, received_at, next_at, content_type, signature, body) \
                     SELECT k, 'pending', 0, r, n, c, s, b FROM unnest($1::bytea[], \
                     $2::bigint[], $3::text[], $4::text[], $5::bytea[], $6::bigint[]) AS t(k, r, c, s, b, n) \
                     ON CONFLICT (key) DO NOTHING RETURNING key",
                )
                .await?,
            delivered: tx
                .prepare_cached(&format!(
                    "UPDATE connectly_relay_events SET state = 'delivered', {DONE}, \
                     delivered_at = $2, next_at = NULL, last_error = NULL \
                     WHERE key = $1 AND state = 'pending'"
                ))
                .await?,
            retry: tx
                .prepare_cached(&format!(
                    "UPDATE connectly_relay_events SET {DONE}, last_error = $3, next_at = $4 \
                     WHERE key = $1 AND state = 'pending'"
                ))
                .await?,
            dead: tx
                .prepare_cached(&format!(
                    "UPDATE connectly_relay_events SET state = 'dead', {DONE}, last_error = $3, \
                     next_at = NULL WHERE key = $1 AND state = 'pending'"
                ))
                .await?,
            purge: tx
                .prepare_cached(
                    "DELETE FROM connectly_relay_events \
                     WHERE state = 'delivered' AND received_at < $1",
                )
                .await?,
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
        Write::PurgeDelivered { before } => {
            let changed = tx.execute(&st.purge, &[before]).await?;
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

    fn due(&self, now: i64, limit: usize) -> Result<Vec<Record>, StoreError> {
        let (me, lease) = (self.instance.clone(), self.lease_ms);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_client("claim due events", move |client| async move {
            // This relay's own claims first (renewed): the caller counts its events in flight
            // in `limit`, so the rest of `limit` is what it can start now. Both statements skip
            // locked rows (an attempt being recorded) rather than wait: no statement here waits
            // for a lock, so none can deadlock with the writer's batch.
            let own = client
                .query(
                    &format!(
                        "UPDATE connectly_relay_events SET lease_until = {DB_NOW} + $4 \
                         WHERE id IN (SELECT id FROM connectly_relay_events \
                           WHERE claimed_by = $1 AND state = 'pending' AND next_at <= $2 \
                           ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
                         RETURNING {COLUMNS}"
                    ),
                    &[&me, &now, &limit, &lease],
                )
                .await?;
            let mut due = records(&own)?;
            let free = limit - due.len() as i64;
            if free > 0 {
                let new = client
                    .query(
                        &format!(
                            "UPDATE connectly_relay_events SET claimed_by = $1, \
                             lease_until = {DB_NOW} + $4 \
                             WHERE id IN (SELECT id FROM connectly_relay_events \
                               WHERE state = 'pending' AND next_at <= $2 \
                               AND (lease_until IS NULL OR lease_until < {DB_NOW}) \
                               ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
                             RETURNING {COLUMNS}"
                        ),
                        &[&me, &now, &free, &lease],
                    )
                    .await?;
                due.extend(records(&new)?);
            }
            due.sort_by_key(|r| r.next_at);
            Ok(due)
        })
    }

    fn next_due(&self, after: i64) -> Result<Option<i64>, StoreError> {
        self.with_client("read the next due time", move |client| async move {
            client
                .query_one(
                    "SELECT MIN(next_at) FROM connectly_relay_events \
                     WHERE state = 'pending' AND next_at > $1",
                    &[&after],
                )
                .await?
                .try_get(0)
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
        self.with_client("mark events for replay", move |mut client| async move {
            let tx = client.transaction().await?;
            let changed = match selector {
                Selector::Key(key) => {
                    tx.execute(
                        &format!("{SET} WHERE key = $2"),
                        &[&now, &key.as_bytes().as_slice()],
                    )
                    .await?
                }
                Selector::Received { since, until } => {
                    tx.execute(
                        &format!(
                            "{SET} WHERE received_at >= COALESCE($2, received_at) \
                             AND received_at < COALESCE($3, received_at + 1)"
                        ),
                        &[&now, &since, &until],
                    )
                    .await?
                }
                Selector::State(state) => {
                    tx.execute(&format!("{SET} WHERE state = $2"), &[&now, &state.as_str()])
                        .await?
                }
            };
            tx.commit().await?;
            Ok(changed as usize)
        })
    }

    fn purge_dead(&self) -> Result<usize, StoreError> {
        self.with_client("purge dead events", move |mut client| async move {
            let tx = client.transaction().await?;
            let changed = tx
                .execute(
                    "DELETE FROM connectly_relay_events WHERE state = 'dead'",
                    &[],
                )
                .await?;
            tx.commit().await?;
            Ok(changed as usize)
        })
    }
}
