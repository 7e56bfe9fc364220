//! Generates the Connectly client from the OpenAPI spec at build time.
//!
//! The spec read here is `openapi/connectly.yaml` inside this crate: a byte-for-byte copy of the
//! workspace's `openapi/connectly.yaml` (the single source of truth) that travels with the
//! published crate. `cargo xtask regenerate` refreshes the copy and `cargo xtask check` fails
//! while it is stale; inside the workspace this script also warns when they differ.

use std::{env, fs, path::PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let spec_path = manifest_dir.join("openapi/connectly.yaml");
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=build.rs");

    let text = fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));

    // Inside the workspace, say so when the packaged copy lags behind the source of truth.
    let workspace_spec = manifest_dir.join("../../openapi/connectly.yaml");
    if workspace_spec.exists() {
        println!("cargo:rerun-if-changed={}", workspace_spec.display());
        if fs::read_to_string(&workspace_spec).ok().as_deref() != Some(text.as_str()) {
            println!(
                "cargo:warning=openapi/connectly.yaml differs from crates/connectly-client/openapi/connectly.yaml: \
                 run `cargo xtask regenerate`"
            );
        }
    }

    let mut value: serde_json::Value = yaml_serde::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", spec_path.display()));
    open_all_objects(&mut value);
    keep_empty_lists(&mut value);
    let spec: openapiv3::OpenAPI = serde_json::from_value(value)
        .unwrap_or_else(|e| panic!("{}: not an OpenAPI 3.0 document: {e}", spec_path.display()));

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_derive("PartialEq")
        // The transport hook's settings (see `src/transport.rs`); the hook must exist:
        // forgetting it is a compile error.
        .with_inner_type(
            "crate::transport::CallContext"
                .parse()
                .expect("a Rust path"),
        )
        .with_hooks(progenitor::HooksMode::Expected);
    let mut generator = progenitor::Generator::new(&settings);

    let client = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor failed on {}: {e}", spec_path.display()));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    write_rust(&out_dir.join("codegen.rs"), syn::parse2(client));

    let mocks = generator
        .httpmock(&spec, "crate")
        .unwrap_or_else(|e| panic!("progenitor httpmock failed on {}: {e}", spec_path.display()));
    write_rust(&out_dir.join("codegen_httpmock.rs"), syn::parse2(mocks));
}

/// The client only ever *decodes* responses, and a response must not be refused because the API
/// grew a field. `additionalProperties: false` in the spec closes request bodies (the JSON Schemas
/// enforce it on config files); for the Rust types it would only turn into
/// `#[serde(deny_unknown_fields)]` on decoding, so it is dropped here.
fn open_all_objects(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("additionalProperties") == Some(&serde_json::Value::Bool(false)) {
                map.remove("additionalProperties");
            }
            map.values_mut().for_each(open_all_objects);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(open_all_objects),
        _ => {}
    }
}

/// An optional list has three states on the wire: absent (an update keeps the stored list), empty
/// (an update clears it) and non-empty. Left alone, typify models it as a `Vec` skipped when
/// empty, so a client could never send `[]` and clearing `filters` would need a delete and a
/// create (a gap in delivery). Marking every optional array property `nullable` here makes typify
/// emit `Option<Vec<T>>` serialised unless `None`: `Some(vec![])` goes out as `[]`. Only the
/// Rust types change (decoding also tolerates `null`); the spec and the JSON Schemas keep
/// their shape.
fn keep_empty_lists(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let required: Vec<String> = match map.get("required") {
                Some(serde_json::Value::Array(names)) => names
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            if let Some(serde_json::Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if let serde_json::Value::Object(property) = property {
                        if property.get("type").and_then(|t| t.as_str()) == Some("array")
                            && !required.contains(name)
                        {
                            property.insert("nullable".to_owned(), serde_json::Value::Bool(true));
                        }
                    }
                }
            }
            map.values_mut().for_each(keep_empty_lists);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(keep_empty_lists),
        _ => {}
    }
}

fn write_rust(path: &std::path::Path, file: syn::Result<syn::File>) {
    let file = file.expect("progenitor emits valid Rust");
    let text = format!(
        "// @generated by connectly-client's build.rs from openapi/connectly.yaml. Do not edit.\n{}",
        prettyplease::unparse(&file)
    );
    fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
