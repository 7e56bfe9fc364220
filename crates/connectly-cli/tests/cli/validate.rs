//! 6. validate.

use super::*;

const BAD_JSON: &str = r#"{
  "businessId": "biz_1",
  "webhooks": [
    {"topic": "messages", "address": "https://example.com/a"},
    {
      "topic": "delivery_status",
      "adress": "https://example.com/b"
    },
    {"topic": "mesages", "address": "http://example.com/c"}
  ]
}
"#;

/// The stderr line that starts with `prefix`, and the line after it (the hint, if any).
fn error_at<'a>(out: &'a Out, prefix: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = out.stderr.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}: {out:?}"));
    (lines[i], lines.get(i + 1).copied().unwrap_or_default())
}

/// `connectly validate ARGS...` run in `dir`.
fn validate_in(dir: &Path, args: &[&str]) -> Out {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    connectly(&all).current_dir(dir).run()
}

/// A directory holding `bad.yaml` ([`BAD_YAML`]) and a valid `good.yaml`.
fn bad_and_good() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.yaml", BAD_YAML);
    write(
        dir.path(),
        "good.yaml",
        "webhooks:\n  - topic: messages\n    address: https://example.com/m\n",
    );
    dir
}

#[test]
fn validate_yaml_reports_each_error_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.yaml", BAD_YAML);
    let out = validate_in(dir.path(), &["bad.yaml"]).code(1);
    assert_eq!(
        out.located(),
        [
            // (no `missing required key "address"`: `adress` was meant to be it)
            "bad.yaml:4:5",  // `adress`
            "bad.yaml:7:11", // carrier_pigeon
            "bad.yaml:8:12", // second `messages`
            "bad.yaml:9:14", // http address
            "bad.yaml:10:5", // missing `topic`
        ],
        "{out:?}"
    );
    let (line, hint) = error_at(&out, "bad.yaml:4:5: error:");
    assert!(line.contains("adress"), "{line}");
    assert!(hint.contains("did you mean `address`?"), "{hint}");
    let (line, hint) = error_at(&out, "bad.yaml:7:11: error:");
    assert!(line.contains("carrier_pigeon"), "{line}");
    assert!(hint.contains("\"custom\""), "{hint}");
    let (line, _) = error_at(&out, "bad.yaml:8:12: error:");
    assert!(line.contains("already registered by /webhooks/0"), "{line}");
    let (line, _) = error_at(&out, "bad.yaml:9:14: error:");
    assert!(line.contains("http://example.com/c"), "{line}");
    let (line, _) = error_at(&out, "bad.yaml:10:5: error:");
    assert!(line.contains("missing required key \"topic\""), "{line}");
}

#[test]
fn validate_json_file_reports_errors_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.json", BAD_JSON);
    let out = validate_in(dir.path(), &["bad.json"]).code(1);
    assert_eq!(
        out.located(),
        [
            // (no `missing required key "address"`: `adress` was meant to be it)
            "bad.json:7:7",  // `adress`
            "bad.json:9:15", // "mesages"
            "bad.json:9:37", // http address
        ],
        "{out:?}"
    );
    let (_, hint) = error_at(&out, "bad.json:7:7: error:");
    assert!(hint.contains("did you mean `address`?"), "{hint}");
    let (line, hint) = error_at(&out, "bad.json:9:15: error:");
    assert!(line.contains("mesages"), "{line}");
    assert!(hint.contains("\"messages\""), "{hint}");
}

#[test]
fn validate_json_syntax_error_gives_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "syntax.json",
        "{\n  \"webhooks\": [\n    {\"topic\": \"messages\",}\n  ]\n}\n",
    );
    let out = validate_in(dir.path(), &["syntax.json"]).code(1);
    assert_eq!(out.located(), ["syntax.json:3:26"], "{out:?}");
    assert!(out.stderr.contains("not valid JSON"), "{out:?}");
}

/// Issue 33.7: a byte order mark (YAML and JSON) and JSON's escaped surrogate pairs, as
/// Python's `json.dumps` writes them, are valid input; errors after them stand where they are.
#[test]
fn validate_reads_a_byte_order_mark_and_json_surrogate_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let json = |echo: &str| {
        format!(
            "\u{feff}{{\"businessId\": \"biz_1\", \"webhooks\": [{{\"topic\": \"messages\", \"address\": \"https://example.com/a\",\n \"configuration\": {{\"filters\": [{{\"field\": \"campaign_name\", \"expression\": \"\\ud83c\\udf89 \\ud83d\\ude00\"}}], \"echo\": {echo}}}}}]}}\n"
        )
    };
    write(dir.path(), "good.json", &json("true"));
    write(
        dir.path(),
        "good.yaml",
        "\u{feff}businessId: biz_1\nwebhooks:\n  - topic: messages\n    address: https://example.com/a\n",
    );
    write(dir.path(), "bad.json", &json("\"yes\""));
    let out = validate_in(dir.path(), &["good.json", "good.yaml"]).code(0);
    assert!(out.stderr.contains("2 valid, 0 invalid"), "{out:?}");
    let out = validate_in(dir.path(), &["bad.json"]).code(1);
    assert_eq!(out.located(), ["bad.json:2:112"], "{out:?}");
}

