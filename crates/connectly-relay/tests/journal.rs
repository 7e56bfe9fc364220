//! The journals on their own: schema versions, retention, replay, claims shared by several
//! relays (Postgres), and what their errors show.

use connectly_relay::{
    DeliveryKey, Keys, NewEvent, Outcome, RelayConfig, SqliteStore, Store, Url, Verifier, Write,
    Written, MIGRATIONS,
};

use crate::common::{event, journal, Backend, SECRET};

pub fn insert(body: &[u8], at: i64) -> Write {
    Write::Insert(NewEvent {
        key: DeliveryKey::of(body),
        body: body.to_vec(),
        signature: connectly_webhook::sign(SECRET, body),
        content_type: None,
        received_at: at,
        next_at: at,
    })
}

#[test]
fn the_schema_version_is_recorded_and_a_newer_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    drop(SqliteStore::open(&path).unwrap());
    let version = |path: &std::path::Path| -> i64 {
        let connection = rusqlite::Connection::open(path).unwrap();
        connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(version(&path), MIGRATIONS.len() as i64);
    // Reopening migrates nothing and keeps the events.
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.write(&[insert(&event(1), 0)]).unwrap(),
        [Written::Stored]
    );
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.status().unwrap().pending, 1);
    drop(store);
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let error = SqliteStore::open(&path).unwrap_err().to_string();
    let expected = format!(
        "schema version 99 is not one this program knows (0 to {}): a newer",
        MIGRATIONS.len()
    );
    assert!(error.contains(&expected), "{error}");
}

fn a_delivered_event_is_forgotten_after_the_retention_window_and_its_retry_stored_again(
    backend: Backend,
) {
    let journal = journal(backend);
    let store = &journal.store;
    let (old, recent) = (event(1), event(2));
    store
        .write(&[
            insert(&old, 1_000),
            insert(&recent, 5_000),
            insert(&old, 6_000),
        ])
        .map(|written| {
            assert_eq!(
                written,
                [Written::Stored, Written::Stored, Written::Duplicate]
            )
        })
        .unwrap();
    let delivered = |body: &[u8]| Write::Attempt {
        key: DeliveryKey::of(body),
        at: 7_000,
        outcome: Outcome::Delivered,
    };
    store.write(&[delivered(&old), delivered(&recent)]).unwrap();
    // Received before 3,000: the old one goes, the recent one stays.
    let purged = store
        .write(&[Write::PurgeDelivered {
            before: 3_000,
            limit: 10,
        }])
        .unwrap();
    assert_eq!(purged, [Written::Applied(1)]);
    assert!(store.get(&DeliveryKey::of(&old)).unwrap().is_none());
    assert!(store.get(&DeliveryKey::of(&recent)).unwrap().is_some());
    assert_eq!(
        store
            .write(&[insert(&old, 8_000), insert(&recent, 8_000)])
            .unwrap(),
        [Written::Stored, Written::Duplicate]
    );
}

/// `count` events received at 1, 2, ... ms after the epoch (long expired), delivered.
pub fn store_delivered(store: &dyn Store, count: usize) -> Vec<Vec<u8>> {
    let bodies: Vec<Vec<u8>> = (0..count).map(event).collect();
    let inserts: Vec<Write> = (1..)
        .zip(&bodies)
        .map(|(at, body)| insert(body, at))
        .collect();
    store.write(&inserts).unwrap();
    let delivered: Vec<Write> = bodies
        .iter()
        .map(|body| Write::Attempt {
            key: DeliveryKey::of(body),
            at: 1_000_000,
            outcome: Outcome::Delivered,
        })
        .collect();
    store.write(&delivered).unwrap();
    bodies
}

fn a_purge_forgets_at_most_its_limit_the_oldest_first(backend: Backend) {
    let journal = journal(backend);
    let store = &*journal.store;
    let bodies = store_delivered(store, 5);
    let purge = |limit| {
        store
            .write(&[Write::PurgeDelivered { before: 5, limit }])
            .unwrap()
    };
    // Received at 1 to 5: the four before 5 expire, two per purge, the oldest first.
    assert_eq!(purge(2), [Written::Applied(2)]);
    let kept = |i: usize| store.get(&DeliveryKey::of(&bodies[i])).unwrap().is_some();
    assert_eq!(
        (0..5).map(kept).collect::<Vec<_>>(),
        [false, false, true, true, true]
    );
    assert_eq!(purge(2), [Written::Applied(2)]);
    assert_eq!(purge(2), [Written::Applied(0)]);
    assert_eq!(store.status().unwrap().delivered, 1);
}

