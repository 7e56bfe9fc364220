//! What only the Postgres journal does: schema versions in a shared database, migrations raced by
//! relays starting together, claims with a lease shared by several relays, dedup across them,
//! Postgres stopping and coming back, and no password anywhere.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use connectly_relay::{
    now_ms, DeliveryKey, Keys, Outcome, PgOptions, PgStore, Store, Write, Written, PG_MIGRATIONS,
};
use connectly_tests::postgres::{database, hold_locks, psql, Cluster};

use crate::common::{event, eventually};
use crate::journal::insert;

fn options(instance: &str, lease: Duration) -> PgOptions {
    PgOptions {
        lease,
        instance: Some(instance.to_owned()),
        ..PgOptions::default()
    }
}

/// Stores the events `range` (of [`event`]), the event `i` due at `due(i)`.
fn store_events(store: &PgStore, range: std::ops::Range<usize>, due: impl Fn(usize) -> i64) {
    let writes: Vec<Write> = range.map(|i| insert(&event(i), due(i))).collect();
    store.write(&writes).unwrap();
}

/// POSTs the event `i` (of [`event`]) to `url`, signed as Connectly does.
async fn post_event(http: &reqwest::Client, url: String, i: usize) -> reqwest::Response {
    let body = event(i);
    http.post(url)
        .header(
            "x-connectly-hmac-sha256",
            connectly_webhook::sign(crate::common::SECRET, &body),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

fn keys(records: &[connectly_relay::Record]) -> HashSet<DeliveryKey> {
    records.iter().map(|r| r.key).collect()
}

#[test]
fn the_schema_version_is_recorded_the_verbs_do_not_migrate_and_a_newer_database_is_refused() {
    let db = database();
    // A verb (no migration) on an empty database says what creates the journal.
    let check_only = PgOptions {
        migrate: false,
        ..PgOptions::default()
    };
    let error = PgStore::open(db.url(), check_only.clone())
        .unwrap_err()
        .to_string();
    assert!(error.contains("relay serve --store URL"), "{error}");
    drop(PgStore::open(db.url(), PgOptions::default()).unwrap());
    let version = psql(
        db.url(),
        "SELECT MAX(version) FROM connectly_relay_migrations",
    );
    assert_eq!(version, PG_MIGRATIONS.len().to_string());
    let store = PgStore::open(db.url(), check_only.clone()).unwrap();
    assert_eq!(
        store.write(&[insert(&event(1), 0)]).unwrap(),
        [Written::Stored]
    );
    drop(store);
    // Reopening migrates nothing and keeps the events.
    let store = PgStore::open(db.url(), PgOptions::default()).unwrap();
    assert_eq!(store.status().unwrap().pending, 1);
    drop(store);
    psql(
        db.url(),
        "INSERT INTO connectly_relay_migrations (version) VALUES (99)",
    );
    let error = PgStore::open(db.url(), PgOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("schema version 99"), "{error}");
}

#[test]
fn relays_starting_together_migrate_once() {
    let db = database();
    let url = db.url().to_owned();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::open(&url, PgOptions::default()).map(drop))
        })
        .collect();
    for handle in opened {
        handle.join().unwrap().unwrap();
    }
    assert_eq!(
        psql(&url, "SELECT COUNT(*) FROM connectly_relay_migrations"),
        PG_MIGRATIONS.len().to_string()
    );
}

