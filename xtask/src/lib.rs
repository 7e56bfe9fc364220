//! `cargo xtask`: regenerates and checks every committed artifact derived from
//! `openapi/connectly.yaml`.
//!
//! - `cargo xtask regenerate` checks the spec, writes every artifact (all or nothing: every file
//!   is staged in a temporary file first, then renamed into place; on any failure the files
//!   already replaced are restored, and nothing is written when the spec has errors), then
//!   builds the client and the schema crate so that the build-time client is regenerated too.
//! - `cargo xtask check` checks the spec (errors with file, line and column), regenerates every
//!   artifact in memory and compares it with the tree; anything stale is shown as a unified diff
//!   with the command that fixes it, and the exit code is 1.

pub mod jsonschema;
pub mod rust_types;
pub mod spec;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The spec, relative to the repository root.
pub const SPEC: &str = "openapi/connectly.yaml";

/// Where the committed JSON Schemas are published for other tools, relative to the root.
pub const SCHEMA_DIR: &str = "schemas";

/// Base of the schemas' `$id`s: where the repository publishes `schemas/`.
pub const SCHEMA_ID_BASE: &str =
    "https://raw.githubusercontent.com/connectly-rs/connectly-rs/main/schemas/";

/// The exported JSON Schemas: file name and the spec component that is its root.
pub const EXPORTED_SCHEMAS: [(&str, &str); 4] = [
    ("create-webhook.schema.json", "CreateWebhookRequest"),
    ("update-webhook.schema.json", "UpdateWebhookRequest"),
    ("webhook-event.schema.json", "WebhookEvent"),
    ("webhooks-config.schema.json", "WebhooksConfig"),
];

/// The SchemaStore catalog entry for the config schema, ready to submit to
/// <https://github.com/SchemaStore/schemastore> (`src/api/json/catalog.json`).
pub const SCHEMASTORE_ENTRY: &str = "schemastore/catalog-entry.json";

/// The config file names `docs/editors.md` recommends, which editors using SchemaStore recognise.
pub const CONFIG_FILE_NAMES: [&str; 3] = [
    "connectly-webhooks.yaml",
    "connectly-webhooks.yml",
    "connectly-webhooks.json",
];

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Path relative to the repository root, with `/`.
    pub path: String,
    /// Its full contents.
    pub contents: String,
}

/// Everything generated from the spec text: the copy of the spec packaged with the client, each
/// exported schema (in `schemas/` and in the schema crate, which packages its own copy), the
/// SchemaStore catalog entry of the config schema, and the event types and sample events of the
/// webhook crate.
pub fn artifacts(spec: &spec::Spec) -> Result<Vec<Artifact>, String> {
    let mut out = vec![Artifact {
        path: "crates/connectly-client/openapi/connectly.yaml".to_owned(),
        contents: spec.text.clone(),
    }];
    for (file, component) in EXPORTED_SCHEMAS {
        let contents = export_schema(spec.value(), file, component);
        for dir in [SCHEMA_DIR, "crates/connectly-schema/schemas"] {
            out.push(Artifact {
                path: format!("{dir}/{file}"),
                contents: contents.clone(),
            });
        }
    }
    out.push(Artifact {
        path: SCHEMASTORE_ENTRY.to_owned(),
        contents: schemastore_entry(spec.value()),
    });
    out.push(Artifact {
        path: "crates/connectly-webhook/src/generated.rs".to_owned(),
        contents: rust_types::event_types(spec.value())?,
    });
    out.push(Artifact {
        path: "crates/connectly-webhook/src/samples.rs".to_owned(),
        contents: rust_types::event_samples(spec.value()),
    });
    Ok(out)
}

/// The JSON Schema of one component, as committed: `$schema` and `$id` first, then the
/// component, its examples (its own, and those of every request body that uses it), and `$defs`.
pub fn export_schema(spec: &Value, file: &str, component: &str) -> String {
    let root = &spec["components"]["schemas"][component];
    let Value::Object(converted) = jsonschema::bundle(spec, root, Some(component)) else {
        unreachable!("a component schema converts to an object");
    };
    let mut out = Map::new();
    out.insert("$schema".to_owned(), jsonschema::DRAFT.into());
    out.insert("$id".to_owned(), format!("{SCHEMA_ID_BASE}{file}").into());
    let mut examples: Vec<Value> = converted
        .get("examples")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    examples.extend(request_examples(spec, component));
    let mut defs = None;
    for (key, value) in converted {
        match key.as_str() {
            "examples" => {}
            "$defs" => defs = Some(value),
            _ => {
                out.insert(key, value);
            }
        }
    }
    if !examples.is_empty() {
        out.insert("examples".to_owned(), Value::Array(examples));
    }
    if let Some(defs) = defs {
        out.insert("$defs".to_owned(), defs);
    }
    let mut text =
        serde_json::to_string_pretty(&Value::Object(out)).expect("JSON values serialise");
    text.push('\n');
    text
}

