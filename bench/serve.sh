#!/usr/bin/env bash
# Load test of `truce serve` from loopback with wrk: signed submissions (POST /v1/entries, one
# entry per request) on the demo log, then public reads of the grown log (checkpoint, a full tile,
# the right-edge partial tile, an entry bundle, a proof, incidents), each against GET /healthz
# measured in the same run (the floor of the HTTP stack). Keeps the output in
# bench/results/serve-<date>.txt.
#
# Usage: bench/serve.sh [--quick]
# Knobs (environment): SERVE_DURATION (10s; --quick: 3s), SERVE_THREADS (2), SERVE_CONNS (64),
#   SERVE_SUBMIT_CONNS (32), SERVE_N (reports signed for the submissions; 200000, --quick 40000:
#   more than the run can send, so that every submission is a new entry),
#   TRUCE_BENCH_DIR (where the data directory goes; a real disk, not tmpfs, or fsync is free),
#   SERVE_GROWN_QUERIES=1 (also measure GET /v1/incidents on the grown log, after waiting for the
#   views to be recomputed over every submitted report).
# Rate limits are raised for the run (TRUCE_RATE_PER_ADDR etc.): it measures the service, not the
# limiter. Needs wrk (installed with apt-get if missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
duration=${SERVE_DURATION:-$([[ $quick == 1 ]] && echo 3s || echo 10s)}
threads=${SERVE_THREADS:-2}
conns=${SERVE_CONNS:-64}
submit_conns=${SERVE_SUBMIT_CONNS:-32}
n=${SERVE_N:-$([[ $quick == 1 ]] && echo 40000 || echo 200000)}

if ! command -v wrk >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "installing wrk" >&2
        apt-get install -y wrk >/dev/null
    else
        echo "bench/serve.sh needs wrk (apt-get install wrk)" >&2
        exit 2
    fi
fi

# Build first, so compiler output stays out of the results.
cargo build --release -p truce >&2
truce="$PWD/target/release/truce"

