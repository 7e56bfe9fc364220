//! `events verify`.

use super::*;

#[test]
fn verify_accepts_the_signature_of_the_raw_bytes_and_refuses_any_change() {
    let dir = tempfile::tempdir().unwrap();
    let body = connectly_webhook::sample("failed").unwrap().body.as_bytes();
    let file = write(dir.path(), "body.json", body);
    let signature = sign(SECRET, body);

    let out = verify(&["--signature", &signature, &file]).run().code(0);
    assert_eq!(out.stdout, "valid\n");
    // The secret as a flag; the body from stdin (explicit `-` and the default).
    for extra in [&["-"][..], &[][..]] {
        let args = [&["--signature", &signature][..], extra].concat();
        let out = verify_with(SECRET, &args).write_stdin(body).run().code(0);
        assert_eq!(out.stdout, "valid\n");
    }
    let out = verify(&["--json", "--signature", &signature, &file])
        .run()
        .code(0);
    assert_eq!(out.json(), json!({"valid": true}));

    // One flipped byte of the body.
    let mut flipped = body.to_vec();
    flipped[body.len() / 2] ^= 0x01;
    let changed = write(dir.path(), "changed.json", &flipped);
    let out = verify(&["--signature", &signature, &changed]).run().code(1);
    assert_eq!(out.stdout, "invalid\n");
    assert!(out.stderr.contains("does not match"), "{out:#?}");

    // One flipped byte of the signature (as Base64 text, still valid Base64).
    let mut raw = signature.clone().into_bytes();
    raw[0] = if raw[0] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8(raw).unwrap();
    let out = verify(&["--signature", &wrong, &file]).run().code(1);
    assert!(out.stderr.contains("does not match"), "{out:#?}");

    // Another secret.
    let out = verify_with("whsec_other", &["--signature", &signature, &file])
        .run()
        .code(1);
    assert!(out.stderr.contains("does not match"), "{out:#?}");

    // Missing (a usage error), not Base64.
    let out = verify(&[&file]).run().code(2);
    assert!(out.stderr.contains("--signature"), "{out:#?}");
    let out = verify(&["--json", "--signature", "%%not base64", &file])
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
    let out = verify(&["--signature", &signature, &file]).run().code(1);
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
    verify_with("", &["--signature", "AAAA", "-"])
        .write_stdin("{}")
        .run()
        .code(2);
}
