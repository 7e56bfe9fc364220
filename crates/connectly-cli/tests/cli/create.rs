//! 1. `webhooks create`; 2. create: 409.

use super::*;

#[test]
fn create_prints_only_the_new_id_and_it_is_the_registered_one() {
    let fake = Fake::start();
    let out = fake
        .create_cmd(&[
            "--topic",
            "messages",
            "--address",
            "https://example.com/webhook/messages",
        ])
        .run()
        .code(0);
    let registrations = fake.registrations();
    assert_eq!(registrations.len(), 1);
    let id = registrations[0]["id"].as_str().unwrap();
    assert_eq!(out.stdout, format!("{id}\n"), "{out:?}");
}

#[test]
fn create_json_prints_an_object_with_the_id() {
    let fake = Fake::start();
    let out = fake
        .create_cmd(&[
            "--json",
            "--topic",
            "delivery_status",
            "--address",
            "https://example.com/webhook/delivery",
        ])
        .run()
        .code(0);
    let id = fake.registrations()[0]["id"].clone();
    assert_eq!(out.json(), json!({ "id": id }));
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
}

#[test]
fn create_sends_exactly_the_documented_body_for_each_reference_example() {
    for (flags, expected) in documented_examples() {
        let fake = Fake::start();
        let mut args = vec!["webhooks", "create"];
        args.extend(flags.iter().copied());
        fake.cmd(&args).run().code(0);
        let requests = fake.requests();
        assert_eq!(
            requests.len(),
            1,
            "one request for {flags:?}: {requests:#?}"
        );
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.path,
            format!("/v1/businesses/{BIZ}/create/webhooks")
        );
        assert!(
            request.authenticated,
            "the key from the environment is sent"
        );
        assert_eq!(
            request.json().expect("a JSON body"),
            expected,
            "body built from {flags:?}"
        );
        assert!(
            request.headers.iter().any(
                |(name, value)| name == "content-type" && value.starts_with("application/json")
            ),
            "{:?}",
            request.headers
        );
    }
}

// ----------------------------------------------------------------------------------------------
// 2. create: 409

#[test]
fn create_for_a_registered_topic_exits_1_naming_the_existing_id_and_the_update_command() {
    let fake = Fake::start();
    let existing = fake.create(&[
        "--topic",
        "messages",
        "--address",
        "https://example.com/one",
    ]);
    let out = fake
        .create_cmd(&[
            "--topic",
            "messages",
            "--address",
            "https://example.com/two",
        ])
        .run()
        .code(1);
    assert_eq!(out.stdout, "", "{out:?}");
    assert!(out.stderr.contains("already has a registration"), "{out:?}");
    assert!(
        out.stderr
            .contains(&format!("connectly webhooks update {existing}")),
        "{out:?}"
    );
    // Nothing changed.
    let registrations = fake.registrations();
    assert_eq!(registrations.len(), 1);
    assert_eq!(registrations[0]["address"], "https://example.com/one");
}
