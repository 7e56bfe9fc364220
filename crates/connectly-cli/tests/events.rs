//! `connectly events send | verify` (and `connectly mock --deliver-secret`), run for real against
//! an axum receiver started in the test process on loopback. The secret travels in
//! `CONNECTLY_WEBHOOK_SECRET` or `--secret`, and every run checks that it appears in no output.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::common::{connectly, Out};
use assert_cmd::Command;
use axum::http::HeaderMap;
use connectly_tests::{Receiver, Seen};
use connectly_webhook::{parse, sign, Event, Verifier, SIGNATURE_HEADER};
use serde_json::{json, Value};

/// A distinctive secret, so that any leak of it is found in the output.
const SECRET: &str = "whsec_cli_SECRET_4b7c1d";

// ----------------------------------------------------------------------------------------------
// Harness

/// The shared test receiver, verifying with [`SECRET`] and served while the commands run.
fn start_receiver() -> Receiver {
    Receiver::start_blocking(Verifier::new(SECRET))
}

/// `connectly ARGS` with the secret in the environment.
fn with_secret(args: &[&str]) -> Command {
    let mut cmd = connectly(args);
    cmd.env("CONNECTLY_WEBHOOK_SECRET", SECRET);
    cmd
}

trait Run {
    /// Runs to completion; fails the test if the secret shows in any output.
    fn run(&mut self) -> Out;
}

impl Run for Command {
    fn run(&mut self) -> Out {
        crate::common::run_hiding(self, "SECRET_4b7c1d")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers[name].to_str().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Text that would drive a terminal: clear the screen, go back to the line's start, reverse
/// what follows. Shown as [`HOSTILE_SHOWN`].
const HOSTILE: &str = "\u{1b}[2J\r\u{202e}gnp.exe";
/// [`HOSTILE`] in the printable form (`connectly_net::printable`).
const HOSTILE_SHOWN: &str = r"\u{1b}[2J\r\u{202e}gnp.exe";

/// Neither output holds a character of [`HOSTILE`] as it is (issues 27.6, 33.6).
#[track_caller]
fn assert_nothing_raw(out: &Out) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for c in ['\u{1b}', '\r', '\u{202e}'] {
            assert!(!text.contains(c), "{c:?} reached {name} as it is: {out:#?}");
        }
    }
}

