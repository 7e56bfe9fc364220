#!/usr/bin/env bash
# Issue 13: every hostile input against a release build of `connectly`: exit code, the located
# message, wall time and peak RSS (/usr/bin/time -v). Prints a Markdown table for BENCHMARKS.md.
#   cargo build --release -p connectly-cli && bash scripts/bench-hostile.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${CONNECTLY:-target/release/connectly}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir" <<'PY'
import sys, os
d = sys.argv[1]
def w(name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
# 1. the ~420-byte billion laughs, and a 1 MB anchored string reused as a key 1,500 times
bomb = "a: &a [" + ",".join(["lol"] * 10) + "]\n"
names = "abcdefghij"
for prev, this in zip(names, names[1:]):
    bomb += f"{this}: &{this} [" + ",".join([f"*{prev}"] * 10) + "]\n"
w("bomb.yaml", bomb)
w("keys.yaml", "- &s " + "x" * 1_000_000 + "\n" + "- *s : 1\n" * 1500)
# 2. 5,000 nested block sequences; the same in flow style
w("deep.yaml", "- " * 5000 + "x\n")
w("deep-flow.yaml", "[" * 5000 + "]" * 5000 + "\n")
# 3. a second document
cfg = "webhooks:\n  - topic: messages\n    address: https://example.com/m\n"
w("two.yaml", "---\n" + cfg + "---\ngarbage: [\n")
# 4. tags and special scalars
w("str-tag.yaml", cfg + "    configuration:\n      echo: !!str true\n")
w("big-float.yaml", cfg + "businessId: 1e400\n")
w("nan.yaml", cfg + "businessId: .nan\n")
w("inf.yaml", cfg + "businessId: .inf\n")
# 5. just under the 1 MiB cap: as many registrations (duplicate topics, each an error) as fit
items = []
size = 10
i = 0
while True:
    item = '{"topic":"t%d"},' % i
    if size + len(item) > 1_000_000:
        break
    items.append(item); size += len(item); i += 1
w("many.json", '{"webhooks":[' + "".join(items).rstrip(",") + "]}\n")
w("dups.yaml", "webhooks:\n" + "- {topic: messages, address: 'https://e.example/'}\n" * 19_000)
PY

echo "| input | exit | message (first line) | wall s | peak RSS MB |"
echo "| --- | --- | --- | --- | --- |"
measure() {
    local label=$1; shift
    local err code
    set +e
    /usr/bin/time -v -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" </dev/null
    code=$?
    set -e
    err=$(grep -m1 -E 'error' "$dir/err" | cut -c1-110 | sed 's/|/\\|/g')
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$dir/time")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$dir/time")
    echo "| $label | $code | \`$err\` | $wall | $rss |"
}
cd "$dir"
for f in bomb.yaml keys.yaml deep.yaml deep-flow.yaml two.yaml str-tag.yaml big-float.yaml nan.yaml inf.yaml many.json dups.yaml; do
    measure "validate $f ($(wc -c <"$f") bytes)" "$OLDPWD/$bin" validate "$f"
done
measure "validate /dev/zero" "$OLDPWD/$bin" validate /dev/zero
measure "events verify /dev/zero" env CONNECTLY_WEBHOOK_SECRET=s "$OLDPWD/$bin" events verify --signature c2ln /dev/zero
measure "events send --body /dev/zero" env CONNECTLY_WEBHOOK_SECRET=s "$OLDPWD/$bin" events send --topic messages --to http://127.0.0.1:9/h --body /dev/zero
measure "--api-key-file /dev/zero" "$OLDPWD/$bin" webhooks list --business-id b --base-url http://127.0.0.1:9 --api-key-file /dev/zero
