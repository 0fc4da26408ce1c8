#!/usr/bin/env bash
# Runs the clustering and baseline benchmark (crates/truce-engine/benches/cluster.rs) and keeps its
# output in bench/results/cluster-<date>.txt.
# Usage: bench/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
out="bench/results/cluster-$(date +%Y-%m-%d).txt"
cargo bench -p truce-engine --bench cluster --no-run
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "\$ cargo bench -p truce-engine --bench cluster"
    cargo bench -p truce-engine --bench cluster 2>&1
} | tee "$out"
echo "saved to $out" >&2
