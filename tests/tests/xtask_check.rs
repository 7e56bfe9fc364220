//! `cargo xtask check` and `regenerate`, run on copies of the repository's spec and generated
//! files: a stale file fails with a diff, an added enum value flows into every artifact, a broken
//! spec is reported at its line and leaves the tree as it was.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

/// The spec and every file generated from it, as the committed tree has them.
fn files() -> Vec<String> {
    let spec = xtask::load_spec(&xtask::workspace_root()).unwrap();
    let mut files = vec![xtask::SPEC.to_owned()];
    files.extend(xtask::artifacts(&spec).unwrap().into_iter().map(|a| a.path));
    files
}

/// The generated files that hold the `Topic` enum.
const TOPIC_SCHEMAS: [&str; 4] = [
    "schemas/create-webhook.schema.json",
    "schemas/webhooks-config.schema.json",
    "crates/connectly-schema/schemas/create-webhook.schema.json",
    "crates/connectly-schema/schemas/webhooks-config.schema.json",
];

/// A temporary copy of the spec and of every committed generated file.
fn copy_of_repo() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = xtask::workspace_root();
    for file in files() {
        let to = dir.path().join(&file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(root.join(&file), to).unwrap();
    }
    dir
}

/// Runs `cargo xtask ARGS --root DIR` in-process: (exit code, stdout, stderr).
fn xtask(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    argv.extend(["--root".to_owned(), dir.display().to_string()]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = xtask::run(&argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap()
}

fn snapshot(dir: &Path) -> Vec<String> {
    files().iter().map(|f| read(dir, f)).collect()
}

#[test]
fn the_committed_tree_is_up_to_date() {
    let (code, out, err) = xtask(&xtask::workspace_root(), &["check"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn check_fails_with_a_diff_on_a_stale_schema() {
    let dir = copy_of_repo();
    let file = "schemas/webhooks-config.schema.json";
    let stale = read(dir.path(), file).replace("\"minLength\": 1,", "");
    fs::write(dir.path().join(file), stale).unwrap();

    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("--- a/{file} (committed)")), "{err}");
    assert!(
        err.contains("+      \"minLength\": 1,"),
        "no diff line in: {err}"
    );
    assert!(err.contains("cargo xtask regenerate"), "{err}");
    assert!(
        !err.contains("crates/connectly-schema/schemas/webhooks"),
        "only the stale file is reported: {err}"
    );
}

#[test]
fn check_fails_on_a_missing_or_stale_packaged_copy() {
    let dir = copy_of_repo();
    fs::remove_file(
        dir.path()
            .join("crates/connectly-schema/schemas/create-webhook.schema.json"),
    )
    .unwrap();
    let copy = "crates/connectly-client/openapi/connectly.yaml";
    fs::write(
        dir.path().join(copy),
        read(dir.path(), copy).replace("Create Webhook", "Make Webhook"),
    )
    .unwrap();

    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("missing: crates/connectly-schema/schemas/create-webhook.schema.json"),
        "{err}"
    );
    assert!(err.contains(&format!("--- a/{copy} (committed)")), "{err}");
}

#[test]
fn crlf_line_endings_are_not_stale() {
    let dir = copy_of_repo();
    let file = "schemas/create-webhook.schema.json";
    fs::write(
        dir.path().join(file),
        read(dir.path(), file).replace('\n', "\r\n"),
    )
    .unwrap();
    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_new_topic_flows_from_the_spec_into_every_artifact() {
    let dir = copy_of_repo();
    let spec = read(dir.path(), "openapi/connectly.yaml")
        .replacen("        - delivery_status\n", "        - delivery_status\n        - template_status\n", 1)
        .replacen(
            "      x-enumDescriptions:\n        messages:",
            "      x-enumDescriptions:\n        template_status: Template approval updates.\n        messages:",
            1,
        );
    fs::write(dir.path().join("openapi/connectly.yaml"), spec).unwrap();

    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1);
    for file in
        std::iter::once(&"crates/connectly-client/openapi/connectly.yaml").chain(&TOPIC_SCHEMAS)
    {
        assert!(
            err.contains(&format!("--- a/{file} (committed)")),
            "{file} not reported stale: {err}"
        );
    }
    assert!(
        err.contains("+          \"const\": \"template_status\""),
        "{err}"
    );

    let (code, out, err) = xtask(dir.path(), &["regenerate", "--no-build"]);
    assert_eq!(code, 0, "{out}{err}");
    for file in TOPIC_SCHEMAS {
        let schema: serde_json::Value = serde_json::from_str(&read(dir.path(), file)).unwrap();
        assert!(
            schema["$defs"]["Topic"]["oneOf"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!({
                    "const": "template_status",
                    "description": "Template approval updates."
                })),
            "{file}"
        );
    }
    assert!(
        read(dir.path(), "crates/connectly-client/openapi/connectly.yaml")
            .contains("- template_status")
    );
    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_broken_spec_is_reported_at_its_line_and_nothing_is_written() {
    let dir = copy_of_repo();
    let spec = read(dir.path(), "openapi/connectly.yaml");
    let line_of = |needle: &str| spec.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let example_line = line_of("topic: messages");
    let ref_line = line_of("$ref: \"#/components/schemas/Filter\"");
    let broken = spec
        .replacen("topic: messages", "topic: mesages", 1)
        .replace(
            "$ref: \"#/components/schemas/Filter\"",
            "$ref: \"#/components/schemas/Filtr\"",
        );
    fs::write(dir.path().join("openapi/connectly.yaml"), &broken).unwrap();
    let before = snapshot(dir.path());

    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("openapi/connectly.yaml:{ref_line}:")),
        "{err}"
    );
    assert!(err.contains("unresolved reference"), "{err}");

    let (code, _, err) = xtask(dir.path(), &["regenerate", "--no-build"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(snapshot(dir.path()), before);

    // With the reference mended, the bad example is the one error left, at its own line.
    fs::write(
        dir.path().join("openapi/connectly.yaml"),
        broken.replace("Filtr\"", "Filter\""),
    )
    .unwrap();
    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("openapi/connectly.yaml:{example_line}:")),
        "{err}"
    );
    assert!(err.contains("example does not match its schema"), "{err}");
}

#[test]
fn invalid_yaml_is_reported_with_a_position() {
    let dir = copy_of_repo();
    fs::write(
        dir.path().join("openapi/connectly.yaml"),
        "openapi: 3.0.3\npaths: [\n",
    )
    .unwrap();
    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("openapi/connectly.yaml:") && err.contains("not valid YAML"),
        "{err}"
    );
}

