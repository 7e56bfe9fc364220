//! The smaller truths of issue 32, finding 7.

use super::*;

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
