#!/usr/bin/env bash
# Load test of two `truce serve` on one shared log (PostgreSQL 15 + a single-node Garage, both
# throw-away servers of truce_cluster's testkit, fsync on) next to one `truce serve` on SQLite, in
# the same run, from loopback with wrk (the scripts of bench/serve/):
# - baseline: one SQLite server (`truce init`, party ua, N signed reports): signed submissions
#   (POST /v1/entries, -c 32), then GET /checkpoint and a full tile;
# - the shared log (`truce init --database … --bucket …`, party ua, N signed reports of its own):
#   servers A (the sequencer) and B (forwards every POST /v1/entries to A); two wrk at once,
#   -c 16 each, one per server, on disjoint halves of the reports; the acknowledged rates summed;
#   then `truce log check`, the log's growth, and `truce verify s3://BUCKET`;
# - public reads through A, through B, and straight from the bucket's website endpoint (that one
#   measures Garage, not truce).
# Keeps the output in bench/results/cluster-serve-<date>.txt.
#
# Usage: bench/cluster-serve.sh [--quick]
# Knobs (environment): CS_DURATION (10s; --quick: 3s), CS_THREADS (2 per wrk), CS_CONNS (64, reads),
#   CS_N (reports signed per log; 200000, --quick 40000: more than a run can send, so that every
#   submission is a new entry), TRUCE_BENCH_DIR (where the SQLite data directory goes),
#   CS_SERVER_LOG (the servers' TRUCE_LOG, default info: request spans, lease and follower
#   events; per-request lines are debug), CS_KEEP_WRK_LOG=1 (keep wrk's own output),
#   CS_KEEP_SERVER_LOGS=1 (keep servers A's and B's logs).
# Needs wrk, PostgreSQL 15 and Garage 2.5.0 (see crates/truce-cluster/src/testkit.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
duration=${CS_DURATION:-$([[ $quick == 1 ]] && echo 3s || echo 10s)}
threads=${CS_THREADS:-2}
conns=${CS_CONNS:-64}
n=${CS_N:-$([[ $quick == 1 ]] && echo 40000 || echo 200000)}
sqlite_conns=32 # one server, as bench/serve.sh
peer_conns=16   # per server of the two: 32 in all

if ! command -v wrk >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "installing wrk" >&2
        apt-get install -y wrk >/dev/null
    else
        echo "bench/cluster-serve.sh needs wrk (apt-get install wrk)" >&2
        exit 2
    fi
fi

# Build first, so compiler output stays out of the results.
cargo build --release -p truce >&2
cargo build --release -p truce-cluster --features testkit --example testkit_up >&2
target=${CARGO_TARGET_DIR:-$PWD/target}
truce="$target/release/truce"
testkit_up="$target/release/examples/testkit_up"

work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-cluster-serve.XXXXXX")
declare -A pids=()
tk_pid=""
stop_testkit() {
    [[ -n "$tk_pid" ]] || return 0
    # Closing its stdin stops PostgreSQL and Garage (and removes their directories).
    eval "exec ${TK[1]}>&-" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$tk_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$tk_pid" 2>/dev/null; then
        echo "testkit_up did not stop within 30 s of its stdin closing; its servers may be left: $(cat "$work/testkit.err")" >&2
    fi
    wait "$tk_pid" 2>/dev/null || true
    tk_pid=""
}
cleanup() {
    local name
    for name in "${!pids[@]}"; do
        if kill -0 "${pids[$name]}" 2>/dev/null; then
            kill -TERM "${pids[$name]}" 2>/dev/null || true
            wait "${pids[$name]}" 2>/dev/null || true
        fi
    done
    stop_testkit
    rm -rf "$work"
}
trap cleanup EXIT

