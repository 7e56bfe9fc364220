#!/usr/bin/env bash
# Benchmark 3 of BENCHMARKS.md: `connectly validate` against check-jsonschema (the Python CLI),
# both checking the same 1,000 generated config files (100 invalid) against the same schema,
# schemas/webhooks-config.schema.json, one process for all files; and each on one file (start-up).
# Whole processes are timed with hyperfine, the two commands alternating within one hyperfine run.
#
#   bash scripts/bench-validate.sh [RUNS]      (default 10)
#
# Installs hyperfine and check-jsonschema with scripts/install-bench-tools.sh when missing.
# Not run by CI.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
runs="${1:-10}"
schema="$repo_root/schemas/webhooks-config.schema.json"

eval "$(bash scripts/install-bench-tools.sh)"
cargo build --quiet --release -p connectly-cli
connectly="$repo_root/target/release/connectly"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash scripts/gen-validate-corpus.sh "$work/corpus" 1000
cd "$work/corpus"

# Both tools must agree on which files are invalid before their times mean anything.
"$connectly" validate ./*.yaml >"$work/connectly.out" 2>&1 || true
"$CHECK_JSONSCHEMA" --schemafile "$schema" ./*.yaml >"$work/cj.out" 2>&1 || true
ours="$(grep -o 'webhooks-[0-9]*\.yaml:[0-9]*:[0-9]*: error' "$work/connectly.out" | cut -d: -f1 | sort -u | wc -l)"
theirs="$(grep -o 'webhooks-[0-9]*\.yaml::' "$work/cj.out" | sort -u | wc -l)"
echo "invalid files found: connectly validate $ours, check-jsonschema $theirs (expected 100)"
if [[ "$ours" != 100 || "$theirs" != 100 ]]; then
    echo "the tools disagree with the corpus; first lines of each:" >&2
    head -5 "$work/connectly.out" "$work/cj.out" >&2
    exit 1
fi

echo "machine: $(nproc) cores; $("$CHECK_JSONSCHEMA" --version)"
# Exit code 1 (invalid files found) is the expected outcome: -i keeps hyperfine going.
hyperfine -N -i --warmup 2 --runs "$runs" --export-json "$work/all.json" \
    -n "connectly validate (1,000 files)" "$connectly validate $(echo ./*.yaml)" \
    -n "check-jsonschema (1,000 files)" "$CHECK_JSONSCHEMA --schemafile $schema $(echo ./*.yaml)"
hyperfine -N -i --warmup 2 --runs "$runs" --export-json "$work/one.json" \
    -n "connectly validate (1 file)" "$connectly validate ./webhooks-0000.yaml" \
    -n "check-jsonschema (1 file)" "$CHECK_JSONSCHEMA --schemafile $schema ./webhooks-0000.yaml"

python3 - "$work/all.json" "$work/one.json" <<'PY'
import json, statistics, sys
for path in sys.argv[1:]:
    results = json.load(open(path))["results"]
    stats = {}
    for r in results:
        stats[r["command"]] = (min(r["times"]), statistics.median(r["times"]))
        print(f'{r["command"]:<36} min {stats[r["command"]][0]*1000:9.1f} ms   median {stats[r["command"]][1]*1000:9.1f} ms')
    (ours, theirs) = list(stats.values())
    print(f"ratio check-jsonschema / connectly: min {theirs[0]/ours[0]:.1f}x, median {theirs[1]/ours[1]:.1f}x (target >= 15x)")
PY
