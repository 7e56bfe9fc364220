#!/usr/bin/env bash
# Issue 28: the relay's memory while its handler is down. A release `connectly relay serve`
# forwards to a loopback port where nothing listens (every attempt is refused and rescheduled);
# a sender POSTs distinct signed events at a steady RATE for SECONDS; the relay's RSS is sampled
# every 10 s from /proc. Events wait on disk, not in memory: RSS should stay flat while the
# journal grows. Loopback only; bounded in time.
#
#   bash scripts/bench-relay-outage.sh            # RATE=200 events/s for SECONDS=600
#   RATE=100 SECONDS_TOTAL=120 bash scripts/bench-relay-outage.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RATE="${RATE:-200}"
SECONDS_TOTAL="${SECONDS_TOTAL:-600}"
SECRET="whsec_bench_outage"
work="$(mktemp -d)"
relay_pid=""
cleanup() {
    [[ -z "$relay_pid" ]] || kill "$relay_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release -q -p connectly-cli
bin="${CARGO_TARGET_DIR:-target}/release/connectly"

CONNECTLY_WEBHOOK_SECRET="$SECRET" "$bin" -q relay serve --listen 127.0.0.1:0 \
    --forward-to http://127.0.0.1:9/unreachable --store "$work/relay.db" > "$work/url" &
relay_pid=$!
for _ in $(seq 100); do [[ -s "$work/url" ]] && break; sleep 0.1; done
url="$(head -1 "$work/url")"
echo "relay at $url (pid $relay_pid), handler down; $RATE events/s for $SECONDS_TOTAL s"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$relay_pid/status"; }

python3 - "$url" "$SECRET" "$RATE" "$SECONDS_TOTAL" "$relay_pid" "$work/relay.db" <<'PY'
import base64, hashlib, hmac, http.client, json, os, sys, time, urllib.parse
url, secret, rate, total, pid, db = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
def rss():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
def size():
    return sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p)) // (1024 * 1024)
start = time.monotonic()
sent = acked = 0
print("| elapsed s | events acked | relay RSS MB | journal MB |")
print("| --- | --- | --- | --- |")
next_report = 0
while True:
    now = time.monotonic() - start
    if now >= total:
        break
    if now >= next_report:
        print(f"| {int(now)} | {acked} | {rss()} | {size()} |", flush=True)
        next_report += 10
    due = int(now * rate)
    while sent < due:
        body = json.dumps({"timestamp": str(int(time.time())), "sender": {"id": f"+1{sent:010d}", "channelType": "whatsapp"},
                           "recipient": {"id": "+16045550100", "channelType": "whatsapp"}, "message": {"text": f"event {sent}"}}).encode()
        sig = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
        conn.request("POST", u.path or "/", body, {"x-connectly-hmac-sha256": sig, "content-type": "text/plain; charset=utf-8"})
        r = conn.getresponse(); r.read()
        sent += 1
        acked += r.status == 200
    time.sleep(0.005)
print(f"| {total} | {acked} | {rss()} | {size()} |")
print(f"sent {sent}, acked {acked}")
PY
