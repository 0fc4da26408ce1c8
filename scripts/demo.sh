#!/usr/bin/env bash
# The end-to-end demo of what Truce runs today: create a log, append real NASA FIRMS fire detections
# (one entry per CSV row), print the signed checkpoint, prove one detection's inclusion, verify the
# proof offline with nothing but the verifier key, self-check the log, export a static mirror, then
# run two witnesses, serve the log with their cosignatures and verify it under a policy.
# Every process it starts is stopped when it exits, and it checks that none is left (exit 1 if one
# is). TRUCE_BIN=<path> runs another build of truce instead of building the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TRUCE_BIN:-}" ]; then
  cargo build --release --quiet -p truce
fi
truce="$(realpath "${TRUCE_BIN:-$PWD/target/release/truce}")"
work="${TRUCE_DEMO_DIR:-$(mktemp -d -t truce-demo.XXXXXX)}"
data="$PWD/tests/data/firms_viirs_snpp_ukraine_2023_excerpt.csv"
cd "$work"
work="$(pwd -P)"
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

step "Witnesses: each side runs one; the log pushes its checkpoints to them (C2SP tlog-witness)"
mkdir -p witnesses
pids=()
# On exit: stop every server started, wait for them, and check that no truce process started here
# (working directory $work) outlives the script.
stop_all() {
  local rc=$? p left=""
  trap - EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ -d /proc ]; then
    for p in /proc/[0-9]*; do
      [ "${p#/proc/}" = "$$" ] && continue
      if [ "$(readlink "$p/exe" 2>/dev/null)" = "$truce" ] && [ "$(readlink "$p/cwd" 2>/dev/null)" = "$work" ]; then
        left="$left ${p#/proc/}"
      fi
    done
  fi
  if [ -n "$left" ]; then
    echo "scripts/demo.sh: truce processes still running after the demo:$left" >&2
    kill $left 2>/dev/null || true
    rc=1
  else
    echo "stopped the witnesses and the server: no process left"
  fi
  exit "$rc"
}
trap stop_all EXIT
# Starts a server command in the background from this shell (so its pid is recorded here, not in
# a subshell) and sets $url from its first stdout line.
start() {
  local name="$1"; shift
  "$@" > "$name.out" 2> "$name.err" &
  pids+=($!)
  url=""
  for _ in $(seq 1 100); do
    # The server may not have opened its output file yet: no file reads as no URL yet.
    url=$(sed -n 's/^listening on //p' "$name.out" 2>/dev/null | head -1 || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  cat "$name.err" >&2; echo "$* did not start" >&2; exit 1
}
log_vkey=$(cat "$TRUCE_DIR/log.vkey")
printf 'log %s\n' "$log_vkey" > policy.txt
printf 'listen = "127.0.0.1:0"\n' > serve.toml
for side in ua ru; do
  "$truce" witness keygen "witness.$side.example" --out witnesses > "witnesses/$side.vkey"
  printf 'key = "witness.%s.example.witness.key"\nstate = "%s.db"\nlisten = "127.0.0.1:0"\n[[log]]\norigin = "demo.truce.example/firms"\nkeys = ["%s"]\n' \
    "$side" "$side" "$log_vkey" > "witnesses/$side.toml"
  start "witnesses/$side" "$truce" witness serve --config "witnesses/$side.toml"
  echo "witness.$side.example listens at $url"
  printf '[[witness]]\nurl = "%s"\nvkey = "%s"\n' "$url" "$(cat "witnesses/$side.vkey")" >> serve.toml
  printf 'witness %s %s\n' "$side" "$(cat "witnesses/$side.vkey")" >> policy.txt
done
printf 'group both all ua ru\nquorum both\n' >> policy.txt
cat policy.txt
start serve "$truce" serve --config serve.toml
base="$url"
echo "the log is served at $base; /checkpoint now carries both cosignatures:"
for _ in $(seq 1 50); do
  "$truce" --quiet verify "$base" --policy policy.txt --state probe-state.json > /dev/null 2>&1 && break
  sleep 0.2
done

step "Verify the served log as an outsider: signature, quorum, every tile, entry signatures, findings"
"$truce" verify "$base" --policy policy.txt --state verifier-state.json

step "A policy that also needs a monitor's witness nobody runs: the quorum is not met (exit 1)"
monitor=$("$truce" witness keygen witness.monitor.example --out witnesses)
{ grep -v '^group\|^quorum' policy.txt; printf 'witness monitor %s\ngroup all3 all ua ru monitor\nquorum all3\n' "$monitor"; } > policy-3.txt
if "$truce" verify "$base" --policy policy-3.txt --state verifier-state.json; then
  echo "unexpected: a quorum without the monitor's cosignature verified" >&2; exit 1
fi

printf '\nDemo data: NASA FIRMS VIIRS detections (NASA open data; see tests/data/NOTICE.md).\nEverything is in %s\n' "$work"
