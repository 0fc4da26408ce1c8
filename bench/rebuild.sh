#!/usr/bin/env bash
# `truce rebuild` (replay the log, judge it, store the views) on the demo plus N simulated FIRMS
# detections (default 1,000,000), against a baseline build of an earlier revision in the same
# run: each binary builds its own log from its own revision's demo scenario and the same
# simulated detections (`truce simulate firms --seed 3`); then rounds alternate one rebuild of
# each (REBUILD_ROUNDS, default 4), so a change in the machine's load hits both alike; the best
# wall time of each and the peak RSS are kept, and the ratio printed. Results: bench/results/rebuild-<date>.txt.
#
# Usage: bench/rebuild.sh [BASELINE_REV] [ROWS]     (default: d266dd5, the last truce-rules/1 commit)
# TRUCE_BENCH_DIR: where the work directory goes (default $TMPDIR or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:-d266dd5}
rows=${2:-1000000}
mkdir -p bench/results
out="bench/results/rebuild-$(date +%Y-%m-%d).txt"
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-rebuild.XXXXXX")
cleanup() { git worktree remove --force "$work/baseline-src" 2>/dev/null || true; rm -rf "$work"; }
# The baseline's build is kept between runs (target/bench-baseline/<rev>), its sources are not.
base_target="$PWD/target/bench-baseline/$base_rev"
trap cleanup EXIT

cargo build --release -p truce >&2
current="$PWD/target/release/truce"
git worktree add --detach "$work/baseline-src" "$base_rev" >&2
(cd "$work/baseline-src" && CARGO_TARGET_DIR="$base_target" cargo build --release -p truce >&2)
baseline="$base_target/release/truce"

"$current" simulate firms --rows "$rows" --seed 3 --out "$work/firms.csv"

setup() { # name binary scenario-dir
    local d="$work/$1"
    "$2" --quiet demo --no-serve --scenario "$3" --dir "$d" >/dev/null
    "$2" --quiet --dir "$d" ingest "$work/firms.csv" --as firms --key "$d/keys/firms.key" >/dev/null
}
once() { # name binary: one rebuild; prints wall seconds, keeps RSS and the summary
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" "$2" --quiet --json --dir "$work/$1" rebuild >"$work/$1.json" 2>"$work/$1.time"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty) vs baseline $base_rev"
    echo "# $(uname -srm), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# demo + $rows simulated FIRMS detections (seed 3); truce rebuild, rounds alternating baseline and current, best wall seconds, peak RSS KB"
    setup baseline "$baseline" "$work/baseline-src/scenarios/energy-moratorium-2025"
    setup current "$current" "$PWD/scenarios/energy-moratorium-2025"
    bs=""; cs=""
    for round in $(seq 1 "${REBUILD_ROUNDS:-4}"); do
        b=$(once baseline "$baseline"); c=$(once current "$current")
        printf 'round %s: baseline %.2f s, current %.2f s\n' "$round" "$b" "$c"
        bs=$(min "$bs" "$b"); cs=$(min "$cs" "$c")
    done
    printf 'baseline %.2f %s %s\n' "$bs" "$(tail -1 "$work/baseline.time")" "$(head -c 300 "$work/baseline.json")"
    printf 'current %.2f %s %s\n' "$cs" "$(tail -1 "$work/current.time")" "$(head -c 300 "$work/current.json")"
    echo "ratio current/baseline (time): $(echo "$cs / $bs" | bc -l | xargs printf '%.2f')"
} | tee "$out"
