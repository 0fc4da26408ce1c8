#!/bin/sh
# bench/hostile.sh [ROWS]: `truce serve` (release build) under issue 19's hostile load — 64
# slow-header connections and 3 clients exporting the whole `/v1/reports.geojson` again and again
# for 15 s on a log of ROWS (300000) simulated FIRMS reports — with its peak memory and the
# latency of `/checkpoint` before (quiet) and under the load, in the same run (the ratio printed).
# It runs the CI test crates/truce/tests/hostile_load.rs against the release binary; results
# to bench/results/hostile-DATE.txt.
set -eu
cd "$(dirname "$0")/.."
ROWS=${1:-300000}
cargo build --release -p truce
out=bench/results/hostile-$(date -u +%F).txt
{
  echo "bench/hostile.sh $ROWS — $(date -u +%FT%TZ), $(git rev-parse --short HEAD), $(nproc) cores, release build"
  TRUCE_BIN="$PWD/target/release/truce" TRUCE_HOSTILE_ROWS=$ROWS \
    cargo test -q -p truce --test hostile_load -- --nocapture 2>&1 | grep -E 'reports;|VmHWM|/checkpoint|test result'
} | tee "$out"
