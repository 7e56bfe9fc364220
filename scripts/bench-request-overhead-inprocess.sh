#!/usr/bin/env bash
# Benchmark 1 of BENCHMARKS.md, before/after in ONE process: the client of a base commit and the
# client of HEAD, side by side in one bench binary, against the same hand-written reqwest
# baseline and the same bare server. Six rounds rotate the three senders (HEAD, hand-written,
# base; then hand-written, base, HEAD; ...: each sender runs first, second and third twice), so
# the base and HEAD share the process, the heap, the baseline and the minutes; only their own
# code differs. `bench-request-overhead-inprocess.sh HEAD` (the same code on both sides) shows
# what the method itself gives for no difference. Each binary is linked LAYOUTS times in
# shuffled function orders (lld's --shuffle-sections), as in bench-request-overhead-ab.sh.
#
#   bash scripts/bench-request-overhead-inprocess.sh BASE [RUNS]   (RUNS per layout, default 10)
#   LAYOUTS=4 is the default.
#
# How: a `git worktree` of HEAD (commit first: uncommitted changes are not in it) gets a copy of
# crates/connectly-client named connectly-client-base whose src/ is BASE's (built by HEAD's
# build.rs from HEAD's spec, so both clients share the generated operations' code), and the bench
# gets a third sender and an in-process mode (`INPROCESS=1`). BASE's src must compile in HEAD's
# tree and have `Client::builder(key).base_url(url).build()` and `create_webhook(&str, &request)`
# (true of c1439f1 onwards). The edits fail loudly when the bench no longer has the lines they
# expect. About 8 minutes cold on 2 cores (the target directory is reused). Loopback only. Not run
# by CI. BENCHMARKS.md §1, seventh pass.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:?usage: bench-request-overhead-inprocess.sh BASE [RUNS]}"
runs="${2:-10}"
layouts="${LAYOUTS:-4}"
base_commit="$(git -C "$repo_root" rev-parse --verify "$base^{commit}")"
head_commit="$(git -C "$repo_root" rev-parse HEAD)"
git -C "$repo_root" diff --quiet HEAD -- crates Cargo.toml Cargo.lock openapi tests ||
    echo "note: uncommitted changes are not measured (the worktree is of HEAD)" >&2
work="${BENCH_AB_DIR:-${TMPDIR:-/tmp}/connectly-bench-ab}"
tree="$work/inprocess-${head_commit:0:12}-${base_commit:0:12}"
target="$work/inprocess-target"
# shellcheck source=scripts/lib/bench-binary.sh
source "$repo_root/scripts/lib/bench-binary.sh"

mkdir -p "$work"
if [ ! -d "$tree" ]; then
    git -C "$repo_root" worktree add --detach "$tree" "$head_commit" >/dev/null
    cp -r "$tree/crates/connectly-client" "$tree/crates/connectly-client-base"
    rm -rf "$tree/crates/connectly-client-base/"{src,benches,tests}
    git -C "$repo_root" archive "$base_commit" crates/connectly-client/src |
        tar -x -C "$tree/crates/connectly-client-base" --strip-components=2
    python3 - "$tree" <<'PY'
import sys
tree = sys.argv[1]

def edit(path, old, new):
    text = open(path).read()
    if old not in text:
        sys.exit(f"bench-request-overhead-inprocess.sh: {path} no longer contains {old!r}")
    open(path, "w").write(text.replace(old, new, 1))

crate = f"{tree}/crates/connectly-client-base/Cargo.toml"
text = open(crate).read()
text = text.replace('name = "connectly-client"', 'name = "connectly-client-base"\npublish = false', 1)
open(crate, "w").write(text[: text.index("[dev-dependencies]")])
edit(f"{tree}/Cargo.toml", '"crates/connectly-client",',
     '"crates/connectly-client", "crates/connectly-client-base",')
edit(f"{tree}/crates/connectly-client/Cargo.toml", "[dev-dependencies]\n",
     '[dev-dependencies]\nconnectly-client-base = { path = "../connectly-client-base" }\n')
bench = f"{tree}/crates/connectly-client/benches/request_overhead.rs"
edit(bench, "    Minimal(Minimal),\n", """    Minimal(Minimal),
    Base(
        connectly_client_base::Client,
        Arc<connectly_client_base::types::CreateWebhookRequest>,
    ),
""")
edit(bench, """            Sender::Minimal(_) => "minimal_reqwest",\n""",
     """            Sender::Minimal(_) => "minimal_reqwest",\n            Sender::Base(..) => "base_client",\n""")
