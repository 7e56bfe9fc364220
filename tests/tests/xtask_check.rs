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
fn every_sample_names_a_known_topic() {
    let spec = read(&xtask::workspace_root(), "openapi/connectly.yaml");
    let cases = [
        // Missing: the sample's topic would have to be guessed from its body.
        (
            "                        summary: A delivered status update\n                        x-connectly-topic: delivery_status\n",
            "                        summary: A delivered status update\n",
            "sample `delivered` names no topic",
        ),
        // Not one of the Topic enum's values.
        (
            "                        summary: A delivered status update\n                        x-connectly-topic: delivery_status\n",
            "                        summary: A delivered status update\n                        x-connectly-topic: status\n",
            "sample `delivered`: `x-connectly-topic` must be one of the `Topic` enum's values: messages, delivery_status, report",
        ),
        // Another topic than the event's own `topic` field.
        (
            "                        summary: A delivered status update\n                        x-connectly-topic: delivery_status\n",
            "                        summary: A delivered status update\n                        x-connectly-topic: messages\n",
            "sample `delivered` is `messages` here but its event's topic is `delivery_status`",
        ),
    ];
    for (from, to, message) in cases {
        assert!(spec.contains(from), "the spec changed: {from}");
        let dir = copy_of_repo();
        fs::write(
            dir.path().join("openapi/connectly.yaml"),
            spec.replacen(from, to, 1),
        )
        .unwrap();
        let (code, _, err) = xtask(dir.path(), &["check"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(message), "{message}: {err}");
        assert!(err.contains("openapi/connectly.yaml:"), "{err}");
    }
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

/// The files under `dir` whose names end with `.xtask-tmp` (regenerate's staged files).
fn temp_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(".xtask-tmp") {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// Every spec and generated file, `None` where missing.
fn snapshot_or_missing(dir: &Path) -> Vec<(String, Option<String>)> {
    files()
        .into_iter()
        .map(|f| {
            let text = fs::read_to_string(dir.join(&f)).ok();
            (f, text)
        })
        .collect()
}

/// Issue 11, item 1: the generator never depends on its own output.
#[test]
fn regenerate_restores_deleted_schema_files() {
    let dir = copy_of_repo();
    let before = snapshot(dir.path());
    let deleted: Vec<String> = files()
        .into_iter()
        .filter(|f| f.starts_with("schemas/") || f.starts_with("crates/connectly-schema/schemas/"))
        .collect();
    assert_eq!(deleted.len(), 2 * xtask::EXPORTED_SCHEMAS.len());
    for file in &deleted {
        fs::remove_file(dir.path().join(file)).unwrap();
    }
    let (code, out, err) = xtask(dir.path(), &["regenerate", "--no-build"]);
    assert_eq!(code, 0, "{out}{err}");
    for file in &deleted {
        assert!(out.contains(&format!("wrote {file}\n")), "{out}");
    }
    assert_eq!(snapshot(dir.path()), before);
}

/// The platform this test runs on, as `rustc -vV` names it (`x86_64-unknown-linux-gnu`).
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or("rustc".into());
    let output = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or_else(|| panic!("rustc -vV names no host: {text}"))
        .to_owned()
}

/// Issue 11, item 1: xtask's dependencies (normal and build, transitively) include no crate of
/// the workspace that embeds a generated file, so `cargo xtask regenerate` compiles when every
/// generated file is missing.
#[test]
fn xtask_depends_on_no_crate_that_embeds_what_it_generates() {
    let root = xtask::workspace_root();
    // The host's platform only: the crates of other platforms (Windows-only ones, say) are
    // never downloaded by a build here, and `--locked` keeps Cargo.lock as it is. No
    // offline flag: on a machine whose Cargo home is empty this may download, as the build did.
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host_triple()])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let nodes = metadata["resolve"]["nodes"].as_array().unwrap();
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap();
    let name = |id: &str| {
        metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let xtask_id = members.iter().find(|id| name(id) == "xtask").unwrap();
    let mut reached = std::collections::BTreeSet::new();
    let mut stack = vec![xtask_id.to_string()];
    while let Some(id) = stack.pop() {
        for dep in node(&id)["deps"].as_array().unwrap() {
            let runtime = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            let dep_id = dep["pkg"].as_str().unwrap().to_owned();
            if runtime && reached.insert(dep_id.clone()) {
                stack.push(dep_id);
            }
        }
    }
    let ours: Vec<String> = reached
        .iter()
        .filter(|id| members.contains(&id.as_str()))
        .map(|id| name(id))
        .collect();
    assert_eq!(ours, ["connectly-document", "connectly-net"]);
    // ...and those crates embed no file but their own README (the crate docs, never generated).
    for crate_name in &ours {
        for entry in fs::read_dir(root.join("crates").join(crate_name).join("src")).unwrap() {
            let path = entry.unwrap().path();
            let text = fs::read_to_string(&path)
                .unwrap()
                .replace("include_str!(\"../README.md\")", "");
            assert!(
                !text.contains("include_str!(") && !text.contains("include!("),
                "{} embeds a file",
                path.display()
            );
        }
    }
}

/// Issue 13, case 10: a failure while moving files into place restores every file already
/// replaced (and removes every file already created), removes every temporary file, and says so.
#[test]
fn a_failed_regenerate_restores_the_tree_and_removes_its_temporary_files() {
    let dir = copy_of_repo();
    let edited = "schemas/webhooks-config.schema.json";
    fs::write(dir.path().join(edited), "{\"stale\": true}\n").unwrap();
    let created = "crates/connectly-schema/schemas/create-webhook.schema.json";
    fs::remove_file(dir.path().join(created)).unwrap();
    // The last artifact moved into place.
    let last = "crates/connectly-webhook/src/samples.rs";
    fs::write(dir.path().join(last), "// stale\n").unwrap();
    let before = snapshot_or_missing(dir.path());

    let mut moved = Vec::new();
    let result = xtask::regenerate_with(dir.path(), &mut |from, to| {
        if to.ends_with(last) {
            return Err(std::io::Error::other("disk full"));
        }
        moved.push(to.to_path_buf());
        fs::rename(from, to)
    });
    let err = result.unwrap_err();
    assert_eq!(moved.len(), 2, "{moved:?}");
    assert!(
        err.contains(&format!(
            "{last}: cannot move the new file into place: disk full"
        )),
        "{err}"
    );
    assert!(
        err.contains("nothing was written, the tree is as it was"),
        "{err}"
    );
    assert_eq!(snapshot_or_missing(dir.path()), before);
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());

    // The same tree regenerates when nothing fails.
    let (code, out, err) = xtask(dir.path(), &["regenerate", "--no-build"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
}
