//! `events send`: the receiver's answer, warnings, refusals, timeouts.

use super::*;

/// Issue 27.6: the receiver's answer is outside text.
#[test]
fn send_shows_the_receivers_answer_in_printable_form() {
    let answer: &'static str = Box::leak(format!("refused {HOSTILE}").into_boxed_str());
    let url = answering("500 Internal Server Error", answer);
    let out = send_to(&url, "messages", &[]).run().code(1);
    assert_eq!(out.stdout, "500 Internal Server Error\n", "{out:#?}");
    assert!(
        out.stderr.contains(&format!(
            "the receiver answered 500 Internal Server Error: refused {HOSTILE_SHOWN}"
        )),
        "{out:#?}"
    );
    assert_nothing_raw(&out);
    // With --json too: stdout is the JSON document, the answer is on stderr, escaped.
    let out = send_to(&url, "messages", &["--json"]).run().code(1);
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
        let out = send_to(&receiver.url("/raw"), "messages", &["--body", file])
            .run()
            .code(0);
        assert!(out.stderr.contains(&says), "{out:#?}");
        assert_nothing_raw(&out);
        assert!(matches!(receiver.next(), Seen::Raw(..)));
    }
    // An unknown event's topic is its own text.
    let unknown = json!({"topic": HOSTILE, "x": 1}).to_string();
    let file = write(dir.path(), "unknown.json", unknown.as_bytes());
    let out = send_to(&receiver.url("/raw"), "messages", &["--body", &file])
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
        let out = send_to(&url, "messages", &[]).run().code(2);
        assert!(out.stdout.is_empty(), "{out:#?}");
        assert!(out.stderr.starts_with("error: "), "{out:#?}");
    }
    let out = send_to("http://example.com/webhook", "messages", &[])
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
        let out = send_to(&url, topic, &["--sample", name]).run().code(2);
        assert!(out.stderr.contains(name), "{out:#?}");
        assert!(out.stderr.contains(topic), "{out:#?}");
        assert!(
            out.stderr.contains("--sample"),
            "the flag, by its name: {out:#?}"
        );
    }
    // Unknown values (clap's usage errors) and a missing secret: exit 2.
    send_to(&url, "messages", &["--sample", "sticker"])
        .run()
        .code(2);
    send_to(&url, "orders", &[]).run().code(2);
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
    let out = send_to(&url, "messages", &["--timeout", "0.5", "--json"])
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
    let out = send_to(&url, "messages", &[]).run().code(1);
    assert!(out.stderr.contains("cannot deliver"), "{out:#?}");
}
