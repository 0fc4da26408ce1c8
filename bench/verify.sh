#!/usr/bin/env bash
# `truce verify` of a large log from a local mirror, with replay: the demo plus N synthetic FIRMS
# detections (default 1,000,000 → a log of ~1,000,400 entries), exported with
# `truce log export-tiles`, then verified from the mirror directory as an outsider would (fresh
# state file). Baselines in the same run, on the same log: the operator's own `truce log check`
# (recompute every tile from storage) and `truce rebuild` (replay + judge + store views), whose sum
# is what the verifier redoes. Prints the time of each phase as the verifier reports it (--json)
# and the ratios. Keeps the output in bench/results/verify-<date>.txt.
#
# Usage: bench/verify.sh [ROWS]
# TRUCE_BENCH_DIR: where the work directory goes (default $TMPDIR or /tmp).
# TRUCE_BENCH_MIRROR=DIR and TRUCE_BENCH_VKEY=FILE: verify this mirror (exported earlier with
#   `truce log export-tiles` from a copy of a data directory) with this log key instead of
#   building a log (~10 min for 1M rows); the operator's baselines (log check, rebuild) need the
#   data directory and are then skipped.
# TRUCE_BENCH_BASE="BINARY…": also verify with these binaries (e.g. built from earlier commits in
#   a worktree with its own CARGO_TARGET_DIR), alternating with the new one, TRUCE_BENCH_RUNS
#   times each (default 2).
# TRUCE_BENCH_NEW=BINARY: the binary to measure instead of building this tree's.
#
# The pass over the bundles is a pipeline (fetching, hashing and comparing tiles on the feeding
# thread, decoding on others, applying in log order on another): `replay` is the pass's wall
# time, and `fetch` and `hash` (the feeding thread's share) overlap it, so the phases add up to
# more than the total.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
mkdir -p bench/results
out="bench/results/verify-$(date +%Y-%m-%d).txt"

if [ -n "${TRUCE_BENCH_NEW:-}" ]; then
    truce=$(realpath "$TRUCE_BENCH_NEW")
else
    cargo build --release -p truce >&2
    truce="$PWD/target/release/truce"
fi
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT
d="$work/data"

secs() { # runs "$@" quietly, prints wall seconds
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l | xargs printf '%.2f'
}

# One verification with replay from a fresh state file: wall time, peak RSS, the checks and the
# phases the verifier reports. Sets verify_s. Usage: verify_once BINARY LABEL
verify_once() {
    local bin=$1 label=$2 t0 t1
    rm -f "$work/state.json"
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M KB max RSS" "$bin" --quiet --json verify "$mirror" --log-key "$vkey" \
        --state "$work/state.json" >"$work/verify.json" 2>"$work/verify.err" || { cat "$work/verify.err"; exit 1; }
    t1=$(date +%s.%N)
    verify_s=$(echo "$t1 - $t0" | bc -l | xargs printf '%.2f')
    echo "truce verify (with replay) [$label]: ${verify_s} s, $(tail -1 "$work/verify.err")"
    python3 - "$work/verify.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print("  ok:", r.get("ok"))
for c in r.get("checks", []):
    print(f"  {c.get('name'):<12} {c.get('status'):<8} {c.get('message')[:110]}")
t = r.get("timings", {})
total = t.get("total_ms", 0) or 1
for k in ["fetch_ms", "hash_ms", "replay_ms", "judge_ms", "compare_ms"]:
    print(f"  {k[:-3]:<8} {t.get(k, 0)/1000:8.2f} s  {100*t.get(k, 0)/total:5.1f} %")
print(f"  total    {total/1000:8.2f} s")
EOF
}

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ -n "${TRUCE_BENCH_MIRROR:-}" ]; then
        mirror=$TRUCE_BENCH_MIRROR
        vkey=${TRUCE_BENCH_VKEY:?TRUCE_BENCH_VKEY: the log key file of the mirror}
        d=""
        echo "# the mirror $mirror ($(du -sh "$mirror" | cut -f1)), log size $(sed -n 2p "$mirror/checkpoint")"
    else
        mirror="$work/mirror"
        vkey="$d/log.vkey"
        echo "# building the log: truce demo + truce simulate firms --rows $rows --seed 3 + ingest"
        "$truce" --quiet demo --no-serve --dir "$d" >/dev/null
        "$truce" simulate firms --rows "$rows" --seed 3 --out "$work/firms.csv"
        "$truce" --quiet --dir "$d" ingest "$work/firms.csv" --as firms --key "$d/keys/firms.key" >/dev/null
        size=$("$truce" --dir "$d" --json log checkpoint | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
        echo "# log size: $size entries; exporting the mirror (tiles, bundles, findings.json, compliance.json)"
        export_s=$(secs "$truce" --quiet --dir "$d" log export-tiles "$mirror")
        echo "export-tiles (incl. views): ${export_s} s; mirror $(du -sh "$mirror" | cut -f1)"
    fi

    echo "\$ truce verify MIRROR --log-key log.vkey --state fresh.json --json"
    if [ -n "${TRUCE_BENCH_BASE:-}" ]; then
        for _ in $(seq "${TRUCE_BENCH_RUNS:-2}"); do
            for base in $TRUCE_BENCH_BASE; do
                verify_once "$base" "base: $base"
            done
            verify_once "$truce" "new: $truce"
        done
    else
        verify_once "$truce" "new"
    fi
    norep_s=$(secs "$truce" --quiet verify "$mirror" --log-key "$vkey" --state "$work/state2.json" --no-replay)
    echo "truce verify --no-replay: ${norep_s} s"
    if [ -z "$d" ]; then
        echo "# (a mirror given: the operator's baselines, log check and rebuild, need its data directory)"
    else
        check_s=$(secs "$truce" --quiet --dir "$d" log check)
        echo "baseline truce log check: ${check_s} s"
        rebuild_s=$(secs "$truce" --quiet --dir "$d" rebuild)
        echo "baseline truce rebuild: ${rebuild_s} s"
        python3 - "$verify_s" "$norep_s" "$check_s" "$rebuild_s" <<'EOF'
import sys
v, n, c, r = map(float, sys.argv[1:])
print(f"ratio verify / (log check + rebuild) = {v / (c + r):.2f}x")
print(f"ratio verify --no-replay / log check = {n / c:.2f}x")
EOF
    fi
} 2>&1 | tee "$out"
echo "saved to $out" >&2
