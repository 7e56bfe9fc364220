#!/usr/bin/env bash
# Benchmark 1 of BENCHMARKS.md, before/after: the request-overhead bench of a base commit and of
# the working tree, run alternately (base, tree, base, tree, ...) so both see the same machine.
# Each run prints its own ratios against the hand-written reqwest baseline in the same binary;
# this script keeps the p50 latency ratio and the median throughput ratio of every run and prints
# one line per run, then the median of each column.
#
#   bash scripts/bench-request-overhead-ab.sh BASE [RUNS]     (RUNS default 9)
#   LAYOUTS=4 bash scripts/bench-request-overhead-ab.sh BASE [RUNS]
#
# With LAYOUTS=N, each side is linked N times with its functions in a different random order
# (lld's --shuffle-sections; lld is Rust's default linker on x86-64 Linux), all 2N binaries run
# in every alternation, and the difference is taken between the two sides' means over their
# layouts, with a standard error from the spread between layouts. A difference that holds over
# shuffled layouts is the code's, not where the linker happened to put it (BENCHMARKS.md §1,
# sixth pass, at commit 75c538e).
#
# The base binary is built in a `git worktree` of BASE with its own target directory (about
# 5 minutes cold on 2 cores; reused on the next call). The bench file is BASE's own, so the
# comparison is of the whole client as it was. Loopback only. Not run by CI.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:?usage: bench-request-overhead-ab.sh BASE [RUNS]}"
runs="${2:-9}"
base_commit="$(git -C "$repo_root" rev-parse --verify "$base^{commit}")"
work="${BENCH_AB_DIR:-${TMPDIR:-/tmp}/connectly-bench-ab}"
tree="$work/base-${base_commit:0:12}"

# shellcheck source=scripts/lib/bench-binary.sh
source "$repo_root/scripts/lib/bench-binary.sh"

mkdir -p "$work"
if [ ! -d "$tree" ]; then
    git -C "$repo_root" worktree add --detach "$tree" "$base_commit" >/dev/null
fi
echo "building the base ($base_commit) and the working tree ..." >&2
layouts="${LAYOUTS:-0}"
binaries=()
seeds=("")
if [ "$layouts" -gt 0 ]; then seeds=($(seq "$layouts")); fi
for seed in "${seeds[@]}"; do
    suffix="${seed:+_s$seed}"
    old="$(bench_binary "$tree" "$tree/target" "$seed")"
    new="$(bench_binary "$repo_root" "${CARGO_TARGET_DIR:-$repo_root/target}" "$seed")"
    [ -x "$old" ] && [ -x "$new" ] || { echo "a bench binary was not built" >&2; exit 1; }
    # Copies, so a later build cannot replace a binary between runs.
    cp "$old" "$work/base$suffix.bin"
    cp "$new" "$work/tree$suffix.bin"
    binaries+=("base$suffix" "tree$suffix")
done

ratios() { # BIN -> "p50_ratio throughput_ratio"
    "$1" --bench no_criterion_group 2>/dev/null | python3 -c 'import re, sys
text = sys.stdin.read()
p50 = re.search(r"ratio connectly / minimal: p50 ([0-9.]+)", text).group(1)
thr = re.search(r"ratio connectly / minimal \(medians\): ([0-9.]+)", text).group(1)
print(p50, thr)'
}

results="$work/results.txt"
: >"$results"
printf '%-5s %-5s %-10s %-10s %s\n' run which p50 throughput load
for i in $(seq "$runs"); do
    for which in "${binaries[@]}"; do
        r="$(ratios "$work/$which.bin")"
        echo "$which $r" >>"$results"
        printf '%-5s %-5s %-10s %-10s %s\n' "$i" "$which" $r "$(cut -d' ' -f1 /proc/loadavg)"
    done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
binaries = {}
for line in open(sys.argv[1]):
    which, p50, thr = line.split()
    binaries.setdefault(which, []).append((float(p50), float(thr)))
    rows.setdefault(which.split("_")[0], []).append((float(p50), float(thr)))
for which, v in rows.items():
    print(f"median {which}: p50 ratio {statistics.median(p for p, _ in v):.3f}×  "
          f"throughput ratio {statistics.median(t for _, t in v):.3f}×  ({len(v)} runs)")
# Run i of the base and run i of the tree were made a few seconds apart: their difference is
# the fairest estimate (the machine's drift within the run cancels), with its standard error over
# the pairs. That error is within this run only: on the shared VM the same two binaries have
# given paired differences 2.8 points apart in runs 20 minutes apart (BENCHMARKS.md §1, fifth
# pass, at commit 75c538e), so repeat the run at other times before reading a 1-point difference.
pairs = list(zip(rows["base"], rows["tree"]))
if len(pairs) > 1:
    for column, name in ((0, "p50 ratio"), (1, "throughput ratio")):
        d = [tree[column] - base[column] for base, tree in pairs]
        se = statistics.stdev(d) / len(d) ** 0.5
        print(f"tree - base, paired: {name} {statistics.mean(d):+.4f} ± {se:.4f} (mean ± s.e., "
              f"{len(d)} pairs)")
# With shuffled layouts: each layout's mean, and the difference of the sides' means over their
# layouts with the standard error of that difference between layouts.
if len(binaries) > 2:
    sides = {}
    for which, v in sorted(binaries.items()):
        means = tuple(statistics.mean(x[c] for x in v) for c in (0, 1))
        sides.setdefault(which.split("_")[0], []).append(means)
        print(f"layout {which}: p50 ratio {means[0]:.4f}×  throughput ratio {means[1]:.4f}×  "
              f"(mean of {len(v)} runs)")
    for column, name in ((0, "p50 ratio"), (1, "throughput ratio")):
        b = [m[column] for m in sides["base"]]
        t = [m[column] for m in sides["tree"]]
        se = (statistics.variance(b) / len(b) + statistics.variance(t) / len(t)) ** 0.5
        print(f"tree - base, over layouts: {name} {statistics.mean(t) - statistics.mean(b):+.4f} "
              f"± {se:.4f} ({len(t)} and {len(b)} layouts)")
PY
