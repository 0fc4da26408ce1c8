#!/usr/bin/env bash
# The dashboard on large logs, served by the release binary and driven by the browser test
# (crates/truce-dashboard/web/tests/browser.mjs: Chromium, every page, no request leaving localhost,
# no response over 2 MiB, the map's first load at most 4 MiB from the API). Three logs:
#   demo        the demo alone (8 incidents);
#   firms       the demo + FIRMS_ROWS simulated FIRMS detections (default 1,000,000; most are
#               background detections, drawn as a density layer);
#   allegations the firms log + ROWS_PER_SIDE synthetic allegations by each side on top (default 50,000
#               each: 100,000 more reports; skipped when ROWS_PER_SIDE=0).
# For each: the time until the map is ready (cold: a new page, from navigation to the cells or
# incidents and the background drawn), the redraw after a zoom and after a pan (from the move to
# the new answer drawn, the page's 120 ms settling included), the incident panel, and the largest
# response. Targets: map ready <= 2 s, redraw <= 500 ms, panel <= 300 ms. Keeps the output in
# bench/results/dashboard-<date>.txt.
#
# Usage: bench/dashboard.sh [FIRMS_ROWS [ROWS_PER_SIDE]]
set -euo pipefail
cd "$(dirname "$0")/.."
firms_rows=${1:-1000000}
rows=${2:-50000}
mkdir -p bench/results
out="bench/results/dashboard-$(date +%Y-%m-%d).txt"
cargo build --release -p truce >&2
truce="$PWD/target/release/truce"
web="$PWD/crates/truce-dashboard/web"
[ -d "$web/node_modules/playwright-core" ] || (cd "$web" && npm ci --no-audit --no-fund)
work=$(mktemp -d "${TMPDIR:-/tmp}/truce-dashboard.XXXXXX")
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

# Authoring files the browser test expects in the log (crates/truce/tests/dashboard.rs submits the
# same; the strike is tests/common/mod.rs's MAY_STRIKE): a strike on 10 May, consents by ru and ua (ua's
# retroactive) to extend the moratorium.
cat > "$work/may.toml" <<'EOF'
time = 2025-05-10T18:00:00+03:00
[[report]]
id = "kherson-tpp-2025-05-10"
time = { start = 2025-05-10T03:00:00+03:00, end = 2025-05-10T04:00:00+03:00 }
location = { point = [32.55, 46.65], uncertainty_m = 1000, place = "Kherson thermal power plant (test)" }
act = "drone-strike"
alleged_perpetrator = "ru"
target_category = "energy.power.plant"
text = "test: a strike after the lapse"
illustrative = true
EOF
cat > "$work/ru-extension.toml" <<'EOF'
time = 2025-04-15T12:00:00+03:00
[[extension]]
agreement = "energy-moratorium-2025"
until = 2025-05-17T00:00:00+03:00
note = "test: extended by mutual agreement"
EOF
cat > "$work/ua-extension.toml" <<'EOF'
time = 2025-04-16T12:00:00+03:00
[[extension]]
agreement = "energy-moratorium-2025"
until = 2025-05-17T00:00:00+03:00
effective_from = 2025-04-15T18:00:00+03:00
note = "test: extended by mutual agreement, from the evening before"
EOF

# The demo with the lifecycle entries, in $1.
demo() {
    "$truce" --quiet demo --no-serve --dir "$1" >/dev/null
    for x in may:ua ru-extension:ru ua-extension:ua; do
        "$truce" --quiet --dir "$1" submit "$work/${x%%:*}.toml" --as "${x##*:}" --key "$1/keys/${x##*:}.key" >/dev/null
    done
}

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
    # A failed check is reported with the timings, and the run goes on to the next log.
    (cd "$web" && node tests/browser.mjs "$url" "$work/shots-$name") > "$work/$name.browser" 2>&1 || true
    grep -E 'API reports|map ready|first load|redraw after|panel findings|responses, the largest|passed|FAILED|^- ' "$work/$name.browser" | sed "s/^/  /" || true
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores; $(chromium --version 2>/dev/null); load average at the start:$(cut -d" " -f1-3 /proc/loadavg | sed "s/^/ /")"
    demo "$work/demo"
    run "$work/demo" demo
    names="demo"

    demo "$work/firms"
    "$truce" simulate firms --rows "$firms_rows" --seed 3 --out "$work/f.csv"
    s=$(date +%s.%N)
    "$truce" --quiet --dir "$work/firms" ingest "$work/f.csv" --as firms --key "$work/firms/keys/firms.key"
    "$truce" --quiet --dir "$work/firms" rebuild
    echo "firms: $firms_rows detections ingested and the views rebuilt in $(python3 -c "import time; print(f'{time.time() - $s:.1f}')") s"
    rm -f "$work/f.csv"
    run "$work/firms" firms
    names="$names firms"

    # The same log after 2 x ROWS_PER_SIDE allegations on top of the detections.
    if [ "$rows" -gt 0 ]; then
        for side in ua:ru ru:ua; do
            p=${side%%:*}; o=${side##*:}
            "$truce" simulate allegations --rows "$rows" --seed 5 --party "$p" --opponent "$o" --out "$work/$p.jsonl"
            "$truce" --quiet --dir "$work/firms" ingest "$work/$p.jsonl" --format jsonl --as "$p" --key "$work/firms/keys/$p.key"
        done
        "$truce" --quiet --dir "$work/firms" rebuild
        run "$work/firms" allegations
        names="$names allegations"
    fi
    rm -rf "$work/firms"

    python3 - "$work" $names <<'EOF'
import re, sys
work, names = sys.argv[1], sys.argv[2:]
def ms(name, what):
    m = re.search(what + r"[^0-9\n]*?(\d+) ms", open(f"{work}/{name}.browser").read())
    return int(m.group(1)) if m else None
targets = {"map ready in": 2000, "redraw after zoom in": 500, "redraw after pan in": 500, "panel findings": 300}
print(f"{'':24}" + "".join(f"{n:>14}" for n in names) + "   target")
for what, target in targets.items():
    vals = [ms(n, what) for n in names]
    print(f"{what:24}" + "".join(f"{(str(v) + ' ms') if v is not None else '-':>14}" for v in vals) + f"   <= {target} ms")
EOF
} 2>&1 | tee "$out"
echo "saved to $out" >&2