#[test]
fn an_error_response_with_another_schema_is_refused() {
    // progenitor panics at build time when error responses differ (its issue #950).
    let dir = copy_of_repo();
    let spec = read(dir.path(), "openapi/connectly.yaml").replacen(
        "    Conflict:\n      description: An endpoint is already registered for this topic; use Update Webhook instead.\n      content:\n        application/json:\n          schema:\n            $ref: \"#/components/schemas/Error\"",
        "    Conflict:\n      description: An endpoint is already registered for this topic; use Update Webhook instead.\n      content:\n        application/json:\n          schema:\n            $ref: \"#/components/schemas/Acknowledgement\"",
        1,
    );
    fs::write(dir.path().join("openapi/connectly.yaml"), spec).unwrap();
    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("every error response must use the schema"),
        "{err}"
    );
}

#[test]
fn an_open_request_body_is_refused() {
    let dir = copy_of_repo();
    let spec = read(dir.path(), "openapi/connectly.yaml").replacen(
        "      description: Deliver only the events whose `field` matches `expression`.\n      additionalProperties: false\n",
        "      description: Deliver only the events whose `field` matches `expression`.\n",
        1,
    );
    fs::write(dir.path().join("openapi/connectly.yaml"), spec).unwrap();
    let (code, _, err) = xtask(dir.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("additionalProperties: false") && err.contains("/components/schemas/Filter"),
        "{err}"
    );
}
