//! `connectly apply`, `export` and the confirmation rule, against the in-process mock and a
//! loopback proxy in front of it that fails on purpose.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::cli::{is_change, workspace_root, write, BAD_YAML};
use crate::common::{connectly, Fake, Out, Run, BIZ, KEY};
use connectly_mock::RecordedRequest;
use serde_json::{json, Value};

// ----------------------------------------------------------------------------------------------
// The first run, the second run, in place, dry run, prune

const BOTH: &str = "\
businessId: biz_cli_test
webhooks:
  - topic: messages
    address: https://example.com/webhook/messages
  - topic: delivery_status
    address: https://example.com/webhook/delivery
    configuration:
      channelTypes: [whatsapp]
      filters:
        - field: campaign_name
          expression: summer-promo-*
";

const MESSAGES_ONLY: &str = "\
businessId: biz_cli_test
webhooks:
  - topic: messages
    address: https://example.com/webhook/messages
";

/// The last line of stdout: the summary.
fn summary(out: &Out) -> &str {
    out.stdout.lines().last().unwrap_or_default()
}

/// A config file in a temporary directory.
struct ConfigFile {
    dir: tempfile::TempDir,
}

impl ConfigFile {
    fn new(text: &str) -> Self {
        let file = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        file.set(text);
        file
    }

    fn set(&self, text: &str) {
        write(self.dir.path(), "webhooks.yaml", text);
    }

    fn path(&self) -> String {
        self.dir
            .path()
            .join("webhooks.yaml")
            .to_str()
            .unwrap()
            .to_owned()
    }
}

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

// ----------------------------------------------------------------------------------------------
// --mock

#[test]
fn apply_example_with_mock_needs_no_api_key() {
    let out = connectly(&["apply", "examples/webhooks.yaml", "--mock"])
        .current_dir(workspace_root())
        .run()
        .code(0);
    assert!(out.stderr.contains("in-process fake"), "{out:?}");
    assert!(summary(&out).starts_with("applied: 2 created"), "{out:?}");
}

#[test]
fn apply_rate_spaces_the_requests() {
    // The list and two creates at 2 requests per second: the third waits for its turn, 1 s after
    // the first (a lower bound only; without the limit the run takes milliseconds).
    let started = std::time::Instant::now();
    let out = connectly(&["apply", "examples/webhooks.yaml", "--mock", "--rate", "2"])
        .current_dir(workspace_root())
        .run()
        .code(0);
    assert!(summary(&out).starts_with("applied: 2 created"), "{out:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= std::time::Duration::from_millis(950),
        "3 requests at --rate 2 took {elapsed:?}"
    );
}

// ----------------------------------------------------------------------------------------------
// Plan, then act: the diff, the confirmation, nothing written when something is impossible

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

/// Creates a `zapier` registration of `messages` at `/m` (returns its id) beside a custom one of
/// `delivery_status` at `/d`.
fn zapier_messages_beside_delivery(fake: &Fake) -> String {
    let messages = fake.create(&[
        "--topic",
        "messages",
        "--address",
        "https://example.com/m",
        "--type",
        "zapier",
    ]);
    fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/d",
    ]);
    messages
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

// ----------------------------------------------------------------------------------------------
// export

#[test]
fn export_then_apply_is_a_no_op_and_adopts_in_place() {
    let fake = Fake::start();
    fake.create(&[
        "--topic",
        "messages",
        "--address",
        "https://example.com/m",
        "--type",
        "zapier",
        "--echo",
        "true",
    ]);
    fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/d",
        "--channel-type",
        "whatsapp",
        "--filter",
        "campaign_name=it's *",
    ]);
    let before = fake.registrations();
    for format in [&[][..], &["--json"][..]] {
        let mut args = vec!["export"];
        args.extend_from_slice(format);
        let out = fake.cmd(&args).run().code(0);
        if format.is_empty() {
            assert!(
                out.stdout
                    .starts_with("# Exported by `connectly export` from http://127.0.0.1:"),
                "{out:?}"
            );
            for r in &before {
                assert!(
                    out.stdout.contains(r["id"].as_str().unwrap()),
                    "ids in comments: {out:?}"
                );
            }
        }
        let file = ConfigFile::new(&out.stdout);
        connectly(&["validate", &file.path()]).run().code(0);
        fake.mock.clear_requests();
        let out = fake
            .cmd(&["apply", &file.path(), "--prune", "--json"])
            .run()
            .code(0);
        assert_eq!(out.json()["summary"]["unchanged"], 2, "{out:?}");
        assert_eq!(
            fake.request_lines(),
            [format!("GET /v1/businesses/{BIZ}/webhooks")]
        );
        assert_eq!(fake.registrations(), before);
    }
}

