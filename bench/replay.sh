#!/usr/bin/env bash
# The replay and the snapshot of `truce rebuild` (the log decoded and folded into a ledger, the
# ledger read into the engine's snapshot), and the ledger's memory, against a baseline build of an
# earlier revision in the same run, on copies of one data directory (default /work/bd/d1m: the
# demo plus 1,000,000 simulated FIRMS detections; build one with bench/rebuild.sh's setup).
#
# - Rounds alternate one `truce rebuild` of each binary (REPLAY_ROUNDS, default 3), each on its
#   own copy of the directory, so a change in the machine's load hits both alike; each prints
#   the seconds of its replay, snapshot, judgement and store (TRUCE_LOG=info) and /usr/bin/time
#   its wall time and peak RSS. Best and median of each figure are kept.
# - The ledger alone: `replay_mirror` (crates/truce-model/examples) replays the log's entry
#   bundles exported once with `truce log export-tiles` (no SQLite, no engine) and prints the
#   process's RSS after the replay — the ledger's memory. The baseline's example is the same file
#   built against the baseline's truce-model.
#
# Usage: bench/replay.sh [BASELINE_REV] [DATA_DIR]     (default: 4419cfb, /work/bd/d1m)
# TRUCE_BENCH_DIR: where the copies go (default $TMPDIR or /tmp; needs ~3x the directory's size).
# BASELINE_TRUCE, BASELINE_MIRROR: the baseline's `truce` and `replay_mirror`, already built at
# BASELINE_REV (otherwise both are built in a worktree, into target/bench-baseline/<rev>);
# CURRENT_TRUCE, CURRENT_MIRROR likewise for the current side (otherwise built from the tree).
# SKIP_MIRROR=1: no ledger-alone section (then only BASELINE_TRUCE and CURRENT_TRUCE are needed).
# Results: bench/results/replay-<date>.txt
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:-4419cfb}
data=${2:-/work/bd/d1m}
rounds=${REPLAY_ROUNDS:-3}
mkdir -p bench/results
out="bench/results/replay-$(date +%Y-%m-%d).txt"
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-replay.XXXXXX")
cleanup() { git worktree remove --force "$work/baseline-src" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
base_target="$PWD/target/bench-baseline/$base_rev"

if [ -n "${CURRENT_TRUCE:-}" ] && { [ -n "${CURRENT_MIRROR:-}" ] || [ -n "${SKIP_MIRROR:-}" ]; }; then
    current=$CURRENT_TRUCE current_mirror=${CURRENT_MIRROR:-}
else
    CARGO_INCREMENTAL=0 cargo build --release -p truce >&2
    CARGO_INCREMENTAL=0 cargo build --release -p truce-model --example replay_mirror >&2
    current="$PWD/target/release/truce"
    current_mirror="$PWD/target/release/examples/replay_mirror"
fi
if [ -n "${BASELINE_TRUCE:-}" ] && { [ -n "${BASELINE_MIRROR:-}" ] || [ -n "${SKIP_MIRROR:-}" ]; }; then
    # Prebuilt at the baseline revision (e.g. kept from an earlier run).
    baseline=$BASELINE_TRUCE baseline_mirror=${BASELINE_MIRROR:-}
else
    git worktree add --detach "$work/baseline-src" "$base_rev" >&2
    mkdir -p "$work/baseline-src/crates/truce-model/examples"
    cp crates/truce-model/examples/replay_mirror.rs "$work/baseline-src/crates/truce-model/examples/"
    (cd "$work/baseline-src" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$base_target" cargo build --release -p truce >&2 \
        && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$base_target" cargo build --release -p truce-model --example replay_mirror >&2)
    baseline="$base_target/release/truce"
    baseline_mirror="$base_target/release/examples/replay_mirror"
fi

cp -r "$data" "$work/baseline"
cp -r "$data" "$work/current"
[ -n "${SKIP_MIRROR:-}" ] || "$current" --quiet --dir "$work/current" log export-tiles "$work/mirror" >/dev/null

once() { # name binary: one rebuild; prints "replay snapshot judge store wall rss_kb"
    local d="$work/$1" t0 t1 secs
    t0=$(date +%s.%N)
    TRUCE_LOG=info /usr/bin/time -f "rss %M" "$2" --json --dir "$d" rebuild >"$work/$1.json" 2>"$work/$1.err"
    t1=$(date +%s.%N)
    secs() { grep -oE "$1 secs=[0-9.]+" "$work/$2.err" | tail -1 | cut -d= -f2; }
    printf '%.2f %.2f %.2f %.2f %.2f %s\n' "$(secs replayed "$1")" "$(secs snapshot "$1")" \
        "$(secs judged "$1")" "$(secs stored "$1")" "$(echo "$t1 - $t0" | bc -l)" \
        "$(grep -oE 'rss [0-9]+' "$work/$1.err" | cut -d' ' -f2)"
}
# Column k's best (smallest) and median over a file of rows.
stat() { sort -n -k"$2" "$1" | awk -v k="$2" '{v[NR]=$k} END {printf "%s / %s", v[1], v[int((NR+1)/2)]}'; }

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet -- crates || echo +dirty) vs baseline $base_rev"
    echo "# bench/replay.sh $base_rev $data; baseline $baseline, current $current"
    echo "# $(uname -srm), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# data: $data ($(du -sh "$data" | cut -f1)); $rounds rounds alternating baseline and current"
    echo "# per round: TRUCE_LOG=info /usr/bin/time -f 'rss %M' truce --json --dir COPY rebuild"
    echo "#   columns: replay snapshot judge store (s, from the log lines), wall (s), peak RSS (KB)"
    : >"$work/baseline.rows"; : >"$work/current.rows"
    for round in $(seq 1 "$rounds"); do
        b=$(once baseline "$baseline"); c=$(once current "$current")
        echo "round $round: baseline $b | current $c"
        echo "$b" >>"$work/baseline.rows"; echo "$c" >>"$work/current.rows"
    done
    for who in baseline current; do
        echo "$who best / median: replay $(stat "$work/$who.rows" 1) s, snapshot $(stat "$work/$who.rows" 2) s, judge $(stat "$work/$who.rows" 3) s, store $(stat "$work/$who.rows" 4) s, wall $(stat "$work/$who.rows" 5) s, peak RSS $(stat "$work/$who.rows" 6) KB"
    done
    if cmp -s <(head -c 2000 "$work/baseline.json") <(head -c 2000 "$work/current.json"); then
        echo "summaries equal: $(head -c 300 "$work/current.json")"
    else
        echo "summaries DIFFER: baseline $(head -c 300 "$work/baseline.json") current $(head -c 300 "$work/current.json")"
    fi
    [ -n "${SKIP_MIRROR:-}" ] && exit 0
    echo "# the ledger alone: replay_mirror MIRROR (entry bundles of the same log; 1 decoder thread as on this machine), RSS after the replay"
    for round in $(seq 1 2); do
        echo "baseline: $("$baseline_mirror" "$work/mirror")"
        echo "current:  $("$current_mirror" "$work/mirror")"
    done
} | tee "$out"
