//! What the live API may hold that the mock refuses to (issue 33): a topic this version does not
//! know, and a second registration for one topic. Every verb that reads the list keeps and shows
//! them; `apply` leaves unknown topics alone and deletes an extra registration only with
//! `--prune`; `export` writes a file that `validate` accepts.

use connectly_tests::LiveApi;
use serde_json::{json, Value};

use crate::cli::write;
use crate::common::{connectly, Run, BIZ};

const M: &str = "https://example.com/webhook/messages";
const STEAL: &str = "https://attacker.example/steal";

/// `wh_1` matches the config below, `wh_2` is a second `messages` registration, `wh_9` has a
/// topic this version does not know.
fn live() -> LiveApi {
    LiveApi::start(json!([
        {"id": "wh_2", "topic": "messages", "address": STEAL},
        {"id": "wh_1", "topic": "messages", "address": M,
         "configuration": {"echo": false, "filters": []}},
        {"id": "wh_9", "topic": "templates", "address": "https://example.com/t", "type": "future",
         "createdAt": "2026-12-01T10:00:00Z", "labels": ["x"]}
    ]))
}

fn config() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("businessId: {BIZ}\nwebhooks:\n  - topic: messages\n    address: {M}\n");
    write(dir.path(), "ok.yaml", &text);
    let path = dir.path().join("ok.yaml").to_string_lossy().into_owned();
    (dir, path)
}

#[test]
fn list_keeps_and_shows_an_unknown_topic_and_type() {
    let api = live();
    let out = api.cmd(&["webhooks", "list"]).run().code(0);
    let row = out.stdout.lines().find(|l| l.contains("wh_9")).unwrap();
    assert!(
        row.contains("templates") && row.contains("future"),
        "{out:?}"
    );
    assert_eq!(out.stdout.lines().count(), 4, "{out:?}");
    let json = api
        .cmd(&["--json", "webhooks", "list"])
        .run()
        .code(0)
        .json();
    let listed: Vec<&Value> = json["webhooks"].as_array().unwrap().iter().collect();
    assert_eq!(listed[2]["topic"], "templates", "{json}");
    assert_eq!(listed[2]["type"], "future", "{json}");
    // A field this version does not know is kept and shown as it came.
    assert_eq!(listed[2]["createdAt"], "2026-12-01T10:00:00Z", "{json}");
    assert_eq!(listed[2]["labels"], json!(["x"]), "{json}");
}

#[test]
fn a_dry_run_shows_every_live_registration_and_the_extra_one_is_drift() {
    let api = live();
    let (_dir, path) = config();
    let out = api
        .cmd(&["apply", &path, "--dry-run", "--exit-code"])
        .run()
        .code(3);
    assert!(out.stdout.contains("unchanged messages wh_1"), "{out:?}");
    let extra = out.stdout.lines().find(|l| l.contains("wh_2")).unwrap();
    assert!(
        extra.contains("extra") && extra.contains(STEAL) && extra.contains("--prune"),
        "{out:?}"
    );
    let unknown = out.stdout.lines().find(|l| l.contains("wh_9")).unwrap();
    assert!(
        unknown
            .trim_start()
            .starts_with("? unknown-topic templates")
            && unknown.contains("left alone"),
        "{out:?}"
    );
    assert!(api.writes().is_empty(), "{:?}", api.requests());

    let json = api
        .cmd(&["--json", "apply", &path, "--dry-run", "--exit-code"])
        .run()
        .code(3)
        .json();
    assert_eq!(json["changesPending"], true, "{json}");
    let summary = &json["summary"];
    assert_eq!(
        (summary["extra"].clone(), summary["unknownTopic"].clone()),
        (json!(1), json!(1)),
        "{json}"
    );
}

#[test]
fn apply_without_prune_deletes_nothing_and_says_the_extra_one_remains() {
    let api = live();
    let (_dir, path) = config();
    let out = api.cmd(&["apply", &path, "--yes"]).run().code(0);
    assert!(out.stdout.contains("1 extra"), "{out:?}");
    assert!(api.writes().is_empty(), "{:?}", api.requests());
}

#[test]
fn apply_prune_deletes_the_extra_registration_and_leaves_the_unknown_topic_alone() {
    let api = live();
    let (_dir, path) = config();
    let out = api.cmd(&["apply", &path, "--prune", "--yes"]).run().code(0);
    assert_eq!(
        api.writes(),
        [format!("DELETE /v1/businesses/{BIZ}/delete/webhooks/wh_2")],
        "{out:?}"
    );
    assert_eq!(api.ids(), ["wh_1", "wh_9"], "{out:?}");
    assert!(out.stdout.contains("1 deleted"), "{out:?}");
    // Off a terminal, --prune alone deletes nothing.
    let api = live();
    let out = api.cmd(&["apply", &path, "--prune"]).run().code(1);
    assert!(api.writes().is_empty(), "{out:?}");
}