/// A receiver on loopback that answers every request with `status` and `body` (what a broken or
/// hostile receiver could send): its URL. It serves on a thread until the test process ends.
fn answering(status: &'static str, body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // The request's head and the body it announces, then the answer.
            let mut seen = Vec::new();
            let mut buf = [0; 8192];
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

// ----------------------------------------------------------------------------------------------
// events send

#[test]
fn send_every_sample_is_verified_and_parsed_by_the_receiver() {
    let receiver = start_receiver();
    let url = receiver.url("/webhook");
    let mut sent = 0;
    for sample in connectly_webhook::samples() {
        let (name, topic) = (sample.name, sample.topic());
        let out = with_secret(&[
            "events", "send", "--to", &url, "--topic", topic, "--sample", name,
        ])
        .run()
        .code(0);
        assert_eq!(out.stdout, "200 OK\n", "{name}: {out:#?}");
        let Seen::Event(event, headers) = receiver.next() else {
            panic!("{name}: not the verified route")
        };
        assert_eq!(*event, parse(sample.body.as_bytes()).unwrap(), "{name}");
        assert!(!matches!(*event, Event::Unknown(_)), "{name}");
        assert_eq!(event.topic(), topic);
        assert_eq!(
            header(&headers, "content-type"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            header(&headers, SIGNATURE_HEADER),
            sign(SECRET, sample.body.as_bytes())
        );
        sent += 1;
    }
    assert_eq!(
        sent, 17,
        "every sample of the spec, the report and both button forms included"
    );
}

#[test]
fn send_help_lists_every_topic_and_sample_of_the_spec() {
    let out = connectly(&["events", "send", "--help"]).run().code(0);
    for topic in connectly_webhook::TOPICS {
        let line = out
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{topic} ")))
            .unwrap_or_else(|| panic!("{topic}: {out:#?}"));
        for sample in connectly_webhook::samples_of(topic) {
            assert!(line.contains(sample.name), "{line}");
        }
    }
    assert!(out.stdout.contains("button_flag"), "{out:#?}");
}

#[test]
fn send_defaults_to_text_and_sent_and_json_reports_status_sample_and_topic() {
    let receiver = start_receiver();
    let url = receiver.url("/webhook");
    for (topic, name) in [("messages", "text"), ("delivery_status", "sent")] {
        // The secret as a flag this time.
        let out = connectly(&[
            "events", "send", "--json", "--to", &url, "--topic", topic, "--secret", SECRET,
        ])
        .run()
        .code(0);
        assert_eq!(
            out.json(),
            json!({"status": 200, "sample": name, "topic": topic})
        );
        let Seen::Event(event, _) = receiver.next() else {
            panic!()
        };
        let sample = connectly_webhook::sample(name).unwrap();
        assert_eq!(*event, parse(sample.body.as_bytes()).unwrap());
    }
    // `localhost` is loopback too.
    let localhost = format!("http://localhost:{}/webhook", receiver.port());
    with_secret(&["events", "send", "--to", &localhost, "--topic", "messages"])
        .run()
        .code(0);
    assert!(matches!(receiver.next(), Seen::Event(..)));
}

#[test]
fn send_with_a_wrong_secret_reports_the_receivers_401_and_exits_1() {
    let receiver = start_receiver();
    let url = receiver.url("/webhook");
    let out = connectly(&[
        "events", "send", "--to", &url, "--topic", "messages", "--sample", "button",
    ])
    .env("CONNECTLY_WEBHOOK_SECRET", "whsec_someone_elses")
    .run()
    .code(1);
    assert_eq!(out.stdout, "401 Unauthorized\n", "{out:#?}");
    assert!(out.stderr.contains("401"), "{out:#?}");
    assert!(
        out.stderr.contains("does not match"),
        "the receiver's reason: {out:#?}"
    );
    receiver.assert_nothing_received();

    let out = connectly(&[
        "events",
        "send",
        "--json",
        "--to",
        &url,
        "--topic",
        "delivery_status",
        "--sample",
        "failed",
        "--secret",
        "whsec_someone_elses",
    ])
    .run()
    .code(1);
    let json = out.json();
    assert_eq!(
        (&json["status"], &json["sample"], &json["topic"]),
        (&json!(401), &json!("failed"), &json!("delivery_status")),
        "{json}"
    );
    // The one failure document: the verb's fields beside `error`.
    assert_eq!(json["error"]["kind"], "failed", "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("the receiver answered 401"),
        "{json}"
    );
}

#[test]
fn send_body_file_sends_its_bytes_unchanged_and_signed() {
    let receiver = start_receiver();
    let dir = tempfile::tempdir().unwrap();
    // Odd spacing, key order, a non-ASCII name, CRLF and a trailing newline: all must survive.
    let mut bytes = b"{ \"timestamp\":\"1\",\r\n  \"sender\": {\"id\": \"a\", \"channelType\": \"whatsapp\", \"name\": \"Zo\xc3\xab\"},\n\"recipient\": {\"id\": \"b\", \"channelType\": \"whatsapp\"}, \"message\": {\"text\": \"hi  there\"} }\n".to_vec();
    let file = write(dir.path(), "event.json", &bytes);
    let out = with_secret(&[
        "events",
        "send",
        "--to",
        &receiver.url("/raw"),
        "--topic",
        "messages",
        "--body",
        &file,
    ])
    .run()
    .code(0);
    assert!(!out.stderr.contains("warning"), "a valid event: {out:#?}");
    let Seen::Raw(got, headers) = receiver.next() else {
        panic!()
    };
    assert_eq!(got.as_ref(), bytes.as_slice(), "byte for byte");
    let signature = header(&headers, SIGNATURE_HEADER);
    assert!(connectly_webhook::verify(SECRET, &got, Some(signature)).is_ok());
    assert_eq!(
        header(&headers, "content-type"),
        "text/plain; charset=utf-8"
    );

    // From stdin, and not even JSON: sent unchanged, with a warning.
    bytes = b"not json \x00\xff at all".to_vec();
    let out = with_secret(&[
        "events",
        "send",
        "--json",
        "--to",
        &receiver.url("/raw"),
        "--topic",
        "delivery_status",
        "--body",
        "-",
    ])
    .write_stdin(bytes.clone())
    .run()
    .code(0);
    assert_eq!(
        out.json(),
        json!({"status": 200, "sample": null, "topic": "delivery_status"})
    );
    // The warning carries the error's cause (serde_json's), on one line.
    assert!(
        out.stderr
            .contains("<stdin> is not a Connectly event (the body is not JSON: expected"),
        "{out:#?}"
    );
    let Seen::Raw(got, headers) = receiver.next() else {
        panic!()
    };
    assert_eq!(got.as_ref(), bytes.as_slice());
    assert_eq!(header(&headers, SIGNATURE_HEADER), sign(SECRET, &bytes));

    // A valid event of the other topic: a warning, sent all the same.
    let status = write(
        dir.path(),
        "read.json",
        connectly_webhook::sample("read").unwrap().body.as_bytes(),
    );
    let out = with_secret(&[
        "events",
        "send",
        "--to",
        &receiver.url("/webhook"),
        "--topic",
        "messages",
        "--body",
        &status,
    ])
    .run()
    .code(0);
    assert!(
        out.stderr.contains("is a delivery_status event"),
        "{out:#?}"
    );
    assert!(matches!(
        receiver.next(),
        Seen::Event(e, _) if matches!(*e, Event::DeliveryStatus(_))
    ));

    // --body and --sample together: a usage error.
    with_secret(&[
        "events",
        "send",
        "--to",
        &receiver.url("/raw"),
        "--topic",
        "messages",
        "--sample",
        "text",
        "--body",
        &file,
    ])
    .run()
    .code(2);
    receiver.assert_nothing_received();
}

/// Issue 27.6: the receiver's answer is outside text.
#[test]
fn send_shows_the_receivers_answer_in_printable_form() {
    let answer: &'static str = Box::leak(format!("refused {HOSTILE}").into_boxed_str());
    let url = answering("500 Internal Server Error", answer);
    let out = with_secret(&["events", "send", "--to", &url, "--topic", "messages"])
        .run()
        .code(1);
    assert_eq!(out.stdout, "500 Internal Server Error\n", "{out:#?}");
    assert!(
        out.stderr.contains(&format!(
            "the receiver answered 500 Internal Server Error: refused {HOSTILE_SHOWN}"
        )),
        "{out:#?}"
    );
    assert_nothing_raw(&out);
    // With --json too: stdout is the JSON document, the answer is on stderr, escaped.
    let out = with_secret(&[
        "events", "send", "--json", "--to", &url, "--topic", "messages",
    ])
    .run()
    .code(1);
    let json = out.json();
    assert_eq!(
        (&json["status"], &json["sample"], &json["topic"]),
        (&json!(500), &json!("text"), &json!("messages")),
        "{json}"
    );
    // JSON carries the receiver's answer as it was; the terminal shows it escaped.
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("refused \u{1b}[2J\r\u{202e}gnp.exe"),
        "{json}"
    );
    assert!(out.stderr.contains(HOSTILE_SHOWN), "{out:#?}");
    assert_nothing_raw(&out);
}

/// Issue 27.6: a file's name and the text of the event it holds, in `send --body`'s warnings.
#[test]
fn send_body_warnings_show_the_file_name_and_the_events_text_in_printable_form() {
    let receiver = start_receiver();
    let dir = tempfile::tempdir().unwrap();
    let body = json!({"topic": format!("orders{HOSTILE}"), "order": {"id": 7}}).to_string();
    let file = write(dir.path(), &format!("event{HOSTILE}.json"), body.as_bytes());
    let mut status: Value =
        serde_json::from_str(connectly_webhook::sample("read").unwrap().body).unwrap();
    status["topic"] = json!(HOSTILE);
    let other = write(dir.path(), "other.json", status.to_string().as_bytes());
    for (file, says) in [
        (
            &file,
            format!("event{HOSTILE_SHOWN}.json is not an event this version can type"),
        ),
        (
            &other,
            "is a delivery_status event, not messages".to_owned(),
        ),
    ] {
        let out = with_secret(&[
            "events",
            "send",
            "--to",
            &receiver.url("/raw"),
            "--topic",
            "messages",
            "--body",
            file,
        ])
        .run()
        .code(0);
        assert!(out.stderr.contains(&says), "{out:#?}");
        assert_nothing_raw(&out);
        assert!(matches!(receiver.next(), Seen::Raw(..)));
    }
    // An unknown event's topic is its own text.
    let unknown = json!({"topic": HOSTILE, "x": 1}).to_string();
    let file = write(dir.path(), "unknown.json", unknown.as_bytes());
    let out = with_secret(&[
        "events",
        "send",
        "--to",
        &receiver.url("/raw"),
        "--topic",
        "messages",
        "--body",
        &file,
    ])
    .run()
    .code(0);
    assert_nothing_raw(&out);
}

#[test]
fn send_refuses_plain_http_off_loopback_and_other_schemes_with_exit_2() {
    // A listener that the system would route some of these to: nothing may connect to it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for url in [
        "http://example.com/webhook".to_owned(),
        "http://10.1.2.3:8080/webhook".to_owned(),
        format!("http://0.0.0.0:{port}/webhook"),
        format!("http://[::ffff:127.0.0.1]:{port}/webhook"),
        format!("http://localhost.example.com:{port}/webhook"),
        format!("ftp://127.0.0.1:{port}/webhook"),
        "not a url".to_owned(),
    ] {
        let out = with_secret(&["events", "send", "--to", &url, "--topic", "messages"])
            .run()
            .code(2);
        assert!(out.stdout.is_empty(), "{out:#?}");
        assert!(out.stderr.starts_with("error: "), "{out:#?}");
    }
    let out = with_secret(&[
        "events",
        "send",
        "--to",
        "http://example.com/webhook",
        "--topic",
        "messages",
    ])
    .run()
    .code(2);
    assert!(out.stderr.contains("plain http"), "{out:#?}");
    assert!(out.stderr.contains("loopback"), "{out:#?}");
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "a refused target was connected to"
    );
}

