//! Claims with a lease: [`Store::due`](crate::Store::due) on a database several relays share.

use super::journal::records;
use super::{PgStore, COLUMNS};
use crate::store::{Record, StoreError};

/// Now by the database's clock, in Unix milliseconds: leases use it, so the relays' clocks
/// need not agree for a lease to hold.
const DB_NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

impl PgStore {
    /// [`Store::due`](crate::Store::due): this relay's own claims (renewed), then new ones.
    pub(super) fn claim_due(&self, now: i64, limit: usize) -> Result<Vec<Record>, StoreError> {
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
}
