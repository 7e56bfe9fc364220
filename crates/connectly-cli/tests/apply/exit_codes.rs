//! Exit codes and the top-level status agree with what happened (issue 32).

use super::*;

/// Issue 32, finding 2: a difference only a replace can make is drift (exit 3) in a dry run,
/// not a failure.
#[test]
fn a_dry_run_with_a_replace_only_difference_exits_3() {
    let fake = Fake::start();
    zapier_messages_beside_delivery(&fake);
    let file = ConfigFile::new(
        "businessId: biz_cli_test\nwebhooks:\n  - topic: messages\n    address: https://example.com/m\n  - topic: delivery_status\n    address: https://example.com/d\n",
    );
    fake.mock.clear_requests();
    let out = fake
        .cmd(&["apply", &file.path(), "--dry-run", "--exit-code"])
        .run()
        .code(3);
    assert!(out.stdout.contains("needs-prune messages"), "{out:?}");
    // Without --exit-code a dry run exits 0, whatever its plan holds.
    fake.cmd(&["apply", &file.path(), "--dry-run"])
        .run()
        .code(0);
    let json = fake
        .cmd(&["--json", "apply", &file.path(), "--dry-run", "--exit-code"])
        .run()
        .code(3)
        .json();
    assert_eq!(
        (json["status"].clone(), json["changesPending"].clone()),
        (json!("planned"), json!(true)),
        "{json}"
    );
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "{:?}",
        fake.request_lines()
    );
}

/// Issue 32, finding 3: the top-level status is `failed` when the business failed.
#[test]
fn the_json_status_of_a_run_whose_business_failed_is_failed() {
    let file = ConfigFile::new(MESSAGES_ONLY);
    let mut cmd = connectly(&[
        "--json",
        "apply",
        &file.path(),
        "--base-url",
        "http://127.0.0.1:1",
    ]);
    let json = cmd.env("CONNECTLY_API_KEY", KEY).run().code(1).json();
    assert_eq!(json["status"], "failed", "{json}");
    assert_eq!(json["summary"]["businessesFailed"], 1, "{json}");
}
