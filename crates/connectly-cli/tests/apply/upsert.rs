//! `webhooks create --upsert`.

use super::*;

/// The steps of the first business of an `apply --json` report, as `OP OUTCOME ID`.
fn steps_of(report: &Value) -> Vec<String> {
    steps(report)
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["op"].as_str().unwrap(),
                s["outcome"].as_str().unwrap(),
                s["id"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

#[test]
fn upsert_against_an_existing_registration_keeps_its_id_and_sends_no_create() {
    let fake = Fake::start();
    let args = ["--topic", "messages", "--address", "https://example.com/m"];
    let id = fake.create(&args);
    // Another topic's registration is none of upsert's business.
    fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/d",
    ]);
    fake.mock.clear_requests();
    let mut all = vec!["webhooks", "create", "--upsert", "--json"];
    all.extend_from_slice(&args);
    let out = fake.cmd(&all).run().code(0);
    let report = out.json();
    assert_eq!(report["status"], "applied", "{report}");
    let actions = report["businesses"][0]["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{report}");
    assert_eq!(
        (actions[0]["action"].clone(), actions[0]["id"].clone()),
        (json!("unchanged"), json!(id))
    );
    assert_eq!(
        fake.request_lines(),
        [format!("GET /v1/businesses/{BIZ}/webhooks")]
    );

    let moved = [
        "webhooks",
        "create",
        "--upsert",
        "--topic",
        "messages",
        "--address",
        "https://example.com/m2",
    ];
    fake.mock.clear_requests();
    let out = fake.cmd(&moved).run().code(0);
    assert!(
        out.stdout
            .contains(&format!("~ update messages {id} https://example.com/m2")),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("~ address: https://example.com/m → https://example.com/m2"),
        "{out:?}"
    );
    let methods: Vec<String> = fake.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET", "PUT"]);
    assert_eq!(fake.registrations()[0]["address"], "https://example.com/m2");
}

/// Issue 32, finding 1: an upsert that would drop a filter (widening delivery) asks first: off a
/// terminal without `--yes` it changes nothing and exits 1; `--dry-run` exits 3; with `--yes` it
/// applies and prints the diff.
#[test]
fn upsert_that_drops_a_filter_needs_a_confirmation() {
    let fake = Fake::start();
    let id = fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/ds",
        "--channel-type",
        "whatsapp",
        "--filter",
        "campaign_name=summer-*",
    ]);
    fake.mock.clear_requests();
    let upsert = |extra: &[&str]| {
        let mut args = vec![
            "webhooks",
            "create",
            "--upsert",
            "--topic",
            "delivery_status",
            "--address",
            "https://example.com/ds",
        ];
        args.extend_from_slice(extra);
        fake.cmd(&args).run()
    };
    let out = upsert(&[]).code(1);
    assert!(
        out.stdout.contains("- configuration.filters"),
        "the plan first: {out:?}"
    );
    assert!(out.stderr.contains("not confirmed"), "{out:?}");
    let out = upsert(&["--dry-run"]).code(3);
    assert!(
        out.stdout.contains("- configuration.channelTypes"),
        "{out:?}"
    );
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "{:?}",
        fake.request_lines()
    );
    let before = fake.registrations();
    assert_eq!(
        before[0]["configuration"]["filters"][0]["field"],
        "campaign_name"
    );

    let out = upsert(&["--yes"]).code(0);
    assert!(
        out.stdout
            .contains(&format!("~ update delivery_status {id}")),
        "{out:?}"
    );
    assert!(out.stdout.contains("- configuration.filters"), "{out:?}");
    assert_eq!(
        fake.registrations()[0]["configuration"]["filters"],
        json!([])
    );
}

#[test]
fn upsert_racing_a_concurrent_create_ends_with_one_registration() {
    let fake = Fake::start();
    let proxy = Proxy::start(&fake, Fault::RaceCreate);
    let mut cmd = connectly(&[
        "webhooks",
        "create",
        "--upsert",
        "--json",
        "--topic",
        "messages",
        "--address",
        "https://example.com/mine",
    ]);
    cmd.env("CONNECTLY_API_KEY", KEY)
        .args(["--base-url", &proxy.base_url, "--business-id", BIZ]);
    let out = cmd.run().code(0);
    let live = fake.registrations();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["address"], "https://example.com/mine");
    let report = out.json();
    assert_eq!(
        steps_of(&report),
        [format!("create done {}", live[0]["id"].as_str().unwrap())],
        "the other client's registration, adopted: {report}"
    );
}