// ----------------------------------------------------------------------------------------------
// Many businesses

#[test]
fn fifty_files_apply_with_parallel_8_and_a_second_run_changes_nothing() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        write(
            dir.path(),
            &format!("biz{i:02}.yaml"),
            &format!(
                "businessId: biz_{i:02}\nwebhooks:\n  - topic: messages\n    address: https://example.com/{i}/m\n  \
                 - topic: delivery_status\n    address: https://example.com/{i}/d\n"
            ),
        );
    }
    let run = |extra: &[&str]| {
        let mut cmd = connectly(&[
            "apply",
            dir.path().to_str().unwrap(),
            "--parallel",
            "8",
            "--json",
        ]);
        cmd.env("CONNECTLY_API_KEY", KEY)
            .args(["--base-url", &fake.mock.base_url()])
            .args(extra);
        cmd.run()
    };
    let report = run(&[]).code(0).json();
    assert_eq!(report["summary"]["created"], 100);
    assert_eq!(report["summary"]["businesses"], 50);
    let businesses = report["businesses"].as_array().unwrap();
    assert_eq!(
        businesses[7]["businessId"], "biz_07",
        "results kept apart, in file order"
    );
    for i in 0..50 {
        let live = fake.mock.registrations(&format!("biz_{i:02}"));
        assert_eq!(live.len(), 2);
        assert_eq!(live[0]["address"], format!("https://example.com/{i}/m"));
    }
    fake.mock.clear_requests();
    let report = run(&[]).code(0).json();
    assert_eq!(report["summary"]["unchanged"], 100);
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
    run(&["--dry-run", "--exit-code"]).code(0);
}

#[test]
fn a_failing_business_does_not_stop_the_others() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    for biz in ["biz_a", "biz_b"] {
        write(
            dir.path(),
            &format!("{biz}.yaml"),
            &format!("businessId: {biz}\nwebhooks:\n  - topic: messages\n    address: https://example.com/m\n"),
        );
    }
    // biz_b's create fails: the proxy answers 500 to the first POST of biz_b.
    let proxy = Proxy::start(
        &fake,
        Fault::FailPath("/v1/businesses/biz_b/create/webhooks".into()),
    );
    let mut cmd = connectly(&["apply", dir.path().to_str().unwrap(), "--json"]);
    cmd.env("CONNECTLY_API_KEY", KEY)
        .args(["--base-url", &proxy.base_url]);
    let out = cmd.run().code(1);
    let report = out.json();
    assert_eq!(report["businesses"][0]["status"], "applied");
    assert_eq!(report["businesses"][1]["status"], "failed");
    assert_eq!(report["summary"]["businessesFailed"], 1);
    assert_eq!(fake.mock.registrations("biz_a").len(), 1);
    assert!(fake.mock.registrations("biz_b").is_empty());
}

// ----------------------------------------------------------------------------------------------
// Failures say what happened, and a re-run converges

/// What the proxy does to one request.
#[derive(Clone)]
enum Fault {
    /// Refuse the N-th change request (1-based) with 400, without forwarding it: certainly not
    /// carried out.
    FailBefore(usize),
    /// Forward the N-th change request, then break the answer off (the connection drops after
    /// the server carried it out): the outcome is unknown to the client.
    DropAfter(usize),
    /// Answer 500 to requests for this path, without forwarding them.
    FailPath(String),
    /// Before forwarding the first create, register the same topic directly (another client
    /// winning a race).
    RaceCreate,
}

struct ProxyState {
    upstream: String,
    fault: Fault,
    changes: AtomicUsize,
    /// The `METHOD PATH` of the faulty change request: a retry of it meets the same fault and
    /// is not counted again.
    target: std::sync::Mutex<Option<String>>,
    http: reqwest::Client,
}

/// A loopback HTTP proxy in front of the mock that fails on purpose.
struct Proxy {
    base_url: String,
}