#[test]
fn send_a_sample_of_the_other_topic_is_a_usage_error() {
    let receiver = start_receiver();
    let url = receiver.url("/webhook");
    for (topic, name) in [
        ("messages", "delivered"),
        ("messages", "failed"),
        ("delivery_status", "text"),
        ("delivery_status", "referral"),
    ] {
        let out = with_secret(&[
            "events", "send", "--to", &url, "--topic", topic, "--sample", name,
        ])
        .run()
        .code(2);
        assert!(out.stderr.contains(name), "{out:#?}");
        assert!(out.stderr.contains(topic), "{out:#?}");
        assert!(
            out.stderr.contains("--sample"),
            "the flag, by its name: {out:#?}"
        );
    }
    // Unknown values (clap's usage errors) and a missing secret: exit 2.
    with_secret(&[
        "events", "send", "--to", &url, "--topic", "messages", "--sample", "sticker",
    ])
    .run()
    .code(2);
    with_secret(&["events", "send", "--to", &url, "--topic", "orders"])
        .run()
        .code(2);
    let out = connectly(&["events", "send", "--to", &url, "--topic", "messages"])
        .run()
        .code(2);
    assert!(out.stderr.contains("--secret <S>"), "{out:#?}");
    let out = connectly(&["events", "verify", "--signature", "AAAA", "-"])
        .write_stdin("{}")
        .run()
        .code(2);
    assert!(out.stderr.contains("--secret <S>"), "{out:#?}");
    receiver.assert_nothing_received();
}

