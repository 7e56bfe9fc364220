//! The journal verbs against a running relay's journal, their `--json`, and the listen rule.

use super::*;

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
fn serve_refuses_a_non_loopback_listen_a_plain_http_handler_and_a_lease_too_short() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("relay.db");
    let hook = "http://127.0.0.1:9/hook";
    for (listen, to, lease, says) in [
        ("0.0.0.0:0", hook, "2s", "not a loopback address"),
        ("127.0.0.1:0", "http://example.com/hook", "2s", "plain http"),
        (
            "127.0.0.1:0",
            hook,
            "1999ms",
            "a lease shorter than 2s could lapse",
        ),
    ] {
        let mut cmd = connectly(&["relay", "serve", "--listen", listen, "--forward-to", to]);
        cmd.args(["--lease", lease])
            .arg("--store")
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