impl Proxy {
    fn start(fake: &Fake, fault: Fault) -> Self {
        let state = Arc::new(ProxyState {
            upstream: fake.mock.base_url(),
            fault,
            changes: AtomicUsize::new(0),
            target: std::sync::Mutex::new(None),
            http: reqwest::Client::new(),
        });
        let listener = fake
            .rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(forward).with_state(state);
        fake.rt
            .spawn(async move { axum::serve(listener, app).await });
        Self {
            base_url: format!("http://{addr}"),
        }
    }
}

async fn forward(
    axum::extract::State(state): axum::extract::State<Arc<ProxyState>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let key = request
        .headers()
        .get("x-api-key")
        .cloned()
        .unwrap_or_else(|| axum::http::HeaderValue::from_static(""));
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let line = format!("{method} {path}");
    let n = {
        let mut target = state.target.lock().unwrap();
        if method == "GET" {
            0
        } else if target.as_deref() == Some(line.as_str()) {
            // A retry of the faulty request.
            state.changes.load(Ordering::SeqCst)
        } else {
            let n = state.changes.fetch_add(1, Ordering::SeqCst) + 1;
            if matches!(state.fault, Fault::FailBefore(k) | Fault::DropAfter(k) if k == n) {
                *target = Some(line.clone());
            }
            n
        }
    };
    let failure = |status| {
        (
            status,
            [("content-type", "application/json")],
            r#"{"message": "failed on purpose"}"#,
        )
            .into_response()
    };
    match &state.fault {
        Fault::FailBefore(k) if n == *k => return failure(axum::http::StatusCode::BAD_REQUEST),
        Fault::FailPath(p) if *p == path => {
            return failure(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
        }
        Fault::RaceCreate if method == "POST" && n == 1 => {
            let mut competing: Value = serde_json::from_slice(&body).unwrap();
            competing["address"] = json!("https://example.com/the-other-client");
            state
                .http
                .post(format!("{}{path}", state.upstream))
                .header("x-api-key", key.clone())
                .json(&competing)
                .send()
                .await
                .unwrap();
        }
        _ => {}
    }
    let answer = state
        .http
        .request(method, format!("{}{path}", state.upstream))
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let bytes = answer.bytes().await.unwrap();
    if matches!(state.fault, Fault::DropAfter(k) if n == k) {
        // Carried out upstream; the answer's body breaks off.
        let broken = futures_util::stream::iter([
            Ok(bytes.slice(..bytes.len() / 2)),
            Err(std::io::Error::other("dropped on purpose")),
        ]);
        return (status, axum::body::Body::from_stream(broken)).into_response();
    }
    (status, [("content-type", "application/json")], bytes).into_response()
}

/// Live: messages is a zapier registration, delivery_status has another address. The file
/// wants messages as `custom` (a replace: delete, then create) and delivery_status moved (an
/// update). The change requests, in order: 1 PUT delivery_status, 2 DELETE messages, 3 POST
/// messages.
const WANTED: &str = "\
businessId: biz_cli_test
webhooks:
  - topic: messages
    address: https://example.com/m
  - topic: delivery_status
    address: https://example.com/d2
";

fn outcomes(report: &Value) -> Vec<String> {
    // Plan order: messages (delete, create), then delivery_status (update).
    report["businesses"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["steps"].as_array().cloned().unwrap_or_default())
        .map(|s| {
            format!(
                "{} {}",
                s["op"].as_str().unwrap(),
                s["outcome"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn each_failure_point_reports_the_true_state_and_a_rerun_converges() {
    use Fault::{DropAfter, FailBefore};
    let cases: [(Fault, [&str; 3]); 6] = [
        (
            FailBefore(1),
            [
                "delete not attempted",
                "create not attempted",
                "update failed",
            ],
        ),
        (
            DropAfter(1),
            [
                "delete not attempted",
                "create not attempted",
                "update unknown",
            ],
        ),
        (
            FailBefore(2),
            ["delete failed", "create not attempted", "update done"],
        ),
        (
            DropAfter(2),
            ["delete unknown", "create not attempted", "update done"],
        ),
        (
            FailBefore(3),
            ["delete done", "create failed", "update done"],
        ),
        (
            DropAfter(3),
            ["delete done", "create unknown", "update done"],
        ),
    ];
    for (fault, expected) in cases {
        let label = match &fault {
            FailBefore(k) => format!("fail before change {k}"),
            DropAfter(k) => format!("drop after change {k}"),
            _ => unreachable!(),
        };
        let fake = Fake::start();
        let old = zapier_messages_beside_delivery(&fake);
        let file = ConfigFile::new(WANTED);
        let proxy = Proxy::start(&fake, fault.clone());
        let mut cmd = connectly(&["apply", &file.path(), "--prune", "--yes", "--json"]);
        cmd.env("CONNECTLY_API_KEY", KEY)
            .args(["--base-url", &proxy.base_url]);
        let out = cmd.run().code(1);
        let report = out.json();
        assert_eq!(outcomes(&report), expected, "{label}: {out:?}");

        // The report is the truth: what it says done or unknown-but-carried-out is live.
        let live = fake.registrations();
        let messages = live.iter().find(|r| r["topic"] == "messages");
        let delivery = live
            .iter()
            .find(|r| r["topic"] == "delivery_status")
            .unwrap();
        let updated = matches!(
            fault,
            DropAfter(1) | FailBefore(2) | DropAfter(2) | FailBefore(3) | DropAfter(3)
        );
        assert_eq!(
            delivery["address"] == "https://example.com/d2",
            updated,
            "{label}: {live:?}"
        );
        match &fault {
            FailBefore(1) | DropAfter(1) | FailBefore(2) => {
                assert_eq!(messages.unwrap()["id"], old.as_str(), "{label}")
            }
            DropAfter(2) | FailBefore(3) => assert!(messages.is_none(), "{label}: {live:?}"),
            _ => assert_ne!(messages.unwrap()["id"], old.as_str(), "{label}"),
        }
        if let FailBefore(3) = fault {
            // The old registration is gone: say so, and how to restore it.
            let hint = out
                .stderr
                .lines()
                .find(|l| l.contains(&old))
                .unwrap_or_else(|| panic!("{label}: a hint naming the deleted id: {out:?}"));
            assert!(hint.contains("deleted"), "{hint}");
            assert!(
                hint.contains(&format!(
                    "connectly webhooks create --business-id {BIZ} --topic messages --address https://example.com/m --type zapier"
                )),
                "{hint}"
            );
        }

        // A re-run (no fault now) converges, and then nothing is pending.
        fake.cmd(&["apply", &file.path(), "--prune", "--yes"])
            .run()
            .code(0);
        fake.cmd(&["apply", &file.path(), "--dry-run", "--exit-code"])
            .run()
            .code(0);
        let live = fake.registrations();
        assert_eq!(live.len(), 2, "{label}: {live:?}");
        assert!(
            live.iter()
                .all(|r| r.get("type").is_none_or(|t| t == "custom")),
            "{label}: {live:?}"
        );
    }
}

// ----------------------------------------------------------------------------------------------
// webhooks create --upsert

/// The steps of the first business of an `apply --json` report, as `OP OUTCOME ID`.
fn steps_of(report: &Value) -> Vec<String> {
    report["businesses"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["steps"].as_array().cloned().unwrap_or_default())
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

// ----------------------------------------------------------------------------------------------
// A business that cannot be reached (issue 27, item 4)

/// `apply` against a port nothing listens on: the business's failure keeps its cause chain and
/// hint, in text and in `--json`, as `webhooks list` shows them.
#[test]
fn apply_to_a_closed_port_reports_the_causes_and_the_hint() {
    let file = ConfigFile::new(MESSAGES_ONLY);
    let path = file.path();
    let args = ["apply", path.as_str(), "--base-url", "http://127.0.0.1:1"];
    let mut cmd = connectly(&args);
    let out = cmd.env("CONNECTLY_API_KEY", KEY).run().code(1);
    assert!(
        out.stdout.contains("error: cannot list the registrations"),
        "{out:?}"
    );
    assert!(out.stdout.contains("caused by: "), "{out:?}");
    assert!(
        out.stdout.contains("Connection refused") || out.stdout.contains("connection refused"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("hint: nothing is listening on 127.0.0.1:1"),
        "{out:?}"
    );

    let mut all = vec!["--json"];
    all.extend_from_slice(&args);
    let mut cmd = connectly(&all);
    let json = cmd.env("CONNECTLY_API_KEY", KEY).run().code(1).json();
    let error = &json["businesses"][0]["error"];
    assert_eq!(error["kind"], "connection", "{json}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot list the registrations"),
        "{json}"
    );
    assert!(!error["causes"].as_array().unwrap().is_empty(), "{json}");
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("nothing is listening on 127.0.0.1:1"),
        "{json}"
    );
}

/// Issue 33, finding 5: when the create of a replace fails after the old registration was
/// deleted, the way back never shows the old WebEngage token (text or `--json`): the old
/// registration is saved to a file only its owner can read, and `connectly apply` of that file
/// restores it.
#[test]
fn a_failed_replace_never_shows_the_old_webengage_token() {
    const TOKEN: &str = "wetok_SECRET_4d3c2b";
    for json in [false, true] {
        let fake = Fake::start();
        let old = fake.create(&[
            "--topic",
            "messages",
            "--address",
            "https://example.com/m",
            "--type",
            "webengage",
            "--webengage-token",
            TOKEN,
            "--webengage-webhook-url",
            "https://webengage.example/hook",
        ]);
        fake.create(&[
            "--topic",
            "delivery_status",
            "--address",
            "https://example.com/d",
        ]);
        let file = ConfigFile::new(WANTED);
        let proxy = Proxy::start(&fake, Fault::FailBefore(3));
        let path = file.path();
        let mut args = vec!["apply", path.as_str(), "--prune", "--yes"];
        if json {
            args.push("--json");
        }
        let mut cmd = connectly(&args);
        cmd.env("CONNECTLY_API_KEY", KEY)
            .args(["--base-url", &proxy.base_url]);
        let out = crate::common::run_hiding(&mut cmd, TOKEN).code(1);
        let hint = if json {
            let report = out.json();
            report["businesses"][0]["hints"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|h| h.as_str())
                .find(|h| h.contains(&old))
                .unwrap_or_else(|| panic!("a hint naming the deleted id: {out:?}"))
                .to_owned()
        } else {
            out.stderr
                .lines()
                .find(|l| l.contains(&old))
                .unwrap_or_else(|| panic!("a hint naming the deleted id: {out:?}"))
                .to_owned()
        };
        let restore = hint
            .split('`')
            .find_map(|part| part.strip_prefix("connectly apply "))
            .unwrap_or_else(|| panic!("a `connectly apply FILE` in {hint}"))
            .to_owned();
        assert!(hint.contains("mode 0600"), "{hint}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&restore).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{restore}");
        }
        // The file restores the old registration, token included.
        fake.cmd(&["apply", &restore]).run().code(0);
        std::fs::remove_file(&restore).unwrap();
        let live = fake.registrations();
        let messages = live.iter().find(|r| r["topic"] == "messages").unwrap();
        assert_eq!(messages["type"], "webengage", "{live:?}");
        assert_eq!(
            messages["configuration"]["webengageConfiguration"]["webengageToken"],
            TOKEN
        );
    }
}

// ----------------------------------------------------------------------------------------------
// Exit codes and the top-level status agree with what happened (issue 32)

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

/// Issue 32, finding 4: SIGINT in the middle of a long apply (12 businesses at 4 requests a
/// second) starts no new request, lets those in flight end, exits 130 and reports exactly what
/// was done and not attempted: the counts match the mock's request log.
#[cfg(unix)]
#[test]
fn sigint_mid_apply_reports_what_was_done_and_exits_130() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        write(
            dir.path(),
            &format!("b{i:02}.yaml"),
            &format!(
                "businessId: biz_{i:02}\nwebhooks:\n  - topic: messages\n    address: https://example.com/{i}\n"
            ),
        );
    }
    let creates = || {
        fake.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/create/webhooks"))
            .count()
    };
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("connectly"))
        .args(["--json", "apply"])
        .arg(dir.path())
        .args(["--rate", "4", "--parallel", "2", "--base-url"])
        .arg(fake.mock.base_url())
        .env("CONNECTLY_API_KEY", KEY)
        .env_remove("CONNECTLY_BUSINESS_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (polling, with a deadline) until some creates went through, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(20);
    while creates() < 3 {
        assert!(Instant::now() < deadline, "no creates within 20 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["status"], "interrupted", "{report}");
    let steps: Vec<&Value> = report["businesses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["actions"].as_array().unwrap())
        .flat_map(|a| a["steps"].as_array().unwrap())
        .collect();
    let count = |outcome: &str| steps.iter().filter(|s| s["outcome"] == outcome).count();
    let sent = creates();
    assert_eq!(steps.len(), 12, "{report}");
    assert_eq!(count("done"), sent, "{report}");
    assert_eq!(count("unknown"), 0, "{report}");
    assert_eq!(count("not attempted"), 12 - sent, "{report}");
    assert!(
        sent < 12,
        "the interrupt came too late to test anything: {report}"
    );
}
