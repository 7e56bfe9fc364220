//! The `connectly` binary, run for real against a `connectly_mock::MockServer` started in the
//! test process on loopback. The API key always travels in `CONNECTLY_API_KEY` (or a key file),
//! never in the arguments, and every run checks that it appears in no output.

use std::path::{Path, PathBuf};

use crate::common::{connectly, list_unreachable, Fake, Out, Run, BIZ, KEY};
use connectly_mock::RecordedRequest;
use serde_json::{json, Value};

/// The documented Create Webhook examples: the flags that build each one, and its body.
fn documented_examples() -> Vec<(Vec<&'static str>, Value)> {
    vec![
        (
            vec![
                "--topic",
                "messages",
                "--address",
                "https://example.com/webhook/messages",
            ],
            json!({"topic": "messages", "address": "https://example.com/webhook/messages"}),
        ),
        (
            vec![
                "--topic",
                "delivery_status",
                "--address",
                "https://example.com/webhook/delivery",
            ],
            json!({"topic": "delivery_status", "address": "https://example.com/webhook/delivery"}),
        ),
        (
            vec![
                "--topic",
                "delivery_status",
                "--address",
                "https://example.com/webhook/delivery",
                "--channel-type",
                "whatsapp",
                "--filter",
                "campaign_name=summer-promo-*",
            ],
            json!({
                "topic": "delivery_status",
                "address": "https://example.com/webhook/delivery",
                "configuration": {
                    "channelTypes": ["whatsapp"],
                    "filters": [{"field": "campaign_name", "expression": "summer-promo-*"}]
                }
            }),
        ),
    ]
}

// ----------------------------------------------------------------------------------------------
// Harness

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) fn is_change(request: &RecordedRequest) -> bool {
    request.method != "GET"
}

// ----------------------------------------------------------------------------------------------
// 1. webhooks create

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

// ----------------------------------------------------------------------------------------------
// 3. list, update, delete

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

// ----------------------------------------------------------------------------------------------
// 4. usage errors: exit 2, nothing sent

#[test]
fn unknown_topic_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(&mut fake.create_cmd(&[
        "--topic",
        "orders",
        "--address",
        "https://example.com/m",
    ]));
    assert!(out.stderr.contains("orders"), "{out:?}");
    assert!(
        out.stderr.contains("messages") && out.stderr.contains("delivery_status"),
        "the allowed topics are listed: {out:?}"
    );
}

#[test]
fn missing_api_key_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(
        fake.cmd(&["webhooks", "list"])
            .env_remove("CONNECTLY_API_KEY"),
    );
    assert!(out.stderr.contains("CONNECTLY_API_KEY"), "{out:?}");
}

#[test]
fn empty_api_key_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(fake.cmd(&["webhooks", "list"]).env("CONNECTLY_API_KEY", ""));
    assert!(out.stderr.contains("no API key"), "{out:?}");
}

#[test]
fn missing_business_id_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(
        connectly(&["webhooks", "list", "--base-url", &fake.mock.base_url()])
            .env("CONNECTLY_API_KEY", KEY),
    );
    assert!(out.stderr.contains("--business-id"), "{out:?}");
}

#[test]
fn business_id_from_the_environment_is_used() {
    let fake = Fake::start();
    connectly(&["webhooks", "list", "--base-url", &fake.mock.base_url()])
        .env("CONNECTLY_API_KEY", KEY)
        .env("CONNECTLY_BUSINESS_ID", "biz_from_env")
        .run()
        .code(0);
    assert_eq!(
        fake.request_lines(),
        ["GET /v1/businesses/biz_from_env/webhooks"]
    );
}

#[test]
fn http_address_is_refused_naming_the_address_flag() {
    let fake = Fake::start();
    let out = fake.usage_error(&mut fake.create_cmd(&[
        "--topic",
        "messages",
        "--address",
        "http://example.com/webhook",
    ]));
    assert!(out.stderr.contains("--address"), "{out:?}");
}

#[test]
fn plain_http_base_url_to_a_non_loopback_host_is_refused() {
    let out = connectly(&[
        "webhooks",
        "list",
        "--base-url",
        "http://example.com",
        "--business-id",
        BIZ,
    ])
    .env("CONNECTLY_API_KEY", KEY)
    .run()
    .code(2);
    assert!(out.stderr.contains("http://example.com"), "{out:?}");
    assert!(out.stderr.contains("HTTPS"), "{out:?}");
}

#[test]
fn non_positive_timeout_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(&mut fake.cmd(&["webhooks", "list", "--timeout", "0"]));
    assert!(out.stderr.contains("--timeout"), "{out:?}");
}