#[test]
fn send_to_a_receiver_that_never_answers_is_a_timeout_with_a_hint() {
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhook", silent.local_addr().unwrap());
    let out = with_secret(&[
        "events",
        "send",
        "--to",
        &url,
        "--topic",
        "messages",
        "--timeout",
        "0.5",
        "--json",
    ])
    .run()
    .code(1);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "timeout", "{out:#?}");
    assert!(
        error["hint"].as_str().unwrap_or("").contains("--timeout"),
        "{out:#?}"
    );
    drop(silent);
}

#[test]
fn send_to_nothing_listening_exits_1() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/webhook");
    let out = with_secret(&["events", "send", "--to", &url, "--topic", "messages"])
        .run()
        .code(1);
    assert!(out.stderr.contains("cannot deliver"), "{out:#?}");
}

// ----------------------------------------------------------------------------------------------
// events verify

#[test]
fn verify_accepts_the_signature_of_the_raw_bytes_and_refuses_any_change() {
    let dir = tempfile::tempdir().unwrap();
    let body = connectly_webhook::sample("failed").unwrap().body.as_bytes();
    let file = write(dir.path(), "body.json", body);
    let signature = sign(SECRET, body);

    let out = with_secret(&["events", "verify", "--signature", &signature, &file])
        .run()
        .code(0);
    assert_eq!(out.stdout, "valid\n");
    // The secret as a flag; the body from stdin (explicit `-` and the default).
    for extra in [&["-"][..], &[][..]] {
        let mut args = vec![
            "events",
            "verify",
            "--secret",
            SECRET,
            "--signature",
            &signature,
        ];
        args.extend_from_slice(extra);
        let out = connectly(&args).write_stdin(body).run().code(0);
        assert_eq!(out.stdout, "valid\n");
    }
    let out = with_secret(&[
        "events",
        "verify",
        "--json",
        "--signature",
        &signature,
        &file,
    ])
    .run()
    .code(0);
    assert_eq!(out.json(), json!({"valid": true}));

    // One flipped byte of the body.
    let mut flipped = body.to_vec();
    flipped[body.len() / 2] ^= 0x01;
    let changed = write(dir.path(), "changed.json", &flipped);
    let out = with_secret(&["events", "verify", "--signature", &signature, &changed])
        .run()
        .code(1);
    assert_eq!(out.stdout, "invalid\n");
    assert!(out.stderr.contains("does not match"), "{out:#?}");

    // One flipped byte of the signature (as Base64 text, still valid Base64).
    let mut raw = signature.clone().into_bytes();
    raw[0] = if raw[0] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8(raw).unwrap();
    let out = with_secret(&["events", "verify", "--signature", &wrong, &file])
        .run()
        .code(1);
    assert!(out.stderr.contains("does not match"), "{out:#?}");

    // Another secret.
    let out = connectly(&[
        "events",
        "verify",
        "--secret",
        "whsec_other",
        "--signature",
        &signature,
        &file,
    ])
    .run()
    .code(1);
    assert!(out.stderr.contains("does not match"), "{out:#?}");

    // Missing (a usage error), not Base64.
    let out = with_secret(&["events", "verify", &file]).run().code(2);
    assert!(out.stderr.contains("--signature"), "{out:#?}");
    let out = with_secret(&[
        "events",
        "verify",
        "--json",
        "--signature",
        "%%not base64",
        &file,
    ])
    .run()
    .code(1);
    assert_eq!(out.json()["valid"], false);
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not Base64"),
        "{out:#?}"
    );
}

