#!/usr/bin/env bash
# Schemathesis against `connectly mock`: the fake API must answer as openapi/connectly.yaml says
# (issue 27.2). Builds `connectly`, starts `connectly mock` on a free loopback port (port 0: the
# mock prints its base URL), runs
#
#   schemathesis run openapi/connectly.yaml --url http://127.0.0.1:PORT --checks all
#       --phases examples,coverage,fuzzing,stateful --mode all --generation-deterministic
#
# with the mock's API key, stops the mock (also on failure or Ctrl-C) and fails on any failure.
# Deterministic generation: every run sends the same requests (Schemathesis ignores --seed in
# this mode), so a failure reproduces. Every phase runs with Schemathesis' default number of
# examples (about 15 s on two cores; override with SCHEMATHESIS_MAX_EXAMPLES).
#
# Schemathesis is pinned by tools/schemathesis/requirements.txt (pip freeze of a fresh venv) and
# installed, as scripts/schema-tools.sh does, into a venv in a cache directory outside the
# repository (override with CONNECTLY_SCHEMATHESIS_DIR), one per version of that file, so that a
# second run installs nothing. Runs from any working directory. Linux or macOS, Python 3.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

pins=tools/schemathesis/requirements.txt
key="$(sha256sum "$pins" | cut -c1-16)"
tools="${CONNECTLY_SCHEMATHESIS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/connectly-rs/schemathesis}/$key"

# --- install (once per version of the pins) ---------------------------------------------------
if [[ ! -f "$tools/.installed" ]]; then
    echo "==> installing the pinned schemathesis into $tools" >&2
    rm -rf "$tools"
    mkdir -p "$tools"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$pins" >&2
    touch "$tools/.installed"
fi

# --- build and start the mock -----------------------------------------------------------------
echo "==> building connectly" >&2
connectly="$(cargo build --quiet -p connectly-cli --bin connectly --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "connectly" and m.get("executable"):
        print(m["executable"])')"
[[ -x "$connectly" ]] || { echo "schemathesis: could not build connectly" >&2; exit 1; }

work="$(mktemp -d)"
mock_pid=""
cleanup() {
    if [[ -n "$mock_pid" ]]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

api_key="mock-api-key-schemathesis"
"$connectly" mock --listen 127.0.0.1:0 --api-key "$api_key" --quiet \
    >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
base_url=""
for _ in $(seq 200); do
    base_url="$(head -n1 "$work/mock.out" 2>/dev/null || true)"
    [[ "$base_url" == http://127.0.0.1:* ]] && break
    if ! kill -0 "$mock_pid" 2>/dev/null; then
        echo "schemathesis: connectly mock exited:" >&2
        cat "$work/mock.err" >&2
        exit 1
    fi
    sleep 0.05
done
[[ "$base_url" == http://127.0.0.1:* ]] || { echo "schemathesis: connectly mock did not start" >&2; exit 1; }
echo "==> connectly mock at $base_url" >&2

# --- run --------------------------------------------------------------------------------------
max_examples=()
if [[ -n "${SCHEMATHESIS_MAX_EXAMPLES:-}" ]]; then
    max_examples=(--max-examples "$SCHEMATHESIS_MAX_EXAMPLES")
fi
status=0
# From the scratch directory: nothing (reports, caches) is written into the repository.
(cd "$work" && "$tools/venv/bin/schemathesis" run "$repo_root/openapi/connectly.yaml" \
    --url "$base_url" \
    --header "X-API-Key: $api_key" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --mode all \
    --generation-deterministic \
    "${max_examples[@]}" \
    --no-color) || status=$?

if ! kill -0 "$mock_pid" 2>/dev/null; then
    echo "schemathesis: connectly mock died during the run:" >&2
    cat "$work/mock.err" >&2
    status=1
fi
if [[ $status -ne 0 ]]; then
    echo "schemathesis: FAILED (exit $status; see above)" >&2
else
    echo "schemathesis: OK (the mock answers as openapi/connectly.yaml says)"
fi
exit "$status"
