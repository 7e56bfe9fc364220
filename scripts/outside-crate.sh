#!/usr/bin/env bash
# Builds a throwaway crate outside the workspace that depends on connectly-client and
# connectly-schema by path, to prove they build as ordinary dependencies (their own spec copy and
# schemas included). Reuses the workspace's target directory for speed.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/src"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "outside"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
connectly-client = { path = "$repo_root/crates/connectly-client" }
connectly-schema = { path = "$repo_root/crates/connectly-schema" }
serde_json = "1"

[workspace]
TOML
cat > "$dir/src/main.rs" <<'RS'
fn main() {
    let client = connectly_client::Client::builder("key")
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("a loopback client builds");
    let registration = connectly_client::types::CreateWebhookRequest {
        topic: connectly_client::types::Topic::Messages,
        address: "https://example.com/hook".parse().expect("an HTTPS URL"),
        type_: None,
        configuration: None,
    };
    let json = serde_json::to_value(&registration).expect("a registration serialises");
    connectly_schema::validate_registration(&json).expect("the schema accepts what the client writes");
    println!("outside crate OK: {client:?}");
}
RS
cp "$repo_root/Cargo.lock" "$dir/Cargo.lock"
CARGO_TARGET_DIR="$repo_root/target" cargo run --quiet --manifest-path "$dir/Cargo.toml"
