//! The committed schemas in the tools people already use: Ajv (strict, draft 2020-12, with
//! ajv-formats), check-jsonschema and our own validator (connectly-schema) must agree on a corpus
//! of registrations, updates, configs and events: every invalid case rejected by all three, every
//! valid one accepted by all three.
//!
//! Needs the pinned tools, so it is ignored by `cargo test`; `bash scripts/schema-tools.sh`
//! installs them and runs it (CI does too).
//!
//! The corpus is derived from the schemas, so that it follows the spec (a new topic or event shape
//! needs no edit here): the valid cases are each schema's `examples` and, for every enumeration
//! in them, the example with each allowed value; the invalid cases are the examples broken in one
//! place by a rule the schema states (a required key removed, an unknown key where
//! `additionalProperties` is false, a value outside an enumeration, a plain-http address, a number
//! for a string). Files under `tests/schema-corpus/KIND/` add hand-written cases, named
//! `valid-*` or `invalid-*`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use connectly_schema::{allowed_values, validate_as, Document, SchemaKind};
use serde_json::{json, Value};

const KINDS: [SchemaKind; 4] = SchemaKind::ALL;

/// One instance and what every validator must say of it.
struct Case {
    name: String,
    instance: Value,
    valid: bool,
}

/// The committed schema file (under `schemas/`) of `kind`, named by the last segment of its `$id`.
fn schema_file(kind: SchemaKind) -> PathBuf {
    let id = kind.schema()["$id"]
        .as_str()
        .expect("every schema has an $id");
    xtask::workspace_root()
        .join(xtask::SCHEMA_DIR)
        .join(id.rsplit('/').next().unwrap())
}

fn kind_name(kind: SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Registration => "registration",
        SchemaKind::Update => "update",
        SchemaKind::Config => "config",
        SchemaKind::Event => "event",
    }
}

/// Follows `$ref`s (`#/$defs/X`, `#`) from `schema` within `root`.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        schema = root
            .pointer(target.strip_prefix('#').unwrap())
            .unwrap_or_else(|| panic!("dangling $ref {target}"));
    }
    schema
}

/// The object schemas an object instance may match: `schema` itself, or the branches of its
/// `anyOf` / `oneOf` (resolved, recursively).
fn object_branches<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(root, schema);
    if schema.get("properties").is_some() || schema.get("required").is_some() {
        return vec![schema];
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .flat_map(|branch| object_branches(root, branch))
        .collect()
}

/// Whether a schema's `type` is exactly `"string"`.
fn is_string(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("string"))
}

/// `base` with the value at `pointer` replaced by `value` (or removed, for `None`).
fn edit(base: &Value, pointer: &str, value: Option<Value>) -> Value {
    let mut out = base.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = out.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(v) => parent.insert(key.to_owned(), v),
        None => parent.remove(key),
    };
    out
}