#[test]
fn verify_points_at_a_trailing_newline_the_sender_did_not_sign() {
    let dir = tempfile::tempdir().unwrap();
    let body = connectly_webhook::sample("text").unwrap().body.as_bytes();
    let signature = sign(SECRET, body);
    let mut with_newline = body.to_vec();
    with_newline.push(b'\n');
    let file = write(dir.path(), "saved.json", &with_newline);
    let out = with_secret(&["events", "verify", "--signature", &signature, &file])
        .run()
        .code(1);
    assert!(out.stderr.contains("trailing newline"), "{out:#?}");
}

#[test]
fn the_secret_never_shows_in_help_or_errors() {
    for args in [
        &["events", "send", "--help"][..],
        &["events", "verify", "--help"][..],
        &[
            "events",
            "send",
            "--to",
            "http://example.com/",
            "--topic",
            "messages",
        ][..],
        &["events", "verify", "--signature", "AAAA", "/no/such/file"][..],
    ] {
        let out = with_secret(args).run();
        assert!(out.code == 0 || !out.stderr.is_empty(), "{out:#?}");
    }
    let out = with_secret(&["events", "send", "--help"]).run().code(0);
    assert!(out.stdout.contains("CONNECTLY_WEBHOOK_SECRET"), "{out:#?}");
    // An empty secret is refused before anything happens.
    connectly(&[
        "events",
        "verify",
        "--secret",
        "",
        "--signature",
        "AAAA",
        "-",
    ])
    .write_stdin("{}")
    .run()
    .code(2);
}