/// Issue 33.8: `--retries` has the client's cap; more is a usage error, and nothing is sent.
#[test]
fn retries_over_the_cap_is_a_usage_error() {
    let fake = Fake::start();
    let cap = connectly_client::MAX_RETRIES.to_string();
    let over = (connectly_client::MAX_RETRIES + 1).to_string();
    let out = fake.usage_error(&mut fake.cmd(&["webhooks", "list", "--retries", &over]));
    assert!(out.stderr.contains("--retries"), "{out:?}");
    fake.cmd(&["webhooks", "list", "--retries", &cap])
        .run()
        .code(0);
}

/// Issue 33.3: with every proxy variable naming a loopback listener, the commands that talk to
/// a loopback host (the API by `--base-url` or `localhost`, `--mock`, a receiver of `events
/// send`) go direct and succeed; the proxy, which would read `X-API-Key` in clear, sees no
/// connection. The variables are set on the child only.
#[test]
fn proxy_variables_are_not_used_for_loopback_targets() {
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let proxied = |mut cmd: assert_cmd::Command| {
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env(var, &proxy_url);
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        // A proxied request would wait for an answer the listener never gives: fail fast.
        cmd.args(["--timeout", "5"]);
        cmd
    };
    let fake = Fake::start();
    let port = fake.mock.addr().port();

    proxied(fake.cmd(&["webhooks", "list", "--retries", "0"]))
        .run()
        .code(0);
    let mut localhost = connectly(&["webhooks", "list", "--retries", "0", "--business-id", BIZ]);
    localhost
        .env("CONNECTLY_API_KEY", KEY)
        .args(["--base-url", &format!("http://localhost:{port}")]);
    proxied(localhost).run().code(0);
    let listed = format!("GET /v1/businesses/{BIZ}/webhooks");
    assert_eq!(fake.request_lines(), [listed.clone(), listed]);
    proxied(connectly(&[
        "webhooks",
        "list",
        "--mock",
        "--retries",
        "0",
        "--business-id",
        BIZ,
    ]))
    .run()
    .code(0);
    let receiver =
        connectly_tests::Receiver::start_blocking(connectly_webhook::Verifier::new("whsec_proxy"));
    let mut send = connectly(&["events", "send", "--topic", "messages", "--secret"]);
    send.args(["whsec_proxy", "--to", &receiver.url("/webhook")]);
    proxied(send).run().code(0);

    // Every connection the proxy was offered is in its accept queue, accepted or not.
    let mut connections = 0;
    loop {
        match proxy.accept() {
            Ok(_) => connections += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(connections, 0, "the proxy was used");
}

// ----------------------------------------------------------------------------------------------
// 5. the API key never appears in any output (every run also checks it)

#[test]
fn api_key_never_appears_in_success_json_or_error_output() {
    let fake = Fake::start();
    let create = [
        "webhooks",
        "create",
        "--topic",
        "messages",
        "--address",
        "https://example.com/m",
    ];
    // Success, human and JSON.
    fake.cmd(&create).run().code(0);
    fake.cmd(&["webhooks", "list"]).run().code(0);
    fake.cmd(&["webhooks", "list", "--json"]).run().code(0);
    // 409, human and JSON.
    fake.cmd(&create).run().code(1);
    let mut create_json = create.to_vec();
    create_json.push("--json");
    fake.cmd(&create_json).run().code(1);
    // Invalid input.
    fake.create_cmd(&["--topic", "messages", "--address", "http://example.com/m"])
        .run()
        .code(2);
    // 404.
    fake.cmd(&["webhooks", "delete", "nope", "--yes"])
        .run()
        .code(1);
    // A key a header cannot carry: refused before sending, without repeating it.
    let out = fake
        .cmd(&["webhooks", "list"])
        .env("CONNECTLY_API_KEY", format!("{KEY}\nX-Injected: 1"))
        .run()
        .code(2);
    assert!(out.stderr.contains("invalid API key"), "{out:?}");
    // Help, with the key in the environment.
    fake.cmd(&["--help"]).run().code(0);
    fake.create_cmd(&["--help"]).run().code(0);

    // 401: a mock that accepts another key.
    let other = Fake::accepting("some-other-key");
    for args in [
        &["webhooks", "list"][..],
        &["webhooks", "list", "--json"],
        &create,
    ] {
        let out = other.cmd(args).run().code(1);
        assert!(out.stderr.contains("API key was refused"), "{out:?}");
    }
    assert!(other.requests().iter().all(|r| !r.authenticated));

    // Connection refused.
    let out = list_unreachable(&[]).run().code(1);
    assert!(out.stderr.contains("127.0.0.1:1"), "{out:?}");
}

#[test]
fn api_key_file_is_read_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = write(dir.path(), "key", &format!("{KEY}\n"));
    let key_file = key_file.to_str().unwrap();

    let fake = Fake::start();
    let list = |fake: &Fake, json: bool| {
        let mut args = vec![
            "webhooks",
            "list",
            "--api-key-file",
            key_file,
            "--business-id",
            BIZ,
        ];
        let url = fake.mock.base_url();
        args.extend(["--base-url", &url]);
        if json {
            args.push("--json");
        }
        connectly(&args).run()
    };
    list(&fake, false).code(0);
    list(&fake, true).code(0);
    assert!(
        fake.requests().iter().all(|r| r.authenticated),
        "the key from the file (without its newline) is accepted"
    );

    let other = Fake::accepting("some-other-key");
    let out = list(&other, false).code(1);
    assert!(out.stderr.contains("API key was refused"), "{out:?}");
    list(&other, true).code(1);

    let out = connectly(&[
        "webhooks",
        "list",
        "--api-key-file",
        dir.path().join("missing").to_str().unwrap(),
        "--business-id",
        BIZ,
        "--base-url",
        &fake.mock.base_url(),
    ])
    .run()
    .code(2);
    assert!(out.stderr.contains("--api-key-file"), "{out:?}");
}

// ----------------------------------------------------------------------------------------------
// 6. validate

pub(crate) const BAD_YAML: &str = "\
businessId: biz_1
webhooks:
  - topic: messages
    adress: https://example.com/a
  - topic: delivery_status
    address: https://example.com/b
    type: carrier_pigeon
  - topic: messages
    address: http://example.com/c
  - address: https://example.com/d
";

const BAD_JSON: &str = r#"{
  "businessId": "biz_1",
  "webhooks": [
    {"topic": "messages", "address": "https://example.com/a"},
    {
      "topic": "delivery_status",
      "adress": "https://example.com/b"
    },
    {"topic": "mesages", "address": "http://example.com/c"}
  ]
}
"#;

