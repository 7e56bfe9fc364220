//! [`PgStore`]: the journal in Postgres, so several relays share dedup, the pending queue, the
//! dead letters and replay.
//!
//! - **Durable.** Every connection starts with `synchronous_commit=on` (a startup option, so no
//!   server default or URL turns it off): `COMMIT` returns once the WAL is flushed on the
//!   server, and only then is a 200 answered. One transaction per group of writes (the writer's
//!   batch), its statements pipelined.
//! - **Dedup across instances.** The delivery key is `UNIQUE`; an insert is `ON CONFLICT (key) DO
//!   NOTHING`, so the same event sent to two relays is stored once.
//! - **Claims with a lease.** [`Store::due`] renews the claims of the events this relay holds (by
//!   key, at most every quarter of the lease), then claims new due events in one statement
//!   (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING ...`): `claimed_by`
//!   this instance, `lease_until` the database's clock plus the lease. No statement waits for a
//!   row lock, and no transaction stays open across the HTTP call. Recording an attempt clears
//!   the claim; a relay that dies mid-forward leaves its claims to expire, and another relay takes
//!   the events then.
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

mod claims;
mod connect;
mod journal;
mod schema;
mod tls;

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use connect::Transport;
pub use connect::{is_postgres_url, shown_postgres_url};
pub use schema::PG_MIGRATIONS;

#[cfg(doc)]
use crate::store::Store;
use crate::store::{BadColumn, StoreError};

/// The longest one operation may take (a connection, a commit, a read) before it fails.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per store at most (the writer, the forwarder, `/metrics`, and some slack).
const POOL_SIZE: usize = 8;

use crate::store::RECORD_COLUMNS as COLUMNS;

/// The shortest lease a [`Relay`](crate::Relay) on a [`PgStore`] should be given (`connectly relay
/// serve --lease` refuses less). Its forwarder renews the claims of the events it holds at its
/// looks at the journal, at least every 500 ms, once a quarter of the lease has passed: so a
/// claim is renewed within half a lease or so, however long an attempt takes, and lapses only if
/// the relay dies or stalls for about half a lease.
pub const MIN_LEASE: Duration = crate::forward::POLL.saturating_mul(4);

/// How to open a [`PgStore`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// How long [`Store::due`]'s claim holds after its last renewal: how long the events of a
    /// relay that died wait for another. At least [`MIN_LEASE`] under a relay (the CLI's default
    /// is twice the forward timeout, and at least that).
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

/// The Postgres journal, shared by every relay given the same database.
pub struct PgStore {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
    shown: String,
    instance: String,
    lease_ms: i64,
    /// When the claims of held events were last renewed ([`Store::due`]).
    renewed: std::sync::Mutex<Option<std::time::Instant>>,
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
            if let Some(sentence) = tls::untrusted_certificate(error) {
                return sentence;
            }
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

/// Why an operation failed, in a sentence: the driver's [`reason`], or a corrupted row.
pub(crate) struct Failure(String);

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Self(reason(&error))
    }
}

impl From<BadColumn> for Failure {
    fn from(bad: BadColumn) -> Self {
        Self(bad.to_string())
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
    /// migrates it or checks its schema ([`PgOptions::migrate`]). The URL's `sslmode` says how
    /// it travels: TLS (rustls) with the server's certificate verified, chain and name, against
    /// the platform's trusted roots or the CA certificates of the PEM file `sslrootcert=FILE`
    /// names (`require`, `verify-ca`, `verify-full`; and to any host but loopback when no mode
    /// or `allow`/`prefer` is given); in clear text only to loopback or a Unix socket
    /// (`disable`, or no mode): `sslmode=disable` to another host is refused.
    pub fn open(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let shown = shown_postgres_url(url);
        let (config, transport) = connect::config(url, &shown)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("connectly-relay-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::new("start the Postgres client", e))?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match transport {
            Transport::Plain => Manager::from_config(config, NoTls, manager_config),
            Transport::Tls { root } => {
                let tls = tls::connector(root.as_deref())
                    .map_err(|reason| StoreError::new(format!("connect to {shown}"), reason))?;
                Manager::from_config(config, tls, manager_config)
            }
        };
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
            renewed: std::sync::Mutex::new(None),
        };
        let pool = store.pool.clone();
        let migrate = options.migrate;
        let operation = if migrate { "migrate" } else { "open" };
        store.run(&format!("{operation} {}", store.shown), async move {
            let mut client = pool.get().await.map_err(|e| pool_reason(&e))?;
            schema::schema(&mut client, migrate).await
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
        Fut: Future<Output = Result<T, Failure>> + Send,
    {
        let pool = self.pool.clone();
        self.run(operation, async move {
            let client = pool.get().await.map_err(|e| pool_reason(&e))?;
            f(client).await.map_err(|Failure(reason)| reason)
        })
    }
}

#[cfg(test)]
mod tests {
    use connectly_tests::postgres::{database, psql};

    use super::{PgOptions, PgStore};

    /// Each statement that finds events by key uses the key's index even in a generic plan made
    /// on an empty table, the plan that once read every pending event per outcome.
    #[test]
    fn statements_by_key_use_the_key_index_in_a_plan_made_on_an_empty_table() {
        let db = database();
        drop(PgStore::open(db.url(), PgOptions::default()).unwrap());
        let mut statements = super::journal::outcome_statements().to_vec();
        statements.push(super::claims::renew_statement());
        for statement in statements {
            let params = (1..=9)
                .filter(|n| statement.contains(&format!("${n}")))
                .count();
            let nulls = vec!["NULL"; params].join(", ");
            let plan = psql(
                db.url(),
                &format!(
                    "SET plan_cache_mode = force_generic_plan; PREPARE s AS {statement}; \
                     EXPLAIN EXECUTE s({nulls})"
                ),
            );
            assert!(
                plan.contains("connectly_relay_events_key_key")
                    && !plan.contains("connectly_relay_events_due"),
                "{statement}\n{plan}"
            );
        }
    }

    /// On a journal of 20,000 events, 1,000 of them delivered and expired, the purge of a chunk
    /// reads through the index of `received_at`, not the whole table or every delivered event.
    #[test]
    fn the_purge_reads_expired_events_through_the_index_of_their_arrival() {
        let db = database();
        drop(PgStore::open(db.url(), PgOptions::default()).unwrap());
        let plan = psql(
            db.url(),
            &format!(
                "INSERT INTO connectly_relay_events (key, state, received_at, signature, body) \
                 SELECT sha256(i::text::bytea), \
                 CASE WHEN i <= 1000 OR i % 3 = 0 THEN 'delivered' ELSE 'pending' END, i, '', '' \
                 FROM generate_series(1, 20000) AS i; ANALYZE connectly_relay_events; \
                 PREPARE s AS {}; EXPLAIN EXECUTE s(1001, 1000)",
                super::journal::PURGE
            ),
        );
        assert!(
            plan.contains("connectly_relay_events_received") && !plan.contains("Seq Scan"),
            "{plan}"
        );
    }
}
