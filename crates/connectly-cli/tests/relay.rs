//! `connectly relay`: the crash test (kill -9 at random moments, nothing answered 200 lost), a
//! journal that cannot be written (a file size limit: real EFBIG), SIGTERM draining, the journal
//! verbs against a running relay, and the listen rule.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use connectly_tests::Sink;
use connectly_webhook::DeliveryKey;

use crate::common::{connectly, run_hiding};

pub(crate) const SECRET: &str = "whsec_relay_CLI_SECRET_77aa";

/// A `connectly relay serve` child process, killed (SIGKILL) when dropped.
pub(crate) struct RelayProcess {
    child: Child,
    pub(crate) url: String,
}

impl RelayProcess {
    /// Starts `relay serve --store STORE` (a file or a Postgres URL).
    pub(crate) fn start(store: impl AsRef<OsStr>, forward_to: &str, extra: &[&str]) -> Self {
        let command = std::process::Command::new(assert_cmd::cargo::cargo_bin("connectly"));
        Self::spawn(command, store.as_ref(), forward_to, extra)
    }

    /// Starts it as [`RelayProcess::start`] does, but no file it writes may grow past `bytes`
    /// (`prlimit --fsize`, util-linux), with SIGXFSZ ignored (an ignored signal stays ignored
    /// across exec): a write past the limit fails with EFBIG instead of killing the process.
    pub(crate) fn start_under_file_size_limit(
        store: impl AsRef<OsStr>,
        forward_to: &str,
        extra: &[&str],
        bytes: u64,
    ) -> Self {
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                r#"trap "" XFSZ; exec prlimit --fsize={bytes} -- "$0" "$@""#
            ))
            .arg(assert_cmd::cargo::cargo_bin("connectly"));
        Self::spawn(command, store.as_ref(), forward_to, extra)
    }

    /// Runs `command` with `relay serve`'s arguments and waits for the URL it prints.
    fn spawn(
        mut command: std::process::Command,
        store: &OsStr,
        forward_to: &str,
        extra: &[&str],
    ) -> Self {
        command
            .args([
                "relay",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--forward-to",
                forward_to,
            ])
            .arg("--store")
            .arg(store)
            .args(extra)
            .env("CONNECTLY_WEBHOOK_SECRET", SECRET);
        let (child, first) = connectly_tests::cli::spawn_reading_first_line(command);
        assert!(first.starts_with("http://127.0.0.1:"), "{first:?}");
        Self {
            child,
            url: first.trim_end().to_owned(),
        }
    }

    /// Whether it is still running.
    pub(crate) fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub(crate) fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit (at most 20 s): its status and stderr.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "no exit within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr);
        (exit, stderr)
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill_9();
    }
}

pub(crate) fn event(i: u64) -> Vec<u8> {
    format!(
        r#"{{"timestamp": "1639083206", "sender": {{"id": "+1{i:010}", "channelType": "whatsapp"}}, "recipient": {{"id": "+16045550100", "channelType": "whatsapp"}}, "message": {{"id": "m{i}", "text": "hi"}}}}"#
    )
    .into_bytes()
}

