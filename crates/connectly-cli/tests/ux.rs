//! What every verb shares, as users of gh, cargo and ripgrep expect it: errors with their cause
//! chain and a hint, one `--json` contract (errors included), exit codes, a closed stdout that
//! ends quietly, colour, help with its option headings and examples, completions and man pages.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;

use crate::common::{connectly, list_unreachable, Fake, Out, Run, BIZ, KEY};
use serde_json::{json, Value};

/// Every verb, as its path of subcommand names, found by walking `--help` (so a new verb is
/// covered without editing this list). The root is `[]`.
pub fn verbs() -> Vec<Vec<String>> {
    fn walk(path: Vec<String>, all: &mut Vec<Vec<String>>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = connectly(&args).run().code(0).stdout;
        all.push(path.clone());
        let Some((_, section)) = help.split_once("\nCommands:\n") else {
            return;
        };
        for line in section.lines().take_while(|l| l.starts_with("  ")) {
            let name = line.split_whitespace().next().unwrap();
            if name != "help" {
                let mut child = path.clone();
                child.push(name.to_owned());
                walk(child, all);
            }
        }
    }
    let mut all = Vec::new();
    walk(Vec::new(), &mut all);
    all
}

fn help(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    connectly(&args).run().code(0).stdout
}

/// The error object of a `--json` run: `message`, `kind` and `causes` always; `hint` only when
/// there is one (then a string).
fn json_error(out: &Out) -> Value {
    let error = out.json()["error"].clone();
    assert!(error.is_object(), "an error object: {out:?}");
    for key in ["message", "kind", "causes"] {
        assert!(error.get(key).is_some(), "error.{key} is present: {out:?}");
    }
    assert!(
        error.get("hint").is_none_or(Value::is_string),
        "error.hint, when present, is text: {out:?}"
    );
    error
}

// ----------------------------------------------------------------------------------------------
// Errors: the cause chain and a hint

#[test]
fn connection_refused_prints_the_cause_chain_and_asks_whether_the_mock_runs() {
    // Port 1 on loopback: nothing listens there.
    let out = list_unreachable(&[]).run().code(1);
    // After the retries' lines (one per retry).
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .skip_while(|l| l.starts_with("retrying "))
        .collect();
    assert!(lines[0].starts_with("error: "), "{out:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  caused by: ") && l.contains("Connection refused")),
        "the root cause is shown: {out:?}"
    );
    assert!(
        out.stderr.contains("is the mock") && out.stderr.contains("connectly mock"),
        "{out:?}"
    );
}

#[test]
fn a_timeout_says_how_long_it_waited_and_which_flag_sets_it() {
    // A listener that never accepts: the kernel completes the connection, nobody answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let out = connectly(&[
        "webhooks",
        "list",
        "--base-url",
        &url,
        "--business-id",
        BIZ,
        "--timeout",
        "0.5",
        "--retries",
        "0",
    ])
    .env("CONNECTLY_API_KEY", KEY)
    .run()
    .code(1);
    assert!(
        out.stderr
            .contains(" over 1 attempt of up to 0.5 s; pass --timeout SECONDS"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("retrying"), "{out:?}");

    let out = connectly(&[
        "webhooks",
        "list",
        "--base-url",
        &url,
        "--business-id",
        BIZ,
        "--timeout",
        "0.5",
        "--json",
    ])
    .env("CONNECTLY_API_KEY", KEY)
    .run()
    .code(1);
    assert_eq!(json_error(&out)["kind"], "timeout", "{out:?}");
}

/// Each retry is a line on stderr before its wait, and the timeout hint states the time the call
/// took over all its attempts, measured.
#[test]
fn retries_are_printed_and_the_timeout_hint_states_the_total() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let out = connectly(&[
        "webhooks",
        "list",
        "--base-url",
        &url,
        "--business-id",
        BIZ,
        "--timeout",
        "1",
        "--retries",
        "2",
    ])
    .env("CONNECTLY_API_KEY", KEY)
    .run()
    .code(1);
    let retrying: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("retrying"))
        .collect();
    assert_eq!(retrying.len(), 2, "{out:?}");
    for (line, attempt) in retrying.iter().zip(2..) {
        let prefix = format!("retrying GET /v1/businesses/{BIZ}/webhooks in ");
        let suffix =
            format!(" s (attempt {attempt} of 3): timed out waiting for Connectly's answer");
        assert!(line.starts_with(&prefix), "{line}");
        assert!(line.contains(&suffix), "{line}");
    }
    let hint = out
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("hint: waited "))
        .unwrap_or_else(|| panic!("a hint: {out:?}"));
    let (seconds, rest) = hint.split_once(" s ").unwrap();
    assert_eq!(
        rest, "over 3 attempts of up to 1 s each; pass --timeout SECONDS to wait longer",
        "{out:?}"
    );
    // Three attempts of 1 s and two waits of at least 0.1 s; the waits are at most 0.5 and 1 s.
    let seconds: f64 = seconds.parse().unwrap();
    assert!((3.2..6.0).contains(&seconds), "{out:?}");
}

