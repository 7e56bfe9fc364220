#!/usr/bin/env bash
# Builds and runs a throwaway crate outside the workspace that depends on the *packaged* library
# crates (the `.crate` files `cargo package` wrote under target/package/), as a user's project
# would after `cargo add`: it proves each package holds everything it needs (the client's spec
# copy and build script, the committed schemas, the generated event types) and that they work as
# ordinary dependencies. One build of all five replaces `cargo package`'s per-crate verification
# (which recompiles the shared dependencies once per crate), so CI runs
# `cargo package --no-verify ...` and then this script.
#
# Usage: bash scripts/outside-crate.sh   (after `cargo package --no-verify -p ...`)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo_root/Cargo.toml" | head -n 1)"
crates=(connectly-net connectly-client connectly-document connectly-schema connectly-webhook)
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/src" "$dir/packages"

patches=""
for crate in "${crates[@]}"; do
    file="$repo_root/target/package/$crate-$version.crate"
    if [ ! -f "$file" ]; then
        echo "error: $file is missing: run \`cargo package --no-verify -p $crate\` first" >&2
        exit 1
    fi
    tar -xzf "$file" -C "$dir/packages"
    patches+="$crate = { path = \"packages/$crate-$version\" }"$'\n'
done

# The packages name each other by version only (as on crates.io); [patch] points every such
# name at the unpacked package.
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "outside"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
connectly-client = "$version"
connectly-schema = "$version"
connectly-webhook = "$version"
serde_json = "1"

[patch.crates-io]
$patches
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
    let sample = connectly_webhook::sample("text").expect("the packaged samples");
    let signature = connectly_webhook::sign(b"whsec", sample.body.as_bytes());
    let event = connectly_webhook::verify_and_parse(b"whsec", sample.body.as_bytes(), Some(&signature))
        .expect("a signed sample verifies and parses");
    println!("outside crate OK: {client:?}, a {} event", event.topic());
}
RS
# The workspace's lock, so the dependencies are the versions the tests ran with.
cp "$repo_root/Cargo.lock" "$dir/Cargo.lock"
CARGO_TARGET_DIR="$repo_root/target" cargo run --quiet --manifest-path "$dir/Cargo.toml"
