//! The CLI's contract as reviewed snapshots (insta, `tests/snapshots/`): the `--help` of every
//! verb and each `--json` shape, so that a change to either shows up as a diff in review.
//! After an intended change: `INSTA_UPDATE=always cargo test -p connectly-cli -- contract::`
//! (or `cargo insta review`), then read the diff of the `.snap` files.

use std::io::{Read, Write};
use std::net::TcpListener;

use crate::common::{connectly, list_unreachable, Fake, Out, Run, CREATE_MESSAGES};
use crate::ux::verbs;
use serde_json::Value;

/// The document pretty-printed, with what changes from run to run (ids, ports) replaced.
fn normalised(out: &Out) -> String {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    match (key.as_str(), &*value) {
                        ("id", Value::String(_)) => *value = Value::from("[id]"),
                        ("baseUrl", Value::String(_)) => {
                            *value = Value::from("http://127.0.0.1:[port]")
                        }
                        _ => walk(value),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            // The mock's trace ids (ULIDs).
            Value::String(text) => {
                if let Some((before, after)) = text.split_once("trace ") {
                    let rest = after.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
                    *text = format!("{before}trace [trace]{rest}");
                }
            }
            _ => {}
        }
    }
    let mut value = out.json();
    walk(&mut value);
    serde_json::to_string_pretty(&value).unwrap()
}

#[test]
fn help_of_every_verb() {
    for path in verbs() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = connectly(&args).run().code(0).stdout;
        let name = if path.is_empty() {
            "help".to_owned()
        } else {
            format!("help-{}", path.join("-"))
        };
        insta::assert_snapshot!(name, help);
    }
}

#[test]
fn json_of_the_webhooks_verbs() {
    let fake = Fake::start();
    let out = fake
        .create_cmd(&[
            "--topic",
            "messages",
            "--address",
            "https://example.com/m",
            "--json",
        ])
        .run()
        .code(0);
    insta::assert_snapshot!("json-webhooks-create", normalised(&out));
    let id = out.json()["id"].as_str().unwrap().to_owned();
    fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/d",
        "--type",
        "zapier",
        "--echo",
        "true",
        "--channel-type",
        "whatsapp",
        "--filter",
        "campaign_name=promo-*",
    ]);
    let out = fake.cmd(&["webhooks", "list", "--json"]).run().code(0);
    insta::assert_snapshot!("json-webhooks-list", normalised(&out));
    let out = fake
        .cmd(&[
            "webhooks",
            "update",
            &id,
            "--address",
            "https://example.com/n",
            "--json",
        ])
        .run()
        .code(0);
    insta::assert_snapshot!("json-webhooks-update", normalised(&out));
    let out = fake
        .cmd(&["webhooks", "delete", &id, "--yes", "--json"])
        .run()
        .code(0);
    insta::assert_snapshot!("json-webhooks-delete", normalised(&out));
}

#[test]
fn json_of_apply_and_validate() {
    let fake = Fake::start();
    fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/old",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "webhooks:\n  - topic: messages\n    address: https://example.com/m\n",
    )
    .unwrap();
    let out = fake
        .cmd(&["apply", "--dry-run", "--json", "good.yaml"])
        .current_dir(dir.path())
        .run()
        .code(0);
    insta::assert_snapshot!("json-apply", normalised(&out));

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "webhooks:\n  - topic: messages\n").unwrap();
    let out = connectly(&["validate", "--json", "good.yaml", "bad.yaml"])
        .current_dir(dir.path())
        .run()
        .code(1);
    insta::assert_snapshot!("json-validate", normalised(&out));
}

#[test]
fn json_of_the_events_verbs() {
    // A receiver that answers 204 to anything.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0; 16 * 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
        }
    });
    let out = connectly(&[
        "events",
        "send",
        "--to",
        &format!("http://127.0.0.1:{port}/webhook"),
        "--topic",
        "messages",
        "--secret",
        "whsec_x",
        "--json",
    ])
    .run()
    .code(0);
    insta::assert_snapshot!("json-events-send", normalised(&out));

    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, "{}").unwrap();
    let signature = connectly_webhook::sign("whsec_x", b"{}");
    let verify = |signature: &str| {
        connectly(&[
            "events",
            "verify",
            "--secret",
            "whsec_x",
            "--json",
            "--signature",
            signature,
        ])
        .arg(&body)
        .run()
    };
    insta::assert_snapshot!(
        "json-events-verify-valid",
        normalised(&verify(&signature).code(0))
    );
    insta::assert_snapshot!(
        "json-events-verify-invalid",
        normalised(&verify("AAAA").code(1))
    );
}

#[test]
fn json_of_errors() {
    let out = connectly(&["webhooks", "list", "--json"]).run().code(2);
    insta::assert_snapshot!("json-error-usage", normalised(&out));
    let out = connectly(&["webhooks", "list", "--json", "--no-such-flag"])
        .run()
        .code(2);
    insta::assert_snapshot!("json-error-clap-usage", normalised(&out));
    let fake = Fake::start();
    let out = fake
        .cmd(&["webhooks", "delete", "wh_missing", "--yes", "--json"])
        .run()
        .code(1);
    insta::assert_snapshot!("json-error-not-found", normalised(&out));
    let out = list_unreachable(&["--json"]).run().code(1);
    insta::assert_snapshot!("json-error-connection", normalised(&out));
}