/// The cases made from one valid example, by walking it beside its schema.
fn mutations(root: &Value, schema: &Value, base: &Value, pointer: &str, out: &mut Vec<Case>) {
    let Some(instance) = base.pointer(pointer) else {
        return;
    };
    let mut found = Vec::new();
    let mut case = |what: String, instance: Value, valid: bool| {
        found.push(Case {
            name: format!(
                "{what} at {}",
                if pointer.is_empty() { "/" } else { pointer }
            ),
            instance,
            valid,
        })
    };
    if let Some(items) = instance.as_array() {
        if let Some(item_schema) = resolve(root, schema).get("items") {
            for i in 0..items.len() {
                mutations(root, item_schema, base, &format!("{pointer}/{i}"), out);
            }
        }
        return;
    }
    let Some(object) = instance.as_object() else {
        return;
    };
    let branches = object_branches(root, schema);
    if branches.is_empty() {
        return;
    }
    let closed = |b: &&Value| b.get("additionalProperties") == Some(&json!(false));
    let unknown = edit(base, &format!("{pointer}/unexpectedKey"), Some(json!(true)));
    if branches.iter().all(closed) {
        case("an unknown key".into(), unknown, false);
    } else if !branches.iter().any(closed) {
        case("an unknown key, allowed".into(), unknown, true);
    }
    let property = |b: &&Value, key: &str| b.get("properties").and_then(|p| p.get(key)).cloned();
    let all_keys: BTreeSet<&String> = branches
        .iter()
        .filter_map(|b| b.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys())
        .collect();
    for key in all_keys {
        let at = format!("{pointer}/{key}");
        let present = object.contains_key(key.as_str());
        let required = |b: &&Value| {
            b.get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.contains(&json!(key)))
        };
        if present && branches.iter().all(required) {
            case(format!("no `{key}`"), edit(base, &at, None), false);
        }
        let schemas: Vec<Option<Value>> = branches.iter().map(|b| property(b, key)).collect();
        let Some(Some(first)) = schemas.first().cloned() else {
            continue;
        };
        let same = schemas.iter().all(|s| s.as_ref() == Some(&first));
        let resolved = resolve(root, &first);
        let typed = |s: &Option<Value>| s.as_ref().is_some_and(|s| is_string(resolve(root, s)));
        if present && schemas.iter().all(typed) {
            case(
                format!("a number for `{key}`"),
                edit(base, &at, Some(json!(42))),
                false,
            );
        }
        if branches.len() == 1 {
            if let Some(values) = allowed_values(resolved) {
                for v in values {
                    case(
                        format!("`{key}`: {v}"),
                        edit(base, &at, Some(v.clone())),
                        true,
                    );
                }
                let bad = json!("no_such_value");
                case(format!("`{key}`: {bad}"), edit(base, &at, Some(bad)), false);
            }
            let https = resolved.get("pattern").and_then(Value::as_str);
            if https.is_some_and(|p| p.starts_with("^https://")) {
                let plain = json!("http://example.com/hook");
                case(
                    format!("`{key}`: {plain}"),
                    edit(base, &at, Some(plain)),
                    false,
                );
            }
        }
        if present && same {
            mutations(root, &first, base, &at, out);
        }
    }
    out.extend(found);
}

/// Every case for `kind`: derived from the schema, and the hand-written files.
fn corpus(kind: SchemaKind) -> Vec<Case> {
    let root = kind.schema();
    let mut cases = Vec::new();
    for (i, example) in root["examples"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        cases.push(Case {
            name: format!("example {i}"),
            instance: example.clone(),
            valid: true,
        });
        let mut derived = Vec::new();
        mutations(root, root, example, "", &mut derived);
        cases.extend(derived.into_iter().map(|c| Case {
            name: format!("example {i} with {}", c.name),
            ..c
        }));
    }
    let dir = xtask::workspace_root()
        .join("tests/schema-corpus")
        .join(kind_name(kind));
    for entry in fs::read_dir(&dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        let instance = Document::parse(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .value()
            .clone();
        let valid = match name.split('-').next() {
            Some("valid") => true,
            Some("invalid") => false,
            _ => panic!("{}: name it valid-* or invalid-*", path.display()),
        };
        cases.push(Case {
            name,
            instance,
            valid,
        });
    }
    if kind == SchemaKind::Config {
        let example = xtask::workspace_root().join("examples/webhooks.yaml");
        let text = fs::read_to_string(example).unwrap();
        cases.push(Case {
            name: "examples/webhooks.yaml".to_owned(),
            instance: Document::parse(&text).unwrap().value().clone(),
            valid: true,
        });
    }
    let mut seen = BTreeSet::new();
    cases.retain(|c| seen.insert(c.instance.to_string()));
    cases
}

fn tools_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CONNECTLY_SCHEMA_TOOLS").expect(
        "CONNECTLY_SCHEMA_TOOLS is not set: run `bash scripts/schema-tools.sh`, which installs the tools and runs this test",
    ))
}

fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.trim().is_empty(),
        "{command:?} printed nothing: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Ajv's errors for each file of `dir` (none: valid).
