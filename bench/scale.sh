#!/usr/bin/env bash
# A year of sensor data on one machine: the demo plus ROWS simulated FIRMS detections (default
# 10,000,000; `truce simulate firms --seed 3`) ingested, rebuilt and served, with the wall time and
# peak memory (RSS) of each step: simulate, ingest, rebuild (replay + judge + store views.db), and
# serving — the server's start until its views are ready, then one new allegation at a time until it
# is in /v1/incidents (bench/allegation.sh, K allegations, default 10). Results:
# bench/results/scale-<date>.txt.
#
# Usage: bench/scale.sh [ROWS]       TRUCE_BENCH_DIR: where the work directory goes (needs ~1 KB per
# row: 10 GB for 10,000,000); KEEP=1 keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
mkdir -p bench/results
out="bench/results/scale-$(date +%Y-%m-%d).txt"
cargo build --release -p truce >&2
truce="$PWD/target/release/truce"
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-scale.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
d="$work/data"

step() { # name command…: runs it, prints wall seconds and peak RSS
    local name=$1 t0 t1
    shift
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
        tail -5 "$work/$name.err" >&2
        exit 1
    }
    t1=$(date +%s.%N)
    printf '%-9s %8.1f s  peak RSS %6.0f MB\n' "$name" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$(tail -1 "$work/rss") / 1024" | bc -l)"
}

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# the demo + $rows simulated FIRMS detections (seed 3)"
    "$truce" --quiet demo --no-serve --dir "$d" >/dev/null
    step simulate "$truce" simulate firms --rows "$rows" --seed 3 --out "$work/firms.csv"
    step ingest "$truce" --quiet --dir "$d" ingest "$work/firms.csv" --as firms --key "$d/keys/firms.key"
    rm -f "$work/firms.csv"
    echo "log: $("$truce" --dir "$d" --json log checkpoint | sed -n 's/.*"size":\([0-9]*\).*/\1/p') entries, truce.db $(du -h "$d/truce.db" | cut -f1)"
    rm -f "$d"/views*.db*
    step rebuild env TRUCE_LOG=info "$truce" --json --dir "$d" rebuild
    grep -E "replayed|snapshot|judged|stored" "$work/rebuild.err" | sed 's/^[^ ]* *INFO /  /'
    echo "  $(cat "$work/rebuild.out")"
    echo "views.db $(du -h "$d/views.db" | cut -f1)"
} | tee "$out"
# Serving: bench/allegation.sh on a copy of this log (its views.db removed: the server judges at start).
DATA="$d" IN_PLACE=1 K="${K:-10}" TRUCE_BENCH_DIR="$work" bench/allegation.sh "$truce" | grep -v '^#' | tee -a "$out"
