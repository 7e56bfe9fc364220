#!/usr/bin/env bash
# Issue 28: the relay beside qhook (the one other self-hosted receiver that persists before it
# answers), in one run of `cargo bench -p connectly-relay --bench ingest`. qhook is installed from
# crates.io at a pinned version into a cache directory (never into this repository), configured
# with SQLite and an `hmac` source (the same HMAC-SHA256 of the body; hex in
# X-Webhook-Signature) and a handler on loopback. qhook listens on 0.0.0.0, so it and the bench
# run inside a network namespace of their own whose only interface is its loopback: no traffic
# leaves it. Needs root (`ip netns`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

QHOOK_VERSION="0.6.1"
cache="${CONNECTLY_QHOOK_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/connectly-rs/qhook-$QHOOK_VERSION}"
if [[ ! -x "$cache/bin/qhook" ]]; then
    echo "==> installing qhook $QHOOK_VERSION into $cache" >&2
    cargo install --quiet --locked qhook --version "$QHOOK_VERSION" --root "$cache"
fi
cargo bench -p connectly-relay --bench ingest --no-run -q

ns="connectly-bench-$$"
work="$(mktemp -d)"
cleanup() {
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

cat > "$work/qhook.yaml" <<YAML
database:
  driver: sqlite
  url: "sqlite:$work/qhook.db?mode=rwc"
server:
  port: 8899
  allow_private_urls: true
  max_inbound: 1000
sources:
  bench:
    type: webhook
    verify: hmac
    secret: whsec_bench
handlers:
  sink:
    source: bench
    url: http://127.0.0.1:8898/
YAML
(cd "$work" && ip netns exec "$ns" "$cache/bin/qhook" start --config "$work/qhook.yaml" > "$work/qhook.log" 2>&1 &)
for _ in $(seq 100); do
    ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8899' 2>/dev/null && break
    sleep 0.1
done
echo "==> qhook $QHOOK_VERSION on 127.0.0.1:8899 (namespace $ns)"
ip netns exec "$ns" env RELAY_BENCH_PEER="http://127.0.0.1:8899/webhooks/bench" \
    cargo bench -p connectly-relay --bench ingest -q