/// A plain-HTTP server: answers anything (a TLS ClientHello included) with a 400.
fn plain_http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0; 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    port
}

#[test]
fn https_to_a_plain_local_receiver_suggests_http() {
    let port = plain_http_server();
    let to = format!("https://127.0.0.1:{port}/webhook");
    let out = connectly(&[
        "events", "send", "--to", &to, "--topic", "messages", "--secret", "whsec_x",
    ])
    .run()
    .code(1);
    assert!(
        out.stderr
            .contains(&format!("use --to http://127.0.0.1:{port}/webhook")),
        "{out:?}"
    );
}

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

// ----------------------------------------------------------------------------------------------
// Help, completions, man

#[test]
fn help_puts_global_and_api_options_under_their_headings_and_api_options_only_on_api_verbs() {
    let api_verbs = [
        "apply",
        "export",
        "reports",
        "reports list",
        "webhooks",
        "webhooks create",
        "webhooks list",
        "webhooks update",
        "webhooks delete",
    ];
    for path in verbs() {
        let text = help(&path);
        let name = path.join(" ");
        assert!(text.contains("\nGlobal options:\n"), "{name}: {text}");
        let (own, global) = text.split_once("\nGlobal options:\n").unwrap();
        assert!(global.contains("--json"), "{name}");
        assert!(
            !own.contains("--json "),
            "{name}: --json only under Global options"
        );
        let api = api_verbs.contains(&name.as_str());
        assert_eq!(
            text.contains("\nAPI options:\n") && text.contains("--base-url"),
            api,
            "{name}: API options {}",
            if api { "expected" } else { "not expected" }
        );
    }
}

#[test]
fn every_verb_has_examples_in_its_help() {
    let all = verbs();
    assert!(all.len() >= 14, "{all:?}");
    for path in all {
        let text = help(&path);
        let examples = text
            .split_once("\nExamples:\n")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("{path:?} has no Examples: section\n{text}"));
        assert!(
            examples
                .lines()
                .next()
                .unwrap()
                .trim_start()
                .starts_with("connectly ")
                || examples.contains("\n  connectly "),
            "{path:?}: the examples run connectly"
        );
    }
}

#[test]
fn completions_are_generated_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = connectly(&["completions", shell]).run().code(0);
        for word in ["webhooks", "business-id", "completions"] {
            assert!(out.stdout.contains(word), "{shell}: {word}");
        }
    }
    connectly(&["completions", "tcsh"]).run().code(2);
}

#[test]
fn man_pages_are_generated_from_the_same_definition() {
    let out = connectly(&["man"]).run().code(0);
    assert!(out.stdout.contains(".TH connectly 1"), "{out:?}");
    assert!(out.stdout.contains("webhooks"), "{out:?}");
    // The exit codes have their own section (issue 32), after the examples, not under EXTRA.
    let (extra, status) = out.stdout.split_once(".SH \"EXIT STATUS\"").unwrap();
    assert!(!extra.contains("Exit codes"), "{out:?}");
    assert!(
        status.contains("130") && status.contains("changes pending"),
        "{status}"
    );
    let dir = tempfile::tempdir().unwrap();
    connectly(&["man", "--dir"]).arg(dir.path()).run().code(0);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = verbs()
        .iter()
        .map(|path| {
            let mut name = vec!["connectly".to_owned()];
            name.extend(path.iter().cloned());
            format!("{}.1", name.join("-"))
        })
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let main = std::fs::read_to_string(dir.path().join("connectly.1")).unwrap();
    assert_eq!(
        main, out.stdout,
        "connectly man and man --dir write the same main page"
    );
    let list = std::fs::read_to_string(dir.path().join("connectly-webhooks-list.1")).unwrap();
    assert!(list.contains("business"), "{list}");
}

#[test]
fn list_json_and_the_table_show_the_same_default_type() {
    let fake = Fake::start();
    fake.create(&["--topic", "messages", "--address", "https://example.com/m"]);
    let table = fake.cmd(&["webhooks", "list"]).run().code(0).stdout;
    assert!(
        table.lines().nth(1).unwrap().contains(" custom "),
        "{table}"
    );
    let out = fake.cmd(&["webhooks", "list", "--json"]).run().code(0);
    assert_eq!(out.json()["webhooks"][0]["type"], json!("custom"));
}