#[test]
fn a_config_shows_no_secret_and_no_password() {
    let config = RelayConfig::new(
        Verifier::new(SECRET),
        Url::parse("https://user:pa55word@handler.example/hook").unwrap(),
    );
    let debug = format!("{config:?}");
    assert!(
        !debug.contains(SECRET) && !debug.contains("pa55word"),
        "{debug}"
    );
}

fn replay_by_time_range_selects_only_events_received_in_it(backend: Backend) {
    use connectly_relay::{Selector, State};
    let journal = journal(backend);
    let store = &journal.store;
    let bodies: Vec<Vec<u8>> = (0..4).map(event).collect();
    let writes: Vec<Write> = bodies
        .iter()
        .zip([1_000, 2_000, 3_000, 4_000])
        .map(|(body, at)| insert(body, at))
        .collect();
    store.write(&writes).unwrap();
    let delivered: Vec<Write> = bodies
        .iter()
        .map(|body| Write::Attempt {
            key: DeliveryKey::of(body),
            at: 5_000,
            outcome: Outcome::Delivered,
        })
        .collect();
    store.write(&delivered).unwrap();
    // [2,000, 4,000): the second and third.
    let range = Selector::Received {
        since: Some(2_000),
        until: Some(4_000),
    };
    assert_eq!(store.replay(&range, 9_000).unwrap(), 2);
    let states: Vec<State> = bodies
        .iter()
        .map(|b| store.get(&DeliveryKey::of(b)).unwrap().unwrap().state)
        .collect();
    assert_eq!(
        states,
        [
            State::Delivered,
            State::Pending,
            State::Pending,
            State::Delivered
        ]
    );
    let replayed = store.get(&DeliveryKey::of(&bodies[1])).unwrap().unwrap();
    assert_eq!((replayed.attempts, replayed.next_at), (0, Some(9_000)));
    // Open-ended: from 3,000 on.
    let from = Selector::Received {
        since: Some(3_000),
        until: None,
    };
    assert_eq!(store.replay(&from, 9_000).unwrap(), 2);
}

/// A row no event can hold (written behind the store's back, the schema's checks off) is an
/// error naming its column, for every read: never a zero key, a default state or count.
fn a_corrupted_row_is_an_error_naming_its_column(backend: Backend) {
    let journal = journal(backend);
    let store = &journal.store;
    let bodies = [event(1), event(2), event(3)];
    let writes: Vec<Write> = (0..3)
        .map(|i| insert(&bodies[i], 1_000 * (i as i64 + 1)))
        .collect();
    store.write(&writes).unwrap();
    let corrupt = match backend {
        Backend::Sqlite => {
            "PRAGMA ignore_check_constraints = ON;
             UPDATE events SET key = substr(key, 1, 31) WHERE received_at = 1000;
             UPDATE events SET state = 'lost' WHERE received_at = 2000;
             UPDATE events SET attempts = -1 WHERE received_at = 3000;"
        }
        Backend::Postgres => {
            "ALTER TABLE connectly_relay_events DROP CONSTRAINT connectly_relay_events_key_check,
                 DROP CONSTRAINT connectly_relay_events_state_check;
             UPDATE connectly_relay_events SET key = substring(key from 1 for 31)
                 WHERE received_at = 1000;
             UPDATE connectly_relay_events SET state = 'lost' WHERE received_at = 2000;
             UPDATE connectly_relay_events SET attempts = -1 WHERE received_at = 3000;"
        }
    };
    (journal.execute)(corrupt);
    for (at, column) in [(1_000, "key"), (2_000, "state"), (3_000, "attempts")] {
        let filter = connectly_relay::Filter {
            since: Some(at),
            until: Some(at + 1),
            ..Default::default()
        };
        let error = store.list(&filter).unwrap_err().to_string();
        assert!(
            error.contains(&format!("column `{column}` is corrupted")),
            "{column}: {error}"
        );
    }
    let error = store.get(&DeliveryKey::of(&bodies[1])).unwrap_err();
    assert!(error.to_string().contains("`state`"), "{error}");
    let error = store.due(i64::MAX, 10, &Keys::new()).unwrap_err();
    assert!(error.to_string().contains("is corrupted"), "{error}");
}

crate::both_stores!(sync:
    a_corrupted_row_is_an_error_naming_its_column,
    a_delivered_event_is_forgotten_after_the_retention_window_and_its_retry_stored_again,
    a_purge_forgets_at_most_its_limit_the_oldest_first,
    replay_by_time_range_selects_only_events_received_in_it,
);
