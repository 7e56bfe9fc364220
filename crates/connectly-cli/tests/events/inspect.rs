//! `events inspect`.

use super::*;

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
