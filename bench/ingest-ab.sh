#!/usr/bin/env bash
# `truce ingest` of N simulated FIRMS detections (default 1,000,000) into a fresh demo log, against
# a baseline build of an earlier revision in the same run: rounds alternate one ingest of each
# binary (INGEST_ROUNDS, default 3) into a directory of its own, so a change in the machine's load
# hits both alike; the best wall time of each and its peak RSS are kept and the ratio printed.
# Results: bench/results/ingest-ab-<date>.txt.
#
# Usage: bench/ingest-ab.sh [BASELINE_REV] [ROWS]     (default: 4bc9ae0, before trusted time)
# CURRENT_BIN / BASELINE_BIN: use these binaries instead of building them (e.g. a CI clone's).
# TRUCE_BENCH_DIR: where the work directory goes (default $TMPDIR or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:-4bc9ae0}
rows=${2:-1000000}
mkdir -p bench/results
out="bench/results/ingest-ab-$(date +%Y-%m-%d).txt"
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-ingest-ab.XXXXXX")
cleanup() { git worktree remove --force "$work/baseline-src" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if [ -n "${CURRENT_BIN:-}" ]; then current=$CURRENT_BIN; else
    cargo build --release -p truce >&2
    current="$PWD/target/release/truce"
fi
git worktree add --detach "$work/baseline-src" "$base_rev" >&2
if [ -n "${BASELINE_BIN:-}" ]; then baseline=$BASELINE_BIN; else
    base_target="$PWD/target/bench-baseline/$base_rev"
    (cd "$work/baseline-src" && CARGO_TARGET_DIR="$base_target" cargo build --release -p truce >&2)
    baseline="$base_target/release/truce"
fi
"$current" simulate firms --rows "$rows" --seed 3 --out "$work/firms.csv"

once() { # name binary scenario-dir: a fresh demo, then one ingest; prints wall seconds
    local d="$work/$1" t0 t1
    rm -rf "$d"
    "$2" --quiet demo --no-serve --scenario "$3" --dir "$d" >/dev/null
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" "$2" --quiet --dir "$d" ingest "$work/firms.csv" --as firms \
        --key "$d/keys/firms.key" >/dev/null 2>"$work/$1.time"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty) vs baseline $base_rev"
    echo "# $(uname -srm), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# demo + $rows simulated FIRMS detections (seed 3); truce ingest (durable), rounds alternating baseline and current, best wall seconds, peak RSS KB"
    bs=""; cs=""
    for round in $(seq 1 "${INGEST_ROUNDS:-3}"); do
        b=$(once baseline "$baseline" "$work/baseline-src/scenarios/energy-moratorium-2025")
        c=$(once current "$current" "$PWD/scenarios/energy-moratorium-2025")
        printf 'round %s: baseline %.2f s, current %.2f s\n' "$round" "$b" "$c"
        bs=$(min "$bs" "$b"); cs=$(min "$cs" "$c")
    done
    printf 'baseline %.2f s (%.0f rows/s), peak RSS %s KB\n' "$bs" "$(echo "$rows / $bs" | bc -l)" "$(tail -1 "$work/baseline.time")"
    printf 'current  %.2f s (%.0f rows/s), peak RSS %s KB\n' "$cs" "$(echo "$rows / $cs" | bc -l)" "$(tail -1 "$work/current.time")"
    echo "ratio current/baseline (time): $(echo "$cs / $bs" | bc -l | xargs printf '%.2f')"
} | tee "$out"
