#!/usr/bin/env bash
# AIS ingest at volume: ROWS synthetic Danish Maritime Authority CSV rows (default 10,000,000, a
# Danish day; `truce simulate ais --format dma`, seed 7, marked synthetic) ingested with
# `truce ingest` into a fresh demo data directory: rows/s, peak RSS (/usr/bin/time), segments and
# points made, and bytes stored per raw row (growth of truce.db and its WAL after the ingest,
# divided by ROWS), next to a plain `csv` crate ByteRecord scan of the same file (the
# `ais_csv_scan` example) as the baseline; the ratio is ingest rows/s ÷ scan rows/s. Targets
# (issue 15): ≥ 200,000 rows/s, peak RSS < 1 GB. Results: bench/results/ais-ingest-<date>.txt.
#
# Usage: bench/ais-ingest.sh [TRUCE [SCAN]]  (default: target/release/truce and
# target/release/examples/ais_csv_scan; build them with
# `cargo build --release -p truce --bin truce --example ais_csv_scan`).
# ROWS, TOLERANCE_M (default 50), BATCH (default 10000); TRUCE_BENCH_DIR: where the work
# directory goes (default $TMPDIR or /tmp; a real disk, not tmpfs).
set -euo pipefail
cd "$(dirname "$0")/.."
truce=${1:-target/release/truce}
scan=${2:-target/release/examples/ais_csv_scan}
rows=${ROWS:-10000000}
tol=${TOLERANCE_M:-50}
batch=${BATCH:-10000}
mkdir -p bench/results
out="bench/results/ais-ingest-$(date +%Y-%m-%d).txt"
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-ais.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$truce" --quiet demo --no-serve --dir "$work/data" >/dev/null
"$truce" --quiet --dir "$work/data" party add dma --name "Danish Maritime Authority (synthetic)" --role open-data >/dev/null
t0=$(date +%s.%N)
"$truce" --quiet simulate ais --format dma --rows "$rows" --seed 7 --out "$work/ais.csv"
t1=$(date +%s.%N)
file_bytes=$(stat -c %s "$work/ais.csv")
lines=$(($(wc -l <"$work/ais.csv") - 1))

db_size() { du -cb "$work"/data/truce.db* 2>/dev/null | tail -1 | cut -f1; }
before=$(db_size)

# The baseline: a plain csv scan, twice (the first warms the page cache for both).
"$scan" "$work/ais.csv" >/dev/null
scan_line=$("$scan" "$work/ais.csv")
scan_s=$(echo "$scan_line" | awk '{print $4}')

/usr/bin/time -v -o "$work/time.txt" "$truce" --dir "$work/data" --json ingest "$work/ais.csv" \
    --as dma --key "$work/data/keys/dma.key" --tolerance-m "$tol" --batch "$batch" >"$work/summary.json" 2>"$work/stderr.txt"
ingest_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt")
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
"$truce" --quiet --dir "$work/data" log check >/dev/null
after=$(db_size)

python3 - "$work/summary.json" "$rows" "$lines" "$file_bytes" "$scan_s" "$ingest_s" "$rss_kb" "$before" "$after" "$tol" "$t0" "$t1" <<'PY' | tee "$out"
import json, sys
summary_path, rows, lines, file_bytes, scan_s, ingest_s, rss_kb, before, after, tol, t0, t1 = sys.argv[1:]
s = json.load(open(summary_path))["summary"]
rows, lines, file_bytes = int(rows), int(lines), int(file_bytes)
scan_s, ingest_s = float(scan_s), float(ingest_s)
grown = int(after) - int(before)
ingest_rate, scan_rate = lines / ingest_s, lines / scan_s
print(f"AIS ingest benchmark: {lines:,} synthetic DMA rows ({file_bytes/1e6:,.0f} MB; `truce simulate ais --rows {rows} --seed 7`, generated in {float(t1)-float(t0):.1f} s), tolerance {tol} m")
print()
print("| figure | truce ingest | plain csv ByteRecord scan | ratio |")
print("|---|---|---|---|")
print(f"| rows/s | {ingest_rate:,.0f} | {scan_rate:,.0f} | {ingest_rate/scan_rate:.3f} |")
print(f"| seconds | {ingest_s:.1f} | {scan_s:.2f} | |")
print(f"| peak RSS | {int(rss_kb)/1024:,.0f} MiB | | |")
print(f"| bytes stored per raw row | {grown/lines:.1f} (truce.db + WAL grew {grown/1e6:,.1f} MB; the file is {file_bytes/lines:.0f} bytes/row) | | |")
print()
print(f"summary: read {s['read']:,} fixes {s['fixes']:,} statics {s['statics']:,} segments {s['segments']:,} points {s['points']:,} "
      f"({s['points']/max(s['fixes'],1)*100:.2f}% of fixes) vessels {s['vessels']:,} accepted {s['accepted']:,} duplicates {s['duplicates']:,} "
      f"skipped {s['skipped']:,} rejected {s['rejected']:,} jumps {s['flagged_jumps']:,} batches {s['batches']:,}")
print()
ok_rate = "met" if ingest_rate >= 200_000 else "NOT met"
ok_rss = "met" if int(rss_kb) < 1024 * 1024 else "NOT met"
print(f"targets: >= 200,000 rows/s: {ok_rate}; peak RSS < 1 GB: {ok_rss}")
PY