work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-serve.XXXXXX")
server=""
cleanup() {
    if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
d="$work/data"

# Starts `truce serve` on a free loopback port; sets $server (pid) and $base (http://ADDR).
start_server() {
    TRUCE_RATE_PER_ADDR=1000000000 TRUCE_RATE_PER_KEY=1000000000 TRUCE_RATE_BURST=1000000000 \
        "$truce" --dir "$d" --quiet serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
    server=$!
    base=""
    for _ in $(seq 1 600); do
        base=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/serve.out" 2>/dev/null | head -1)
        [[ -n "$base" ]] && break
        if ! kill -0 "$server" 2>/dev/null; then
            echo "truce serve exited:" >&2
            cat "$work/serve.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    [[ -n "$base" ]] || { echo "truce serve did not print its address" >&2; exit 1; }
}

stop_server() {
    kill -TERM "$server"
    wait "$server" || { echo "truce serve exited with $?" >&2; cat "$work/serve.err" >&2; }
    server=""
}

checkpoint_size() { curl -fsS "$base/checkpoint" | sed -n 2p; }

# wrk_run NAME CONNS SCRIPT URL [-- ARGS]: a 1 s warm-up, then the measured run; appends
# "NAME key=value..." to $work/results and the wrk output to $work/wrk.log.
wrk_run() {
    local name=$1 c=$2 script=$3 url=$4
    shift 4
    wrk -t "$threads" -c "$c" -d 1s -s "$script" "$url" "$@" >/dev/null 2>&1 || true
    local out
    out=$(wrk -t "$threads" -c "$c" -d "$duration" --timeout 5s -s "$script" "$url" "$@" 2>&1)
    { echo "## $name: wrk -t $threads -c $c -d $duration $url $*"; echo "$out"; } >>"$work/wrk.log"
    local line
    line=$(grep '^RESULT ' <<<"$out" | head -1 | sed 's/^RESULT //')
    [[ -n "$line" ]] || { echo "wrk gave no result for $name:" >&2; echo "$out" >&2; exit 1; }
    echo "$name $line" >>"$work/results"
    grep -E '^(STATUS|DUPLICATES) ' <<<"$out" | sed "s/^/$name /" >>"$work/results" || true
}

# index_path N: a tile index in C2SP's three-digit groups (1234067 → x001/x234/067).
index_path() {
    local n=$1 s
    s=$(printf '%03d' $((n % 1000)))
    n=$((n / 1000))
    while ((n > 0)); do
        s=$(printf 'x%03d/%s' $((n % 1000)) "$s")
        n=$((n / 1000))
    done
    echo "$s"
}

# calc EXPR: arithmetic (awk; prints a number, or 1/0 for a comparison).
calc() { awk "BEGIN { print ($1) }"; }

# field NAME KEY: a value from the results file.
field() { awk -v n="$1" -v k="$2" '$1 == n { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$work/results" | head -1; }

mkdir -p bench/results
suffix=""
((quick == 0)) || suffix="-quick"
out="bench/results/serve-$(date +%Y-%m-%d)$suffix.txt"
exec 3>&1 4>&2 > >(tee "$work/out.txt") 2>&1
tee_pid=$!
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); -t $threads, -c $conns for reads, -c $submit_conns for submissions, $duration each after a 1 s warm-up; server and wrk share the machine"
    echo "\$ bench/serve.sh${1:+ $1}"
    echo

    # ── the data: the demo scenario, then N signed reports by ua ──────────────────────────────
    "$truce" --dir "$d" --quiet demo --no-serve >/dev/null
    awk -v n="$n" -f bench/serve/reports.awk >"$work/reports.toml"
    t0=$(date +%s.%N)
    "$truce" --dir "$d" --quiet sign "$work/reports.toml" --as ua --key "$d/keys/ua.key" --out "$work/reports.jsonl" >&4 2>&4
    t1=$(date +%s.%N)
    lines=$(wc -l <"$work/reports.jsonl")
    [[ $lines == "$n" ]] || { echo "truce sign wrote $lines entries, expected $n" >&2; exit 1; }
    printf 'data: demo log, then %d distinct reports signed as ua by `truce sign` in %.1f s (%.0f/s), %d bytes each on average\n' \
        "$n" "$(calc "$t1 - $t0")" "$(calc "$n / ($t1 - $t0)")" "$(($(wc -c <"$work/reports.jsonl") / n))"

    start_server
    size0=$(checkpoint_size)
    echo "server: $base, demo log size $size0"

    get=bench/serve/get.lua
    incidents_status=$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/incidents")
    if [[ $incidents_status == 200 ]]; then
        wrk_run healthz0 "$conns" "$get" "$base/healthz"
        wrk_run incidents0 "$conns" "$get" "$base/v1/incidents"
    fi

    # ── 2. signed submissions (first, so that the reads below see a log with full tiles) ──────
    wrk_run healthz2 "$submit_conns" "$get" "$base/healthz"
    # No warm-up run here: it would spend entries (see submit.lua for how threads share them).
    sub_out=$(wrk -t "$threads" -c "$submit_conns" -d "$duration" --timeout 5s -s bench/serve/submit.lua \
        "$base/v1/entries" -- "$work/reports.jsonl" "$threads" 2>&1)
    { echo "## submit: wrk -t $threads -c $submit_conns -d $duration $base/v1/entries"; echo "$sub_out"; } >>"$work/wrk.log"
    echo "submit $(grep '^RESULT ' <<<"$sub_out" | sed 's/^RESULT //')" >>"$work/results"
    grep -E '^(STATUS|DUPLICATES) ' <<<"$sub_out" | sed 's/^/submit /' >>"$work/results" || true
    sleep 1 # requests in flight when wrk stopped finish
    size1=$(checkpoint_size)

    # Queries on the grown log only on request (SERVE_GROWN_QUERIES=1): the views must first be
    # recomputed over every submitted report, which is the engine's cost, not the service's.
    grown=0
    [[ $incidents_status == 200 && -n "${SERVE_GROWN_QUERIES:-}" ]] && grown=1
    if ((grown)); then
        for _ in $(seq 1 300); do
            [[ $(curl -fsS "$base/v1/incidents?limit=1" | sed -n 's/.*"log_size":\([0-9]*\).*/\1/p') == "$size1" ]] && break
            sleep 1
        done
    fi

    # Sanity: what the server answers is the static mirror `truce log export-tiles` writes.
    "$truce" --dir "$d" --quiet log export-tiles "$work/mirror" >/dev/null
    last=$((size1 / 256))
    width=$((size1 % 256))
    if ((size1 >= 256)); then tile="tile/0/000"; bundle="tile/entries/000"; else
        tile="tile/0/000.p/$size1"; bundle="tile/entries/000.p/$size1"; fi
    edge="tile/0/$(index_path "$last").p/$width"
    ((width > 0)) || edge="tile/0/$(index_path $((last - 1)))"
    for p in checkpoint "$tile" "$bundle" "$edge"; do
        cmp -s <(curl -fsS "$base/$p") "$work/mirror/$p" || { echo "GET /$p differs from export-tiles" >&2; exit 1; }
    done
    echo "check: /checkpoint, /$tile, /$edge and /$bundle are byte-equal to \`truce log export-tiles\`"
    echo

    # ── 1. public reads ─────────────────────────────────────────────────────────────────────
    wrk_run healthz "$conns" "$get" "$base/healthz"
    wrk_run checkpoint "$conns" "$get" "$base/checkpoint"
    wrk_run tile "$conns" "$get" "$base/$tile"
    wrk_run edge "$conns" "$get" "$base/$edge"
    wrk_run bundle "$conns" "$get" "$base/$bundle"
    wrk_run proof "$conns" "$get" "$base/v1/proof/inclusion?index=$((size1 / 2))"
    if ((grown)); then
        wrk_run incidents "$conns" "$get" "$base/v1/incidents"
    fi
    stop_server
    check=$("$truce" --dir "$d" log check 2>&1) && check_rc=0 || check_rc=$?

    # ── report ──────────────────────────────────────────────────────────────────────────────
    base_rps=$(field healthz rps)
    base2_rps=$(field healthz2 rps)
    printf '| %-40s | %12s | %8s | %8s | %8s | %8s | %s\n' "figure" "req/s" "p50 ms" "p99 ms" "max ms" "non-2xx" "ratio to /healthz |"
    printf '|%s|%s|%s|%s|%s|%s|%s\n' "------------------------------------------" "--------------" "----------" "----------" "----------" "----------" "---------------------|"
    row() { # row NAME LABEL BASELINE_RPS
        local rps
        rps=$(field "$1" rps)
        printf '| %-40s | %12.0f | %8.2f | %8.2f | %8.2f | %8d | %19.2f |\n' "$2" "$rps" "$(field "$1" p50_ms)" \
            "$(field "$1" p99_ms)" "$(field "$1" max_ms)" "$(field "$1" non2xx)" "$(calc "$rps / $3")"
    }
    if [[ $incidents_status == 200 ]]; then
        row healthz0 "baseline: GET /healthz (demo log)" "$(field healthz0 rps)"
        row incidents0 "1. GET /v1/incidents (demo log, $size0)" "$(field healthz0 rps)"
    fi
    row healthz "baseline: GET /healthz (-c $conns)" "$base_rps"
    row checkpoint "1. GET /checkpoint" "$base_rps"
    row tile "1. GET /$tile" "$base_rps"
    row edge "1. GET /$edge (right edge)" "$base_rps"
    row bundle "1. GET /$bundle" "$base_rps"
    row proof "1. GET /v1/proof/inclusion?index=$((size1 / 2))" "$base_rps"
    if ((grown)); then
        row incidents "1. GET /v1/incidents (log of $size1)" "$base_rps"
    fi
    row healthz2 "baseline: GET /healthz (-c $submit_conns)" "$base2_rps"
    row submit "2. POST /v1/entries, 1 signed entry" "$base2_rps"
    echo
    [[ $incidents_status == 200 ]] || echo "GET /v1/incidents answered $incidents_status: not measured"

    # Submissions: acknowledged = 200 (new or duplicate); sustained = new entries / duration.
    st=$(awk '$1 == "submit" && $2 == "STATUS" { $1 = ""; $2 = ""; print }' "$work/results" | sed 's/^ *//')
    dups=$(awk '$1 == "submit" && $2 == "DUPLICATES" { print $3 }' "$work/results")
    ok=$(tr ' ' '\n' <<<"$st" | awk -F= '$1 == "200" { print $2 }')
    ok=${ok:-0}
    reqs=$(field submit requests)
    secs=$(field submit seconds)
    grew=$((size1 - size0))
    new=$((ok - ${dups:-0}))
    p99=$(field submit p99_ms)
    echo "submissions: $reqs requests in $secs s; statuses: ${st:-none}; $((reqs - ok)) non-200"
    # Requests in flight when wrk stops are committed but not counted by wrk: at most one per
    # connection.
    if ((grew >= new && grew - new <= submit_conns)); then
        growth="= $new acknowledged + $((grew - new)) in flight when wrk stopped (≤ $submit_conns connections)"
    else
        growth="but $new new entries were acknowledged: CHECK"
    fi
    printf 'acknowledged (200): %d, of which %d duplicates: %d new entries = %.0f/s sustained; the log grew by %d entries %s\n' \
        "$ok" "${dups:-0}" "$new" "$(calc "$new / $secs")" "$grew" "$growth"
    ((${dups:-0} == 0)) || echo "note: the $n signed reports ran out during the run (duplicates are cheap): raise SERVE_N"
    echo "after the run: \`truce log check\` exit $check_rc: $(tail -1 <<<"$check")"
    echo
    rps_of() { printf '%.0f' "$(field "$1" rps)"; }
    verdict() { if (($(calc "$1"))); then echo met; else echo "NOT met"; fi; }
    echo "targets: public reads ≥ 10,000 req/s:" \
        "checkpoint $(rps_of checkpoint) $(verdict "$(field checkpoint rps) >= 10000")," \
        "tile $(rps_of tile) $(verdict "$(field tile rps) >= 10000")," \
        "edge tile $(rps_of edge) $(verdict "$(field edge rps) >= 10000")," \
        "bundle $(rps_of bundle) $(verdict "$(field bundle rps) >= 10000")$([[ $incidents_status == 200 ]] && echo ", incidents on the demo log $(rps_of incidents0) $(verdict "$(field incidents0 rps) >= 10000")")$( ((grown)) && echo ", on the grown log $(rps_of incidents) $(verdict "$(field incidents rps) >= 10000")")"
    echo "         submissions ≥ 2,000/s with p99 < 50 ms: $(printf '%.0f' "$(calc "$new / $secs")")/s, p99 $p99 ms:" \
        "$(verdict "$new / $secs >= 2000 && $p99 < 50")"
    ((check_rc == 0)) || { echo "truce log check failed:"; echo "$check"; }
}
exec 1>&3 2>&4
wait "$tee_pid" 2>/dev/null || true
cp "$work/out.txt" "$out"
echo "saved to $out (wrk's own output: rerun with SERVE_KEEP_WRK_LOG=1)" >&2
if [[ -n "${SERVE_KEEP_WRK_LOG:-}" ]]; then cp "$work/wrk.log" "${out%.txt}.wrk.log"; fi
