//! The crash test (kill -9 at random moments, nothing answered 200 lost), a journal that cannot
//! be written (a file size limit: real EFBIG), and SIGTERM draining.

use super::*;

#[test]
fn crash_test_kill_9_at_random_moments_loses_no_event_answered_200() {
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("relay.db");
    let mut rng = Rng::seeded();
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut refused = 0usize;
    const RUNS: u64 = 20;
    const SENDERS: u64 = 4;
    for run in 0..RUNS {
        let mut relay = RelayProcess::start(&store, &sink.url(), &["--retry-schedule", "0,20ms"]);
        let stop = Arc::new(AtomicBool::new(false));
        let mut senders = Vec::new();
        for sender in 0..SENDERS {
            let (url, stop, acked, http) = (relay.url.clone(), stop.clone(), acked.clone(), http());
            senders.push(rt.spawn(async move {
                let mut not_acked = 0;
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let body = event((run * SENDERS + sender) * 1_000_000 + n);
                    not_acked +=
                        post_recording(&http, std::slice::from_ref(&url), body, &acked).await;
                }
                not_acked
            }));
        }
        // The kill moment (not a timing assertion): somewhere in the first 200 ms of serving.
        std::thread::sleep(Duration::from_millis(20 + rng.below(180)));
        relay.kill_9();
        stop.store(true, Ordering::SeqCst);
        for sender in senders {
            refused += rt.block_on(sender).unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100, "only {} events acked", acked.len());
    // The last start: it delivers whatever the killed ones left pending.
    let relay = RelayProcess::start(&store, &sink.url(), &["--retry-schedule", "0,20ms"]);
    let duplicates = all_delivered(&sink, &acked, Duration::from_secs(30));
    eprintln!(
        "{RUNS} kill -9 runs: {} events answered 200, all delivered; {duplicates} duplicate deliveries; {refused} sends not answered 200",
        acked.len()
    );
    let (exit, stderr) = relay.terminate();
    assert!(exit.success(), "{exit:?}: {stderr}");
}

