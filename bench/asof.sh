#!/usr/bin/env bash
# `--as-of` on the demo plus N simulated FIRMS detections (default 1,000,000): `truce findings`
# with the views fresh (the baseline), then `--as-of` at the latest size (views.db: cached), at an
# earlier size already cached (views-asof-N.db, second call) and at an uncached size (one
# rebuild of that prefix), each printed as a ratio against the normal query; the uncached call
# also against a `truce rebuild` of the whole log in the same run. Queries are the best of
# ASOF_ROUNDS (default 5) calls, output to /dev/null (`--json`: the stored bytes). Results:
# bench/results/asof-<date>.txt.
#
# Usage: bench/asof.sh [ROWS]
# TRUCE_BENCH_DIR: where the work directory goes (default $TMPDIR or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
rounds=${ASOF_ROUNDS:-5}
mkdir -p bench/results
out="bench/results/asof-$(date +%Y-%m-%d).txt"
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-asof.XXXXXX")
trap 'rm -rf "$work"' EXIT

cargo build --release -p truce >&2
truce="$PWD/target/release/truce"
d="$work/d"
"$truce" simulate firms --rows "$rows" --seed 3 --out "$work/firms.csv"
"$truce" --quiet demo --no-serve --scenario "$PWD/scenarios/energy-moratorium-2025" --dir "$d" >/dev/null
demo_size=$("$truce" --json --dir "$d" log checkpoint | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
"$truce" --quiet --dir "$d" ingest "$work/firms.csv" --as firms --key "$d/keys/firms.key" >/dev/null
latest=$("$truce" --json --dir "$d" log checkpoint | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
# An earlier size inside the ingest (the log without its last 100,000 detections, or half of a
# smaller one), and another, never asked for before, in the middle.
earlier=$(( latest > 200000 ? latest - 100000 : (latest + demo_size) / 2 ))
uncached=$(( (latest + demo_size) / 3 ))

secs() { # command...: wall seconds of one run, output discarded
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
best() { # command...: best of $rounds runs
    local b=""
    for _ in $(seq 1 "$rounds"); do b=$(min "$b" "$(secs "$@")"); done
    echo "$b"
}
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
findings() { "$truce" --quiet --json --dir "$d" findings "$@"; }

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# demo ($demo_size entries) + $rows simulated FIRMS detections (seed 3): log size $latest; findings: $(findings | grep -o '"incident":' | wc -l)"
    echo "# queries: truce --json findings, best of $rounds, wall seconds; ratios against the normal query"
    rebuild=$(secs "$truce" --quiet --dir "$d" rebuild)
    printf 'truce rebuild (whole log, views.db fresh afterwards): %.2f s\n' "$rebuild"
    normal=$(best findings)
    printf 'findings, views fresh:                                %.3f s  1.00x\n' "$normal"
    at_latest=$(best findings --as-of "$latest")
    printf 'findings --as-of %-9s (latest: views.db)         %.3f s  %sx\n' "$latest" "$at_latest" "$(ratio "$at_latest" "$normal")"
    first=$(secs findings --as-of "$earlier")
    printf 'findings --as-of %-9s first call (one rebuild)   %.2f s  %sx (%sx truce rebuild)\n' "$earlier" "$first" "$(ratio "$first" "$normal")" "$(ratio "$first" "$rebuild")"
    cached=$(best findings --as-of "$earlier")
    printf 'findings --as-of %-9s second call (cached)       %.3f s  %sx\n' "$earlier" "$cached" "$(ratio "$cached" "$normal")"
    cold=$(secs findings --as-of "$uncached")
    printf 'findings --as-of %-9s uncached (one rebuild)     %.2f s  %sx (%sx truce rebuild)\n' "$uncached" "$cold" "$(ratio "$cold" "$normal")" "$(ratio "$cold" "$rebuild")"
    # The answer at the earlier size is what was known then, whatever came after: the same bytes
    # as a fresh judgement of that prefix (the cache deleted and recomputed).
    findings --as-of "$earlier" >"$work/a.json"
    rm -f "$d/views-asof-$earlier.db"*
    findings --as-of "$earlier" >"$work/b.json"
    if cmp -s "$work/a.json" "$work/b.json"; then
        echo "cached and recomputed --as-of $earlier: byte-identical ($(wc -c <"$work/a.json") bytes)"
    else
        echo "cached and recomputed --as-of $earlier DIFFER"
    fi
    echo "as-of caches kept: $(ls "$d" | grep -c '^views-asof-.*\.db$')"
} | tee "$out"
