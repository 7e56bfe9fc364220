//! Claims with a lease: [`Store::due`](crate::Store::due) on a database several relays share.
//!
//! No statement here waits for a lock: each locks its rows with `FOR UPDATE SKIP LOCKED`, so a
//! row whose attempt the writer is recording is skipped, never waited for. And none scans the
//! pending backlog beyond what it returns: claiming new events stops at its `LIMIT`, and renewing
//! the claims of held events finds them by key (the unique index).

use std::time::{Duration, Instant};

use deadpool_postgres::Object;
use tokio_postgres::Row;

use super::journal::records;
use super::{Failure, PgStore, COLUMNS};
use crate::store::{Keys, Record, StoreError};

/// Now by the database's clock, in Unix milliseconds: leases use it, so the relays' clocks
/// need not agree for a lease to hold.
const DB_NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

impl PgStore {
    /// [`Store::due`](crate::Store::due): renews the claims of `held` (at most
    /// every quarter of the lease), then claims up to `limit` due events not in `held`.
    pub(super) fn claim_due(
        &self,
        now: i64,
        limit: usize,
        held: &Keys,
    ) -> Result<Vec<Record>, StoreError> {
        let (me, lease) = (self.instance.clone(), self.lease_ms);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let held: Vec<[u8; 32]> = held.iter().map(|key| *key.as_bytes()).collect();
        let renew = !held.is_empty() && self.renewal_due();
        let due = self.with_client("claim due events", move |client| async move {
            let held: Vec<&[u8]> = held.iter().map(|key| &key[..]).collect();
            if renew {
                client
                    .execute(&renew_statement(), &[&me, &held, &lease])
                    .await?;
            }
            if limit == 0 {
                return Ok(Vec::new());
            }
            let new = claim_new(&client, &me, lease, now, limit, &held).await?;
            records(&new)
        })?;
        if renew {
            *self.renewed.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
        Ok(due)
    }

    /// Whether a quarter of the lease has passed since the claims of held events were last
    /// renewed: often enough that a claim does not lapse while its relay lives (the forwarder
    /// looks at the journal at least every [`POLL`](crate::forward::POLL)), and seldom enough
    /// that renewing costs next to nothing.
    fn renewal_due(&self) -> bool {
        let quarter = Duration::from_millis(u64::try_from(self.lease_ms / 4).unwrap_or(0));
        self.renewed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none_or(|at| at.elapsed() >= quarter)
    }
}

/// The statement that renews the claims of held events (`$2`, their keys) this relay (`$1`)
/// holds, by `$3` ms: found by key through the key's index only (the other conditions written as
/// a filter no index can serve, as in the outcomes' statements).
pub(super) fn renew_statement() -> String {
    format!(
        "UPDATE connectly_relay_events SET lease_until = {DB_NOW} + $3 \
         WHERE id IN (SELECT id FROM connectly_relay_events \
           WHERE key = ANY($2) AND (claimed_by = $1 AND state = 'pending') IS TRUE \
           FOR UPDATE SKIP LOCKED)"
    )
}

/// Claims up to `limit` pending events due at `now`, the earliest due first, that no other
/// relay holds a live claim on (this relay's own claims included), except the keys of `skip`.
async fn claim_new(
    client: &Object,
    me: &str,
    lease: i64,
    now: i64,
    limit: i64,
    skip: &[&[u8]],
) -> Result<Vec<Row>, Failure> {
    Ok(client
        .query(
            &format!(
                "UPDATE connectly_relay_events SET claimed_by = $1, lease_until = {DB_NOW} + $4 \
                 WHERE id IN (SELECT id FROM connectly_relay_events \
                   WHERE state = 'pending' AND next_at <= $2 \
                   AND (claimed_by = $1 OR lease_until IS NULL OR lease_until < {DB_NOW}) \
                   AND key <> ALL($5) \
                   ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING {COLUMNS}"
            ),
            &[&me, &now, &limit, &lease, &skip],
        )
        .await?)
}
