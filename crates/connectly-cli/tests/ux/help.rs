//! Help, completions and man pages from the one definition.

use super::*;

// ----------------------------------------------------------------------------------------------
// Help, completions, man

#[test]
fn help_puts_global_and_api_options_under_their_headings_and_api_options_only_on_api_verbs() {
    let api_verbs = [
        "apply",
        "export",
        "reports",
        "reports list",
        "webhooks",
        "webhooks create",
        "webhooks list",
        "webhooks update",
        "webhooks delete",
    ];
    for path in verbs() {
        let text = help(&path);
        let name = path.join(" ");
        assert!(text.contains("\nGlobal options:\n"), "{name}: {text}");
        let (own, global) = text.split_once("\nGlobal options:\n").unwrap();
        assert!(global.contains("--json"), "{name}");
        assert!(
            !own.contains("--json "),
            "{name}: --json only under Global options"
        );
        let api = api_verbs.contains(&name.as_str());
        assert_eq!(
            text.contains("\nAPI options:\n") && text.contains("--base-url"),
            api,
            "{name}: API options {}",
            if api { "expected" } else { "not expected" }
        );
    }
}

#[test]
fn every_verb_has_examples_in_its_help() {
    let all = verbs();
    assert!(all.len() >= 14, "{all:?}");
    for path in all {
        let text = help(&path);
        let examples = text
            .split_once("\nExamples:\n")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("{path:?} has no Examples: section\n{text}"));
        assert!(
            examples
                .lines()
                .next()
                .unwrap()
                .trim_start()
                .starts_with("connectly ")
                || examples.contains("\n  connectly "),
            "{path:?}: the examples run connectly"
        );
    }
}

#[test]
fn completions_are_generated_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = connectly(&["completions", shell]).run().code(0);
        for word in ["webhooks", "business-id", "completions"] {
            assert!(out.stdout.contains(word), "{shell}: {word}");
        }
    }
    connectly(&["completions", "tcsh"]).run().code(2);
}

#[test]
fn man_pages_are_generated_from_the_same_definition() {
    let out = connectly(&["man"]).run().code(0);
    assert!(out.stdout.contains(".TH connectly 1"), "{out:?}");
    assert!(out.stdout.contains("webhooks"), "{out:?}");
    // The exit codes have their own section (issue 32), after the examples, not under EXTRA.
    let (extra, status) = out.stdout.split_once(".SH \"EXIT STATUS\"").unwrap();
    assert!(!extra.contains("Exit codes"), "{out:?}");
    assert!(
        status.contains("130") && status.contains("changes pending"),
        "{status}"
    );
    let dir = tempfile::tempdir().unwrap();
    connectly(&["man", "--dir"]).arg(dir.path()).run().code(0);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = verbs()
        .iter()
        .map(|path| {
            let mut name = vec!["connectly".to_owned()];
            name.extend(path.iter().cloned());
            format!("{}.1", name.join("-"))
        })
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let main = std::fs::read_to_string(dir.path().join("connectly.1")).unwrap();
    assert_eq!(
        main, out.stdout,
        "connectly man and man --dir write the same main page"
    );
    let list = std::fs::read_to_string(dir.path().join("connectly-webhooks-list.1")).unwrap();
    assert!(list.contains("business"), "{list}");
}

#[test]
fn list_json_and_the_table_show_the_same_default_type() {
    let fake = Fake::start();
    fake.create(&["--topic", "messages", "--address", "https://example.com/m"]);
    let table = fake.cmd(&["webhooks", "list"]).run().code(0).stdout;
    assert!(
        table.lines().nth(1).unwrap().contains(" custom "),
        "{table}"
    );
    let out = fake.cmd(&["webhooks", "list", "--json"]).run().code(0);
    assert_eq!(out.json()["webhooks"][0]["type"], json!("custom"));
}

/// Issue 32: help is wrapped to the terminal's width (COLUMNS off a terminal), as clap's
/// `wrap_help` does, instead of lines of 270 columns.
#[test]
fn help_is_wrapped_to_the_terminal_width() {
    for path in verbs() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = connectly(&args).env("COLUMNS", "80").run().code(0);
        let widest = out.stdout.lines().map(|l| l.chars().count()).max().unwrap();
        // An example command line, the usage line (clap never breaks it) or a URL may be
        // long; prose is wrapped.
        let long: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.chars().count() > 80 && !l.trim_start().starts_with("connectly "))
            .filter(|l| !l.starts_with("Usage: "))
            .filter(|l| !l.contains("://"))
            .collect();
        assert!(long.is_empty(), "{path:?}: {widest} columns: {long:#?}");
    }
}