# ── the throw-away PostgreSQL and Garage ────────────────────────────────────────────────────
coproc TK { exec "$testkit_up" 2>"$work/testkit.err"; }
tk_pid=$TK_PID
while true; do
    line=""
    if ! read -r -t 180 -u "${TK[0]}" line; then
        echo "testkit_up did not say ready within 180 s: $(cat "$work/testkit.err")" >&2
        exit 1
    fi
    [[ $line == ready ]] && break
    case $line in
    TRUCE_DATABASE_URL=* | TRUCE_BUCKET=* | TRUCE_BUCKET_ENDPOINT=* | TRUCE_BUCKET_KEY_ID=* | \
        TRUCE_BUCKET_SECRET=* | TRUCE_BUCKET_WEB=* | TRUCE_BUCKET_WEB_HOST=*)
        export "${line?}"
        ;;
    *) echo "testkit_up printed an unexpected line: $line" >&2 ;;
    esac
done

# start_server NAME DIR [ENV=VALUE...]: `truce serve --dir DIR` on a free loopback port; sets
# pids[NAME] and base_NAME (http://ADDR). Rate limits raised: the run measures the service, not
# the limiter (and B's forwarded submissions reach A from B's address).
start_server() {
    local name=$1 dir=$2
    shift 2
    env TRUCE_RATE_PER_ADDR=1000000000 TRUCE_RATE_PER_KEY=1000000000 TRUCE_RATE_BURST=1000000000 \
        TRUCE_LOG="${CS_SERVER_LOG:-info}" "$@" \
        "$truce" --dir "$dir" --quiet serve --listen 127.0.0.1:0 >"$work/$name.out" 2>"$work/$name.err" &
    pids[$name]=$!
    local b=""
    for _ in $(seq 1 600); do
        b=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/$name.out" 2>/dev/null | head -1)
        [[ -n "$b" ]] && break
        if ! kill -0 "${pids[$name]}" 2>/dev/null; then
            echo "truce serve ($name) exited:" >&2
            cat "$work/$name.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    [[ -n "$b" ]] || { echo "truce serve ($name) did not print its address" >&2; exit 1; }
    printf -v "base_$name" '%s' "$b"
}

stop_server() {
    local name=$1
    kill -TERM "${pids[$name]}"
    wait "${pids[$name]}" || { echo "truce serve ($name) exited with $?" >&2; tail -20 "$work/$name.err" >&2; }
    unset "pids[$name]"
}

checkpoint_size() { curl -fsS "$1/checkpoint" | sed -n 2p; }

# cluster_field BASE KEY: a field of GET BASE/v1/cluster (a string, a number or a boolean).
cluster_field() {
    curl -fsS --max-time 2 "$1/v1/cluster" 2>/dev/null |
        sed -n "s/.*\"$2\":\\(\"[^\"]*\"\\|[a-z0-9]*\\).*/\\1/p" | tr -d '"'
}

# wrk_run NAME CONNS SCRIPT URL [ARGS...]: a 1 s warm-up, then the measured run; appends
# "NAME key=value..." to $work/results and the wrk output to $work/wrk.log.
wrk_run() {
    local name=$1 c=$2 script=$3 url=$4
    shift 4
    wrk -t "$threads" -c "$c" -d 1s -s "$script" "$url" "$@" >/dev/null 2>&1 || true
    local out
    out=$(wrk -t "$threads" -c "$c" -d "$duration" --timeout 5s -s "$script" "$url" "$@" 2>&1)
    record "$name" "wrk -t $threads -c $c -d $duration $url $*" "$out"
}

# record NAME COMMAND OUTPUT: keeps a wrk run's RESULT (and STATUS, DUPLICATES) lines.
record() {
    local name=$1 cmd=$2 out=$3 line
    { echo "## $name: $cmd"; echo "$out"; } >>"$work/wrk.log"
    line=$(grep '^RESULT ' <<<"$out" | head -1 | sed 's/^RESULT //')
    [[ -n "$line" ]] || { echo "wrk gave no result for $name:" >&2; echo "$out" >&2; exit 1; }
    echo "$name $line" >>"$work/results"
    grep -E '^(STATUS|DUPLICATES) ' <<<"$out" | sed "s/^/$name /" >>"$work/results" || true
}