#[test]
fn two_relays_claim_disjoint_events_and_take_over_when_a_lease_ends() {
    let db = database();
    let lease = Duration::from_millis(300);
    let a = PgStore::open(db.url(), options("a", lease)).unwrap();
    let b = PgStore::open(db.url(), options("b", Duration::from_secs(60))).unwrap();
    store_events(&a, 0..10, |_| 1_000);
    let now = now_ms();
    let by_a = a.due(now, 6, &Keys::new()).unwrap();
    let by_b = b.due(now, 10, &Keys::new()).unwrap();
    assert_eq!((by_a.len(), by_b.len()), (6, 4));
    assert!(keys(&by_a).is_disjoint(&keys(&by_b)));
    // A relay's own claims come back to it (renewed), never to the other while they hold.
    assert_eq!(keys(&a.due(now, 10, &Keys::new()).unwrap()), keys(&by_a));
    assert!(b
        .due(now, 10, &Keys::new())
        .unwrap()
        .iter()
        .all(|r| keys(&by_b).contains(&r.key)));
    // A records one attempt (the claim ends with it) and dies: B takes the other five once
    // A's lease ends, and none of its own are lost meanwhile.
    let done = by_a[0].key;
    a.write(&[Write::Attempt {
        key: done,
        at: now,
        outcome: Outcome::Delivered,
    }])
    .unwrap();
    drop(a);
    let mut taken = HashSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while taken.len() < 9 {
        assert!(
            std::time::Instant::now() < deadline,
            "B took only {} of the 9 pending events after A's lease",
            taken.len()
        );
        taken = keys(&b.due(now_ms(), 20, &Keys::new()).unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!taken.contains(&done));
    assert_eq!(taken.len(), 9);
}

#[test]
fn held_events_are_not_read_again_their_claims_are_renewed_and_no_lock_is_waited_for() {
    let db = database();
    let a = PgStore::open(db.url(), options("a", Duration::from_millis(400))).unwrap();
    // Due one after the other, so the held four are the earliest due.
    store_events(&a, 0..10, |i| 1_000 + i as i64);
    let now = now_ms();
    let mut held = keys(&a.due(now, 4, &Keys::new()).unwrap());
    assert_eq!(held.len(), 4);
    // Beyond the held four: three others, though the held ones are this relay's own claims.
    let more = keys(&a.due(now, 3, &held).unwrap());
    assert_eq!(more.len(), 3);
    assert!(more.is_disjoint(&held), "a held event was read again");
    held.extend(more);
    // Their claims are renewed, though no new event is asked for.
    let leases = "SELECT COALESCE(MIN(lease_until), 0) FROM connectly_relay_events \
                  WHERE claimed_by = 'a'";
    let first: i64 = psql(db.url(), leases).parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while psql(db.url(), leases).parse::<i64>().unwrap() <= first {
        assert!(std::time::Instant::now() < deadline, "no claim was renewed");
        a.due(now_ms(), 0, &held).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // Another relay's transaction holds every row's lock: neither renewing (due at once in a
    // new store) nor claiming waits for it (a wait would end in the operation's timeout, an
    // error).
    let _locks = hold_locks(db.url(), "SELECT id FROM connectly_relay_events FOR UPDATE");
    let a = PgStore::open(db.url(), options("a", Duration::from_millis(400))).unwrap();
    assert!(a.due(now_ms(), 10, &held).unwrap().is_empty());
}

#[test]
fn the_same_event_sent_to_two_relays_is_stored_once() {
    let db = database();
    let a = PgStore::open(db.url(), PgOptions::default()).unwrap();
    let b = PgStore::open(db.url(), PgOptions::default()).unwrap();
    let body = event(1);
    let (x, y) = std::thread::scope(|s| {
        let x = s.spawn(|| a.write(&[insert(&body, 1)]).unwrap());
        let y = s.spawn(|| b.write(&[insert(&body, 2)]).unwrap());
        (x.join().unwrap(), y.join().unwrap())
    });
    let mut both = [x[0], y[0]];
    both.sort_by_key(|w| *w == Written::Duplicate);
    assert_eq!(both, [Written::Stored, Written::Duplicate]);
    assert_eq!(a.status().unwrap(), b.status().unwrap());
    assert_eq!(a.status().unwrap().pending, 1);
}

#[test]
fn no_password_in_debug_or_errors_and_no_plain_connection_off_loopback() {
    let db = database();
    let url = db
        .url()
        .replacen("postgres://postgres@", "postgres://postgres:pa55word@", 1);
    // The cluster trusts loopback: the password is accepted and never shown.
    let store = PgStore::open(&url, PgOptions::default()).unwrap();
    let debug = format!("{store:?}");
    assert!(
        !debug.contains("pa55word") && debug.contains("[redacted]"),
        "{debug}"
    );
    assert!(!store.shown().contains("pa55word"));
    // Nothing listens on port 1: the error names the server, not the password.
    for url in [
        "postgres://me:pa55word@127.0.0.1:1/db",
        "postgresql://me@127.0.0.1:1/db?password=pa55word",
    ] {
        let error = PgStore::open(url, PgOptions::default())
            .unwrap_err()
            .to_string();
        assert!(!error.contains("pa55word"), "{error}");
        assert!(error.contains("127.0.0.1:1"), "{error}");
    }
    // Clear text to another host is refused before any connection is tried.
    let error = PgStore::open(
        "postgres://me:pa55word@db.example/x?sslmode=disable",
        PgOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("sslmode=disable would send the password and the events in clear text")
            && error.contains("sslmode=verify-full")
            && !error.contains("pa55word"),
        "{error}"
    );
}

#[test]
fn tls_to_postgres_verifies_the_server_certificate_and_shows_no_password() {
    // A cluster that refuses clear text on TCP, its certificate signed by a CA made for it.
    let cluster = Cluster::start_tls();
    let url = cluster.create_database().replacen(
        "postgres://postgres@",
        "postgres://postgres:pa55word@",
        1,
    );
    let open = |query: String| PgStore::open(&format!("{url}?{query}"), PgOptions::default());
    let failure = |query: String| {
        let error = open(query).unwrap_err().to_string();
        assert!(!error.contains("pa55word"), "{error}");
        error
    };
    let ca = cluster.ca_file();
    let store = open(format!("sslmode=verify-full&sslrootcert={}", ca.display())).unwrap();
    assert_eq!(
        store.write(&[insert(&event(1), 0)]).unwrap(),
        [Written::Stored]
    );
    assert_eq!(store.status().unwrap().pending, 1);
    assert!(!format!("{store:?}").contains("pa55word"));
    // The same server in clear text is refused by it: the store above spoke TLS.
    let error = failure("sslmode=disable".to_owned());
    assert!(error.contains("no encryption"), "{error}");
    // A CA that did not sign the server's certificate: refused, saying why.
    let other = cluster.other_ca_file();
    for mode in ["verify-full", "require"] {
        let error = failure(format!("sslmode={mode}&sslrootcert={}", other.display()));
        assert!(error.contains("certificate is not trusted"), "{error}");
    }
    // `require` without a CA file verifies too, against the platform's roots, which do not
    // know the test CA.
    let error = failure("sslmode=require".to_owned());
    assert!(error.contains("certificate is not trusted"), "{error}");
    // A CA file that is not there: the error names it.
    let error = failure("sslmode=verify-full&sslrootcert=/nonexistent/ca.crt".to_owned());
    assert!(error.contains("/nonexistent/ca.crt"), "{error}");
    let error = failure("sslmode=verify-everything".to_owned());
    assert!(error.contains("is not one of disable"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_answers_503_never_200_and_the_relay_recovers_when_it_is_back() {
    use connectly_relay::{Relay, RelayConfig, Url, Verifier};
    use connectly_tests::Sink;
    let cluster = Arc::new(tokio::task::spawn_blocking(Cluster::start).await.unwrap());
    let url = {
        let cluster = cluster.clone();
        tokio::task::spawn_blocking(move || cluster.create_database())
            .await
            .unwrap()
    };
    let store = Arc::new(PgStore::open(&url, PgOptions::default()).unwrap());
    let sink = Sink::start().await;
    let config = RelayConfig::new(
        Verifier::new(crate::common::SECRET),
        Url::parse(&sink.url()).unwrap(),
    );
    let relay = Relay::start(config, store.clone()).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |i: usize| {
        let (http, url) = (http.clone(), relay.url());
        async move {
            let response = post_event(&http, url, i).await;
            let retry_after = response.headers().get("retry-after").cloned();
            (response.status().as_u16(), retry_after)
        }
    };
    assert_eq!(post(0).await.0, 200);
    {
        let cluster = cluster.clone();
        tokio::task::spawn_blocking(move || cluster.stop())
            .await
            .unwrap();
    }
    for i in 1..6 {
        let (status, retry_after) = post(i).await;
        assert_eq!(status, 503, "event {i} while Postgres is down");
        assert!(retry_after.is_some());
    }
    {
        let cluster = cluster.clone();
        tokio::task::spawn_blocking(move || cluster.restart())
            .await
            .unwrap();
    }
    // Back: the pool reconnects by itself (the first commits may still meet a dead connection).
    let mut answered = Vec::new();
    for i in 1..6 {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (status, _) = post(i).await;
            if status == 200 {
                break;
            }
            assert_eq!(status, 503);
            assert!(
                std::time::Instant::now() < deadline,
                "event {i} never stored"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        answered.push(i);
    }
    let check = store.clone();
    eventually(Duration::from_secs(20), "the 6 events delivered", || {
        check.status().is_ok_and(|s| s.delivered == 6)
    })
    .await;
    let delivered: HashSet<String> = sink.delivered().into_iter().map(|f| f.key).collect();
    assert_eq!(delivered.len(), 6);
    relay.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_longer_than_the_lease_keeps_its_claim_and_no_other_relay_sends_it() {
    use connectly_relay::{Forwarded, Relay, RelayConfig, Url, Verifier, MIN_LEASE};
    use connectly_tests::Sink;
    let db = tokio::task::spawn_blocking(database).await.unwrap();
    let sink = Sink::start().await;
    // Each attempt takes two leases.
    sink.delay(2 * MIN_LEASE);
    let start = |name: &str| {
        let store = Arc::new(PgStore::open(db.url(), options(name, MIN_LEASE)).unwrap());
        let mut config = RelayConfig::new(
            Verifier::new(crate::common::SECRET),
            Url::parse(&sink.url()).unwrap(),
        );
        config.forward_timeout = 4 * MIN_LEASE;
        Relay::start(config, store)
    };
    let (a, b) = (start("a").await.unwrap(), start("b").await.unwrap());
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for i in 0..4 {
        assert_eq!(post_event(&http, a.url(), i).await.status(), 200);
    }
    let delivered = || {
        [&a, &b]
            .map(|relay| relay.metrics().forwards(Forwarded::Delivered))
            .iter()
            .sum::<u64>()
    };
    eventually(Duration::from_secs(30), "4 attempts delivered", || {
        delivered() >= 4
    })
    .await;
    // Whichever relay claimed an event renewed its claim while the attempt lasted: the other,
    // looking all along, took none of them over (its send would still be waiting on the
    // handler now).
    assert_eq!(a.metrics().in_flight() + b.metrics().in_flight(), 0);
    let keys: HashSet<String> = sink.forwards().into_iter().map(|f| f.key).collect();
    assert_eq!((sink.forwards().len(), keys.len(), delivered()), (4, 4, 4));
}
