#!/usr/bin/env bash
# Benchmark 2 of BENCHMARKS.md: what depending on connectly-client costs a user's build, against
# depending on reqwest + serde + serde_json with the same features. Two tiny crates in a temp dir:
#   with-client   : connectly-client (by path)
#   with-reqwest  : reqwest 0.13 (default-features = false, json, rustls, http2), serde, serde_json
# For each: the dependency count and the clean `cargo build` (dev profile) time with a fresh
# CARGO_TARGET_DIR, every crate fetched first (`cargo fetch`), rounds alternating between the two. Both use
# the workspace's Cargo.lock, so they resolve to the same versions. Then: a second `cargo build`
# of with-client, and one after touching its main.rs, must not rerun connectly-client's build
# script (progenitor codegen) while the spec is unchanged.
#
#   bash scripts/bench-build-cost.sh [ROUNDS]     (default 2)
#
# Env: JOBS (cargo -j, default: all cores). Not run by CI.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-2}"
jobs="${JOBS:-$(nproc)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

make_crate() { # NAME DEPENDENCIES MAIN
    mkdir -p "$work/$1/src"
    cat >"$work/$1/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$2

[workspace]
TOML
    printf '%s\n' "$3" >"$work/$1/src/main.rs"
    cp "$repo_root/Cargo.lock" "$work/$1/Cargo.lock"
}

make_crate with-client \
    "connectly-client = { path = \"$repo_root/crates/connectly-client\" }" \
    'fn main() {
    let client = connectly_client::Client::builder("key").base_url("http://127.0.0.1:9").build();
    println!("{:?}", client.is_ok());
}'
make_crate with-reqwest \
    'reqwest = { version = "0.13", default-features = false, features = ["json", "rustls", "http2"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"' \
    '#[derive(serde::Serialize)]
struct Create<'"'"'a> { topic: &'"'"'a str, address: &'"'"'a str }
fn main() {
    let client = reqwest::Client::builder().build();
    let body = serde_json::to_string(&Create { topic: "messages", address: "https://example.com" });
    println!("{:?} {:?}", client.is_ok(), body.is_ok());
}'

echo "machine: $(nproc) cores, cargo -j $jobs; $(cargo --version)"
for name in with-client with-reqwest; do
    # Fetched first, so no build below downloads (or times) anything.
    cargo fetch --quiet --manifest-path "$work/$name/Cargo.toml"
    normal="$(cargo tree --manifest-path "$work/$name/Cargo.toml" -e normal --prefix none \
        | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l)"
    all="$(cargo tree --manifest-path "$work/$name/Cargo.toml" -e normal,build --prefix none \
        | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l)"
    # Count the crate itself out.
    echo "$name: $((normal - 1)) crates linked or macro-expanded (normal edges), $((all - 1)) with build dependencies"
done
cargo tree --manifest-path "$work/with-client/Cargo.toml" -e normal,build --prefix none \
    | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u >"$work/client-deps.txt"
cargo tree --manifest-path "$work/with-reqwest/Cargo.toml" -e normal,build --prefix none \
    | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u >"$work/reqwest-deps.txt"
echo "crates only in with-client's build:"
comm -23 "$work/client-deps.txt" "$work/reqwest-deps.txt" | sed 's/^/  /' | tr '\n' ' ' | fold -s -w 110
echo

declare -A times
for round in $(seq 1 "$rounds"); do
    for name in with-client with-reqwest; do
        rm -rf "$work/target-$name"
        start=$(date +%s.%N)
        CARGO_TARGET_DIR="$work/target-$name" cargo build --quiet -j "$jobs" \
            --manifest-path "$work/$name/Cargo.toml"
        end=$(date +%s.%N)
        t=$(python3 -c "print(f'{$end - $start:.1f}')")
        times[$name]+="$t "
        echo "round $round: $name clean build ${t} s"
    done
done
python3 - "${times[with-client]}" "${times[with-reqwest]}" <<'PY'
import statistics, sys
client = [float(x) for x in sys.argv[1].split()]
plain = [float(x) for x in sys.argv[2].split()]
for name, t in (("with-client", client), ("with-reqwest", plain)):
    print(f"{name:<13} min {min(t):6.1f} s   median {statistics.median(t):6.1f} s")
print(f"ratio with-client / with-reqwest: min {min(client)/min(plain):.2f}x, median {statistics.median(client)/statistics.median(plain):.2f}x (target <= 1.3x)")
PY

# Where the extra time goes: the units of with-client's build, slowest first (--timings).
rm -rf "$work/target-with-client"
CARGO_TARGET_DIR="$work/target-with-client" cargo build --quiet -j "$jobs" --timings \
    --manifest-path "$work/with-client/Cargo.toml"
python3 - "$work"/target-with-client/cargo-timings/cargo-timing-*.html "$work/client-deps.txt" "$work/reqwest-deps.txt" <<'PY' || true
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S)
units = json.loads(m.group(1)) if m else []
units.sort(key=lambda u: -u["duration"])
label = lambda u: f'{u["name"]} {u.get("target", "").strip() or "lib"}'
print("slowest units of the with-client build (s):", ", ".join(
    f'{label(u)} {u["duration"]:.1f}' for u in units[:10]))
ours = set(open(sys.argv[2]).read().split("\n")) - set(open(sys.argv[3]).read().split("\n"))
only = [u for u in units if f'{u["name"]} v{u["version"]}' in {x.split(" (")[0] for x in ours}]
print(f"units of crates only in with-client: {len(only)}, {sum(u['duration'] for u in only):.1f} s of"
      f" compile time in total (of {sum(u['duration'] for u in units):.1f} s for all units; 2 run in parallel):")
print("  " + ", ".join(f'{label(u)} {u["duration"]:.1f}' for u in only))
PY

# A second build, and one after an edit of the user's code: connectly-client's build script
# (progenitor) must not run again while the spec is unchanged.
for step in "second build" "after touching src/main.rs"; do
    [[ "$step" == after* ]] && touch "$work/with-client/src/main.rs"
    start=$(date +%s.%N)
    log="$(CARGO_TARGET_DIR="$work/target-with-client" cargo build -v -j "$jobs" \
        --manifest-path "$work/with-client/Cargo.toml" 2>&1)"
    end=$(date +%s.%N)
    if grep -q 'Running `.*connectly-client-[0-9a-f]*/build-script-build`' <<<"$log"; then
        echo "$step: connectly-client's build script RAN AGAIN" >&2
        exit 1
    fi
    fresh="$(grep -c 'Fresh connectly-client' <<<"$log" || true)"
    echo "$step: $(python3 -c "print(f'{$end - $start:.2f}')") s, build script not rerun (\"Fresh connectly-client\" x$fresh)"
done
