#!/bin/sh
# bench/exports.sh [TRUCE] [ROWS]: memory of `truce serve` during 3 concurrent full
# `GET /v1/reports.geojson` on a log of ROWS (300000) simulated FIRMS reports, and the latency of
# `/checkpoint` meanwhile. Prints VmHWM/VmRSS (from /proc/PID/status) when ready and after the
# exports, each export's status, size and time to first byte, and 20 `/checkpoint` timings.
# Issue 19, item 3: before streaming, 3 exports took a 300,000-report server from 0.75 to 10 GB.
set -eu
TRUCE=${1:-target/release/truce}
ROWS=${2:-300000}
PORT=${PORT:-18951}
TRUCE=$(readlink -f "$TRUCE")
W=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$W"' EXIT
cd "$W"
"$TRUCE" -q --dir d init --origin bench.example/log >/dev/null
"$TRUCE" -q --dir d party add firms --name FIRMS --role open-data >/dev/null
"$TRUCE" simulate firms --rows "$ROWS" --seed 7 > firms.csv
"$TRUCE" -q --dir d ingest firms.csv --as firms --key d/keys/firms.key >/dev/null
# The views first, as a running service has them (their first computation is not what is measured).
"$TRUCE" -q --dir d rebuild
TRUCE_MAX_HEAVY_QUERIES=3 "$TRUCE" -q --dir d serve --listen 127.0.0.1:$PORT >serve.log 2>&1 &
pid=$!
for i in $(seq 1 300); do curl -sf http://127.0.0.1:$PORT/checkpoint >/dev/null && break; sleep 0.2; done
echo "reports: $ROWS; ready: $(grep -E 'VmHWM|VmRSS' /proc/$pid/status | tr -s ' \n\t' ' ')"
pids=""
for k in 1 2 3; do
  curl -s -o out-$k.json -w "export $k: %{http_code} %{size_download} bytes, first byte %{time_starttransfer} s, total %{time_total} s\n" \
    http://127.0.0.1:$PORT/v1/reports.geojson &
  pids="$pids $!"
done
for k in $(seq 1 20); do curl -s -o /dev/null -w "%{time_total} " http://127.0.0.1:$PORT/checkpoint; sleep 0.5; done
echo "(/checkpoint, s, during the exports)"
wait $pids
echo "after 3 concurrent exports: $(grep -E 'VmHWM|VmRSS' /proc/$pid/status | tr -s ' \n\t' ' ')"
cmp -s out-1.json out-3.json && echo "bodies identical"
