#!/usr/bin/env bash
# The end-to-end demo of what Truce runs today: create a log, append real NASA FIRMS fire detections
# (one entry per CSV row), print the signed checkpoint, prove one detection's inclusion, verify the
# proof offline with nothing but the verifier key, self-check the log and export a static mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p truce
truce="$PWD/target/release/truce"
work="${TRUCE_DEMO_DIR:-$(mktemp -d -t truce-demo.XXXXXX)}"
data="$PWD/tests/data/firms_viirs_snpp_ukraine_2023_excerpt.csv"
cd "$work"
export TRUCE_DIR="$work/truce-data"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Create a log (origin demo.truce.example/firms) in $TRUCE_DIR"
"$truce" init --origin demo.truce.example/firms

step "Append 300 real VIIRS fire detections over Ukraine (NASA FIRMS), in batches of 100"
tail -n +2 "$data" > detections.csv
"$truce" log append detections.csv --batch 100

step "The signed checkpoint (C2SP tlog-checkpoint in a signed note)"
"$truce" log checkpoint

step "Prove detection 41 is in the log (c2sp.org/tlog-proof@v1)"
"$truce" log prove 41 --out detection41.tlog-proof
"$truce" log entry 41 --out detection41.csv
cat detection41.tlog-proof

step "Verify offline, with nothing but the proof, the entry and the verifier key"
mkdir -p offline && cp detection41.tlog-proof detection41.csv "$TRUCE_DIR/log.vkey" offline/
(cd offline && "$truce" verify-proof detection41.tlog-proof --entry detection41.csv --vkey log.vkey)

step "Change one character of the detection: verification fails (exit 1)"
sed 's/VIIRS/MODIS/' detection41.csv > offline/tampered.csv
if (cd offline && "$truce" verify-proof detection41.tlog-proof --entry tampered.csv --vkey log.vkey); then
  echo "unexpected: a tampered entry verified" >&2; exit 1
fi

step "Consistency proof from the first batch (size 100) to now (size 300)"
"$truce" log consistency 100 300

step "Self-check: recompute the tree from the stored entries"
"$truce" log check

step "Export a static mirror at C2SP tlog-tiles paths"
"$truce" log export-tiles mirror
find mirror -type f | sort

printf '\nDemo data: NASA FIRMS VIIRS detections (NASA open data; see tests/data/NOTICE.md).\nEverything is in %s\n' "$work"