# submit_run NAME CONNS BASE FILE: the signed submissions of FILE's lines (no warm-up: it would
# spend entries), in the background; its output in $work/NAME.wrk.
submit_run() {
    wrk -t "$threads" -c "$2" -d "$duration" --timeout 5s -s bench/serve/submit.lua \
        "$3/v1/entries" -- "$4" "$threads" >"$work/$1.wrk" 2>&1
}

# The versions of the servers the testkit starts (as it finds them: TRUCE_PG_BIN, TRUCE_GARAGE,
# PATH, ~/.cache/truce-tools/bin).
pg_version() { "${TRUCE_PG_BIN:-/usr/lib/postgresql/15/bin}/postgres" --version 2>/dev/null | awk '{ print $3 }'; }
garage_version() {
    local g=${TRUCE_GARAGE:-$(command -v garage || echo "${TRUCE_TOOLS:-$HOME/.cache/truce-tools}/bin/garage")}
    "$g" --version 2>/dev/null | head -1 | awk '{ sub(/^cargo:/, "", $2); print $2 }'
}

calc() { awk "BEGIN { print ($1) }"; }

# field NAME KEY: a value from the results file.
field() { awk -v n="$1" -v k="$2" '$1 == n { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$work/results" | head -1; }

# status_count NAME CODE: how many answers of that status the submissions run NAME counted.
status_count() {
    awk -v n="$1" -v c="$2" '$1 == n && $2 == "STATUS" { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == c) s += kv[2] } } END { print s + 0 }' "$work/results"
}
dup_count() { awk -v n="$1" '$1 == n && $2 == "DUPLICATES" { s += $3 } END { print s + 0 }' "$work/results"; }

# parties DIR: ua (who files the reports) and ru (whom they name as the alleged perpetrator: a
# report naming an unregistered party is refused).
parties() {
    "$truce" --dir "$1" --quiet party add ua --name ua --role belligerent >&4 2>&4
    "$truce" --dir "$1" --quiet party add ru --name ru --role belligerent >&4 2>&4
}

# sign DIR OUT: N reports by ua signed with DIR's party key, as JSON Lines.
sign() {
    local t0 t1 lines
    t0=$(date +%s.%N)
    "$truce" --dir "$1" --quiet sign "$work/reports.toml" --as ua --key "$1/keys/ua.key" --out "$2" >&4 2>&4
    t1=$(date +%s.%N)
    lines=$(wc -l <"$2")
    [[ $lines == "$n" ]] || { echo "truce sign wrote $lines entries, expected $n" >&2; exit 1; }
    printf '%.1f s (%.0f/s)' "$(calc "$t1 - $t0")" "$(calc "$n / ($t1 - $t0)")"
}

mkdir -p bench/results
suffix=""
((quick == 0)) || suffix="-quick"
out="bench/results/cluster-serve-$(date +%Y-%m-%d)$suffix.txt"
exec 3>&1 4>&2 > >(tee "$work/out.txt") 2>&1
tee_pid=$!
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); -t $threads per wrk, -c $conns for reads, submissions -c $sqlite_conns to the SQLite server and -c $peer_conns to each of the two servers at once; $duration each (reads after a 1 s warm-up); servers, PostgreSQL, Garage and wrk share the machine"
    echo "# PostgreSQL $(pg_version) (fsync, synchronous_commit on) and Garage $(garage_version) (one node, data_fsync, metadata_fsync on): truce_cluster::testkit, started by crates/truce-cluster/examples/testkit_up.rs"
    echo "\$ bench/cluster-serve.sh${1:+ $1}"
    echo

    awk -v n="$n" -f bench/serve/reports.awk >"$work/reports.toml"

    # ── baseline: one server on SQLite ──────────────────────────────────────────────────────
    s="$work/sqlite"
    "$truce" --dir "$s" --quiet init --origin bench.truce.example/sqlite >/dev/null
    parties "$s"
    took=$(sign "$s" "$work/sqlite.jsonl")
    echo "baseline data: $n distinct reports signed as ua by \`truce sign\` in $took, $(($(wc -c <"$work/sqlite.jsonl") / n)) bytes each on average"
    start_server sqlite "$s"
    size0_s=$(checkpoint_size "$base_sqlite")
    wrk_run s_healthz32 "$sqlite_conns" bench/serve/get.lua "$base_sqlite/healthz"
    sub_out=$(wrk -t "$threads" -c "$sqlite_conns" -d "$duration" --timeout 5s -s bench/serve/submit.lua \
        "$base_sqlite/v1/entries" -- "$work/sqlite.jsonl" "$threads" 2>&1)
    record s_submit "wrk -t $threads -c $sqlite_conns -d $duration $base_sqlite/v1/entries" "$sub_out"
    sleep 1 # requests in flight when wrk stopped finish
    size1_s=$(checkpoint_size "$base_sqlite")
    ((size1_s >= 256)) || { echo "the SQLite log has $size1_s entries: no full tile to read (were the submissions refused?)" >&2; exit 1; }
    wrk_run s_healthz "$conns" bench/serve/get.lua "$base_sqlite/healthz"
    wrk_run s_checkpoint "$conns" bench/serve/get.lua "$base_sqlite/checkpoint"
    wrk_run s_tile "$conns" bench/serve/get.lua "$base_sqlite/tile/0/000"
    stop_server sqlite
    echo "baseline server: $base_sqlite, log size $size0_s before the submissions, $size1_s after"

    # ── the shared log: PostgreSQL + Garage, servers A and B ──────────────────────────────────
    a="$work/a"
    b="$work/b"
    "$truce" --dir "$a" --quiet init --origin bench.truce.example/cluster --database "$TRUCE_DATABASE_URL" \
        --bucket "$TRUCE_BUCKET" --bucket-endpoint "$TRUCE_BUCKET_ENDPOINT" >/dev/null
    parties "$a"
    mkdir -p "$b"
    for f in log.key log.vkey operator.key operator.vkey cluster.toml; do cp "$a/$f" "$b/$f"; done
    took=$(sign "$a" "$work/cluster.jsonl")
    awk 'NR % 2 == 1' "$work/cluster.jsonl" >"$work/half-a.jsonl"
    awk 'NR % 2 == 0' "$work/cluster.jsonl" >"$work/half-b.jsonl"
    echo "shared-log data: $n other reports signed for that log in $took; odd lines to A, even lines to B"
    start_server A "$a"
    for _ in $(seq 1 200); do [[ $(cluster_field "$base_A" sequencer) == true ]] && break; sleep 0.1; done
    [[ $(cluster_field "$base_A" sequencer) == true ]] || { echo "A is not the sequencer after 20 s" >&2; exit 1; }
    start_server B "$b"
    for _ in $(seq 1 200); do [[ $(cluster_field "$base_B" leader) == "$base_A" ]] && break; sleep 0.1; done
    [[ $(cluster_field "$base_B" leader) == "$base_A" ]] || {
        echo "B does not name A ($base_A) as the sequencer after 20 s: $(curl -sS "$base_B/v1/cluster")" >&2
        exit 1
    }
    [[ $(cluster_field "$base_B" sequencer) == false ]] || { echo "B is the sequencer too" >&2; exit 1; }
    echo "servers: A $base_A (sequencer, epoch $(cluster_field "$base_A" epoch)), B $base_B (leader: $(cluster_field "$base_B" leader))"
    size0_c=$(checkpoint_size "$base_A")

    wrk_run a_healthz32 "$peer_conns" bench/serve/get.lua "$base_A/healthz"
    wrk_run b_healthz32 "$peer_conns" bench/serve/get.lua "$base_B/healthz"
    submit_run a_submit "$peer_conns" "$base_A" "$work/half-a.jsonl" &
    wa=$!
    submit_run b_submit "$peer_conns" "$base_B" "$work/half-b.jsonl" &
    wb=$!
    wait "$wa" "$wb"
    record a_submit "wrk -t $threads -c $peer_conns -d $duration $base_A/v1/entries (at the same time as B)" "$(cat "$work/a_submit.wrk")"
    record b_submit "wrk -t $threads -c $peer_conns -d $duration $base_B/v1/entries (at the same time as A)" "$(cat "$work/b_submit.wrk")"
    sleep 1
    size1_c=$(checkpoint_size "$base_A")
    size1_cb=$(checkpoint_size "$base_B")
    echo "shared log: size $size0_c before the submissions, $size1_c after (A's /checkpoint; B's: $size1_cb)"

    # ── public reads ────────────────────────────────────────────────────────────────────────
    for srv in A B; do
        bvar="base_$srv"
        lc=$(tr 'AB' 'ab' <<<"$srv")
        wrk_run "${lc}_healthz" "$conns" bench/serve/get.lua "${!bvar}/healthz"
        wrk_run "${lc}_checkpoint" "$conns" bench/serve/get.lua "${!bvar}/checkpoint"
        wrk_run "${lc}_tile" "$conns" bench/serve/get.lua "${!bvar}/tile/0/000"
        wrk_run "${lc}_bundle" "$conns" bench/serve/get.lua "${!bvar}/tile/entries/000"
    done
    web_ok=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $TRUCE_BUCKET_WEB_HOST" "$TRUCE_BUCKET_WEB/checkpoint")
    [[ $web_ok == 200 ]] || { echo "the bucket's website answered $web_ok for /checkpoint" >&2; exit 1; }
    ((size1_c >= 256)) || { echo "the shared log has $size1_c entries: no full tile to read" >&2; exit 1; }
    for p in tile/0/000 tile/entries/000; do
        curl -fsS -H "Host: $TRUCE_BUCKET_WEB_HOST" "$TRUCE_BUCKET_WEB/$p" >"$work/web.obj"
        curl -fsS "$base_A/$p" >"$work/a.obj"
        curl -fsS "$base_B/$p" >"$work/b.obj"
        cmp -s "$work/web.obj" "$work/a.obj" && cmp -s "$work/web.obj" "$work/b.obj" ||
            { echo "the bucket's $p differs from A's or B's" >&2; exit 1; }
    done
    echo "check: the bucket's website serves tile/0/000 and tile/entries/000 byte-equal to A's and B's"
    wrk_run w_checkpoint "$conns" bench/serve/get.lua "$TRUCE_BUCKET_WEB/checkpoint" -H "Host: $TRUCE_BUCKET_WEB_HOST"
    wrk_run w_tile "$conns" bench/serve/get.lua "$TRUCE_BUCKET_WEB/tile/0/000" -H "Host: $TRUCE_BUCKET_WEB_HOST"

    # Forwarding and commits as the servers logged them.
    stop_server B
    stop_server A
    check=$("$truce" --dir "$a" log check 2>&1) && check_rc=0 || check_rc=$?
    verify=$("$truce" --quiet verify "s3://$TRUCE_BUCKET" --bucket-endpoint "$TRUCE_BUCKET_ENDPOINT" \
        --log-key "$a/log.vkey" --state "$work/verify.state" --no-replay 2>&1) && verify_rc=0 || verify_rc=$?
    echo

    # ── report ──────────────────────────────────────────────────────────────────────────────
    printf '| %-52s | %10s | %8s | %8s | %8s | %8s | %-22s |\n' "figure" "req/s" "p50 ms" "p99 ms" "max ms" "non-2xx" "ratio"
    printf '|%s|%s|%s|%s|%s|%s|%s|\n' "------------------------------------------------------" "------------" "----------" "----------" "----------" "----------" "------------------------"
    row() { # row NAME LABEL RATIO-TEXT [RPS]
        local rps=${4:-$(field "$1" rps)}
        printf '| %-52s | %10.0f | %8.2f | %8.2f | %8.2f | %8d | %-22s |\n' "$2" "$rps" "$(field "$1" p50_ms)" \
            "$(field "$1" p99_ms)" "$(field "$1" max_ms)" "$(field "$1" non2xx)" "$3"
    }
    ratio() { printf '%.2f %s' "$(calc "$(field "$1" rps) / $(field "$2" rps)")" "$3"; }
    # Acknowledged (200) submissions per second, per run.
    ack() { calc "$(status_count "$1" 200) / $(field "$1" seconds)"; }
    s_ack=$(ack s_submit)
    a_ack=$(ack a_submit)
    b_ack=$(ack b_submit)
    c_ack=$(calc "$a_ack + $b_ack")
    worse_p99=$(calc "$(field a_submit p99_ms) > $(field b_submit p99_ms) ? $(field a_submit p99_ms) : $(field b_submit p99_ms)")
    row s_healthz32 "SQLite: GET /healthz (-c $sqlite_conns)" "1.00"
    row s_submit "SQLite: POST /v1/entries (-c $sqlite_conns)" "$(ratio s_submit s_healthz32 "of /healthz")"
    row s_healthz "SQLite: GET /healthz" "1.00"
    row s_checkpoint "SQLite: GET /checkpoint" "$(ratio s_checkpoint s_healthz "of /healthz")"
    row s_tile "SQLite: GET /tile/0/000" "$(ratio s_tile s_healthz "of /healthz")"
    row a_healthz32 "A: GET /healthz (-c $peer_conns)" "1.00"
    row b_healthz32 "B: GET /healthz (-c $peer_conns)" "1.00"
    row a_submit "A (sequencer): POST /v1/entries (-c $peer_conns)" "$(ratio a_submit a_healthz32 "of /healthz")"
    row b_submit "B (forwards to A): POST /v1/entries (-c $peer_conns)" "$(ratio b_submit b_healthz32 "of /healthz")"
    printf '| %-52s | %10.0f | %8s | %8.2f | %8s | %8d | %-22s |\n' "A + B at once: acknowledged submissions" "$c_ack" "" \
        "$worse_p99" "" "$(($(field a_submit non2xx) + $(field b_submit non2xx)))" "$(printf '%.2f of SQLite' "$(calc "$c_ack / $s_ack")")"
    for srv in a b; do
        S=$(tr 'ab' 'AB' <<<"$srv")
        row "${srv}_healthz" "$S: GET /healthz" "1.00"
        row "${srv}_checkpoint" "$S: GET /checkpoint" "$(ratio "${srv}_checkpoint" "${srv}_healthz" "of /healthz")"
        row "${srv}_tile" "$S: GET /tile/0/000" "$(ratio "${srv}_tile" "${srv}_healthz" "of /healthz")"
        row "${srv}_bundle" "$S: GET /tile/entries/000" "$(ratio "${srv}_bundle" "${srv}_healthz" "of /healthz")"
    done
    row w_checkpoint "bucket website (Garage): GET /checkpoint" "$(ratio w_checkpoint s_checkpoint "of SQLite's")"
    row w_tile "bucket website (Garage): GET /tile/0/000" "$(ratio w_tile s_tile "of SQLite's")"
    echo
    echo "The bucket website rows measure Garage's web endpoint (one node, from loopback), not truce."
    echo "Ratios: submissions and reads against /healthz of the same server measured in the same run;"
    echo "A + B against the SQLite server's acknowledged submissions; the website's against SQLite's reads."
    echo

    # Submissions: acknowledged = 200 (new or duplicate).
    for run in s_submit a_submit b_submit; do
        st=$(awk -v n="$run" '$1 == n && $2 == "STATUS" { $1 = ""; $2 = ""; print }' "$work/results" | sed 's/^ *//')
        reqs=$(field "$run" requests)
        echo "$run: $reqs requests in $(field "$run" seconds) s; statuses: ${st:-none}; $((reqs - $(status_count "$run" 200))) non-200; $(dup_count "$run") duplicates"
    done
    # The log grows by the acknowledged new entries, plus the sequencer's clock entry closing each
    # commit group (signed by the operator's key), plus at most one entry per connection in flight
    # when wrk stopped (committed, not counted by wrk).
    growth() { # growth LABEL GREW ACKED-NEW CONNS
        if (($2 >= $3)); then
            echo "$1: the log grew by $2 entries = $3 new acknowledged + $(($2 - $3)) others (one clock entry per commit group, and ≤ $4 in flight when wrk stopped)"
        else
            echo "$1: the log grew by $2 entries but $3 new entries were acknowledged: CHECK"
        fi
    }
    growth "SQLite" $((size1_s - size0_s)) $(($(status_count s_submit 200) - $(dup_count s_submit))) "$sqlite_conns"
    growth "shared log" $((size1_c - size0_c)) \
        $(($(status_count a_submit 200) + $(status_count b_submit 200) - $(dup_count a_submit) - $(dup_count b_submit))) \
        $((2 * peer_conns))
    (($(dup_count s_submit) + $(dup_count a_submit) + $(dup_count b_submit) == 0)) ||
        echo "note: the $n signed reports ran out during the run (duplicates are cheap): raise CS_N"
    echo "after the run: \`truce log check --dir A\` exit $check_rc: $(tail -1 <<<"$check")"
    echo "after the run: \`truce verify s3://$TRUCE_BUCKET --no-replay\` exit $verify_rc: $(grep -v '^$' <<<"$verify" | tail -1)"
    # What the servers logged about forwarding and commits (TRUCE_LOG=info), for the record.
    for srv in A B; do
        warns=$(grep -c -E 'WARN|ERROR' "$work/$srv.err" || true)
        echo "server $srv logged $warns warnings or errors$( ((warns == 0)) || echo ": $(grep -m1 -E 'WARN|ERROR' "$work/$srv.err" | cut -c1-200)")"
    done
    echo
    verdict() { if (($(calc "$1"))); then echo met; else echo "NOT met"; fi; }
    printf 'SQLite server: %.0f submissions/s acknowledged, p99 %s ms\n' "$s_ack" "$(field s_submit p99_ms)"
    printf 'two servers ≥ 2,000 submissions/s with p99 < 50 ms: %s (%.0f/s = A %.0f/s + B %.0f/s, worse p99 %.2f ms: A %s ms, B %s ms)\n' \
        "$(verdict "$c_ack >= 2000 && $worse_p99 < 50")" "$c_ack" "$a_ack" "$b_ack" "$worse_p99" \
        "$(field a_submit p99_ms)" "$(field b_submit p99_ms)"
    ((check_rc == 0)) || { echo "truce log check failed:"; echo "$check"; }
    ((verify_rc == 0)) || { echo "truce verify failed:"; echo "$verify"; }
}
exec 1>&3 2>&4
wait "$tee_pid" 2>/dev/null || true
cp "$work/out.txt" "$out"
echo "saved to $out (wrk's own output: rerun with CS_KEEP_WRK_LOG=1; the servers' logs: CS_KEEP_SERVER_LOGS=1)" >&2
if [[ -n "${CS_KEEP_WRK_LOG:-}" ]]; then cp "$work/wrk.log" "${out%.txt}.wrk.log"; fi
if [[ -n "${CS_KEEP_SERVER_LOGS:-}" ]]; then
    for srv in A B; do cp "$work/$srv.err" "${out%.txt}.$srv.log"; done
fi
stop_testkit