// ----------------------------------------------------------------------------------------------
// events inspect

/// `events inspect --json` of `body` (signed with `signature` when given): the output.
fn inspect(dir: &Path, body: &[u8], signature: Option<&str>) -> Out {
    let file = write(dir, "captured.json", body);
    let mut args = vec!["events", "inspect", "--json", file.as_str()];
    if let Some(signature) = signature {
        args.extend(["--signature", signature]);
    }
    with_secret(&args).run()
}

#[test]
fn inspect_reads_every_documented_shape_with_its_topic_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    for sample in connectly_webhook::samples() {
        let body = sample.body.as_bytes();
        let out = inspect(dir.path(), body, Some(&sign(SECRET, body))).code(0);
        let report = out.json();
        let event = parse(body).unwrap();
        assert_eq!(report["verified"], true, "{}", sample.name);
        assert_eq!(report["topic"], sample.topic(), "{}", sample.name);
        assert_eq!(report["kind"], event.kind(), "{}", sample.name);
        assert_ne!(report["kind"], "unknown", "{}", sample.name);
        assert_eq!(
            report["deliveryKey"],
            connectly_webhook::DeliveryKey::of(body).to_string()
        );
        assert_eq!(report["reason"], Value::Null);
    }
    // The kinds of a few, spelt out.
    for (name, kind, field, value) in [
        (
            "button",
            "button",
            "/fields/buttonResponse/payload",
            json!("1"),
        ),
        (
            "button_flag",
            "button_text",
            "/fields/text",
            json!("Yes, please"),
        ),
        (
            "failed",
            "delivery_failed",
            "/fields/campaign",
            json!("summer-promo-2026"),
        ),
        (
            "report",
            "report",
            "/fields/expiresAt",
            json!("2025-04-30T12:39:56Z"),
        ),
        (
            "video",
            "attachment",
            "/fields/attachments/0",
            json!("video https://cdn.connectly.ai/media/7d40/clip.mp4"),
        ),
    ] {
        let body = connectly_webhook::sample(name).unwrap().body.as_bytes();
        let report = inspect(dir.path(), body, None).code(0).json();
        assert_eq!(report["kind"], kind, "{name}");
        assert_eq!(
            report["verified"],
            Value::Null,
            "not checked without --signature"
        );
        assert_eq!(report.pointer(field), Some(&value), "{name}: {report}");
    }
}

#[test]
fn inspect_accepts_an_unknown_shape_and_refuses_a_bad_signature_or_a_non_object() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = br#"{"topic": "orders", "order": {"id": 7}}"#;
    let report = inspect(dir.path(), unknown, Some(&sign(SECRET, unknown)))
        .code(0)
        .json();
    assert_eq!(
        (&report["verified"], &report["topic"], &report["kind"]),
        (&json!(true), &json!("orders"), &json!("unknown"))
    );
    assert!(
        report["reason"].as_str().unwrap().contains("none of"),
        "{report}"
    );

    // A flipped byte: read, but the signature does not match: exit 1.
    let body = connectly_webhook::sample("text").unwrap().body.as_bytes();
    let mut flipped = body.to_vec();
    flipped[30] ^= 1;
    let out = inspect(dir.path(), &flipped, Some(&sign(SECRET, body))).code(1);
    assert_eq!(out.json()["verified"], false);
    assert!(out.stderr.contains("does not match"), "{out:#?}");

    for (body, says) in [(&b"[1, 2]"[..], "an array"), (b"not json", "not JSON")] {
        let out = inspect(dir.path(), body, Some(&sign(SECRET, body))).code(1);
        let error = out.json()["error"].clone();
        assert_eq!(error["kind"], "invalid", "{out:#?}");
        assert!(error.to_string().contains(says), "{out:#?}");
        assert!(out.stderr.contains(says), "{out:#?}");
    }

    // Text output, from stdin; --signature without a secret is a usage error.
    let out = connectly(&["events", "inspect", "-"])
        .write_stdin(connectly_webhook::sample("button").unwrap().body)
        .run()
        .code(0);
    for line in [
        "topic        messages",
        "kind         button",
        "signature    not checked",
    ] {
        assert!(out.stdout.contains(line), "{line}: {out:#?}");
    }
    let out = connectly(&["events", "inspect", "--signature", "AAAA", "-"])
        .write_stdin("{}")
        .run()
        .code(2);
    assert!(out.stderr.contains("needs the webhook secret"), "{out:#?}");
}

