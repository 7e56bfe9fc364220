//! Exit codes, a closed stdout, the `--json` contract, colour.

use super::*;

// ----------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn usage_errors_exit_2() {
    let fake = Fake::start();
    // An empty business id, from the flag or the environment.
    let out = connectly(&[
        "webhooks",
        "list",
        "--base-url",
        &fake.mock.base_url(),
        "--business-id",
        "",
    ])
    .env("CONNECTLY_API_KEY", KEY)
    .run()
    .code(2);
    assert!(out.stderr.contains("--business-id"), "{out:?}");
    connectly(&["webhooks", "list", "--base-url", &fake.mock.base_url()])
        .env("CONNECTLY_API_KEY", KEY)
        .env("CONNECTLY_BUSINESS_ID", "")
        .run()
        .code(2);
    assert!(fake.requests().is_empty());

    // `events verify` without --signature.
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, "{}").unwrap();
    let out = connectly(&["events", "verify", "--secret", "whsec_x"])
        .arg(&body)
        .run()
        .code(2);
    assert!(out.stderr.contains("--signature"), "{out:?}");
}

#[test]
fn api_options_are_refused_by_offline_verbs() {
    for args in [
        &["validate", "--base-url", "http://127.0.0.1:1", "x.yaml"][..],
        &["schema", "--business-id", "b"],
        &[
            "events",
            "verify",
            "--mock",
            "--signature",
            "x",
            "--secret",
            "s",
        ],
    ] {
        let out = connectly(args).run().code(2);
        assert!(
            out.stderr.contains("unexpected argument"),
            "{args:?}: {out:?}"
        );
    }
}

// ----------------------------------------------------------------------------------------------
// A closed stdout ends quietly

#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    for args in [&["schema"][..], &["completions", "bash"], &["man"]] {
        // The reading end is closed before the command starts, as `| head -0` would.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("connectly"))
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing on stderr");
    }
}

// ----------------------------------------------------------------------------------------------
// --json: one document on stdout, errors included

#[test]
fn json_errors_are_an_object_on_stdout_with_the_usual_exit_code() {
    let fake = Fake::start();
    // A usage error of ours (no API key): exit 2.
    let out = fake
        .cmd(&["webhooks", "list", "--json"])
        .env_remove("CONNECTLY_API_KEY")
        .run()
        .code(2);
    let error = json_error(&out);
    assert_eq!(error["kind"], "usage");
    assert!(error["message"].as_str().unwrap().contains("no API key"));
    // A usage error of clap's: exit 2.
    let out = connectly(&["webhooks", "list", "--json", "--no-such-flag"])
        .run()
        .code(2);
    assert_eq!(json_error(&out)["kind"], "usage");
    assert!(
        json_error(&out)["message"]
            .as_str()
            .unwrap()
            .contains("--no-such-flag"),
        "{out:?}"
    );
    // An API error: exit 1, its kind, and the human message still on stderr.
    let out = fake
        .cmd(&["webhooks", "delete", "wh_missing", "--yes", "--json"])
        .run()
        .code(1);
    assert_eq!(json_error(&out)["kind"], "not_found", "{out:?}");
    assert!(out.stderr.starts_with("error: "), "{out:?}");
    // A conflict carries its hint.
    fake.create(&["--topic", "messages", "--address", "https://example.com/a"]);
    let out = fake
        .create_cmd(&[
            "--topic",
            "messages",
            "--address",
            "https://example.com/b",
            "--json",
        ])
        .run()
        .code(1);
    let error = json_error(&out);
    assert_eq!(error["kind"], "conflict");
    assert!(error["hint"]
        .as_str()
        .unwrap()
        .contains("connectly webhooks update"));
    // A connection failure: its causes and hint.
    let out = list_unreachable(&["--json"]).run().code(1);
    let error = json_error(&out);
    assert_eq!(error["kind"], "connection");
    assert!(
        error["causes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("Connection refused")),
        "{out:?}"
    );
}

#[test]
fn json_after_a_report_is_still_one_document() {
    // `validate` prints its report, then fails: no second (error) document follows.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "webhooks: 3\n").unwrap();
    let out = connectly(&["validate", "--json"]).arg(&bad).run().code(1);
    assert_eq!(out.json()["valid"], false, "{out:?}");
}

#[test]
fn mock_json_prints_its_base_url_as_an_object() {
    let (_mock, first) = crate::common::MockProcess::spawn(&["--json"]);
    let value: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first:?}"));
    let url = value["baseUrl"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{value}");
}

// ----------------------------------------------------------------------------------------------
// Colour

#[test]
fn errors_are_coloured_when_asked_and_never_under_no_color() {
    let run = |color: &str, env: &[(&str, &str)]| {
        let mut cmd = connectly(&["webhooks", "list", "--color", color]);
        cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd.run().code(2).stderr
    };
    const ESC: char = '\u{1b}';
    assert!(run("always", &[]).starts_with(ESC));
    assert!(!run("never", &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    // auto: off a terminal, colour only when forced, and never under NO_COLOR.
    assert!(!run("auto", &[]).contains(ESC));
    assert!(run("auto", &[("CLICOLOR_FORCE", "1")]).starts_with(ESC));
    assert!(!run("auto", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(ESC));
}