edit(bench, "            Sender::Minimal(minimal) => minimal.create(business_id).await,\n",
     """            Sender::Minimal(minimal) => minimal.create(business_id).await,
            Sender::Base(client, registration) => {
                client
                    .create_webhook(business_id, registration)
                    .await
                    .expect("the server answers 200")
                    .id
            }
""")
edit(bench, "        Sender::Minimal(Minimal::new(&base_url)),\n    ];\n", """        Sender::Minimal(Minimal::new(&base_url)),
        Sender::Base(
            connectly_client_base::Client::builder(API_KEY)
                .base_url(&base_url)
                .build()
                .expect("a loopback client"),
            Arc::new(
                serde_json::from_str(
                    r#"{"topic":"messages","address":"https://example.com/webhook/messages"}"#,
                )
                .expect("a registration"),
            ),
        ),
    ];
    if std::env::var_os("INPROCESS").is_some() {
        in_process(&runtime, &senders);
        std::process::exit(0);
    }
""")
edit(bench, "fn request_overhead(c: &mut Criterion) {", r'''/// HEAD, hand-written, base in one process; each round starts one sender later, and each
/// sender runs first, second and third in two of the six rounds.
fn in_process(runtime: &tokio::runtime::Runtime, senders: &[Sender; 3]) {
    let counter = Arc::new(AtomicU64::new(0));
    for sender in senders {
        runtime.block_on(sender.burst(IN_FLIGHT * 4, IN_FLIGHT, &counter));
    }
    let rounds = 6;
    let mut latencies: [Vec<Duration>; 3] = Default::default();
    for round in 0..rounds {
        for k in 0..3 {
            let i = (round + k) % 3;
            runtime.block_on(async {
                for _ in 0..LATENCY_REQUESTS {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let business = format!("biz_{n}");
                    let start = Instant::now();
                    let id = senders[i].create(&business).await;
                    latencies[i].push(start.elapsed());
                    assert!(!id.is_empty());
                }
            });
        }
    }
    let mut rates: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        for k in 0..3 {
            let i = (round + k) % 3;
            let start = Instant::now();
            runtime.block_on(senders[i].burst(THROUGHPUT_REQUESTS, IN_FLIGHT, &counter));
            rates[i].push(THROUGHPUT_REQUESTS as f64 / start.elapsed().as_secs_f64());
        }
    }
    let mut p50 = [0.0; 3];
    let mut median = [0.0; 3];
    for i in 0..3 {
        latencies[i].sort();
        p50[i] = latencies[i][latencies[i].len() / 2].as_secs_f64() * 1e6;
        rates[i].sort_by(f64::total_cmp);
        let n = rates[i].len();
        median[i] = (rates[i][(n - 1) / 2] + rates[i][n / 2]) / 2.0;
    }
    println!(
        "INPROCESS p50_head {:.2} p50_minimal {:.2} p50_base {:.2} rps_head {:.0} rps_minimal {:.0} rps_base {:.0}",
        p50[0], p50[1], p50[2], median[0], median[1], median[2]
    );
}

fn request_overhead(c: &mut Criterion) {''')
PY
fi

echo "building $layouts layouts of HEAD ($head_commit) with the base ($base_commit) in $tree ..." >&2
for seed in $(seq "$layouts"); do
    exe="$(bench_binary "$tree" "$target" "$seed")"
    [ -x "$exe" ] || { echo "the bench binary was not built (run the cargo command in $tree)" >&2; exit 1; }
    cp "$exe" "$work/inprocess_s$seed.bin"
done

results="$work/inprocess-results.txt"
: >"$results"
for i in $(seq "$runs"); do
    for seed in $(seq "$layouts"); do
        line="$(INPROCESS=1 "$work/inprocess_s$seed.bin" --bench 2>/dev/null | grep '^INPROCESS')"
        echo "s$seed $line" >>"$results"
        echo "run $i layout $seed: ${line#INPROCESS }  load $(cut -d' ' -f1 /proc/loadavg)"
    done
done
python3 - "$results" <<'PY'
import statistics, sys
runs = []
for line in open(sys.argv[1]):
    f = line.split()
    v = dict(zip(f[2::2], map(float, f[3::2])))
    runs.append((f[0], v))
# The ratios against the hand-written baseline, as BENCHMARKS.md reports them, and HEAD - base
# of each ratio within a run (same process, same baseline).
for name, key, better in (("p50 ratio", "p50", -1), ("throughput ratio", "rps", 1)):
    head = [v[f"{key}_head"] / v[f"{key}_minimal"] for _, v in runs]
    base = [v[f"{key}_base"] / v[f"{key}_minimal"] for _, v in runs]
    d = [h - b for h, b in zip(head, base)]
    layouts = {}
    for (layout, _), x in zip(runs, d):
        layouts.setdefault(layout, []).append(x)
    means = [statistics.mean(x) for x in layouts.values()]
    print(f"{name}: median HEAD {statistics.median(head):.4f}×, base {statistics.median(base):.4f}×; "
          f"HEAD - base {statistics.mean(d):+.4f} ± {statistics.stdev(d) / len(d) ** 0.5:.4f} "
          f"over {len(d)} runs (HEAD better in {sum(better * x > 0 for x in d)}); "
          f"layout means {', '.join(f'{m:+.4f}' for m in means)}"
          + (f", over layouts ± {statistics.stdev(means) / len(means) ** 0.5:.4f}" if len(means) > 1 else ""))
PY
