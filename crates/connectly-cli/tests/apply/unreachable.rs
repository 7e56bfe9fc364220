//! A business that cannot be reached (issue 27, item 4).

use super::*;

/// `apply` against a port nothing listens on: the business's failure keeps its cause chain and
/// hint, in text and in `--json`, as `webhooks list` shows them.
#[test]
fn apply_to_a_closed_port_reports_the_causes_and_the_hint() {
    let file = ConfigFile::new(MESSAGES_ONLY);
    let path = file.path();
    let args = ["apply", path.as_str(), "--base-url", "http://127.0.0.1:1"];
    let mut cmd = connectly(&args);
    let out = cmd.env("CONNECTLY_API_KEY", KEY).run().code(1);
    assert!(
        out.stdout.contains("error: cannot list the registrations"),
        "{out:?}"
    );
    assert!(out.stdout.contains("caused by: "), "{out:?}");
    assert!(
        out.stdout.contains("Connection refused") || out.stdout.contains("connection refused"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("hint: nothing is listening on 127.0.0.1:1"),
        "{out:?}"
    );

    let mut all = vec!["--json"];
    all.extend_from_slice(&args);
    let mut cmd = connectly(&all);
    let json = cmd.env("CONNECTLY_API_KEY", KEY).run().code(1).json();
    let error = &json["businesses"][0]["error"];
    assert_eq!(error["kind"], "connection", "{json}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot list the registrations"),
        "{json}"
    );
    assert!(!error["causes"].as_array().unwrap().is_empty(), "{json}");
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("nothing is listening on 127.0.0.1:1"),
        "{json}"
    );
}

/// Issue 33, finding 5: when the create of a replace fails after the old registration was
/// deleted, the way back never shows the old WebEngage token (text or `--json`): the old
/// registration is saved to a file only its owner can read, and `connectly apply` of that file
/// restores it.
#[test]
fn a_failed_replace_never_shows_the_old_webengage_token() {
    const TOKEN: &str = "wetok_SECRET_4d3c2b";
    for json in [false, true] {
        let fake = Fake::start();
        let old = fake.create(&[
            "--topic",
            "messages",
            "--address",
            "https://example.com/m",
            "--type",
            "webengage",
            "--webengage-token",
            TOKEN,
            "--webengage-webhook-url",
            "https://webengage.example/hook",
        ]);
        fake.create(&[
            "--topic",
            "delivery_status",
            "--address",
            "https://example.com/d",
        ]);
        let file = ConfigFile::new(WANTED);
        let proxy = Proxy::start(&fake, Fault::FailBefore(3));
        let path = file.path();
        let mut args = vec!["apply", path.as_str(), "--prune", "--yes"];
        if json {
            args.push("--json");
        }
        let mut cmd = connectly(&args);
        cmd.env("CONNECTLY_API_KEY", KEY)
            .args(["--base-url", &proxy.base_url]);
        let out = crate::common::run_hiding(&mut cmd, TOKEN).code(1);
        let hint = if json {
            let report = out.json();
            report["businesses"][0]["hints"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|h| h.as_str())
                .find(|h| h.contains(&old))
                .unwrap_or_else(|| panic!("a hint naming the deleted id: {out:?}"))
                .to_owned()
        } else {
            out.stderr
                .lines()
                .find(|l| l.contains(&old))
                .unwrap_or_else(|| panic!("a hint naming the deleted id: {out:?}"))
                .to_owned()
        };
        let restore = hint
            .split('`')
            .find_map(|part| part.strip_prefix("connectly apply "))
            .unwrap_or_else(|| panic!("a `connectly apply FILE` in {hint}"))
            .to_owned();
        assert!(hint.contains("mode 0600"), "{hint}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&restore).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{restore}");
        }
        // The file restores the old registration, token included.
        fake.cmd(&["apply", &restore]).run().code(0);
        std::fs::remove_file(&restore).unwrap();
        let live = fake.registrations();
        let messages = live.iter().find(|r| r["topic"] == "messages").unwrap();
        assert_eq!(messages["type"], "webengage", "{live:?}");
        assert_eq!(
            messages["configuration"]["webengageConfiguration"]["webengageToken"],
            TOKEN
        );
    }
}