/// The stderr line that starts with `prefix`, and the line after it (the hint, if any).
fn error_at<'a>(out: &'a Out, prefix: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = out.stderr.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}: {out:?}"));
    (lines[i], lines.get(i + 1).copied().unwrap_or_default())
}

#[test]
fn validate_yaml_reports_each_error_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.yaml", BAD_YAML);
    let out = connectly(&["validate", "bad.yaml"])
        .current_dir(dir.path())
        .run()
        .code(1);
    assert_eq!(
        out.located(),
        [
            // (no `missing required key "address"`: `adress` was meant to be it)
            "bad.yaml:4:5",  // `adress`
            "bad.yaml:7:11", // carrier_pigeon
            "bad.yaml:8:12", // second `messages`
            "bad.yaml:9:14", // http address
            "bad.yaml:10:5", // missing `topic`
        ],
        "{out:?}"
    );
    let (line, hint) = error_at(&out, "bad.yaml:4:5: error:");
    assert!(line.contains("adress"), "{line}");
    assert!(hint.contains("did you mean `address`?"), "{hint}");
    let (line, hint) = error_at(&out, "bad.yaml:7:11: error:");
    assert!(line.contains("carrier_pigeon"), "{line}");
    assert!(hint.contains("\"custom\""), "{hint}");
    let (line, _) = error_at(&out, "bad.yaml:8:12: error:");
    assert!(line.contains("already registered by /webhooks/0"), "{line}");
    let (line, _) = error_at(&out, "bad.yaml:9:14: error:");
    assert!(line.contains("http://example.com/c"), "{line}");
    let (line, _) = error_at(&out, "bad.yaml:10:5: error:");
    assert!(line.contains("missing required key \"topic\""), "{line}");
}

#[test]
fn validate_json_file_reports_errors_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.json", BAD_JSON);
    let out = connectly(&["validate", "bad.json"])
        .current_dir(dir.path())
        .run()
        .code(1);
    assert_eq!(
        out.located(),
        [
            // (no `missing required key "address"`: `adress` was meant to be it)
            "bad.json:7:7",  // `adress`
            "bad.json:9:15", // "mesages"
            "bad.json:9:37", // http address
        ],
        "{out:?}"
    );
    let (_, hint) = error_at(&out, "bad.json:7:7: error:");
    assert!(hint.contains("did you mean `address`?"), "{hint}");
    let (line, hint) = error_at(&out, "bad.json:9:15: error:");
    assert!(line.contains("mesages"), "{line}");
    assert!(hint.contains("\"messages\""), "{hint}");
}

