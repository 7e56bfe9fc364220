#!/usr/bin/env bash
# Runs the tools people already use on the committed JSON Schemas (schemas/*.schema.json):
#   1. Ajv (ajv-cli, draft 2020-12, strict by default, ajv-formats) compiles every schema;
#   2. Ajv, check-jsonschema and connectly-schema agree on a corpus of valid and invalid
#      registrations, updates, configs and events (tests/tests/schema_tools.rs);
#   3. yaml-language-server, driven over stdio LSP, reports an unknown key, a bad topic and a
#      plain-http address in a config with a `$schema` modeline, and completes the registration
#      keys (tools/schema-tools/yaml-language-server.test.mjs).
# Fails (non-zero exit) when any of them fails. Runs from any working directory.
#
# The tools are pinned by tools/schema-tools/package-lock.json (npm ci) and
# tools/schema-tools/requirements.txt (pip, in a venv). As scripts/lint-spec.sh does, they are
# installed into a cache directory outside the repository (override with
# CONNECTLY_SCHEMA_TOOLS_DIR), one per version of those two files, so that a second run installs
# nothing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

pins=(tools/schema-tools/package.json tools/schema-tools/package-lock.json tools/schema-tools/requirements.txt)
key="$(cat "${pins[@]}" | sha256sum | cut -c1-16)"
tools="${CONNECTLY_SCHEMA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/connectly-rs/schema-tools}/$key"

# --- install (once per version of the pins) ---------------------------------------------------
if [[ ! -f "$tools/.installed" ]]; then
    echo "==> installing the pinned schema tools into $tools" >&2
    rm -rf "$tools"
    mkdir -p "$tools"
    cp "${pins[@]}" "$tools/"
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$tools/requirements.txt" >&2
    touch "$tools/.installed"
fi
export CONNECTLY_SCHEMA_TOOLS="$tools"

status=0

# --- 1. Ajv strict compiles every schema ------------------------------------------------------
echo "==> ajv compile --spec=draft2020 -c ajv-formats (strict)"
# One process for all of them (a glob for -s): each file is compiled and reported on its own.
"$tools/node_modules/.bin/ajv" compile --spec=draft2020 -c ajv-formats -s 'schemas/*.json' || status=1

# --- 2. three validators agree on the corpus --------------------------------------------------
echo "==> Ajv, check-jsonschema and connectly-schema agree (tests/tests/schema_tools.rs)"
# --workspace: the same build as `cargo test --workspace` (CI's tests step), so nothing recompiles.
cargo test --workspace --test main -- --ignored --exact \
    schema_tools::ajv_check_jsonschema_and_connectly_schema_agree || status=1

# --- 3. yaml-language-server ------------------------------------------------------------------
echo "==> yaml-language-server over stdio LSP (tools/schema-tools/yaml-language-server.test.mjs)"
node --test tools/schema-tools/yaml-language-server.test.mjs || status=1

if [[ $status -ne 0 ]]; then
    echo "schema-tools: FAILED (see above)" >&2
else
    echo "schema-tools: OK (Ajv strict, check-jsonschema, connectly-schema and yaml-language-server)"
fi
exit "$status"