/// `docs/cli.md`'s reference part: the exit codes of `connectly --help` and the `--help` of every
/// verb, generated from the binary between two markers, never copied by hand. Fails when the page
/// is stale; `INSTA_UPDATE=always` (the command that updates the help snapshots) rewrites it.
#[test]
fn the_verb_reference_in_docs_is_the_help() {
    const BEGIN: &str = "<!-- BEGIN GENERATED";
    const END: &str = "<!-- END GENERATED -->";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = page
        .split_once(BEGIN)
        .expect("docs/cli.md has its BEGIN marker");
    let (marker, rest) = rest.split_once("-->").unwrap();
    let (_, tail) = rest
        .split_once(END)
        .expect("docs/cli.md has its END marker");
    let fresh = format!("{head}{BEGIN}{marker}-->\n{}{END}{tail}", verb_reference());
    if fresh == page {
        return;
    }
    if std::env::var("INSTA_UPDATE").as_deref() == Ok("always") {
        std::fs::write(&path, fresh).unwrap();
    } else {
        panic!(
            "docs/cli.md is not the help of today's verbs: run \
             `INSTA_UPDATE=always cargo test -p connectly-cli --test main contract::` and commit it"
        );
    }
}

/// The generated part of `docs/cli.md`: the exit codes, an index, then one section per verb.
fn verb_reference() -> String {
    let mut exit_codes = String::new();
    let mut index = String::new();
    let mut sections = String::new();
    for path in verbs() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = connectly(&args).run().code(0).stdout;
        if path.is_empty() {
            let (_, codes) = help
                .split_once("\nExit codes:\n")
                .expect("`connectly --help` lists the exit codes");
            exit_codes = codes.split("\n\n").next().unwrap().to_owned();
        }
        let name = std::iter::once("connectly")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let anchor = name.replace(' ', "-");
        index.push_str(&format!("- [`{name}`](#{anchor})\n"));
        sections.push_str(&format!(
            "### `{name}`\n\n```text\n{}\n```\n\n",
            help.trim_end()
        ));
    }
    format!(
        "\n## Exit codes\n\nFrom `connectly --help`:\n\n```text\n{exit_codes}\n```\n\n\
         ## Verbs\n\n{index}\n{sections}"
    )
}

/// Issue 32: one failure document for every verb: `{"error": {"message", "kind", "hint"?,
/// "causes", "location"?}}`, beside the verb's own fields when it has a result (`validate`,
/// `apply`, `events`). Each verb is made to fail once (a closed port, an invalid file, a wrong
/// signature, a bad argument) and its document snapshotted.
#[test]
fn the_failure_document_of_every_verb() {
    use crate::common::{BIZ, KEY};
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap();
        name.to_owned()
    };
    let config = at(
        "ok.yaml",
        &format!("businessId: {BIZ}\nwebhooks:\n  - topic: messages\n    address: https://example.com/m\n"),
    );
    let typo = at(
        "typo.yaml",
        "webhooks:\n  - topic: messages\n    adress: https://example.com/m\n",
    );
    let body = at("body.json", "{}");
    let closed = ["--base-url", "http://127.0.0.1:1", "--business-id", BIZ];
    let api = |args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        all.extend_from_slice(&closed);
        all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let plain = |args: &[&str]| {
        let mut all = vec!["--json".to_owned()];
        all.extend(args.iter().map(|s| s.to_string()));
        all
    };
    let cases: Vec<(&str, Vec<String>, i32)> = vec![
        ("webhooks-create", api(&CREATE_MESSAGES), 1),
        ("webhooks-list", api(&["webhooks", "list"]), 1),
        (
            "webhooks-update",
            api(&[
                "webhooks",
                "update",
                "wh_1",
                "--address",
                "https://example.com/n",
            ]),
            1,
        ),
        (
            "webhooks-delete",
            api(&["webhooks", "delete", "wh_1", "--yes"]),
            1,
        ),
        ("reports-list", api(&["reports", "list"]), 1),
        ("export", api(&["export"]), 1),
        ("apply", api(&["apply", &config]), 1),
        ("apply-invalid-file", api(&["apply", &typo]), 1),
        ("validate", plain(&["validate", &typo]), 1),
        ("schema", plain(&["schema", "nonsense"]), 2),
        ("mock", plain(&["mock", "--listen", "192.0.2.1:0"]), 2),
        (
            "events-send",
            plain(&[
                "events",
                "send",
                "--to",
                "http://127.0.0.1:1/webhook",
                "--topic",
                "messages",
                "--secret",
                "whsec_x",
            ]),
            1,
        ),
        (
            "events-verify",
            plain(&[
                "events",
                "verify",
                "--secret",
                "whsec_x",
                "--signature",
                "AAAA",
                &body,
            ]),
            1,
        ),
        (
            "events-inspect",
            plain(&[
                "events",
                "inspect",
                "--secret",
                "whsec_x",
                "--signature",
                "AAAA",
                &body,
            ]),
            1,
        ),
        ("completions", plain(&["completions", "nonsense"]), 2),
        (
            "man",
            plain(&["man", "--dir", "/proc/connectly-cannot-write-here"]),
            1,
        ),
    ];
    for (name, args, code) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = connectly(&args)
            .current_dir(dir.path())
            .env("CONNECTLY_API_KEY", KEY)
            .run()
            .code(code);
        let document = out.json();
        let error = &document["error"];
        assert!(
            error["message"].is_string() && error["kind"].is_string() && error["causes"].is_array(),
            "{name}: {out:?}"
        );
        insta::assert_snapshot!(format!("json-failure-{name}"), normalised(&out));
    }
}
