//! The first run, the second run, in place, dry run, prune.

use super::*;

#[test]
fn apply_creates_what_is_missing_on_the_first_run() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    let out = fake.cmd(&["apply", &file.path()]).run().code(0);
    assert!(
        summary(&out).starts_with("applied: 2 created, 0 updated, 0 unchanged"),
        "{out:?}"
    );
    let registrations = fake.registrations();
    let without_ids: Vec<Value> = registrations
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("id");
            r
        })
        .collect();
    assert_eq!(
        without_ids,
        [
            json!({"topic": "messages", "address": "https://example.com/webhook/messages"}),
            json!({"topic": "delivery_status", "address": "https://example.com/webhook/delivery",
                   "configuration": {"channelTypes": ["whatsapp"],
                   "filters": [{"field": "campaign_name", "expression": "summer-promo-*"}]}}),
        ]
    );
    for r in &registrations {
        assert!(
            out.stdout.contains(r["id"].as_str().unwrap()),
            "the new ids are shown: {out:?}"
        );
    }
}

#[test]
fn apply_reads_the_config_from_stdin() {
    let fake = Fake::start();
    let out = fake.cmd(&["apply", "-"]).write_stdin(BOTH).run().code(0);
    assert!(summary(&out).starts_with("applied: 2 created"), "{out:?}");
    assert_eq!(fake.registrations().len(), 2);
}

#[test]
fn apply_second_run_changes_nothing_and_only_lists() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    let before = fake.registrations();
    fake.mock.clear_requests();
    let out = fake.cmd(&["apply", &file.path()]).run().code(0);
    assert!(
        summary(&out)
            .starts_with("applied: 0 created, 0 updated, 2 unchanged, 0 replaced, 0 deleted"),
        "{out:?}"
    );
    assert_eq!(
        fake.request_lines(),
        [format!("GET /v1/businesses/{BIZ}/webhooks")]
    );
    assert_eq!(fake.registrations(), before);
}

#[test]
fn apply_updates_a_changed_address_in_place_keeping_the_id() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    let id = fake.registrations()[0]["id"].clone();
    file.set(&BOTH.replace(
        "https://example.com/webhook/messages",
        "https://example.com/webhook/messages-v2",
    ));
    fake.mock.clear_requests();
    let out = fake.cmd(&["apply", &file.path()]).run().code(0);
    assert!(
        summary(&out).starts_with("applied: 0 created, 1 updated, 1 unchanged"),
        "{out:?}"
    );
    let requests: Vec<RecordedRequest> = fake.requests().into_iter().filter(is_change).collect();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].method, "PUT");
    let registrations = fake.registrations();
    assert_eq!(registrations.len(), 2);
    assert_eq!(registrations[0]["id"], id, "updated in place");
    assert_eq!(
        registrations[0]["address"],
        "https://example.com/webhook/messages-v2"
    );
    // And now it is stable.
    let out = fake.cmd(&["apply", &file.path()]).run().code(0);
    assert!(summary(&out).contains("2 unchanged"), "{out:?}");
}

#[test]
fn apply_dry_run_sends_no_change() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    let out = fake
        .cmd(&["apply", &file.path(), "--dry-run"])
        .run()
        .code(0);
    assert!(summary(&out).contains("dry run"), "{out:?}");
    assert!(summary(&out).contains("2 created"), "{out:?}");
    assert_eq!(
        fake.request_lines(),
        [format!("GET /v1/businesses/{BIZ}/webhooks")]
    );
    assert!(fake.registrations().is_empty());

    // With live registrations to update and prune, too.
    fake.cmd(&["apply", &file.path()]).run().code(0);
    let before = fake.registrations();
    file.set(&MESSAGES_ONLY.replace("/messages", "/elsewhere"));
    fake.mock.clear_requests();
    let out = fake
        .cmd(&["apply", &file.path(), "--dry-run", "--prune"])
        .run()
        .code(0);
    assert!(summary(&out).contains("1 updated"), "{out:?}");
    assert!(summary(&out).contains("1 deleted"), "{out:?}");
    assert!(
        !fake.requests().iter().any(is_change),
        "{:?}",
        fake.request_lines()
    );
    assert_eq!(fake.registrations(), before);
}

#[test]
fn apply_keeps_and_reports_registrations_not_in_the_file_without_prune() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    file.set(MESSAGES_ONLY);
    fake.mock.clear_requests();
    let out = fake.cmd(&["apply", &file.path()]).run().code(0);
    let kept_line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("kept"))
        .unwrap_or_else(|| panic!("a kept row: {out:?}"));
    assert!(kept_line.contains("delivery_status"), "{out:?}");
    assert!(kept_line.contains("--prune"), "{out:?}");
    assert!(summary(&out).contains("1 kept"), "{out:?}");
    assert!(!fake.requests().iter().any(is_change));
    assert_eq!(fake.registrations().len(), 2);
}

