//! 3. list, update, delete.

use super::*;

#[test]
fn list_prints_a_table_of_the_registrations() {
    let fake = Fake::start();
    let m = fake.create(&["--topic", "messages", "--address", "https://example.com/m"]);
    let d = fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/d",
        "--type",
        "zapier",
    ]);
    let out = fake.cmd(&["webhooks", "list"]).run().code(0);
    let lines: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        vec![
            vec!["ID", "TOPIC", "TYPE", "ADDRESS"],
            vec![m.as_str(), "messages", "custom", "https://example.com/m"],
            vec![
                d.as_str(),
                "delivery_status",
                "zapier",
                "https://example.com/d"
            ],
        ],
        "{out:?}"
    );
}

#[test]
fn list_json_is_the_business_and_its_registrations_with_the_default_type() {
    let fake = Fake::start();
    let m = fake.create(&["--topic", "messages", "--address", "https://example.com/m"]);
    let out = fake.cmd(&["webhooks", "list", "--json"]).run().code(0);
    // The mock stores no `type` (none was sent); the table shows `custom`, and so does --json.
    assert_eq!(fake.registrations()[0].get("type"), None);
    assert_eq!(
        out.json(),
        json!({"businessId": BIZ, "webhooks": [
            {"id": m, "topic": "messages", "address": "https://example.com/m", "type": "custom"}
        ]})
    );
}

#[test]
fn update_changes_the_address_in_place() {
    let fake = Fake::start();
    let id = fake.create(&[
        "--topic",
        "messages",
        "--address",
        "https://example.com/old",
    ]);
    fake.mock.clear_requests();
    let out = fake
        .cmd(&[
            "webhooks",
            "update",
            &id,
            "--address",
            "https://example.com/new",
        ])
        .run()
        .code(0);
    assert!(out.stdout.contains(&id), "{out:?}");
    assert_eq!(
        fake.request_lines(),
        [format!("PUT /v1/businesses/{BIZ}/update/webhooks/{id}")]
    );
    assert_eq!(
        fake.requests()[0].json(),
        Some(json!({"address": "https://example.com/new"}))
    );
    assert_eq!(
        fake.registrations(),
        [json!({"id": id, "topic": "messages", "address": "https://example.com/new"})]
    );
}

#[test]
fn delete_with_yes_removes_the_registration() {
    let fake = Fake::start();
    let id = fake.create(&["--topic", "messages", "--address", "https://example.com/m"]);
    let out = fake
        .cmd(&["webhooks", "delete", &id, "--yes"])
        .run()
        .code(0);
    assert!(out.stdout.contains(&id), "{out:?}");
    assert_eq!(fake.registrations(), Vec::<Value>::new());
}

#[test]
fn delete_of_an_unknown_id_exits_1() {
    let fake = Fake::start();
    let kept = fake.create(&["--topic", "messages", "--address", "https://example.com/m"]);
    let out = fake
        .cmd(&["webhooks", "delete", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--yes"])
        .run()
        .code(1);
    assert!(out.stderr.contains("no such registration"), "{out:?}");
    assert_eq!(fake.registrations().len(), 1);
    assert_eq!(fake.registrations()[0]["id"], kept.as_str());
}

#[test]
fn update_with_nothing_to_change_is_a_usage_error_and_sends_nothing() {
    let fake = Fake::start();
    let out =
        fake.usage_error(&mut fake.cmd(&["webhooks", "update", "01ARZ3NDEKTSV4RRFFQ69G5FAV"]));
    assert!(out.stderr.contains("nothing to update"), "{out:?}");
}
