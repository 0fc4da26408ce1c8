#!/usr/bin/env bash
# The map's aggregation (/v1/map/cells, /v1/map/days) on the demo + ROWS simulated FIRMS
# detections (default 1,000,000; almost all background detections), served by the release
# binary: N (200) requests of a Ukraine box (22,44,41,53) at zoom 6 for each layer, p50/p99 of
# each request's time (curl's time_total over loopback, one request at a time), next to the same
# box the way the dashboard loaded it before (/v1/incidents?bbox=…&limit=1000, and
# /v1/background?bbox=…&limit=1000 for the detections: one page of many). Also: the first request
# of each layer (it builds the layer's index in memory from views.db), the answers' sizes and
# the server's resident memory before and after the indexes. Target: cells p99 <= 50 ms.
# Keeps the output in bench/results/map-<date>.txt.
#
# Usage: bench/map.sh [ROWS [N]]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
n=${2:-200}
mkdir -p bench/results
out="bench/results/map-$(date +%Y-%m-%d).txt"
cargo build --release -p truce >&2
truce="$PWD/target/release/truce"
work=$(mktemp -d "${TMPDIR:-/tmp}/truce-map.XXXXXX")
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
d="$work/d"
bbox="22,44,41,53"

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores; demo + $rows FIRMS detections (seed 3); $n requests each, one at a time"
} | tee "$out"

t0=$(date +%s)
"$truce" --quiet demo --no-serve --dir "$d" >/dev/null
"$truce" simulate firms --rows "$rows" --seed 3 --out "$work/firms.csv"
"$truce" --quiet --dir "$d" ingest "$work/firms.csv" --as firms --key "$d/keys/firms.key" >/dev/null
"$truce" --quiet --dir "$d" rebuild >/dev/null
echo "log built and views rebuilt in $(( $(date +%s) - t0 )) s" | tee -a "$out"

"$truce" --dir "$d" --quiet serve --listen 127.0.0.1:0 > "$work/serve.out" 2>"$work/serve.err" &
server=$!
url=""
for _ in $(seq 1 600); do
    url=$(sed -n 's/^listening on //p' "$work/serve.out" | head -1)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }
rss() { grep VmRSS "/proc/$server/status" | tr -s ' \t' ' ' | cut -d' ' -f2-; }
# The views are fresh (rebuilt above); the first query confirms it.
curl -sf "$url/v1/incidents?limit=1" -o "$work/first.json"
log_size=$(sed -n 's/.*"log_size":\([0-9]*\).*/\1/p' "$work/first.json")
echo "log size $log_size; server resident memory before the map's indexes: $(rss)" | tee -a "$out"

# The first request of each layer builds its index.
for layer in incidents background; do
    t=$(curl -sf -o "$work/$layer.json" -w '%{time_total}' "$url/v1/map/cells?layer=$layer&bbox=$bbox&zoom=6")
    total=$(sed -n 's/.*"total":\([0-9]*\),"threshold".*/\1/p' "$work/$layer.json")
    cells=$(grep -o '"key":' "$work/$layer.json" | wc -l)
    echo "first /v1/map/cells?layer=$layer (builds the index): ${t}s; total $total in $cells cells, $(wc -c < "$work/$layer.json") bytes" | tee -a "$out"
done
echo "server resident memory after both indexes: $(rss)" | tee -a "$out"

# p50 and p99 (ms) of N requests of $1, and the size of the last answer.
measure() {
    local path="$1" label="$2"
    : > "$work/times"
    for _ in $(seq 1 "$n"); do
        curl -sf -o "$work/body" -w '%{time_total}\n' "$url$path" >> "$work/times"
    done
    sort -g "$work/times" | awk -v n="$n" -v label="$label" -v bytes="$(wc -c < "$work/body")" '
        { t[NR] = $1 * 1000 }
        END {
            p50 = t[int((n + 1) / 2)]; i99 = int(n * 0.99 + 0.999); if (i99 < 1) i99 = 1;
            printf "%-58s p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  %9d bytes\n", label, p50, t[i99], t[n], bytes
        }'
}

{
    echo "Ukraine box $bbox, zoom 6 (cell_zoom 9):"
    measure "/v1/map/cells?layer=incidents&bbox=$bbox&zoom=6" "/v1/map/cells?layer=incidents"
    measure "/v1/map/cells?layer=background&bbox=$bbox&zoom=6" "/v1/map/cells?layer=background"
    measure "/v1/map/days?layer=incidents&bbox=$bbox" "/v1/map/days?layer=incidents"
    measure "/v1/map/days?layer=background&bbox=$bbox" "/v1/map/days?layer=background"
    measure "/v1/map/cells?layer=background&bbox=$bbox&zoom=6&source=firms&routine=false&from=2025-03-20&to=2025-04-10" "/v1/map/cells?layer=background (+source, routine, days)"
    echo "baseline (the dashboard's former way: pages of the list):"
    measure "/v1/incidents?bbox=$bbox&limit=1000" "/v1/incidents?bbox=…&limit=1000 (one page)"
    measure "/v1/background?bbox=$bbox&limit=1000" "/v1/background?bbox=…&limit=1000 (one page)"
    total=$(sed -n 's/.*"total":\([0-9]*\),"threshold".*/\1/p' "$work/background.json")
    echo "  (all $total background detections in the box at 1,000 a page: $(( (total + 999) / 1000 )) such pages)"
    echo "zoomed in (Kharkiv, zoom 12; features when at most 2,000 points):"
    measure "/v1/map/cells?layer=background&bbox=36.1,49.9,36.4,50.1&zoom=12" "/v1/map/cells?layer=background (zoom 12)"
    measure "/v1/map/cells?layer=incidents&bbox=36.1,49.9,36.4,50.1&zoom=12" "/v1/map/cells?layer=incidents (zoom 12)"
    echo "server resident memory at the end: $(rss)"
} | tee -a "$out"
echo "results in $out" >&2