#[test]
fn apply_prune_deletes_registrations_not_in_the_file() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    fake.cmd(&["apply", &file.path()]).run().code(0);
    let delivery_id = fake.registrations()[1]["id"].as_str().unwrap().to_owned();
    file.set(MESSAGES_ONLY);
    fake.mock.clear_requests();
    let out = fake
        .cmd(&["apply", &file.path(), "--prune", "--yes"])
        .run()
        .code(0);
    assert!(summary(&out).contains("1 deleted"), "{out:?}");
    let changes: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| is_change(r))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        changes,
        [format!(
            "DELETE /v1/businesses/{BIZ}/delete/webhooks/{delivery_id}"
        )]
    );
    let registrations = fake.registrations();
    assert_eq!(registrations.len(), 1);
    assert_eq!(registrations[0]["topic"], "messages");
}

#[test]
fn apply_type_change_needs_prune_then_replaces() {
    let fake = Fake::start();
    let old = fake.create(&[
        "--topic",
        "messages",
        "--address",
        "https://example.com/webhook/messages",
        "--type",
        "zapier",
    ]);
    let file = ConfigFile::new(MESSAGES_ONLY);
    fake.mock.clear_requests();
    let out = fake.cmd(&["apply", &file.path()]).run().code(1);
    assert!(out.stderr.contains("--prune"), "{out:?}");
    assert!(out.stdout.contains("needs-prune"), "{out:?}");
    assert!(!fake.requests().iter().any(is_change));
    assert_eq!(fake.registrations()[0]["type"], "zapier");

    fake.mock.clear_requests();
    let out = fake
        .cmd(&["apply", &file.path(), "--prune", "--yes"])
        .run()
        .code(0);
    assert!(summary(&out).contains("1 replaced"), "{out:?}");
    assert!(out.stdout.contains("delivery gap"), "{out:?}");
    assert!(out.stdout.contains("~ type: zapier → custom"), "{out:?}");
    let changes: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| is_change(r))
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(changes, ["DELETE", "POST"]);
    let registrations = fake.registrations();
    assert_eq!(registrations.len(), 1);
    assert_ne!(registrations[0]["id"], old.as_str(), "a new registration");
    assert!(
        registrations[0].get("type").is_none() || registrations[0]["type"] == "custom",
        "{registrations:?}"
    );
}

#[test]
fn apply_invalid_file_sends_nothing_and_reports_located_errors() {
    let fake = Fake::start();
    let file = ConfigFile::new(BAD_YAML);
    let out = fake.cmd(&["apply", &file.path()]).run().code(1);
    assert!(fake.requests().is_empty(), "{:?}", fake.request_lines());
    let path = file.path();
    // (no `missing required key "address"` beside `adress`, which was meant to be it)
    assert_eq!(out.located().len(), 5, "{out:?}");
    assert_eq!(out.located()[0], format!("{path}:4:5"), "{out:?}");
    assert!(out.stderr.contains("did you mean `address`?"), "{out:?}");
    assert!(out.stderr.contains("nothing was changed"), "{out:?}");
    assert!(fake.registrations().is_empty());
}

#[test]
fn apply_json_summary_parses() {
    let fake = Fake::start();
    let file = ConfigFile::new(BOTH);
    let out = fake.cmd(&["apply", &file.path(), "--json"]).run().code(0);
    let report = out.json();
    assert_eq!(report["status"], "applied");
    assert_eq!(report["dryRun"], false);
    let business = &report["businesses"][0];
    assert_eq!(business["businessId"], BIZ);
    assert_eq!(
        business["summary"],
        json!({"created": 2, "updated": 0, "unchanged": 0, "replaced": 0, "deleted": 0,
               "needsPrune": 0, "kept": 0, "extra": 0, "unknownTopic": 0, "failed": 0,
               "unknown": 0, "notAttempted": 0})
    );
    assert_eq!(report["summary"]["businesses"], 1);
    let ids: Vec<Value> = fake
        .registrations()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    let actions = business["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2);
    for (action, id) in actions.iter().zip(&ids) {
        assert_eq!(action["action"], "create");
        assert_eq!(&action["id"], id);
        assert_eq!(
            action["steps"],
            json!([{"op": "create", "id": id, "outcome": "done", "error": null}])
        );
    }
}