/// The SchemaStore catalog entry of the config schema: its title, a one-line description, the
/// recommended file names and where the schema is published.
fn schemastore_entry(spec: &Value) -> String {
    let (file, component) = EXPORTED_SCHEMAS
        .into_iter()
        .find(|(_, c)| *c == "WebhooksConfig")
        .expect("the config schema is exported");
    let entry = serde_json::json!({
        "name": spec["components"]["schemas"][component]["title"],
        "description": "Webhook registrations of a Connectly business, for the connectly-rs CLI (connectly validate / apply)",
        "fileMatch": CONFIG_FILE_NAMES,
        "url": format!("{SCHEMA_ID_BASE}{file}"),
    });
    let mut text = serde_json::to_string_pretty(&entry).expect("JSON values serialise");
    text.push('\n');
    text
}

/// The example values of every request body (of an operation or of a callback) whose schema is
/// `component`.
fn request_examples(spec: &Value, component: &str) -> Vec<Value> {
    let reference = format!("#/components/schemas/{component}");
    let mut out = Vec::new();
    for (_, media) in spec::request_media(spec) {
        if media["schema"]["$ref"] != reference.as_str() {
            continue;
        }
        out.extend(media.get("example").cloned());
        for example in media["examples"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            out.extend(example.get("value").cloned());
        }
    }
    out
}

/// Normalises what may differ between equal files on different checkouts (CRLF line endings).
fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Reads and checks the spec under `root`.
pub fn load_spec(root: &Path) -> Result<spec::Spec, String> {
    let path = root.join(SPEC);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = spec::Spec::parse(SPEC, text).map_err(render)?;
    let diagnostics = spec.check();
    if diagnostics.is_empty() {
        Ok(spec)
    } else {
        Err(render(diagnostics))
    }
}

fn render(diagnostics: Vec<spec::Diagnostic>) -> String {
    let mut text = String::new();
    for d in &diagnostics {
        text.push_str(&format!("{d}\n"));
    }
    text.push_str(&format!("{SPEC}: {} error(s)\n", diagnostics.len()));
    text
}

/// `check`: `Ok` when the spec is valid and every artifact is up to date; otherwise the report
/// to print (diagnostics, or a unified diff of each stale file and the command to run).
pub fn check(root: &Path) -> Result<(), String> {
    let spec = load_spec(root)?;
    let mut report = String::new();
    let mut stale = 0;
    for artifact in artifacts(&spec)? {
        let on_disk = fs::read_to_string(root.join(&artifact.path)).ok();
        let old = on_disk.as_deref().map(normalise).unwrap_or_default();
        if on_disk.is_some() && old == normalise(&artifact.contents) {
            continue;
        }
        stale += 1;
        if on_disk.is_none() {
            report.push_str(&format!("missing: {}\n", artifact.path));
        }
        let diff = similar::TextDiff::from_lines(&old, &artifact.contents);
        report.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("a/{} (committed)", artifact.path),
                    &format!("b/{} (from {SPEC})", artifact.path),
                )
                .to_string(),
        );
    }
    if stale == 0 {
        Ok(())
    } else {
        report.push_str(&format!(
            "\n{stale} generated file(s) are stale. Run `cargo xtask regenerate` and commit the result.\n"
        ));
        Err(report)
    }
}

/// `regenerate`: writes every stale artifact under `root`, all or nothing. Returns the paths
/// written. Nothing is written when the spec has errors; when writing fails part way, every
/// file already replaced is restored and every temporary file removed, and the error says
/// exactly what state the tree is in.
pub fn regenerate(root: &Path) -> Result<Vec<String>, String> {
    regenerate_with(root, &mut |from, to| fs::rename(from, to))
}

/// [`regenerate`], with the step that moves each staged file into place given (tests pass one
/// that fails, to see the tree restored).
#[doc(hidden)]
pub fn regenerate_with(
    root: &Path,
    rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
) -> Result<Vec<String>, String> {
    const UNCHANGED: &str = "nothing was written: the tree is as it was";
    let spec = load_spec(root).map_err(|report| format!("{report}{UNCHANGED}"))?;
    // Each stale artifact with what is on disk now (`None`: no file), to restore on failure.
    let mut pending: Vec<(PathBuf, Artifact, Option<Vec<u8>>)> = Vec::new();
    for artifact in artifacts(&spec)? {
        let path = root.join(&artifact.path);
        let old = match fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}\n{UNCHANGED}", artifact.path)),
        };
        let current = old
            .as_deref()
            .map(|bytes| normalise(&String::from_utf8_lossy(bytes)));
        if current != Some(normalise(&artifact.contents)) {
            pending.push((path, artifact, old));
        }
    }
    // Stage every file first, so a failure to write leaves the tree as it was.
    let mut staged = Vec::new();
    for (path, artifact, _) in &pending {
        match stage(path, artifact.contents.as_bytes()) {
            Ok(tmp) => staged.push(tmp),
            Err(e) => {
                let leftovers = remove_all(&staged);
                return Err(format!(
                    "{}: cannot write a temporary file: {e}\n{}",
                    artifact.path,
                    state_report(&[], &leftovers)
                ));
            }
        }
    }
    for (i, tmp) in staged.iter().enumerate() {
        let (path, artifact, _) = &pending[i];
        if let Err(e) = rename(tmp, path) {
            let mut not_restored = Vec::new();
            for (path, artifact, old) in &pending[..i] {
                let restored = match old {
                    Some(bytes) => stage(path, bytes).and_then(|t| fs::rename(t, path)),
                    None => fs::remove_file(path),
                };
                if let Err(e) = restored {
                    not_restored.push(format!(
                        "{} {} ({e})",
                        artifact.path,
                        if old.is_some() {
                            "holds the new contents: it could not be restored"
                        } else {
                            "was created and could not be removed"
                        }
                    ));
                }
            }
            let leftovers = remove_all(&staged[i..]);
            return Err(format!(
                "{}: cannot move the new file into place: {e}\n{}",
                artifact.path,
                state_report(&not_restored, &leftovers)
            ));
        }
    }
    Ok(pending.into_iter().map(|(_, a, _)| a.path).collect())
}

