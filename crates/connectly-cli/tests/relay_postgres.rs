//! `connectly relay` on Postgres: two `relay serve` processes on one database share dedup and
//! the journal, one killed with `kill -9` leaves its events to the other after the lease, the
//! crash test with two instances, and the verbs against the database (no password shown).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connectly_tests::postgres::database;
use connectly_tests::Sink;
use connectly_webhook::DeliveryKey;

use crate::common::{connectly, run_hiding};
use crate::relay::{
    all_delivered, dead_events_list_retry_and_export, event, eventually, http, post,
    post_recording, RelayProcess, Rng, SECRET,
};

/// `relay status --json` against `url`, given as --store or through the environment.
fn status(url: &str, through_env: bool) -> serde_json::Value {
    let mut cmd = connectly(&["relay", "status", "--json"]);
    if through_env {
        cmd.env("CONNECTLY_RELAY_DATABASE_URL", url);
    } else {
        cmd.args(["--store", url]);
    }
    run_hiding(&mut cmd, SECRET).code(0).json()
}

fn metric(rt: &tokio::runtime::Runtime, relay: &RelayProcess, name: &str) -> u64 {
    let text = rt
        .block_on(async {
            http()
                .get(format!("{}metrics", relay.url))
                .send()
                .await?
                .text()
                .await
        })
        .unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn two_relays_on_one_database_store_each_event_once_and_show_the_same_counts() {
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    let db = database();
    // With a password the trusting test cluster ignores: it must never be shown.
    let url = db
        .url()
        .replacen("postgres://postgres@", "postgres://postgres:pa55word@", 1);
    let a = RelayProcess::start(&url, &sink.url(), &[]);
    let b = RelayProcess::start(&url, &sink.url(), &[]);
    let http = http();
    // 40 events alternately to each, and 10 of them to both at once.
    for i in 0..40u64 {
        let to = if i % 2 == 0 { &a.url } else { &b.url };
        assert_eq!(rt.block_on(post(&http, to, event(i))), Some(200));
    }
    for i in 100..110u64 {
        let (x, y) = rt.block_on(async {
            tokio::join!(post(&http, &a.url, event(i)), post(&http, &b.url, event(i)))
        });
        assert_eq!((x, y), (Some(200), Some(200)), "event {i}");
    }
    eventually(
        Duration::from_secs(20),
        || format!("50 delivered, the sink has {}", sink.delivered().len()),
        || sink.delivered().len() >= 50,
    );
    // Each event exactly once: no relay died, so no claim expired and no event went twice.
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for forward in sink.forwards() {
        *per_key.entry(forward.key).or_default() += 1;
    }
    assert_eq!(per_key.len(), 50);
    assert!(per_key.values().all(|&n| n == 1), "{per_key:?}");
    let stored = metric(&rt, &a, "connectly_relay_stored_total ")
        + metric(&rt, &b, "connectly_relay_stored_total ");
    let duplicates = metric(&rt, &a, "connectly_relay_deduplicated_total ")
        + metric(&rt, &b, "connectly_relay_deduplicated_total ");
    assert_eq!((stored, duplicates), (50, 10));
    // The same counts whichever way a verb reaches the database.
    eventually(
        Duration::from_secs(10),
        || "50 delivered in the journal".to_owned(),
        || status(&url, false)["delivered"] == 50,
    );
    let (by_flag, by_env) = (status(&url, false), status(&url, true));
    assert_eq!(by_flag, by_env);
    assert_eq!(
        (by_flag["pending"].as_u64(), by_flag["dead"].as_u64()),
        (Some(0), Some(0))
    );
    let shown = by_flag["store"].as_str().unwrap();
    assert!(
        !shown.contains("pa55word") && shown.contains("127.0.0.1"),
        "{shown}"
    );
    // The text output and the serve's own messages show no password either.
    let mut cmd = connectly(&["relay", "events", "list", "--store", &url]);
    let out = run_hiding(&mut cmd, "pa55word").code(0);
    assert_eq!(out.stdout.lines().count(), 51, "{}", out.stdout);
    for relay in [a, b] {
        let (exit, stderr) = relay.terminate();
        assert!(exit.success(), "{exit:?}: {stderr}");
        assert!(
            !stderr.contains("pa55word") && stderr.contains("[redacted]"),
            "{stderr}"
        );
    }
}

#[test]
fn dead_events_are_listed_retried_by_dead_retry_and_exported_on_postgres() {
    let db = database();
    dead_events_list_retry_and_export(std::ffi::OsStr::new(db.url()));
}

#[test]
fn a_relay_killed_mid_forward_leaves_its_events_to_the_other_after_the_lease() {
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    // A handler that does not answer A's forwards before A dies.
    sink.delay(Duration::from_secs(600));
    let db = database();
    let url = db.url().to_owned();
    let lease = ["--lease", "2s"];
    let mut a = RelayProcess::start(&url, &sink.url(), &lease);
    let http = http();
    for i in 0..10u64 {
        assert_eq!(rt.block_on(post(&http, &a.url, event(i))), Some(200));
    }
    eventually(
        Duration::from_secs(20),
        || "A sending the 10 events".to_owned(),
        || metric(&rt, &a, "connectly_relay_forwards_in_flight ") == 10,
    );
    // B starts while A holds (and renews) its claims, then A dies without recording anything.
    let b = RelayProcess::start(&url, &sink.url(), &lease);
    sink.delay(Duration::ZERO);
    a.kill_9();
    eventually(
        Duration::from_secs(30),
        || format!("B delivered {} of A's 10 events", sink.delivered().len()),
        || sink.delivered().len() >= 10,
    );
    let keys: HashSet<String> = sink.delivered().into_iter().map(|f| f.key).collect();
    let sent: HashSet<String> = (0..10u64)
        .map(|i| DeliveryKey::of(&event(i)).to_string())
        .collect();
    assert_eq!(keys, sent);
    assert_eq!(
        metric(
            &rt,
            &b,
            "connectly_relay_forwarded_total{outcome=\"delivered\"} "
        ),
        10
    );
    eventually(
        Duration::from_secs(10),
        || "10 delivered in the journal".to_owned(),
        || status(&url, false)["delivered"] == 10,
    );
    let (exit, stderr) = b.terminate();
    assert!(exit.success(), "{exit:?}: {stderr}");
}

#[test]
fn crash_test_two_relays_on_postgres_kill_9_at_random_moments_loses_no_event_answered_200() {
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    let db = database();
    let url = db.url().to_owned();
    let mut rng = Rng::seeded();
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut refused = 0usize;
    const RUNS: u64 = 20;
    const SENDERS: u64 = 4;
    let args = ["--retry-schedule", "0,20ms", "--lease", "2s"];
    for run in 0..RUNS {
        let mut relays = [
            RelayProcess::start(&url, &sink.url(), &args),
            RelayProcess::start(&url, &sink.url(), &args),
        ];
        let stop = Arc::new(AtomicBool::new(false));
        let mut senders = Vec::new();
        for sender in 0..SENDERS {
            // Each sender alternates between the two relays; every 7th event goes to both.
            let urls = [relays[0].url.clone(), relays[1].url.clone()];
            let (stop, acked, http) = (stop.clone(), acked.clone(), http());
            senders.push(rt.spawn(async move {
                let mut not_acked = 0;
                for n in 0u64.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let body = event((run * SENDERS + sender) * 1_000_000 + n);
                    let to: &[String] = if n % 7 == 0 {
                        &urls
                    } else {
                        std::slice::from_ref(&urls[(n % 2) as usize])
                    };
                    not_acked += post_recording(&http, to, body, &acked).await;
                }
                not_acked
            }));
        }
        // The kill moments (not timing assertions): one relay somewhere in the first 200 ms,
        // the other up to 100 ms later while the senders go on.
        let first = (run % 2) as usize;
        std::thread::sleep(Duration::from_millis(20 + rng.below(180)));
        relays[first].kill_9();
        std::thread::sleep(Duration::from_millis(rng.below(100)));
        relays[1 - first].kill_9();
        stop.store(true, Ordering::SeqCst);
        for sender in senders {
            refused += rt.block_on(sender).unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100, "only {} events acked", acked.len());
    // Two last relays: they deliver what the killed ones left, once the claims expire.
    let last = [
        RelayProcess::start(&url, &sink.url(), &args),
        RelayProcess::start(&url, &sink.url(), &args),
    ];
    let duplicates = all_delivered(&sink, &acked, Duration::from_secs(60));
    eprintln!(
        "{RUNS} runs of two relays on Postgres, kill -9 each: {} events answered 200, all \
         delivered; {duplicates} duplicate deliveries; {refused} sends not answered 200",
        acked.len()
    );
    for relay in last {
        let (exit, stderr) = relay.terminate();
        assert!(exit.success(), "{exit:?}: {stderr}");
    }
}
