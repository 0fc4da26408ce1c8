#!/usr/bin/env bash
# The dashboard on a large log: the demo plus N synthetic allegations by each side (default 12,000
# each: about 10,000+ incidents), served by the release binary, driven by the browser test
# (crates/truce-dashboard/web/tests/browser.mjs: Chromium, every page, no request leaving
# localhost). Prints how long the map takes to be ready with every incident clustered on it and the
# incident panel to open, against the same run on the plain demo (7 incidents): the ratio is the
# cost of 10,000 incidents. Keeps the output in bench/results/dashboard-<date>.txt.
#
# Usage: bench/dashboard.sh [ROWS_PER_SIDE]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-12000}
mkdir -p bench/results
out="bench/results/dashboard-$(date +%Y-%m-%d).txt"
cargo build --release -p truce >&2
truce="$PWD/target/release/truce"
web="$PWD/crates/truce-dashboard/web"
[ -d "$web/node_modules/playwright-core" ] || (cd "$web" && npm ci --no-audit --no-fund)
work=$(mktemp -d "${TMPDIR:-/tmp}/truce-dashboard.XXXXXX")
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

# Serves $1, runs the browser test, prints its timing lines.
run() {
    local d="$1" name="$2"
    "$truce" --dir "$d" --quiet serve --listen 127.0.0.1:0 > "$work/$name.serve" 2>/dev/null &
    server=$!
    local url=""
    for _ in $(seq 1 600); do
        url=$(sed -n 's/^listening on //p' "$work/$name.serve" | head -1)
        [ -n "$url" ] && break
        sleep 0.1
    done
    local total
    total=$(curl -s "$url/v1/incidents?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    echo "$name: $total incidents at $url"
    (cd "$web" && node tests/browser.mjs "$url" "$work/shots-$name") > "$work/$name.browser" 2>&1 \
        || { cat "$work/$name.browser"; exit 1; }
    grep -E 'map ready|panel findings|passed|ok' "$work/$name.browser" | sed "s/^/  /"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores; $(chromium --version 2>/dev/null)"
    "$truce" --quiet demo --no-serve --dir "$work/demo" >/dev/null
    run "$work/demo" demo
    "$truce" --quiet demo --no-serve --dir "$work/big" >/dev/null
    for side in ua:ru ru:ua; do
        p=${side%%:*}; o=${side##*:}
        "$truce" simulate allegations --rows "$rows" --seed 5 --party "$p" --opponent "$o" --out "$work/$p.jsonl"
        "$truce" --quiet --dir "$work/big" ingest "$work/$p.jsonl" --format jsonl --as "$p" --key "$work/big/keys/$p.key" >/dev/null
    done
    "$truce" --quiet --dir "$work/big" rebuild >/dev/null
    run "$work/big" big
    python3 - "$work/demo.browser" "$work/big.browser" <<'EOF'
import re, sys
def ms(path, what):
    m = re.search(what + r"[^0-9]*?(\d+) ms", open(path).read())
    return int(m.group(1)) if m else None
for what in ["map ready in", "panel findings"]:
    a, b = ms(sys.argv[1], what), ms(sys.argv[2], what)
    if a and b:
        print(f"{what}: demo {a} ms, large log {b} ms, ratio {b / a:.1f}x")
EOF
} 2>&1 | tee "$out"
echo "saved to $out" >&2