/// Removes temporary files; returns those that could not be removed.
fn remove_all(tmps: &[PathBuf]) -> Vec<String> {
    tmps.iter()
        .filter(|t| fs::remove_file(t).is_err() && t.exists())
        .map(|t| t.display().to_string())
        .collect()
}

/// What a failed `regenerate` left behind, in words.
fn state_report(not_restored: &[String], leftovers: &[String]) -> String {
    if not_restored.is_empty() && leftovers.is_empty() {
        return "every file already replaced was restored and every temporary file removed: \
                nothing was written, the tree is as it was\n"
            .to_owned();
    }
    let mut text = "the tree is NOT as it was:\n".to_owned();
    for line in not_restored {
        text.push_str(&format!("  {line}\n"));
    }
    for tmp in leftovers {
        text.push_str(&format!(
            "  {tmp} is a temporary file that could not be removed\n"
        ));
    }
    text.push_str("restore with `git checkout -- .` or run `cargo xtask regenerate` again\n");
    text
}

fn stage(path: &Path, contents: &[u8]) -> io::Result<PathBuf> {
    let dir = path.parent().expect("artifact paths have a directory");
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .expect("artifact paths name a file")
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.xtask-tmp"));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(tmp)
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

const USAGE: &str = "\
usage: cargo xtask <command> [--root DIR]

commands:
  regenerate [--no-build]  check the spec, rewrite every generated file from openapi/connectly.yaml,
                           then build the client and schema crates (skipped with --no-build)
  check                    check the spec and fail, with a diff, if any generated file is stale
";

/// Runs the command line `args` (without the program name); returns the exit code.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut command = None;
    let mut root = workspace_root();
    let mut build = true;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--root" => match iter.next() {
                Some(dir) => root = PathBuf::from(dir),
                None => return usage(err, "--root needs a directory"),
            },
            "--no-build" => build = false,
            "-h" | "--help" => {
                let _ = write!(out, "{USAGE}");
                return 0;
            }
            c if command.is_none() && !c.starts_with('-') => command = Some(c.to_owned()),
            other => return usage(err, &format!("unexpected argument {other:?}")),
        }
    }
    match command.as_deref() {
        Some("check") => match check(&root) {
            Ok(()) => {
                let _ = writeln!(
                    out,
                    "xtask check: {SPEC} is valid and every generated file is up to date"
                );
                0
            }
            Err(report) => {
                let _ = write!(err, "{report}");
                1
            }
        },
        Some("regenerate") => match regenerate(&root) {
            Ok(written) => {
                for path in &written {
                    let _ = writeln!(out, "wrote {path}");
                }
                if written.is_empty() {
                    let _ = writeln!(out, "every generated file was already up to date");
                }
                if build {
                    let _ = writeln!(
                        out,
                        "building the client (progenitor) and the schema crate..."
                    );
                    let status = std::process::Command::new(
                        std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
                    )
                    .args([
                        "build",
                        "--quiet",
                        "-p",
                        "connectly-client",
                        "-p",
                        "connectly-schema",
                    ])
                    .current_dir(&root)
                    .status();
                    if !matches!(status, Ok(s) if s.success()) {
                        let _ = writeln!(
                            err,
                            "the generated files were written, but building the crates failed"
                        );
                        return 1;
                    }
                }
                match check(&root) {
                    Ok(()) => {
                        let _ = writeln!(out, "xtask regenerate: done; `cargo xtask check` passes");
                        0
                    }
                    Err(report) => {
                        let _ = write!(err, "{report}");
                        1
                    }
                }
            }
            Err(report) => {
                let _ = write!(err, "{report}");
                1
            }
        },
        Some(other) => usage(err, &format!("unknown command {other:?}")),
        None => usage(err, "no command given"),
    }
}

fn usage(err: &mut dyn Write, problem: &str) -> i32 {
    let _ = write!(err, "error: {problem}\n\n{USAGE}");
    2
}
