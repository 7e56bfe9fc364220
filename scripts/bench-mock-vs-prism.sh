#!/usr/bin/env bash
# Benchmark 4 of BENCHMARKS.md: create requests/s of `connectly mock` against Prism's mock server
# (`prism mock`), both serving openapi/connectly.yaml on loopback, loaded by the same generator
# (crates/connectly-mock/examples/create_load.rs: 32 keep-alive connections, a fixed count of
# creates, each for a new business). Rounds alternate between the two servers.
#
#   bash scripts/bench-mock-vs-prism.sh [ROUNDS]         (default 3)
#
# Env: MOCK_REQUESTS (default 40000), PRISM_REQUESTS (default 4000), CONNECTIONS (default 32).
# Installs Prism with scripts/install-bench-tools.sh when missing. Not run by CI.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
rounds="${1:-3}"
mock_requests="${MOCK_REQUESTS:-40000}"
prism_requests="${PRISM_REQUESTS:-4000}"
connections="${CONNECTIONS:-32}"
key="sk_bench_0123456789"

eval "$(bash scripts/install-bench-tools.sh)"
cargo build --quiet --release -p connectly-cli
cargo build --quiet --release -p connectly-mock --example create_load
load="$repo_root/target/release/examples/create_load"
connectly="$repo_root/target/release/connectly"

# Two free loopback ports.
read -r mock_port prism_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

logs="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$logs"
}
trap cleanup EXIT

"$connectly" mock --listen "127.0.0.1:$mock_port" --api-key "$key" >"$logs/mock.log" 2>&1 &
pids+=($!)
"$PRISM" mock openapi/connectly.yaml -h 127.0.0.1 -p "$prism_port" >"$logs/prism.log" 2>&1 &
pids+=($!)

wait_for() { # PORT NAME: up to 60 s for the port to accept connections
    for _ in $(seq 1 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "$2 did not start on port $1" >&2
    cat "$logs"/*.log >&2
    exit 1
}
wait_for "$mock_port" "connectly mock"
wait_for "$prism_port" "prism"

echo "machine: $(nproc) cores; connectly mock $("$connectly" --version 2>/dev/null || echo '?'), prism $("$PRISM" --version)"
mock_rates=""
prism_rates=""
rate_of() { sed -n 's/.*: \([0-9]*\) requests\/s.*/\1/p' <<<"$1"; }
for round in $(seq 1 "$rounds"); do
    line="$("$load" "http://127.0.0.1:$mock_port" --key "$key" --connections "$connections" \
        --requests "$mock_requests" --max-seconds 60)"
    echo "round $round  connectly mock: $line"
    mock_rates+="$(rate_of "$line") "
    line="$("$load" "http://127.0.0.1:$prism_port" --key "$key" --connections "$connections" \
        --requests "$prism_requests" --max-seconds 60)"
    echo "round $round  prism mock:     $line"
    prism_rates+="$(rate_of "$line") "
done
python3 - "$mock_rates" "$prism_rates" <<'PY'
import statistics, sys
mock = [float(x) for x in sys.argv[1].split()]
prism = [float(x) for x in sys.argv[2].split()]
for name, r in (("connectly mock", mock), ("prism mock", prism)):
    print(f"{name:<15} min {min(r):8.0f} req/s   median {statistics.median(r):8.0f} req/s")
print(f"ratio connectly / prism (medians): {statistics.median(mock)/statistics.median(prism):.1f}x (target >= 15x)")
PY