#[test]
fn export_writes_a_file_validate_accepts_and_says_what_it_left_out() {
    let api = live();
    let out = api.cmd(&["export"]).run().code(0);
    assert!(out.stdout.contains("# Left out: \"wh_9\""), "{out:?}");
    assert!(out.stdout.contains("# Left out: \"wh_1\""), "{out:?}");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "exported.yaml", &out.stdout);
    let file = dir.path().join("exported.yaml");
    connectly(&["validate", file.to_str().unwrap()])
        .run()
        .code(0);

    let out = api.cmd(&["--json", "export"]).run().code(0);
    assert_eq!(
        out.json()["webhooks"].as_array().unwrap().len(),
        1,
        "{out:?}"
    );
    assert!(out.stderr.contains("warning: left out wh_9"), "{out:?}");
}

// ----------------------------------------------------------------------------------------------
// Text from the server reaches the terminal escaped (issue 27 item 6, issue 33 finding 6)

const HOSTILE_ID: &str = "wh_\u{1b}[2J\r\u{202e}x";
const HOSTILE_ADDRESS: &str = "https://example.com/\u{1b}[31m\u{202e}gpj.exe";

/// Nothing that drives a terminal or reorders text: no ESC, CR or bidirectional override.
fn assert_printable(text: &str, what: &str) {
    assert!(
        !text.contains(['\u{1b}', '\r', '\u{202e}']),
        "{what} holds raw control or bidi characters: {text:?}"
    );
}

fn hostile() -> LiveApi {
    LiveApi::start(json!([
        {"id": HOSTILE_ID, "topic": "messages", "address": HOSTILE_ADDRESS}
    ]))
}

#[test]
fn webhooks_list_shows_hostile_ids_and_addresses_escaped() {
    let api = hostile();
    let out = api.cmd(&["webhooks", "list"]).run().code(0);
    assert_printable(&out.stdout, "stdout");
    assert!(out.stdout.contains("wh_\\u{1b}[2J\\r\\u{202e}x"), "{out:?}");
    // JSON carries the original text (JSON escapes it).
    let json = api
        .cmd(&["--json", "webhooks", "list"])
        .run()
        .code(0)
        .json();
    assert_eq!(json["webhooks"][0]["id"], HOSTILE_ID);
}

#[test]
fn apply_plans_show_hostile_ids_and_addresses_escaped() {
    let api = hostile();
    let (_dir, path) = config();
    let out = api.cmd(&["apply", &path, "--dry-run"]).run().code(0);
    assert_printable(&out.stdout, "stdout");
    assert_printable(&out.stderr, "stderr");
    assert!(out.stdout.contains("\\u{202e}gpj.exe"), "{out:?}");
}

#[test]
fn export_writes_hostile_text_as_escapes() {
    let api = hostile();
    let out = api.cmd(&["export"]).run().code(0);
    assert_printable(&out.stdout, "stdout");
    // As JSON escapes inside the double-quoted scalars: the values read back are the same.
    assert!(
        out.stdout
            .contains(r#"address: "https://example.com/\u001b[31m\u202egpj.exe""#),
        "{out:?}"
    );
}

#[test]
fn a_server_message_is_shown_escaped_in_errors() {
    let api = hostile();
    for args in [
        vec!["webhooks", "delete", "x\u{1b}[2J\u{202e}", "--yes"],
        vec![
            "webhooks",
            "update",
            "x\u{1b}[2J\u{202e}",
            "--address",
            "https://example.com/n",
        ],
    ] {
        let out = api.cmd(&args).run().code(1);
        assert_printable(&out.stderr, "stderr");
        assert!(
            out.stderr.contains("no webhook x\\u{1b}[2J\\u{202e}"),
            "{out:?}"
        );
        // Under --json the message is the server's text as it was (issue 32): JSON escapes it,
        // so stdout still holds no raw control or bidi character.
        let mut json_args = vec!["--json"];
        json_args.extend_from_slice(&args);
        let out = api.cmd(&json_args).run().code(1);
        assert_printable(&out.stdout, "stdout");
        let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("no webhook x\u{1b}[2J\u{202e} (code"),
            "{message:?}"
        );
    }
}