#[test]
fn validate_json_syntax_error_gives_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "syntax.json",
        "{\n  \"webhooks\": [\n    {\"topic\": \"messages\",}\n  ]\n}\n",
    );
    let out = connectly(&["validate", "syntax.json"])
        .current_dir(dir.path())
        .run()
        .code(1);
    assert_eq!(out.located(), ["syntax.json:3:26"], "{out:?}");
    assert!(out.stderr.contains("not valid JSON"), "{out:?}");
}

/// Issue 33.7: a byte order mark (YAML and JSON) and JSON's escaped surrogate pairs, as
/// Python's `json.dumps` writes them, are valid input; errors after them stand where they are.
#[test]
fn validate_reads_a_byte_order_mark_and_json_surrogate_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let json = |echo: &str| {
        format!(
            "\u{feff}{{\"businessId\": \"biz_1\", \"webhooks\": [{{\"topic\": \"messages\", \"address\": \"https://example.com/a\",\n \"configuration\": {{\"filters\": [{{\"field\": \"campaign_name\", \"expression\": \"\\ud83c\\udf89 \\ud83d\\ude00\"}}], \"echo\": {echo}}}}}]}}\n"
        )
    };
    write(dir.path(), "good.json", &json("true"));
    write(
        dir.path(),
        "good.yaml",
        "\u{feff}businessId: biz_1\nwebhooks:\n  - topic: messages\n    address: https://example.com/a\n",
    );
    write(dir.path(), "bad.json", &json("\"yes\""));
    let out = connectly(&["validate", "good.json", "good.yaml"])
        .current_dir(dir.path())
        .run()
        .code(0);
    assert!(out.stderr.contains("2 valid, 0 invalid"), "{out:?}");
    let out = connectly(&["validate", "bad.json"])
        .current_dir(dir.path())
        .run()
        .code(1);
    assert_eq!(out.located(), ["bad.json:2:112"], "{out:?}");
}

#[test]
fn validate_yaml_syntax_error_gives_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "syntax.yaml",
        "webhooks:\n  - topic: messages\n    address: [unclosed\n",
    );
    let out = connectly(&["validate", "syntax.yaml"])
        .current_dir(dir.path())
        .run()
        .code(1);
    let located = out.located();
    assert_eq!(located.len(), 1, "{out:?}");
    assert!(out.stderr.contains("not valid YAML"), "{out:?}");
    let line: usize = located[0].split(':').nth(1).unwrap().parse().unwrap();
    assert!((3..=4).contains(&line), "{out:?}");
}

#[test]
fn validate_accepts_the_example_file() {
    let out = connectly(&["validate", "examples/webhooks.yaml"])
        .current_dir(workspace_root())
        .run()
        .code(0);
    assert_eq!(out.stdout, "examples/webhooks.yaml: ok\n", "{out:?}");
    assert!(out.located().is_empty(), "{out:?}");
}

#[test]
fn validate_dash_reads_stdin() {
    let example = std::fs::read_to_string(workspace_root().join("examples/webhooks.yaml")).unwrap();
    let out = connectly(&["validate", "-"])
        .write_stdin(example)
        .run()
        .code(0);
    assert_eq!(out.stdout, "<stdin>: ok\n", "{out:?}");

    let out = connectly(&["validate", "-"])
        .write_stdin(BAD_YAML)
        .run()
        .code(1);
    assert_eq!(out.located()[0], "<stdin>:4:5", "{out:?}");
}

#[test]
fn validate_json_output_has_line_column_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.yaml", BAD_YAML);
    write(
        dir.path(),
        "good.yaml",
        "webhooks:\n  - topic: messages\n    address: https://example.com/m\n",
    );
    let out = connectly(&["validate", "--json", "bad.yaml", "good.yaml"])
        .current_dir(dir.path())
        .run()
        .code(1);
    let report = out.json();
    assert_eq!(report["valid"], false);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], "bad.yaml");
    assert_eq!(files[0]["valid"], false);
    assert_eq!(
        files[1],
        json!({"file": "good.yaml", "valid": true, "errors": []})
    );
    let errors = files[0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    let typo = errors
        .iter()
        .find(|e| e["pointer"] == "/webhooks/0/adress")
        .expect("the typo is reported");
    assert_eq!(typo["line"], 4);
    assert_eq!(typo["column"], 5);
    assert_eq!(typo["hint"], "did you mean `address`?");
    let http = errors
        .iter()
        .find(|e| e["pointer"] == "/webhooks/2/address")
        .expect("the http address is reported");
    assert_eq!(
        (http["line"].clone(), http["column"].clone()),
        (json!(9), json!(14))
    );
    for e in errors {
        assert!(
            e["line"].is_u64() && e["column"].is_u64() && e["pointer"].is_string(),
            "{e}"
        );
        assert!(e["message"].is_string(), "{e}");
    }
}

