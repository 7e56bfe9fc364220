//! Plan, then act: the diff, the confirmation, nothing written when something is impossible.

use super::*;

/// Both topics, each differing from [`BOTH`] in the ways the issue names.
const CHANGED: &str = "\
businessId: biz_cli_test
webhooks:
  - topic: messages
    address: https://example.com/webhook/messages-v2
  - topic: delivery_status
    address: https://example.com/webhook/delivery
    configuration:
      filters:
        - field: campaign_name
          expression: summer-promo-*
        - field: campaign_name
          expression: winter-*
";

#[test]
fn apply_dry_run_shows_every_changed_field_in_text_and_json() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    file.set(CHANGED);
    fake.mock.clear_requests();
    let out = fake
        .cmd(&["apply", &file.path(), "--dry-run"])
        .run()
        .code(0);
    for line in [
        "~ address: https://example.com/webhook/messages → https://example.com/webhook/messages-v2",
        "+ configuration.filters[1]: {\"expression\":\"winter-*\",\"field\":\"campaign_name\"}",
        "- configuration.channelTypes: [\"whatsapp\"]",
    ] {
        assert!(
            out.stdout.lines().any(|l| l.trim() == line),
            "{line:?} in {out:?}"
        );
    }
    let out = fake
        .cmd(&["apply", &file.path(), "--dry-run", "--json"])
        .run()
        .code(0);
    let actions = &out.json()["businesses"][0]["actions"];
    assert_eq!(
        actions[0]["changes"],
        json!([{"path": "address", "old": "https://example.com/webhook/messages",
                "new": "https://example.com/webhook/messages-v2"}])
    );
    assert_eq!(
        actions[1]["changes"],
        json!([
            {"path": "configuration.filters[1]", "old": null,
             "new": {"field": "campaign_name", "expression": "winter-*"}},
            {"path": "configuration.channelTypes", "old": ["whatsapp"], "new": null},
        ])
    );
    assert!(!fake.requests().iter().any(is_change));
}

#[test]
fn apply_prune_is_refused_off_a_terminal_without_yes_and_changes_nothing() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    let before = fake.registrations();
    // A plan with a harmless update and a deletion: neither is carried out.
    file.set(&MESSAGES_ONLY.replace("/messages", "/elsewhere"));
    fake.mock.clear_requests();
    let out = fake.cmd(&["apply", &file.path(), "--prune"]).run().code(1);
    assert!(out.stderr.contains("--yes"), "{out:?}");
    assert!(out.stderr.contains("nothing was changed"), "{out:?}");
    assert!(
        !fake.requests().iter().any(is_change),
        "{:?}",
        fake.request_lines()
    );
    assert_eq!(fake.registrations(), before);
    // With --json the report is printed all the same.
    let out = fake
        .cmd(&["apply", &file.path(), "--prune", "--json"])
        .run()
        .code(1);
    assert_eq!(out.json()["status"], "refused");
    assert_eq!(fake.registrations(), before);

    // `webhooks delete` follows the same rule.
    let id = before[0]["id"].as_str().unwrap();
    let out = fake.cmd(&["webhooks", "delete", id]).run().code(1);
    assert!(out.stderr.contains("--yes"), "{out:?}");
    assert_eq!(fake.registrations(), before);
    fake.cmd(&["webhooks", "delete", id, "--yes"]).run().code(0);
    assert_eq!(fake.registrations().len(), 1);
}

#[test]
fn apply_with_one_impossible_entry_writes_nothing_in_any_file() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    // Business 1: a type change (needs --prune) beside a plain update.
    zapier_messages_beside_delivery(&fake);
    write(
        dir.path(),
        "a.yaml",
        &format!(
            "businessId: {BIZ}\nwebhooks:\n  - topic: messages\n    address: https://example.com/m\n  \
             - topic: delivery_status\n    address: https://example.com/d2\n"
        ),
    );
    // Business 2: only creations.
    write(
        dir.path(),
        "b.yaml",
        "businessId: biz_other\nwebhooks:\n  - topic: messages\n    address: https://example.com/x\n",
    );
    fake.mock.clear_requests();
    // Without `--business-id`: each file names its business.
    let mut cmd = connectly(&["apply", dir.path().to_str().unwrap(), "--json"]);
    cmd.env("CONNECTLY_API_KEY", KEY)
        .args(["--base-url", &fake.mock.base_url()]);
    let out = cmd.run().code(1);
    assert!(out.stderr.contains("--prune"), "{out:?}");
    let report = out.json();
    assert_eq!(report["status"], "blocked");
    assert_eq!(
        report["businesses"][0]["actions"][0]["action"],
        "needs-prune"
    );
    assert_eq!(report["businesses"][0]["actions"][1]["action"], "update");
    assert!(
        !fake.requests().iter().any(is_change),
        "{:?}",
        fake.request_lines()
    );
    assert!(fake.mock.registrations("biz_other").is_empty());
}

#[test]
fn apply_clearing_filters_is_an_update_in_place_that_sends_an_empty_list() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    let id = fake.registrations()[1]["id"].clone();
    // delivery_status without its configuration: both lists cleared.
    file.set(&BOTH[..BOTH.find("    configuration:").unwrap()]);
    fake.mock.clear_requests();
    // Removing configuration widens delivery: it needs a confirmation (issue 32).
    let out = fake.cmd(&["apply", &file.path()]).run().code(1);
    assert!(
        out.stderr
            .contains("did not remove configuration from 1 registration(s): not confirmed"),
        "{out:?}"
    );
    assert!(fake.requests().into_iter().all(|r| !is_change(&r)));
    let out = fake.cmd(&["apply", &file.path(), "--yes"]).run().code(0);
    assert!(summary(&out).contains("1 updated"), "{out:?}");
    let changes: Vec<RecordedRequest> = fake.requests().into_iter().filter(is_change).collect();
    assert_eq!(changes.len(), 1, "one PUT, no delete: {changes:#?}");
    assert_eq!(changes[0].method, "PUT");
    // On the wire: the lists are sent, empty.
    let body = changes[0].json().unwrap();
    assert_eq!(body["configuration"]["filters"], json!([]), "{body}");
    assert_eq!(body["configuration"]["channelTypes"], json!([]), "{body}");
    let after = &fake.registrations()[1];
    assert_eq!(after["id"], id, "same registration");
    assert_eq!(after["configuration"]["filters"], json!([]));
    let out = fake
        .cmd(&["apply", &file.path(), "--dry-run", "--exit-code"])
        .run()
        .code(0);
    assert!(summary(&out).contains("2 unchanged"), "{out:?}");
}

#[test]
fn apply_dry_run_exit_code_is_3_with_pending_changes_and_0_without() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path(), "--dry-run", "--exit-code"])
        .run()
        .code(3);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    fake.cmd(&["apply", &file.path(), "--dry-run", "--exit-code"])
        .run()
        .code(0);
    let out = connectly(&["--help"]).run();
    assert!(
        out.stdout
            .contains("3    changes pending (apply --dry-run --exit-code"),
        "{out:?}"
    );
}