fn ajv(schema: &Path, dir: &Path) -> Verdicts {
    let script = xtask::workspace_root().join("tools/schema-tools/ajv-validate.mjs");
    let out = run(Command::new("node")
        .arg(script)
        .arg(schema)
        .arg(dir)
        .env("CONNECTLY_SCHEMA_TOOLS", tools_dir()));
    let verdicts: BTreeMap<String, Vec<String>> = serde_json::from_str(&out).unwrap();
    verdicts
        .into_iter()
        .map(|(f, e)| (PathBuf::from(f), e))
        .collect()
}

/// check-jsonschema's errors for each of `files` (none: valid).
fn check_jsonschema(schema: &Path, files: &[PathBuf]) -> Verdicts {
    let out = run(Command::new(tools_dir().join("venv/bin/check-jsonschema"))
        .arg("--schemafile")
        .arg(schema)
        .args(["--output-format", "json"])
        .args(files));
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["parse_errors"], json!([]), "{out}");
    let mut verdicts: Verdicts = files.iter().map(|f| (f.clone(), Vec::new())).collect();
    for e in report["errors"].as_array().unwrap() {
        let file = PathBuf::from(e["filename"].as_str().unwrap());
        let message = format!("{}: {}", e["path"], e["message"]);
        verdicts
            .get_mut(&file)
            .expect("a file we gave")
            .push(message);
    }
    verdicts
}

/// The verdicts of one tool: the errors it reported for each file (none: valid).
type Verdicts = BTreeMap<PathBuf, Vec<String>>;

/// Writes the cases of `kind` under `dir` and runs Ajv and check-jsonschema on them.
fn run_tools(kind: SchemaKind, dir: &Path) -> (Vec<Case>, Vec<PathBuf>, Verdicts, Verdicts) {
    let cases = corpus(kind);
    let valid = cases.iter().filter(|c| c.valid).count();
    assert!(
        valid >= 1 && cases.len() - valid >= 3,
        "{kind:?}: too few cases"
    );
    let kind_dir = dir.join(kind_name(kind));
    fs::create_dir(&kind_dir).unwrap();
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let file = kind_dir.join(format!("{i:04}.json"));
            fs::write(&file, case.instance.to_string()).unwrap();
            file
        })
        .collect();
    let schema = schema_file(kind);
    let ajv = ajv(&schema, &kind_dir);
    let cjs = check_jsonschema(&schema, &files);
    (cases, files, ajv, cjs)
}

#[test]
#[ignore = "needs the pinned tools: run `bash scripts/schema-tools.sh`"]
fn ajv_check_jsonschema_and_connectly_schema_agree() {
    let tempdir = tempfile::tempdir().unwrap();
    let dir = tempdir.path();
    // One thread per schema: the tools' start-up time dominates, so they run side by side.
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = KINDS
            .map(|kind| scope.spawn(move || (kind, run_tools(kind, dir))))
            .into_iter()
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut report = String::new();
    let mut counts = Vec::new();
    for (kind, (cases, files, ajv, cjs)) in results {
        let valid = cases.iter().filter(|c| c.valid).count();
        counts.push(format!(
            "{kind:?}: {valid} valid, {} invalid",
            cases.len() - valid
        ));
        for (case, file) in cases.iter().zip(&files) {
            let ours: Vec<String> = match validate_as(kind, &case.instance) {
                Ok(()) => Vec::new(),
                Err(errors) => errors.iter().map(ToString::to_string).collect(),
            };
            let verdicts = [
                ("connectly-schema", &ours),
                ("ajv", &ajv[file]),
                ("check-jsonschema", &cjs[file]),
            ];
            for (tool, errors) in verdicts {
                if errors.is_empty() != case.valid {
                    report.push_str(&format!(
                        "{kind:?} {}: {tool} says {} (expected {}) {errors:?}\n  instance: {}\n",
                        case.name,
                        if errors.is_empty() {
                            "valid"
                        } else {
                            "invalid"
                        },
                        if case.valid { "valid" } else { "invalid" },
                        case.instance,
                    ));
                }
            }
        }
    }
    assert!(report.is_empty(), "the validators disagree:\n{report}");
    println!(
        "connectly-schema, Ajv and check-jsonschema agree on every case ({})",
        counts.join("; ")
    );
}
