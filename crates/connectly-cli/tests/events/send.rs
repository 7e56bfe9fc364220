//! `events send`.

use super::*;

#[test]
fn send_every_sample_is_verified_and_parsed_by_the_receiver() {
    let receiver = start_receiver();
    let url = receiver.url("/webhook");
    let mut sent = 0;
    for sample in connectly_webhook::samples() {
        let (name, topic) = (sample.name, sample.topic());
        let out = send_to(&url, topic, &["--sample", name]).run().code(0);
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
    send_to(&localhost, "messages", &[]).run().code(0);
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
    let out = send_to(&receiver.url("/raw"), "messages", &["--body", &file])
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
    let out = send_to(
        &receiver.url("/raw"),
        "delivery_status",
        &["--json", "--body", "-"],
    )
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
    let out = send_to(&receiver.url("/webhook"), "messages", &["--body", &status])
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
    send_to(
        &receiver.url("/raw"),
        "messages",
        &["--sample", "text", "--body", &file],
    )
    .run()
    .code(2);
    receiver.assert_nothing_received();
}
