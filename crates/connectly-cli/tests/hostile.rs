//! Issue 13: hostile input has a bounded cost. Each file an attacker could hand to `connectly`
//! is refused with exit 1 and a located message (cases 1–5), and every input is read up to a
//! cap that the error names.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::common::Out;

const SECRET: &str = "whsec_hostile_0f3a";

/// The binary (none of the caller's CONNECTLY_* variables) with [`SECRET`] as its webhook secret.
fn connectly(args: &[&str]) -> Command {
    let mut cmd = crate::common::connectly(args);
    cmd.env("CONNECTLY_WEBHOOK_SECRET", SECRET);
    cmd
}

fn run(cmd: &mut Command) -> Out {
    crate::common::run_hiding(cmd, SECRET)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `connectly validate FILE` on `text`: exit 1; returns the run.
fn validate_refuses(name: &str, text: &str) -> Out {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, text);
    run(connectly(&["validate", name]).current_dir(dir.path())).code(1)
}

/// The one `FILE:LINE:COL: error: MESSAGE` line, checked for `at` and `needle`.
fn assert_located(out: &Out, at: &str, needle: &str) {
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("{at}: error: ")))
        .unwrap_or_else(|| panic!("no error at {at}: {out:?}"));
    assert!(line.contains(needle), "{line}");
}

/// The 420-byte billion laughs: ten levels, each ten aliases of the one before.
pub fn alias_bomb() -> String {
    let mut text = String::from("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for pair in b"abcdefghij".windows(2) {
        let (prev, this) = (pair[0] as char, pair[1] as char);
        let items = vec![format!("*{prev}"); 10].join(",");
        text.push_str(&format!("{this}: &{this} [{items}]\n"));
    }
    text
}

#[test]
fn validate_refuses_the_alias_bomb_at_its_line() {
    let text = alias_bomb();
    assert!(text.len() <= 420);
    let out = validate_refuses("bomb.yaml", &text);
    assert_located(
        &out,
        "bomb.yaml:5:37",
        "anchors and aliases expand to more than 1024 KiB",
    );
}

#[test]
fn validate_refuses_a_1_mb_string_reused_as_a_key_1500_times() {
    let mut text = format!("- &s {}\n", "x".repeat(1_000_000));
    for _ in 0..1_500 {
        text.push_str("- *s : 1\n");
    }
    let out = validate_refuses("keys.yaml", &text);
    assert_located(&out, "keys.yaml:2:3", "anchors and aliases expand");
}

#[test]
fn validate_refuses_5000_nested_block_sequences_without_crashing() {
    let out = validate_refuses("deep.yaml", &format!("{}x\n", "- ".repeat(5_000)));
    assert_located(&out, "deep.yaml:1:129", "nesting deeper than 64 levels");
}

const CONFIG: &str = "webhooks:\n  - topic: messages\n    address: https://example.com/m\n";

#[test]
fn validate_refuses_a_second_document() {
    let out = validate_refuses("two.yaml", &format!("---\n{CONFIG}---\ngarbage: [\n"));
    assert_located(&out, "two.yaml:5:1", "more than one document");
}

#[test]
fn apply_refuses_a_config_split_over_two_documents_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let text = "---\nwebhooks:\n  - topic: messages\n    address: https://example.com/m\n---\nwebhooks:\n  - topic: delivery_status\n    address: https://example.com/d\n";
    write(dir.path(), "split.yaml", text);
    let out = run(connectly(&[
        "apply",
        "--prune",
        "split.yaml",
        "--business-id",
        "biz",
        // Nothing listens there: a request would fail differently.
        "--base-url",
        "http://127.0.0.1:9",
    ])
    .env("CONNECTLY_API_KEY", "k")
    .current_dir(dir.path()))
    .code(1);
    assert_located(&out, "split.yaml:5:1", "more than one document");
    assert!(!out.stderr.contains("127.0.0.1:9"), "{out:?}");
}

#[test]
fn validate_reads_a_str_tag_as_a_string() {
    let text = "webhooks:\n  - topic: messages\n    address: https://example.com/m\n    configuration:\n      echo: !!str true\n";
    let out = validate_refuses("tag.yaml", text);
    // At the scalar the tag applies to.
    assert_located(&out, "tag.yaml:5:19", "\"true\" is not of type \"boolean\"");
}

#[test]
fn validate_refuses_an_unknown_tag() {
    let out = validate_refuses(
        "tag.yaml",
        &format!("{CONFIG}businessId: !vault secret/biz\n"),
    );
    assert_located(&out, "tag.yaml:4:20", "unsupported tag `!vault`");
}

#[test]
fn validate_refuses_numbers_json_cannot_hold() {
    for (value, needle) in [
        ("1e400", "beyond the range of a 64-bit float"),
        (".nan", "(not a number) cannot be held in JSON"),
        (".inf", "(infinity) cannot be held in JSON"),
    ] {
        let out = validate_refuses("n.yaml", &format!("{CONFIG}businessId: {value}\n"));
        assert_located(&out, "n.yaml:4:13", needle);
    }
}

#[test]
fn every_input_is_refused_at_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    for (args, code, needle) in [
        (
            vec!["validate", "/dev/zero"],
            1,
            "/dev/zero is larger than 1 MiB, the limit for a config file",
        ),
        (
            vec!["events", "verify", "--signature", "c2ln", "/dev/zero"],
            1,
            "/dev/zero is larger than 1 MiB, the limit for an event body",
        ),
        (
            vec![
                "events",
                "send",
                "--topic",
                "messages",
                "--to",
                "http://127.0.0.1:9/hook",
                "--body",
                "/dev/zero",
            ],
            1,
            "/dev/zero is larger than 1 MiB, the limit for an event body",
        ),
        (
            vec![
                "webhooks",
                "list",
                "--business-id",
                "biz",
                "--base-url",
                "http://127.0.0.1:9",
                "--api-key-file",
                "/dev/zero",
            ],
            2,
            "/dev/zero is larger than 4 KiB, the limit for an --api-key-file",
        ),
    ] {
        let out = run(connectly(&args).current_dir(dir.path())).code(code);
        assert!(out.stderr.contains(needle), "{args:?}: {out:?}");
    }
    // stdin, one byte over the cap.
    let out = run(connectly(&["validate", "-"]).write_stdin(vec![b' '; (1 << 20) + 1])).code(1);
    assert!(
        out.stderr
            .contains("<stdin> is larger than 1 MiB, the limit for a config file"),
        "{out:?}"
    );
}

#[test]
fn validate_prints_at_most_50_errors_per_file_then_a_count() {
    let mut text = String::from("webhooks:\n");
    for i in 0..200 {
        text.push_str(&format!(
            "  - topic: messages\n    address: https://example.com/{i}\n"
        ));
    }
    let out = validate_refuses("many.yaml", &text);
    assert_eq!(out.located().len(), 50, "{out:?}");
    assert!(
        out.stderr.contains("many.yaml: ... and 149 more error(s)"),
        "{out:?}"
    );
    assert!(out.stderr.contains("(199 error(s))"), "{out:?}");
}
