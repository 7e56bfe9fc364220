#!/usr/bin/env bash
# Installs the tools BENCHMARKS.md compares against, at pinned versions, when missing:
#   - hyperfine (Debian package)          : times whole processes
#   - check-jsonschema (PyPI)             : the Python JSON Schema CLI, baseline for `connectly validate`
#   - @stoplight/prism-cli (npm)          : Prism's mock server, baseline for connectly-mock
# Prism goes into a cache directory outside the repository (override with CONNECTLY_BENCH_NPM_DIR).
# Prints nothing on stdout but the paths, as `NAME=PATH` lines, so other scripts can `eval` it.
# Not run by CI: the benchmarks are run by hand (see BENCHMARKS.md).
set -euo pipefail

CHECK_JSONSCHEMA_VERSION="0.39.0"
PRISM_CLI_VERSION="5.14.2"   # the newest for Node 20 (5.15+ needs Node >= 24.14)

npm_dir="${CONNECTLY_BENCH_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/connectly-rs/bench-npm}"

# --- hyperfine --------------------------------------------------------------------------------
if ! command -v hyperfine >/dev/null 2>&1; then
    echo "==> installing hyperfine (apt)" >&2
    if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
fi

# --- check-jsonschema -------------------------------------------------------------------------
installed="$(python3 -c 'import importlib.metadata as m; print(m.version("check-jsonschema"))' 2>/dev/null || true)"
if [[ "$installed" != "$CHECK_JSONSCHEMA_VERSION" ]]; then
    echo "==> installing check-jsonschema==$CHECK_JSONSCHEMA_VERSION (pip)" >&2
    python3 -m pip install --quiet "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" >&2
fi
check_jsonschema="$(python3 -c 'import shutil, sys, os; p = shutil.which("check-jsonschema") or os.path.join(os.path.dirname(sys.executable), "check-jsonschema"); print(p)')"

# --- Prism ------------------------------------------------------------------------------------
npm_pkg_version() { # DIR PACKAGE -> installed version, or nothing
    node -e 'try { console.log(require(process.argv[1]).version) } catch (e) {}' \
        "$1/node_modules/$2/package.json" 2>/dev/null || true
}
if [[ "$(npm_pkg_version "$npm_dir" @stoplight/prism-cli)" != "$PRISM_CLI_VERSION" ||
      ! -x "$npm_dir/node_modules/.bin/prism" ]]; then
    echo "==> installing @stoplight/prism-cli@$PRISM_CLI_VERSION into $npm_dir (npm)" >&2
    mkdir -p "$npm_dir"
    npm install --prefix "$npm_dir" --no-audit --no-fund --save-exact --loglevel=error \
        "@stoplight/prism-cli@$PRISM_CLI_VERSION" >&2
fi

echo "HYPERFINE=$(command -v hyperfine)"
echo "CHECK_JSONSCHEMA=$check_jsonschema"
echo "PRISM=$npm_dir/node_modules/.bin/prism"