/// Issue 32: help is wrapped to the terminal's width (COLUMNS off a terminal), as clap's
/// `wrap_help` does, instead of lines of 270 columns.
#[test]
fn help_is_wrapped_to_the_terminal_width() {
    for path in verbs() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = connectly(&args).env("COLUMNS", "80").run().code(0);
        let widest = out.stdout.lines().map(|l| l.chars().count()).max().unwrap();
        // An example command line, the usage line (clap never breaks it) or a URL may be
        // long; prose is wrapped.
        let long: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.chars().count() > 80 && !l.trim_start().starts_with("connectly "))
            .filter(|l| !l.starts_with("Usage: "))
            .filter(|l| !l.contains("://"))
            .collect();
        assert!(long.is_empty(), "{path:?}: {widest} columns: {long:#?}");
    }
}

// ----------------------------------------------------------------------------------------------
// The smaller truths of issue 32, finding 7

/// `events send` to a closed receiver asks whether the receiver runs; it does not suggest the
/// mock or `--mock`, which `events send` does not take.
#[test]
fn events_send_to_a_closed_port_asks_about_the_receiver() {
    let out = connectly(&[
        "events",
        "send",
        "--to",
        "http://127.0.0.1:1/webhook",
        "--topic",
        "messages",
        "--secret",
        "whsec_test_secret",
    ])
    .run()
    .code(1);
    assert!(out.stderr.contains("is your receiver running?"), "{out:?}");
    assert!(!out.stderr.contains("mock"), "{out:?}");
}

/// `validate DIR` checks the directory's config files, as `apply DIR` does.
#[test]
fn validate_takes_a_directory_like_apply() {
    let dir = tempfile::tempdir().unwrap();
    crate::cli::write(
        dir.path(),
        "a.yaml",
        "businessId: biz_1\nwebhooks:\n  - topic: messages\n    address: https://example.com/m\n",
    );
    crate::cli::write(dir.path(), "b.yml", "webhooks:\n  - topic: nope\n");
    crate::cli::write(dir.path(), "notes.txt", "not a config");
    let out = connectly(&["validate"]).arg(dir.path()).run().code(1);
    assert!(out.stdout.contains("a.yaml: ok"), "{out:?}");
    assert!(out.stderr.contains("b.yml:2:"), "{out:?}");
    assert!(!out.stderr.contains("notes.txt"), "{out:?}");
}

/// A global `-q` silences status lines (here `--mock`'s notice), not results or errors.
#[test]
fn quiet_silences_status_lines_only() {
    let args = ["webhooks", "list", "--mock", "--business-id", "biz_1"];
    let loud = connectly(&args).run().code(0);
    assert!(loud.stderr.contains("--mock"), "{loud:?}");
    let mut quiet_args = vec!["-q"];
    quiet_args.extend_from_slice(&args);
    let quiet = connectly(&quiet_args).run().code(0);
    assert_eq!(quiet.stderr, "", "{quiet:?}");
    assert_eq!(quiet.stdout, loud.stdout);
    // Errors still show.
    let out = connectly(&["-q", "webhooks", "list"]).run().code(2);
    assert!(out.stderr.contains("error:"), "{out:?}");
}

/// On a terminal, `webhooks delete` names the topic and address it would delete, and a declined
/// question says "not confirmed" and deletes nothing (run under `script`, which gives the
/// command a terminal).
#[cfg(unix)]
#[test]
fn a_declined_delete_names_what_it_would_delete() {
    let fake = crate::common::Fake::start();
    let id = fake.create(&["--topic", "messages", "--address", "https://example.com/m"]);
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to run the command on a terminal");
        return;
    }
    let binary = assert_cmd::cargo::cargo_bin("connectly");
    let line = format!(
        "{} webhooks delete {id} --base-url {} --business-id {}",
        binary.display(),
        fake.mock.base_url(),
        crate::common::BIZ
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("CONNECTLY_API_KEY", crate::common::KEY)
        .env("COLUMNS", "1000")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"n\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "Delete the messages registration {id} (https://example.com/m)"
        )),
        "{text}"
    );
    assert!(
        text.contains("not confirmed (nothing was changed)"),
        "{text}"
    );
    assert_eq!(fake.registrations().len(), 1);
}

/// `--listen localhost:PORT` is the loopback address (no DNS), and a port in use says so with a
/// hint, for `connectly mock` (and `relay serve`, which shares the rule).
#[test]
fn listen_takes_localhost_and_a_port_in_use_says_so() {
    let mock = crate::common::MockProcess::start(&[]);
    let port = mock.base_url.rsplit(':').next().unwrap().to_owned();
    let out = connectly(&["mock", "--listen", &format!("localhost:{port}")])
        .run()
        .code(1);
    assert!(
        out.stderr
            .contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{out:?}"
    );
    assert!(
        out.stderr.contains(&format!("hint: port {port} is in use")),
        "{out:?}"
    );
    let out = connectly(&["mock", "--listen", "example.com:80"])
        .run()
        .code(2);
    assert!(out.stderr.contains("is not IP:PORT"), "{out:?}");
}
