#!/usr/bin/env bash
# Builds the cargo-fuzz targets of fuzz/ and runs each for MINUTES (sequentially, niced), then
# prints and writes a summary: target, CPU time, executions, crashes. See fuzz/README.md.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]      # default 2 minutes, every target
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). New inputs go to
# fuzz/target/corpus/<target> (not committed; the seeds in fuzz/corpus/<target> are only read);
# crashes to fuzz/artifacts/<target>/. Environment: FUZZ_SANITIZER (default `none`: coverage and
# Rust's own checks, debug assertions on; `address` for ASan), FUZZ_SUMMARY (the summary file,
# default bench/results/fuzz-<date>.txt), FUZZ_RSS_MB (default 2048).
set -euo pipefail

minutes=${1:-2}
shift || true
case $minutes in '' | *[!0-9.]*) echo "usage: scripts/fuzz.sh [MINUTES] [TARGET...]: MINUTES is a number, not '$minutes'" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$root/fuzz
sanitizer=${FUZZ_SANITIZER:-none}
rss=${FUZZ_RSS_MB:-2048}
summary=${FUZZ_SUMMARY:-$root/bench/results/fuzz-$(date -u +%F).txt}
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2; exit 2; }
cd "$fuzz"
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi

echo "building ${#targets[@]} targets (sanitizer $sanitizer, debug assertions on)…" >&2
build=(nice cargo +nightly fuzz build -O -a --sanitizer "$sanitizer")
if [ ${#targets[@]} -eq 1 ]; then "${build[@]}" "${targets[0]}"; else "${build[@]}"; fi
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin=$fuzz/target/$triple/release

# The largest input each target is given (bytes): whole small files, not megabytes.
max_len() {
  case $1 in
    osm_pbf) echo 65536 ;;
    reports | sites) echo 32768 ;;
    tile_path) echo 256 ;;
    http_query) echo 1024 ;;
    *) echo 8192 ;;
  esac
}

rows=()
status=0
for t in "${targets[@]}"; do
  work=$fuzz/target/corpus/$t
  art=$fuzz/artifacts/$t
  log=$fuzz/target/logs/$t.log
  mkdir -p "$work" "$art" "$(dirname "$log")" "$fuzz/corpus/$t"
  before=$(find "$art" -type f | wc -l)
  echo "fuzzing $t for ${seconds}s…" >&2
  TIMEFORMAT='%U %S'
  rc=0
  { time nice "$bin/$t" "$work" "$fuzz/corpus/$t" -max_total_time="$seconds" -rss_limit_mb="$rss" \
      -max_len="$(max_len "$t")" -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
      >"$log" 2>&1 || rc=$?; } 2>"$log.time"
  cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$log.time")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=$(( $(find "$art" -type f | wc -l) - before ))
  what=$(grep -m1 -E '^==[0-9]+== ERROR|panicked at|^thread .* panicked' "$log" || true)
  [ "$rc" -ne 0 ] && status=1
  rows+=("$(printf '%-16s %8ss %12s %7s %7s  %s' "$t" "$cpu" "${execs:-?}" "${cov:-?}" "$found" "${what:-exit $rc}")")
done

{
  echo "# scripts/fuzz.sh $minutes — $(date -u +%FT%TZ), $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "no git"), sanitizer $sanitizer, rss limit ${rss} MB, $(nproc) cores"
  printf '%-16s %9s %12s %7s %7s  %s\n' target cpu execs cov crashes "first failure (or exit code)"
  printf '%s\n' "${rows[@]}"
} | tee "$summary"
echo "summary written to $summary; crashing inputs, if any, in fuzz/artifacts/<target>/" >&2
exit $status
