#!/usr/bin/env bash
# Regenerates the demo's SYNTHETIC AIS file, scenarios/energy-moratorium-2025/ais/
# black-sea-2025-04-01.dma.csv.gz: `truce simulate ais` (seed 1) from 1 April 2025 00:00 UTC,
# thinned to one position per vessel per 10 minutes (a rate a coastal station's archive often
# keeps; the raw simulation reports every 2-10 s) up to 3 April 2025 00:00 UTC, gzipped without
# a timestamp so the bytes are the same on every run. Everything in it is synthetic: vessel
# names SYNTHETIC ..., call signs SYNnnnn, IMO 100xxxx.
#
# Usage: scripts/demo-ais.sh [path/to/truce]   (default: target/debug/truce, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
truce=${1:-target/debug/truce}
[ -x "$truce" ] || cargo build -q -p truce
out=scenarios/energy-moratorium-2025/ais/black-sea-2025-04-01.dma.csv.gz
"$truce" simulate ais --format dma --seed 1 --rows 700000 --start 2025-04-01T00:00:00Z 2>/dev/null |
python3 -c '
import sys, calendar, time
keep_s, end = 600, calendar.timegm((2025, 4, 3, 0, 0, 0))
last = {}
out = sys.stdout
for i, line in enumerate(sys.stdin):
    if i == 0:
        out.write(line)
        continue
    f = line.split(",", 3)
    t = calendar.timegm(time.strptime(f[0], "%d/%m/%Y %H:%M:%S"))
    if t >= end:
        continue
    if t - last.get(f[2], -10**9) >= keep_s:
        last[f[2]] = t
        out.write(line)
' | gzip -n -9 > "$out"
echo "$out: $(zcat "$out" | wc -l) lines, $(stat -c %s "$out") bytes" >&2
