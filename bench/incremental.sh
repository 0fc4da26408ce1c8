#!/usr/bin/env bash
# Incremental judgement against a full judge (crates/truce-engine/examples/incremental.rs): ROWS
# simulated FIRMS detections (default 1,000,000; seed 3) with the demo scenario's readings and
# sites; a full `judge` (median of 3), `Incremental::new`, then `Incremental::apply` of K new
# allegations (default 50), each near a random detection: p50/p99/max and the ratio to a full
# judge, what each apply re-judged, the heap held by the snapshot, its judgement and the
# incremental state; and a final check that the incremental judgement equals `judge` of the same
# snapshot. Output appended to bench/results/incremental-<date>.txt.
# Usage: bench/incremental.sh [ROWS] [K]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
k=${2:-50}
mkdir -p bench/results
out="bench/results/incremental-$(date +%Y-%m-%d).txt"
CARGO_INCREMENTAL=0 cargo build --release -p truce-engine --example incremental
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet -- crates/truce-engine 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "\$ target/release/examples/incremental $rows $k"
    /usr/bin/env time -f "wall %e s, peak RSS %M kB" target/release/examples/incremental "$rows" "$k" 2>&1
} | tee -a "$out"
echo "saved to $out" >&2
