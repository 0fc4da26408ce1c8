#!/bin/sh
# bench/recompute.sh BASELINE_TRUCE [OTHER_TRUCE…]: the first `/v1/incidents` of a `truce serve` whose
# views.db is missing, on a log of ROWS (300000) simulated FIRMS reports: the time until the views
# are recomputed and answered, and the server's peak memory, for each binary in the same run.
set -eu
ROWS=${ROWS:-300000}
W=$(mktemp -d); cd "$W"
T=$1
"$T" -q --dir d init --origin bench.example/log >/dev/null
"$T" -q --dir d party add firms --name FIRMS --role open-data >/dev/null 2>&1
"$T" simulate firms --rows "$ROWS" --seed 7 > firms.csv
"$T" -q --dir d ingest firms.csv --as firms --key d/keys/firms.key >/dev/null 2>&1
for B in "$@"; do
  rm -f d/views.db*
  port=$((18000 + $$ % 1000))
  "$B" -q --dir d serve --listen 127.0.0.1:$port >serve.log 2>&1 &
  pid=$!
  for i in $(seq 1 300); do curl -sf http://127.0.0.1:$port/checkpoint >/dev/null && break; sleep 0.2; done
  ready=$(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')
  t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/v1/incidents?limit=1")
  echo "$B: first /v1/incidents (views missing, $ROWS reports) ${t}s; ready $ready; after $(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"
  kill $pid; wait $pid 2>/dev/null || true
done
rm -rf "$W"