/// Issue 33.6: an event's fields, its topic and kind, and file names are outside text.
#[test]
fn inspect_shows_the_events_text_in_printable_form_and_json_carries_it_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut message: Value =
        serde_json::from_str(connectly_webhook::sample("text").unwrap().body).unwrap();
    message["message"]["text"] = json!(format!("hi {HOSTILE}"));
    message["sender"]["name"] = json!(HOSTILE);
    let mut status: Value =
        serde_json::from_str(connectly_webhook::sample("read").unwrap().body).unwrap();
    status["statusUpdate"]["status"] = json!(format!("read{HOSTILE}"));
    let unknown = json!({"topic": format!("orders{HOSTILE}"), format!("k{HOSTILE}"): 1});
    for (body, rows) in [
        (
            message.to_string(),
            vec![
                format!("text         hi {HOSTILE_SHOWN}"),
                format!("({HOSTILE_SHOWN})"),
            ],
        ),
        (
            status.to_string(),
            vec![format!("kind         read{HOSTILE_SHOWN}")],
        ),
        (
            unknown.to_string(),
            vec![
                format!("topic        orders{HOSTILE_SHOWN}"),
                format!("k{HOSTILE_SHOWN}"),
            ],
        ),
    ] {
        let file = write(dir.path(), "captured.json", body.as_bytes());
        let out = with_secret(&["events", "inspect", &file]).run().code(0);
        for row in rows {
            assert!(out.stdout.contains(&row), "{row}: {out:#?}");
        }
        assert_nothing_raw(&out);
        // --json: the original text (JSON escapes the control characters itself).
        let out = inspect(dir.path(), body.as_bytes(), None).code(0);
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\r'),
            "{out:#?}"
        );
        let report = out.json();
        let encoded = serde_json::to_string(HOSTILE).unwrap();
        assert!(
            report.to_string().contains(&encoded[1..encoded.len() - 1]),
            "{report}"
        );
    }
    let report = inspect(dir.path(), message.to_string().as_bytes(), None)
        .code(0)
        .json();
    assert_eq!(report["fields"]["text"], json!(format!("hi {HOSTILE}")));

    // A file name, in the verdicts on stderr: a mismatch, a body that is not an object, a
    // missing file (`verify` too).
    let name = format!("body{HOSTILE}.json");
    let body = connectly_webhook::sample("text").unwrap().body;
    let file = write(dir.path(), &name, body.as_bytes());
    let out = with_secret(&[
        "events",
        "inspect",
        "--signature",
        &sign("other", body.as_bytes()),
        &file,
    ])
    .run()
    .code(1);
    assert!(
        out.stderr
            .contains(&format!("body{HOSTILE_SHOWN}.json: the signature")),
        "{out:#?}"
    );
    assert_nothing_raw(&out);
    let array = write(dir.path(), &name, b"[1, 2]");
    let out = with_secret(&["events", "inspect", &array]).run().code(1);
    assert!(
        out.stderr.contains(&format!(
            "body{HOSTILE_SHOWN}.json is not a Connectly event"
        )),
        "{out:#?}"
    );
    assert_nothing_raw(&out);
    let out = with_secret(&["events", "inspect", "--json", &array])
        .run()
        .code(1);
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&name),
        "the JSON error carries the name as it is: {out:#?}"
    );
    let missing = dir.path().join(format!("gone{HOSTILE}.json"));
    let missing = missing.to_str().unwrap();
    for verb in [
        &["events", "inspect", missing][..],
        &["events", "verify", "--signature", "AAAA", missing],
    ] {
        let out = with_secret(verb).run().code(1);
        assert!(
            out.stderr.contains(&format!("gone{HOSTILE_SHOWN}.json")),
            "{out:#?}"
        );
        assert_nothing_raw(&out);
    }
}

