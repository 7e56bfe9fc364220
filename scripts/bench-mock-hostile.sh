#!/usr/bin/env bash
# What hostile clients cost `connectly mock` (issue 13; BENCHMARKS.md, "connectly mock under
# hostile clients"), on loopback, with a release build:
#   1. a flood of keyless POSTs, each announcing and sending a 1 MB body: the mock's RSS (VmRSS)
#      and peak RSS (VmHWM) before and after, from /proc;
#   2. connections that send part of a request's headers and stop: when the mock closes each,
#      and whether normal requests are served meanwhile;
#   3. HEADER_CONNECTIONS connections at once, each sending HEADER_BYTES of headers without a key
#      (issue 33.4): the mock's peak RSS, what each connection got, and whether a normal
#      request every 100 ms is answered meanwhile.
#
#   bash scripts/bench-mock-hostile.sh
#
# Env: FLOOD_REQUESTS (default 3000), FLOOD_BYTES (default 1048576), FLOOD_CONNECTIONS (16),
# SLOW_CONNECTIONS (default 200), HEADER_CONNECTIONS (default 3000), HEADER_BYTES (default 307200). Bounded: every phase stops after its count or 60 s. Linux only
# (/proc). Not run by CI.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
requests="${FLOOD_REQUESTS:-3000}"
bytes="${FLOOD_BYTES:-1048576}"
connections="${FLOOD_CONNECTIONS:-16}"
slow="${SLOW_CONNECTIONS:-200}"
header_connections="${HEADER_CONNECTIONS:-3000}"
header_bytes="${HEADER_BYTES:-307200}"
# Each connection is a file descriptor of the load generator.
ulimit -n "$(( header_connections + 1024 > $(ulimit -n) ? header_connections + 1024 : $(ulimit -n) ))" 2>/dev/null || true
key="sk_bench_hostile_0123456789"

cargo build --quiet --release -p connectly-cli
cargo build --quiet --release -p connectly-mock --example hostile_load
load="$repo_root/target/release/examples/hostile_load"
connectly="$repo_root/target/release/connectly"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
logs="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$logs"
}
trap cleanup EXIT

"$connectly" mock --listen "127.0.0.1:$port" --api-key "$key" >"$logs/stdout" 2>"$logs/stderr" &
pid=$!
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done
rss() { awk -v f="$1" '$1 == f":" {print $2 / 1024 " MB"}' "/proc/$pid/status"; }

echo "machine: $(nproc) cores; $("$connectly" --version)"
echo "connectly mock at start: RSS $(rss VmRSS), peak $(rss VmHWM)"
"$load" flood "http://127.0.0.1:$port" --requests "$requests" --bytes "$bytes" --connections "$connections" --max-seconds 60
echo "connectly mock after the flood: RSS $(rss VmRSS), peak $(rss VmHWM)"
"$load" slow-headers "http://127.0.0.1:$port" --key "$key" --connections "$slow" --max-seconds 30
echo "connectly mock after the slow connections: RSS $(rss VmRSS), peak $(rss VmHWM)"
"$load" header-flood "http://127.0.0.1:$port" --key "$key" --connections "$header_connections" --bytes "$header_bytes" --max-seconds 60
echo "connectly mock after the header flood: RSS $(rss VmRSS), peak $(rss VmHWM)"
echo "request lines printed: $(wc -l <"$logs/stderr")"