#[test]
fn validate_yaml_syntax_error_gives_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "syntax.yaml",
        "webhooks:\n  - topic: messages\n    address: [unclosed\n",
    );
    let out = validate_in(dir.path(), &["syntax.yaml"]).code(1);
    let located = out.located();
    assert_eq!(located.len(), 1, "{out:?}");
    assert!(out.stderr.contains("not valid YAML"), "{out:?}");
    let line: usize = located[0].split(':').nth(1).unwrap().parse().unwrap();
    assert!((3..=4).contains(&line), "{out:?}");
}

#[test]
fn validate_accepts_the_example_file() {
    let out = connectly(&["validate", "examples/webhooks.yaml"])
        .current_dir(workspace_root())
        .run()
        .code(0);
    assert_eq!(out.stdout, "examples/webhooks.yaml: ok\n", "{out:?}");
    assert!(out.located().is_empty(), "{out:?}");
}

#[test]
fn validate_dash_reads_stdin() {
    let example = std::fs::read_to_string(workspace_root().join("examples/webhooks.yaml")).unwrap();
    let out = connectly(&["validate", "-"])
        .write_stdin(example)
        .run()
        .code(0);
    assert_eq!(out.stdout, "<stdin>: ok\n", "{out:?}");

    let out = connectly(&["validate", "-"])
        .write_stdin(BAD_YAML)
        .run()
        .code(1);
    assert_eq!(out.located()[0], "<stdin>:4:5", "{out:?}");
}

#[test]
fn validate_json_output_has_line_column_and_pointer() {
    let dir = bad_and_good();
    let out = validate_in(dir.path(), &["--json", "bad.yaml", "good.yaml"]).code(1);
    let report = out.json();
    assert_eq!(report["valid"], false);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], "bad.yaml");
    assert_eq!(files[0]["valid"], false);
    assert_eq!(
        files[1],
        json!({"file": "good.yaml", "valid": true, "errors": []})
    );
    let errors = files[0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    let typo = errors
        .iter()
        .find(|e| e["pointer"] == "/webhooks/0/adress")
        .expect("the typo is reported");
    assert_eq!(typo["line"], 4);
    assert_eq!(typo["column"], 5);
    assert_eq!(typo["hint"], "did you mean `address`?");
    let http = errors
        .iter()
        .find(|e| e["pointer"] == "/webhooks/2/address")
        .expect("the http address is reported");
    assert_eq!(
        (http["line"].clone(), http["column"].clone()),
        (json!(9), json!(14))
    );
    for e in errors {
        assert!(
            e["line"].is_u64() && e["column"].is_u64() && e["pointer"].is_string(),
            "{e}"
        );
        assert!(e["message"].is_string(), "{e}");
    }
}

#[test]
fn validate_checks_many_files_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(workspace_root().join("examples/webhooks.yaml")).unwrap();
    let names: Vec<String> = (0..200).map(|i| format!("config-{i:03}.yaml")).collect();
    for name in &names {
        write(dir.path(), name, &example);
    }
    let mut args = vec!["validate"];
    args.extend(names.iter().map(String::as_str));
    // How fast is measured in BENCHMARKS.md, not here: a timer on a shared machine cannot
    // tell a slow validator from a busy one.
    let out = connectly(&args).current_dir(dir.path()).run().code(0);
    assert_eq!(out.stdout.lines().count(), 200, "{out:?}");
    assert!(
        out.stderr.contains("200 file(s) checked: 200 valid"),
        "{out:?}"
    );
}

#[test]
fn validate_reports_an_unreadable_file_and_still_checks_the_others() {
    let dir = bad_and_good();
    let out = validate_in(dir.path(), &["missing.yaml", "bad.yaml", "good.yaml"]).code(1);
    assert!(out.stderr.contains("cannot read missing.yaml"), "{out:?}");
    assert_eq!(out.located().len(), 5, "bad.yaml was checked too: {out:?}");
    assert!(out.stdout.contains("good.yaml: ok"), "{out:?}");
    assert!(
        out.stderr.contains("3 file(s) checked: 1 valid, 2 invalid"),
        "{out:?}"
    );

    let out = validate_in(dir.path(), &["--json", "missing.yaml", "good.yaml"]).code(1);
    let report = out.json();
    assert_eq!(report["valid"], false);
    assert_eq!(report["files"][0]["file"], "missing.yaml");
    assert_eq!(report["files"][0]["valid"], false);
    assert!(
        report["files"][0]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot read missing.yaml"),
        "{report}"
    );
    assert_eq!(report["files"][1]["valid"], true);
}
