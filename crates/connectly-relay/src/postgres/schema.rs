//! The schema: [`PG_MIGRATIONS`], run under an advisory lock, or checked when not asked to
//! migrate.

use super::reason;

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

/// Brings the schema to the latest version (`migrate`) or checks that it is there.
pub(super) async fn schema(
    client: &mut deadpool_postgres::Object,
    migrate: bool,
) -> Result<(), String> {
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
