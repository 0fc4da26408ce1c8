#!/usr/bin/env bash
# One new allegation on a large log: how long from `POST /v1/entries` until it is in an incident at
# `/v1/incidents`, for each binary given, in the same run, on the same log.
#
# The log: the demo plus ROWS simulated FIRMS detections (default 1,000,000; seed 3), built once
# with the first binary (or reused: DATA=dir, which is copied, never written). Each binary serves
# its own copy of it (`truce serve`, views computed before timing starts); then K allegations
# (default 20) by `ua`, each a strike near a random simulated detection, are signed beforehand
# (`truce sign`) and posted one at a time. For each, the time from the POST until
# `/v1/incidents?party=ru&from=<its day>` lists an incident holding it; p50, p99 and max are
# printed, with the server's peak RSS. Results: bench/results/allegation-<date>.txt.
#
# Usage: bench/allegation.sh BASELINE_TRUCE [CURRENT_TRUCE…]
# ROWS, K, DATA: as above; IN_PLACE=1 serves DATA itself (one binary only; it is written to)
# instead of a copy. KEEP_LOG=PREFIX keeps each server's log as PREFIX.<binary>.log;
# SERVE_LOG_FLAGS (default --quiet) are the server's logging flags (e.g. -vv). TRUCE_BENCH_DIR: where the work directory goes (default $TMPDIR or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bench/allegation.sh BASELINE_TRUCE [CURRENT_TRUCE…]" >&2; exit 2; }
rows=${ROWS:-1000000}
k=${K:-20}
mkdir -p bench/results
out="bench/results/allegation-$(date +%Y-%m-%d).txt"
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-allegation.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
first=$1

if [ -n "${DATA:-}" ] && [ -n "${IN_PLACE:-}" ]; then
    ln -s "$(realpath "$DATA")" "$work/data"
elif [ -n "${DATA:-}" ]; then
    cp -r "$DATA" "$work/data"
else
    "$first" --quiet demo --no-serve --dir "$work/data" >/dev/null
    "$first" simulate firms --rows "$rows" --seed 3 --out "$work/firms.csv"
    "$first" --quiet --dir "$work/data" ingest "$work/firms.csv" --as firms --key "$work/data/keys/firms.key" >/dev/null
    rm -f "$work/firms.csv"
fi
rm -f "$work"/data/views*.db*

# K allegations, each one entry, signed now (filed at the current time, so the submission gates
# accept them), each near a detection picked from the simulated area and days.
python3 - "$work" "$k" <<'EOF'
import random, sys, datetime
work, k = sys.argv[1], int(sys.argv[2])
rng = random.Random(11)
stamp = datetime.datetime.now(datetime.timezone.utc)
now = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
# Ids unique per run, so a log kept between runs (IN_PLACE) takes this run's allegations too.
run = stamp.strftime("%Y%m%d%H%M%S")
for i in range(k):
    lon, lat = rng.uniform(31.0, 39.0), rng.uniform(46.5, 51.5)
    day = datetime.date(2025, 3, 20) + datetime.timedelta(days=rng.randrange(20))
    with open(f"{work}/a{i}.toml", "w") as f:
        f.write(f'''# SYNTHETIC allegation for the benchmark.
time = {now}
[[report]]
id = "bench-allegation-{run}-{i}"
time = {{ start = {day}T01:00:00Z, end = {day}T02:00:00Z }}
location = {{ point = [{lon:.5f}, {lat:.5f}], uncertainty_m = 2000 }}
act = "drone-strike"
alleged_perpetrator = "ru"
target_category = "energy.power.substation"
text = "SYNTHETIC: benchmark allegation {i}."
illustrative = true
''')
    print(day, file=open(f"{work}/a{i}.day", "w"))
    print(f"bench-allegation-{run}-{i}", file=open(f"{work}/a{i}.id", "w"))
EOF
for i in $(seq 0 $((k - 1))); do
    "$first" --quiet --dir "$work/data" sign "$work/a$i.toml" --as ua --key "$work/data/keys/ua.key" --out "$work/a$i.jsonl" >/dev/null
done

run() { # binary
    local b=$1 d="$work/run" port pid
    if [ $# -eq 1 ] && [ "$single" = 1 ]; then
        d="$work/data"
    else
        rm -rf "$d"; cp -r "$work/data" "$d"
    fi
    port=$((20000 + RANDOM % 20000))
    TRUCE_VIEWS_REFRESH_MS=0 "$b" ${SERVE_LOG_FLAGS:---quiet} --dir "$d" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/checkpoint" >/dev/null && break; sleep 0.5; done
    local t0; t0=$(date +%s.%N)
    # The first query waits for the views (judged in full at start); a long one may time out (the
    # server's request_timeout_s): ask again until they answer.
    for _ in $(seq 1 240); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/v1/incidents?limit=1" && break
        sleep 5
    done
    echo "$b"
    echo "  views ready after start: $(echo "$(date +%s.%N) - $t0" | bc -l | xargs printf '%.2f') s; $(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"
    python3 - "$work" "$k" "$port" <<'EOF'
import datetime, json, sys, time, urllib.request
work, k, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = f"http://127.0.0.1:{port}"
lat = []
for i in range(k):
    body = open(f"{work}/a{i}.jsonl", "rb").read()
    day = open(f"{work}/a{i}.day").read().strip()
    since = (datetime.date.fromisoformat(day) - datetime.timedelta(days=2)).isoformat()
    rid = open(f"{work}/a{i}.id").read().strip()
    t0 = time.monotonic()
    req = urllib.request.Request(f"{base}/v1/entries", data=body, headers={"content-type": "application/x-ndjson"})
    urllib.request.urlopen(req, timeout=600).read()
    while True:
        # The incident holding it may start up to a day or two before it (members pulled in
        # within the time gap), and is listed by its start day.
        url = f"{base}/v1/incidents?party=ru&from={since}&to={day}&limit=1000"
        items = json.load(urllib.request.urlopen(url, timeout=600))["items"]
        if any(m.get("id") == rid for it in items for m in it.get("members", [])):
            break
        if time.monotonic() - t0 > 600:
            sys.exit(f"allegation {i} not visible after 600 s")
        time.sleep(0.002)
    lat.append(time.monotonic() - t0)
s = sorted(lat)
q = lambda p: s[min(len(s) - 1, int(p * len(s)))]
print(f"  {k} allegations, POST → in /v1/incidents: p50 {q(0.5)*1000:.0f} ms, p99 {q(0.99)*1000:.0f} ms, max {s[-1]*1000:.0f} ms")
EOF
    echo "  after: $(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    if [ -n "${KEEP_LOG:-}" ]; then cp "$work/serve.log" "$KEEP_LOG.$(basename "$b").log"; fi
}

{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# log: $("$first" --dir "$work/data" --json log checkpoint | sed -n 's/.*"size":\([0-9]*\).*/\1/p') entries ($(if [ -n "${DATA:-}" ]; then echo "a copy of $DATA"; else echo "demo + $rows simulated FIRMS detections"; fi))"
    single=0; [ $# -eq 1 ] && single=1
    for b in "$@"; do run "$b"; done
} | tee "$out"
