#!/usr/bin/env bash
# Runs the log benchmarks (crates/truce-store/benches/log.rs) and keeps their output in bench/results/log-<date>.txt.
# Usage: bench/log.sh   (environment knobs such as TRUCE_BENCH_N are passed through; see bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
out="bench/results/log-$(date +%Y-%m-%d).txt"
# Build first, so compiler output stays out of the results.
cargo bench -p truce-store --bench log --no-run
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
    echo "# env: $(env | grep '^TRUCE_BENCH_' | tr '\n' ' ')"
    echo "\$ cargo bench -p truce-store --bench log"
    cargo bench -p truce-store --bench log 2>&1
} | tee "$out"
echo "saved to $out" >&2
