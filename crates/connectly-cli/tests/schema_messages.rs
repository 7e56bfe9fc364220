//! Issue 16, the schema messages: the common mistakes in a config file get a message a person
//! can act on (derived from the schema), at the right place, with the line and a caret.

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

use crate::common::Out;

fn validate(text: &str) -> Out {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), text).unwrap();
    validate_in(dir.path())
}

fn validate_in(dir: &Path) -> Out {
    let mut cmd = Command::cargo_bin("connectly").unwrap();
    cmd.args(["validate", "c.yaml"])
        .current_dir(dir)
        .timeout(Duration::from_secs(20));
    crate::common::run_hiding(&mut cmd, "never-printed-3c1f").code(1)
}

const HEAD: &str = "webhooks:\n  - topic: messages\n";

#[test]
fn an_http_address_gets_the_https_form_not_the_regex() {
    let out = validate(&format!("{HEAD}    address: http://a.example/x\n"));
    assert!(
        out.stderr
            .contains("c.yaml:3:14: error: \"http://a.example/x\" does not start with `https://`"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("hint: write `https://a.example/x`"),
        "{out:?}"
    );
    assert!(
        !out.stderr.contains("^https://"),
        "the regex is shown: {out:?}"
    );
}

#[test]
fn an_empty_or_comment_only_file_says_what_a_config_needs() {
    for text in ["", "# just a comment\n"] {
        let out = validate(text);
        assert!(
            out.stderr
                .contains("c.yaml:1:1: error: a config file cannot be empty"),
            "{out:?}"
        );
        assert!(
            out.stderr.contains(
                "hint: it needs `webhooks` (a list, each item with `topic` and `address`)"
            ),
            "{out:?}"
        );
        assert!(!out.stderr.contains("null is not of type"), "{out:?}");
    }
}

#[test]
fn yes_for_a_boolean_says_how_to_write_it() {
    let out = validate(&format!(
        "{HEAD}    address: https://a.example/x\n    configuration:\n      echo: yes\n"
    ));
    assert!(
        out.stderr
            .contains("c.yaml:5:13: error: \"yes\" is not of type \"boolean\""),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("hint: write `true`, without quotes (YAML 1.2 reads \"yes\" as a string)"),
        "{out:?}"
    );
}

#[test]
fn a_near_miss_enum_value_gets_did_you_mean() {
    let out = validate(&format!(
        "{HEAD}    address: https://a.example/x\n    type: zaiper\n"
    ));
    assert!(
        out.stderr
            .contains("c.yaml:4:11: error: \"zaiper\" is not one of"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("hint: did you mean \"zapier\"?"),
        "{out:?}"
    );
}

#[test]
fn a_tab_in_the_indentation_is_reported_on_its_line() {
    let out = validate("webhooks:\n  - topic: messages\n  \t  address: https://a.example/x\n");
    assert!(
        out.stderr.contains(
            "c.yaml:3:3: error: not valid YAML: a tab in the indentation: YAML indents with spaces only"
        ),
        "{out:?}"
    );
}

#[test]
fn an_unknown_key_meant_as_a_required_one_is_reported_once() {
    let out = validate(&format!("{HEAD}    adress: https://a.example/x\n"));
    assert_eq!(out.located(), ["c.yaml:3:5"], "{out:?}");
    assert!(!out.stderr.contains("missing required key"), "{out:?}");
    assert!(
        out.stderr.contains("hint: did you mean `address`?"),
        "{out:?}"
    );
}

#[test]
fn the_offending_line_is_shown_with_a_caret_under_it() {
    let out = validate(&format!("{HEAD}    adress: https://a.example/x\n"));
    assert!(
        out.stderr.contains(
            "c.yaml:3:5: error: unknown key \"adress\" (at /webhooks/0/adress)\n  hint: did you mean `address`?\n  |\n3 |     adress: https://a.example/x\n  |     ^^^^^^\n"
        ),
        "{out:?}"
    );
}