/// Issue 33.7: valid JSON that serde_json cannot read into values, correctly signed, is shown
/// raw with what could not be read, exit 0: the library's rule (`Event::Unreadable`).
#[test]
fn inspect_shows_a_signed_body_that_cannot_be_read_as_json_raw_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(r#"{{"a": {}{}}}"#, "[".repeat(200), "]".repeat(200));
    for (body, says) in [
        (deep.as_str(), "recursion limit exceeded"),
        (r#"{"amount": 1e400}"#, "number out of range"),
        (r#"{"text": "\ud800"}"#, "hex escape"),
    ] {
        let signature = sign(SECRET, body.as_bytes());
        let file = write(dir.path(), "captured.json", body.as_bytes());
        let out = with_secret(&["events", "inspect", "--signature", &signature, &file])
            .run()
            .code(0);
        assert!(
            out.stderr
                .contains("captured.json: verified; the body could not be read as JSON: "),
            "{out:#?}"
        );
        assert!(
            out.stderr.contains(says) && out.stderr.contains("; shown raw"),
            "{out:#?}"
        );
        for row in [
            "signature    matched",
            "kind         unknown",
            "reason       the body could not be read as JSON: ",
            &format!("raw          {body}"),
        ] {
            assert!(out.stdout.contains(row), "{row}: {out:#?}");
        }
        let out = inspect(dir.path(), body.as_bytes(), Some(&signature)).code(0);
        let report = out.json();
        assert_eq!(
            (&report["verified"], &report["kind"]),
            (&json!(true), &json!("unknown"))
        );
        assert_eq!(report["fields"]["raw"], body, "{report}");
        assert!(
            report["reason"].as_str().unwrap().contains(says),
            "{report}"
        );
        // Still refused when the signature does not match.
        let out = inspect(
            dir.path(),
            body.as_bytes(),
            Some(&sign("other", body.as_bytes())),
        )
        .code(1);
        assert_eq!(out.json()["verified"], false);
    }
    // Not JSON at all (cut short) stays "not a Connectly event".
    let cut = br#"{"a": [1,"#;
    let out = inspect(dir.path(), cut, Some(&sign(SECRET, cut))).code(1);
    assert!(out.stderr.contains("not JSON"), "{out:#?}");
}

// ----------------------------------------------------------------------------------------------
// connectly mock --deliver-secret

/// `POST PATH` with the mock's default key over a plain HTTP/1.1 connection: (status, body).
fn post_raw(base: &str, path: &str) -> (u16, Value) {
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nx-api-key: {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        connectly_mock::DEFAULT_API_KEY
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        serde_json::from_str(body.trim()).unwrap_or(Value::Null),
    )
}

#[test]
fn mock_deliver_secret_sends_a_signed_sample_to_the_registered_loopback_address() {
    let receiver = start_receiver();
    let mut mock = crate::common::MockProcess::start(&["--deliver-secret", SECRET]);
    let base = mock.base_url.clone();

    let address = format!("https://127.0.0.1:{}/webhook", receiver.port());
    connectly(&[
        "webhooks",
        "create",
        "--topic",
        "messages",
        "--address",
        &address,
        "--base-url",
        &base,
        "--business-id",
        "biz_cli",
    ])
    .env("CONNECTLY_API_KEY", connectly_mock::DEFAULT_API_KEY)
    .run()
    .code(0);

    let (status, body) = post_raw(
        &base,
        "/v1/businesses/biz_cli/mock/deliver?topic=messages&kind=referral",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["address"], address.as_str());
    let Seen::Event(event, _) = receiver.next() else {
        panic!()
    };
    let sample = connectly_webhook::sample("referral").unwrap();
    assert_eq!(*event, parse(sample.body.as_bytes()).unwrap());
    assert!(mock.is_running(), "still serving");
}
