#!/usr/bin/env bash
# `truce rebuild` (replay the log, judge it, store the views) on the demo plus N simulated FIRMS
# detections (default 1,000,000), against a baseline build of an earlier revision in the same
# run: each binary builds its own log from its own revision's demo scenario and the same
# simulated detections (`truce simulate firms --seed 3`), then rebuilds it three times; the best
# wall time and the peak RSS are kept, and the ratio printed. Results: bench/results/rebuild-<date>.txt.
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

run() { # name binary scenario-dir
    local name=$1 bin=$2 scen=$3 d="$work/$1"
    "$bin" --quiet demo --no-serve --scenario "$scen" --dir "$d" >/dev/null
    "$bin" --quiet --dir "$d" ingest "$work/firms.csv" --as firms --key "$d/keys/firms.key" >/dev/null
    local best="" rss="" i t0 t1 s
    for i in 1 2 3; do
        t0=$(date +%s.%N)
        /usr/bin/time -f "%M" "$bin" --quiet --json --dir "$d" rebuild >"$work/$name.json" 2>"$work/$name.time"
        t1=$(date +%s.%N)
        s=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
        rss=$(tail -1 "$work/$name.time")
    done
    printf '%s %.2f %s %s\n' "$name" "$best" "$rss" "$(tr -d '\n' <"$work/$name.json" | head -c 300)"
}

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty) vs baseline $base_rev"
    echo "# $(uname -srm), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# demo + $rows simulated FIRMS detections (seed 3); truce rebuild, best of 3 wall seconds, peak RSS KB"
    b=$(run baseline "$baseline" "$work/baseline-src/scenarios/energy-moratorium-2025")
    c=$(run current "$current" "$PWD/scenarios/energy-moratorium-2025")
    echo "$b"
    echo "$c"
    bs=$(echo "$b" | cut -d' ' -f2); cs=$(echo "$c" | cut -d' ' -f2)
    echo "ratio current/baseline (time): $(echo "$cs / $bs" | bc -l | xargs printf '%.2f')"
} | tee "$out"