#[test]
fn validate_checks_many_files_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(workspace_root().join("examples/webhooks.yaml")).unwrap();
    let names: Vec<String> = (0..200).map(|i| format!("config-{i:03}.yaml")).collect();
    for name in &names {
        write(dir.path(), name, &example);
    }
    let mut args = vec!["validate"];
    args.extend(names.iter().map(String::as_str));
    // How fast is measured in BENCHMARKS.md, not here: a timer on a shared machine cannot
    // tell a slow validator from a busy one.
    let out = connectly(&args).current_dir(dir.path()).run().code(0);
    assert_eq!(out.stdout.lines().count(), 200, "{out:?}");
    assert!(
        out.stderr.contains("200 file(s) checked: 200 valid"),
        "{out:?}"
    );
}

#[test]
fn validate_reports_an_unreadable_file_and_still_checks_the_others() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.yaml", BAD_YAML);
    write(
        dir.path(),
        "good.yaml",
        "webhooks:\n  - topic: messages\n    address: https://example.com/m\n",
    );
    let out = connectly(&["validate", "missing.yaml", "bad.yaml", "good.yaml"])
        .current_dir(dir.path())
        .run()
        .code(1);
    assert!(out.stderr.contains("cannot read missing.yaml"), "{out:?}");
    assert_eq!(out.located().len(), 5, "bad.yaml was checked too: {out:?}");
    assert!(out.stdout.contains("good.yaml: ok"), "{out:?}");
    assert!(
        out.stderr.contains("3 file(s) checked: 1 valid, 2 invalid"),
        "{out:?}"
    );

    let out = connectly(&["validate", "--json", "missing.yaml", "good.yaml"])
        .current_dir(dir.path())
        .run()
        .code(1);
    let report = out.json();
    assert_eq!(report["valid"], false);
    assert_eq!(report["files"][0]["file"], "missing.yaml");
    assert_eq!(report["files"][0]["valid"], false);
    assert!(
        report["files"][0]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot read missing.yaml"),
        "{report}"
    );
    assert_eq!(report["files"][1]["valid"], true);
}

// ----------------------------------------------------------------------------------------------
// 7. schema

#[test]
fn schema_subcommands_print_the_committed_schemas() {
    let schemas = workspace_root().join("schemas");
    for (args, file) in [
        (
            &["schema", "registration"][..],
            "create-webhook.schema.json",
        ),
        (&["schema", "config"], "webhooks-config.schema.json"),
        (&["schema"], "webhooks-config.schema.json"),
        (&["schema", "update"], "update-webhook.schema.json"),
    ] {
        let out = connectly(args).run().code(0);
        let committed: Value =
            serde_json::from_str(&std::fs::read_to_string(schemas.join(file)).unwrap()).unwrap();
        assert_eq!(out.json(), committed, "{args:?} prints {file}");
    }
}

// ----------------------------------------------------------------------------------------------
// 10. connectly mock

#[test]
fn mock_subcommand_prints_its_base_url_and_serves_the_api() {
    let mut mock = crate::common::MockProcess::start(&[]);
    let url = mock.base_url.clone();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .expect("a loopback URL")
        .parse()
        .unwrap();
    assert_ne!(port, 0, "the real port, not the requested 0");

    // The CLI against it, with the mock's default key.
    let id = connectly(&[
        "webhooks",
        "create",
        "--topic",
        "messages",
        "--address",
        "https://example.com/m",
        "--base-url",
        &url,
        "--business-id",
        BIZ,
    ])
    .env("CONNECTLY_API_KEY", connectly_mock::DEFAULT_API_KEY)
    .run()
    .code(0)
    .stdout;

    // And the client.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = connectly_client::Client::builder(connectly_mock::DEFAULT_API_KEY)
        .base_url(url)
        .build()
        .unwrap();
    let list = rt.block_on(client.list_webhooks(BIZ)).unwrap();
    assert_eq!(list.webhooks.len(), 1);
    assert_eq!(list.webhooks[0].id, id.trim_end());
    assert!(mock.is_running(), "still serving");
}
