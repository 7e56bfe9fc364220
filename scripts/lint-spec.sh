#!/usr/bin/env bash
# Lint the hand-maintained OpenAPI document openapi/connectly.yaml with three tools:
#   - openapi-spec-validator (PyPI)  : structural validity against the OpenAPI 3.0 schema
#   - Redocly CLI (npm)              : `recommended` ruleset, configured by redocly.yaml
#   - Spectral CLI (npm)             : `spectral:oas` ruleset, configured by .spectral.yaml
# Fails (non-zero exit) on any error from any of them; warnings are printed but do not fail.
#
# The tools are installed at pinned versions when missing: the Python one with pip, the npm ones
# into a cache directory outside the repository (override with CONNECTLY_LINT_NPM_DIR).
# Runs from any working directory.
set -euo pipefail

OPENAPI_SPEC_VALIDATOR_VERSION="0.9.0"
REDOCLY_CLI_VERSION="2.77.0"        # needs Node >=20.19 <21 or >=22.12
SPECTRAL_CLI_VERSION="6.16.3"       # needs Node ^18.18 or >=20.17

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

spec="openapi/connectly.yaml"
npm_dir="${CONNECTLY_LINT_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/connectly-rs/npm}"

# --- openapi-spec-validator ------------------------------------------------------------------
installed_osv="$(python3 -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))' 2>/dev/null || true)"
if [[ "$installed_osv" != "$OPENAPI_SPEC_VALIDATOR_VERSION" ]]; then
    echo "==> installing openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION" >&2
    python3 -m pip install --quiet "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
fi

# --- Redocly CLI and Spectral CLI ------------------------------------------------------------
npm_pkg_version() { # DIR PACKAGE -> installed version, or nothing
    node -e 'try { console.log(require(process.argv[1]).version) } catch (e) {}' \
        "$1/node_modules/$2/package.json" 2>/dev/null || true
}
if [[ "$(npm_pkg_version "$npm_dir" @redocly/cli)" != "$REDOCLY_CLI_VERSION" ||
      "$(npm_pkg_version "$npm_dir" @stoplight/spectral-cli)" != "$SPECTRAL_CLI_VERSION" ||
      ! -x "$npm_dir/node_modules/.bin/redocly" ||
      ! -x "$npm_dir/node_modules/.bin/spectral" ]]; then
    echo "==> installing @redocly/cli@$REDOCLY_CLI_VERSION and @stoplight/spectral-cli@$SPECTRAL_CLI_VERSION into $npm_dir" >&2
    mkdir -p "$npm_dir"
    npm install --prefix "$npm_dir" --no-audit --no-fund --save-exact --loglevel=error \
        "@redocly/cli@$REDOCLY_CLI_VERSION" "@stoplight/spectral-cli@$SPECTRAL_CLI_VERSION" >&2
fi
redocly="$npm_dir/node_modules/.bin/redocly"
spectral="$npm_dir/node_modules/.bin/spectral"

# --- run all three; report every failure before exiting ---------------------------------------
status=0

echo "==> openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION"
python3 -m openapi_spec_validator --schema 3.0 "$spec" || status=1

echo "==> redocly lint ($REDOCLY_CLI_VERSION)"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    "$redocly" lint --config redocly.yaml "$spec" || status=1

echo "==> spectral lint ($SPECTRAL_CLI_VERSION)"
"$spectral" lint --ruleset .spectral.yaml --fail-severity error "$spec" || status=1

if [[ $status -ne 0 ]]; then
    echo "lint-spec: FAILED ($spec has errors, see above)" >&2
else
    echo "lint-spec: OK ($spec has no errors)"
fi
exit "$status"