/// A journal that cannot be written, for real: the relay runs under a file size limit, so once
/// the journal's files reach it SQLite's writes fail with EFBIG (root ignores file permissions,
/// so a read-only directory would not do). Every answer is 200 or 503 with Retry-After, every
/// event answered 200 is in the journal afterwards, and the relay keeps running.
#[cfg(target_os = "linux")]
#[test]
fn a_journal_that_cannot_grow_answers_503_never_a_200_for_an_event_it_did_not_store() {
    assert!(
        std::process::Command::new("prlimit")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        "this test needs prlimit (util-linux)"
    );
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("relay.db");
    // 1 MiB: room for the schema and a few dozen events in the write-ahead log, which fills
    // first. Eight events at once, so that commits carry several.
    const LIMIT: u64 = 1024 * 1024;
    let mut relay = RelayProcess::start_under_file_size_limit(&store, &sink.url(), &[], LIMIT);
    let http = http();
    let (mut acked, mut refused, mut refused_rounds) = (Vec::new(), 0, 0);
    for round in 0..200u64 {
        let answers = rt.block_on(async {
            let mut sends = tokio::task::JoinSet::new();
            for i in round * 8..round * 8 + 8 {
                let (http, url) = (http.clone(), relay.url.clone());
                sends.spawn(async move {
                    let body = event(i);
                    let key = DeliveryKey::of(&body).to_string();
                    let response = http
                        .post(&url)
                        .header("content-type", "text/plain; charset=utf-8")
                        .header(
                            "x-connectly-hmac-sha256",
                            connectly_webhook::sign(SECRET, &body),
                        )
                        .body(body)
                        .send()
                        .await
                        .expect("the relay answers every event");
                    let retry_after = response.headers().contains_key("retry-after");
                    (i, key, response.status().as_u16(), retry_after)
                });
            }
            sends.join_all().await
        });
        let mut round_refused = 0;
        for (i, key, status, retry_after) in answers {
            match status {
                200 => acked.push(key),
                503 => {
                    assert!(retry_after, "event {i}: a 503 without Retry-After");
                    round_refused += 1;
                }
                other => panic!("event {i}: {other}"),
            }
        }
        refused += round_refused;
        refused_rounds = if round_refused == 8 {
            refused_rounds + 1
        } else {
            0
        };
        if refused_rounds == 5 {
            break;
        }
    }
    assert!(!acked.is_empty(), "nothing was stored under the limit");
    // Still running, still answering.
    assert!(relay.running(), "the relay exited");
    let metrics = rt
        .block_on(async {
            http.get(format!("{}metrics", relay.url))
                .send()
                .await?
                .text()
                .await
        })
        .expect("the relay answers");
    // Every refusal was the journal's (not a full queue, say).
    let journal = format!("connectly_relay_refused_total{{reason=\"journal\"}} {refused}");
    assert!(
        metrics.lines().any(|l| l == journal),
        "{journal} not in\n{metrics}"
    );
    let (_exit, stderr) = relay.terminate();
    assert!(!stderr.contains(SECRET), "{stderr}");
    // Read back without the limit: every event answered 200 is there.
    let listed = run_hiding(
        connectly(&[
            "relay", "events", "list", "--json", "--limit", "100000", "--store",
        ])
        .arg(&store),
        SECRET,
    )
    .code(0)
    .json();
    let stored: HashSet<&str> = listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|k| !stored.contains(k.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} events answered 200 are not in the journal ({refused} answered 503)",
        lost.len(),
        acked.len()
    );
    // Checked last: a relay that answers 200 without storing never fills the journal either.
    assert!(
        refused_rounds == 5,
        "the journal never filled: {} events answered 200",
        acked.len()
    );
    eprintln!(
        "under a {LIMIT}-byte file size limit: {} events answered 200 and stored, {refused} answered 503",
        acked.len()
    );
}

#[test]
fn sigterm_drains_and_exits_0_with_every_answered_event_stored() {
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("relay.db");
    let relay = RelayProcess::start(&store, &sink.url(), &[]);
    let http = http();
    for i in 0..50 {
        assert_eq!(rt.block_on(post(&http, &relay.url, event(i))), Some(200));
    }
    let (exit, stderr) = relay.terminate();
    assert!(exit.success(), "{exit:?}: {stderr}");
    assert!(stderr.contains("stopped (50 stored"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    let out = run_hiding(
        connectly(&["relay", "status", "--json", "--store"]).arg(&store),
        SECRET,
    )
    .code(0);
    let status = out.json();
    let total = status["pending"].as_u64().unwrap() + status["delivered"].as_u64().unwrap();
    assert_eq!(total, 50, "{out:?}");
}

#[test]
fn sigterm_lets_a_forward_in_flight_finish_and_records_it() {
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    sink.delay(Duration::from_millis(500));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("relay.db");
    let relay = RelayProcess::start(&store, &sink.url(), &[]);
    let http = http();
    assert_eq!(rt.block_on(post(&http, &relay.url, event(1))), Some(200));
    let metrics = format!("{}metrics", relay.url);
    eventually(
        Duration::from_secs(10),
        || "a forward in flight".to_owned(),
        || {
            rt.block_on(async { http.get(&metrics).send().await?.text().await })
                .is_ok_and(|text| text.contains("connectly_relay_forwards_in_flight 1"))
        },
    );
    let (exit, stderr) = relay.terminate();
    assert!(exit.success(), "{exit:?}: {stderr}");
    assert_eq!(sink.delivered().len(), 1);
    let status = run_hiding(
        connectly(&["relay", "status", "--json", "--store"]).arg(&store),
        SECRET,
    )
    .code(0)
    .json();
    assert_eq!(
        (status["pending"].as_u64(), status["delivered"].as_u64()),
        (Some(0), Some(1))
    );
}
