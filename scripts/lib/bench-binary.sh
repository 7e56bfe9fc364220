# Sourced by scripts/bench-request-overhead-ab.sh: how it builds the request-overhead bench
# binary.

# bench_binary DIR TARGET_DIR [SEED] -> prints the path of the request_overhead bench executable
# built in DIR. With SEED, it is linked with its functions in a random order (lld's
# --shuffle-sections; lld is Rust's default linker on x86-64 Linux), one order per seed.
bench_binary() {
    (cd "$1" && if [ -n "${3:-}" ]; then
        CARGO_TARGET_DIR="$2" cargo rustc -p connectly-client --bench request_overhead \
            --profile bench --message-format=json -- \
            -C "link-arg=-Wl,--shuffle-sections=.text*=$3" 2>/dev/null
    else
        CARGO_TARGET_DIR="$2" cargo bench -p connectly-client --bench request_overhead \
            --no-run --message-format=json 2>/dev/null
    fi) |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "request_overhead" and m.get("executable"):
        print(m["executable"])'
}