pub(crate) async fn post(http: &reqwest::Client, url: &str, body: Vec<u8>) -> Option<u16> {
    let signature = connectly_webhook::sign(SECRET, &body);
    let response = http
        .post(url)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-connectly-hmac-sha256", signature)
        .body(body)
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Polls `check` every 10 ms until it holds; fails after `limit` with `what`.
pub(crate) fn eventually(
    limit: Duration,
    what: impl Fn() -> String,
    mut check: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "not within {limit:?}: {}",
            what()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// POSTs `body` to each of `urls`; the key of each answered 200 goes into `acked`. Returns how
/// many were not answered 200.
pub(crate) async fn post_recording(
    http: &reqwest::Client,
    urls: &[String],
    body: Vec<u8>,
    acked: &Mutex<HashSet<String>>,
) -> usize {
    let key = DeliveryKey::of(&body).to_string();
    let mut not_acked = 0;
    for url in urls {
        match post(http, url, body.clone()).await {
            Some(200) => {
                acked.lock().unwrap().insert(key.clone());
            }
            _ => not_acked += 1,
        }
    }
    not_acked
}

/// Waits (at most `limit`) until the sink has every event of `acked`; returns how many
/// deliveries were duplicates.
pub(crate) fn all_delivered(sink: &Sink, acked: &HashSet<String>, limit: Duration) -> usize {
    let delivered_keys =
        || -> HashSet<String> { sink.delivered().into_iter().map(|f| f.key).collect() };
    eventually(
        limit,
        || {
            let delivered = delivered_keys();
            format!(
                "{} of {} events answered 200 never reached the sink",
                acked.difference(&delivered).count(),
                acked.len()
            )
        },
        || delivered_keys().is_superset(acked),
    );
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for forward in sink.delivered() {
        *per_key.entry(forward.key).or_default() += 1;
    }
    per_key.values().map(|n| n - 1).sum()
}

/// xorshift64*: the kill moments, from a seed printed for a rerun (`RELAY_CRASH_SEED`).
pub(crate) struct Rng(u64);
impl Rng {
    /// From `RELAY_CRASH_SEED`, or the clock; the seed is printed for a rerun.
    pub(crate) fn seeded() -> Self {
        let seed = std::env::var("RELAY_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("RELAY_CRASH_SEED={seed}");
        Self(seed)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

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

#[test]
fn dead_events_are_listed_retried_by_dead_retry_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    dead_events_list_retry_and_export(dir.path().join("relay.db").as_os_str());
}

/// `relay dead list | retry | purge`, `events show`, `export` against a running relay's journal
/// (a file or a Postgres URL).
pub(crate) fn dead_events_list_retry_and_export(store: &OsStr) {
    let rt = connectly_tests::runtime();
    let sink = rt.block_on(Sink::start());
    sink.fail(true);
    let relay = RelayProcess::start(store, &sink.url(), &["--retry-schedule", "0,10ms"]);
    let http = http();
    for i in 0..5 {
        assert_eq!(rt.block_on(post(&http, &relay.url, event(i))), Some(200));
    }
    let verb = |args: &[&str]| {
        let mut cmd = connectly(args);
        cmd.arg("--store").arg(store);
        run_hiding(&mut cmd, SECRET)
    };
    eventually(
        Duration::from_secs(20),
        || "5 dead".to_owned(),
        || verb(&["relay", "status", "--json"]).json()["dead"] == 5,
    );
    let dead = verb(&["relay", "dead", "list", "--json"]).code(0).json();
    let events = dead["events"].as_array().unwrap();
    assert_eq!(events.len(), 5);
    assert!(events
        .iter()
        .all(|e| e["attempts"] == 2 && e["state"] == "dead"));
    let key = events[0]["key"].as_str().unwrap().to_owned();
    let shown = verb(&["relay", "events", "show", &key, "--json"])
        .code(0)
        .json();
    let body = shown["body"].as_str().unwrap().as_bytes().to_vec();
    assert_eq!(DeliveryKey::of(&body).to_string(), key);
    // Purging needs a confirmation off a terminal: nothing is deleted without --yes.
    verb(&["relay", "dead", "purge"]).code(1);
    assert_eq!(verb(&["relay", "status", "--json"]).json()["dead"], 5);
    // The handler is fixed; the running relay picks the retried events up.
    sink.fail(false);
    let retried = verb(&["relay", "dead", "retry", "--json"]).code(0).json();
    assert_eq!(retried["replayed"], 5);
    eventually(
        Duration::from_secs(20),
        || "5 delivered".to_owned(),
        || verb(&["relay", "status", "--json"]).json()["delivered"] == 5,
    );
    let export = verb(&["relay", "export", "--jsonl"]).code(0);
    let lines: Vec<serde_json::Value> = export
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l["state"] == "delivered"));
    let keys: HashSet<_> = sink.delivered().into_iter().map(|f| f.key).collect();
    assert_eq!(keys.len(), 5);
    drop(relay);
}

#[test]
fn serve_refuses_a_non_loopback_listen_and_a_plain_http_handler() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("relay.db");
    for (listen, to, says) in [
        (
            "0.0.0.0:0",
            "http://127.0.0.1:9/hook",
            "not a loopback address",
        ),
        ("127.0.0.1:0", "http://example.com/hook", "plain http"),
    ] {
        let mut cmd = connectly(&["relay", "serve", "--listen", listen, "--forward-to", to]);
        cmd.arg("--store")
            .arg(&store)
            .env("CONNECTLY_WEBHOOK_SECRET", SECRET);
        let out = run_hiding(&mut cmd, SECRET).code(2);
        assert!(out.stderr.contains(says), "{out:?}");
    }
}

/// The `--json` shapes of the journal verbs, as reviewed snapshots (times and the store's path
/// replaced), on a journal written through the library: one dead event, one delivered.
#[test]
fn json_of_the_relay_verbs() {
    use connectly_relay::{NewEvent, Outcome, SqliteStore, Store, Write};
    fn normalised(text: &str) -> String {
        fn walk(value: &mut serde_json::Value) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map.iter_mut() {
                        match key.as_str() {
                            "store" => *value = "[store]".into(),
                            k if k.ends_with("At") || k == "oldestPending" => {
                                if value.is_string() {
                                    *value = "[time]".into();
                                }
                            }
                            _ => walk(value),
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
                _ => {}
            }
        }
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        walk(&mut value);
        serde_json::to_string_pretty(&value).unwrap()
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let store = SqliteStore::open(&path).unwrap();
    let bodies = [event(1), event(2)];
    let now = connectly_relay::now_ms();
    let inserts: Vec<Write> = bodies
        .iter()
        .map(|body| {
            Write::Insert(NewEvent {
                key: DeliveryKey::of(body),
                body: body.clone(),
                signature: connectly_webhook::sign(SECRET, body),
                content_type: Some("text/plain; charset=utf-8".to_owned()),
                received_at: now,
                next_at: now,
            })
        })
        .collect();
    store.write(&inserts).unwrap();
    store
        .write(&[
            Write::Attempt {
                key: DeliveryKey::of(&bodies[0]),
                at: now,
                outcome: Outcome::Failed {
                    error: "the handler answered 500 Internal Server Error".to_owned(),
                    next_at: None,
                },
            },
            Write::Attempt {
                key: DeliveryKey::of(&bodies[1]),
                at: now,
                outcome: Outcome::Delivered,
            },
        ])
        .unwrap();
    drop(store);
    let json = |args: &[&str]| {
        let mut cmd = connectly(args);
        cmd.arg("--json").arg("--store").arg(&path);
        normalised(&run_hiding(&mut cmd, SECRET).code(0).stdout)
    };
    let dead_key = DeliveryKey::of(&bodies[0]).to_string();
    insta::assert_snapshot!("json-relay-status", json(&["relay", "status"]));
    insta::assert_snapshot!("json-relay-events-list", json(&["relay", "events", "list"]));
    insta::assert_snapshot!(
        "json-relay-events-show",
        json(&["relay", "events", "show", &dead_key])
    );
    insta::assert_snapshot!(
        "json-relay-dead-purge",
        json(&["relay", "dead", "purge", "--yes"])
    );
    let delivered_key = DeliveryKey::of(&bodies[1]).to_string();
    insta::assert_snapshot!(
        "json-relay-replay",
        json(&["relay", "replay", "--key", &delivered_key])
    );
}
