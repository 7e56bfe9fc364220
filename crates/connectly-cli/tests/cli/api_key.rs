//! 5. The API key never appears in any output (every run also checks it).

use super::*;

#[test]
fn api_key_never_appears_in_success_json_or_error_output() {
    let fake = Fake::start();
    let create = CREATE_MESSAGES;
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
