#!/usr/bin/env bash
# SIGKILL trials of `truce serve` under load: each trial starts the server on the same log,
# submits signed entries from concurrent clients (single entries and batches of 4), SIGKILLs the
# server at a random moment of the burst, then checks that `truce log check` passes and, after a
# restart, that every entry ever acknowledged is served at its acknowledged index with the exact
# bytes (its SHA-256 is the entry id it was acknowledged with). Entries lost to a kill before
# their acknowledgement are submitted again in later trials (a stored one is acknowledged as a
# duplicate at its index). Keeps the output in bench/results/crash-<date>.txt.
#
# Not a CI step (minutes); crates/truce/tests/serve_crash.rs is the short version in the tests.
#
# Usage: bench/crash.sh [TRIALS]            (default 100)
# Knobs (environment): CRASH_CLIENTS (8 client threads), CRASH_BURST (new entries offered per
#   trial, besides those lost to earlier kills; 3000), CRASH_POOL (entries signed up front;
#   default trials × burst; the run stops when it is used up), CRASH_KILL_MIN / CRASH_KILL_MAX (the kill comes
#   this many seconds after the trial's first acknowledgement, uniformly; 0 / 1), CRASH_SEED (the random moments; default: the time),
#   TRUCE_BENCH_DIR (where the data directory goes; a real disk, not tmpfs, or fsync is free),
#   TRUCE_BIN (a truce binary to test instead of building target/release/truce).
set -euo pipefail
cd "$(dirname "$0")/.."

trials=${1:-100}
clients=${CRASH_CLIENTS:-8}
burst=${CRASH_BURST:-3000}
pool=${CRASH_POOL:-$((trials * burst))}
kill_min=${CRASH_KILL_MIN:-0}
kill_max=${CRASH_KILL_MAX:-1}
seed=${CRASH_SEED:-$(date +%s)}

if [[ -n "${TRUCE_BIN:-}" ]]; then
    truce=$(realpath "$TRUCE_BIN")
else
    cargo build --release -p truce >&2
    truce="$PWD/target/release/truce"
fi
work=$(mktemp -d "${TRUCE_BENCH_DIR:-${TMPDIR:-/tmp}}/truce-crash.XXXXXX")
server=""
cleanup() {
    if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
        kill -KILL "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
d="$work/data"
out="bench/results/crash-$(date +%Y-%m-%d).txt"

"$truce" --quiet init --origin crash.example/log --dir "$d" >/dev/null
"$truce" --quiet party add ua --name ua --role belligerent --dir "$d" >/dev/null

# The pool: $pool reports signed by ua (`truce sign`: canonical JSON, one per line).
python3 - "$pool" >"$work/pool.toml" <<'EOF'
import sys
n = int(sys.argv[1])
print('time = 2025-03-21T09:00:00Z\n')
for i in range(n):
    print(f'[[report]]\nid = "crash-{i}"\ntime = {{ start = 2025-03-20T20:00:00Z }}\n'
          f'location = {{ point = [35.{i % 1000:03d}, 51.2], uncertainty_m = 500 }}\nact = "strike"\n'
          f'alleged_perpetrator = "ru"\ntext = "report {i} of a burst submitted to a server killed at random moments"\n')
EOF
"$truce" --quiet party add ru --name ru --role belligerent --dir "$d" >/dev/null
"$truce" --quiet sign "$work/pool.toml" --as ua --key "$d/keys/ua.key" --dir "$d" --out "$work/pool.jsonl"

# The client: submits the pool entries not yet acknowledged from $clients threads until the
# server dies; appends each acknowledgement (`entry_id index`) to acks.txt as it arrives.
# With --verify DB: checks every acknowledgement against the database file as the kill left it
# (the entry at the acknowledged index, below the latest checkpoint's size, hashes to the
# acknowledged entry id); with --served: 50 acknowledgements against the restarted server.
cat >"$work/client.py" <<'EOF'
import hashlib, http.client, json, sys, threading
addr, pool_file, acks_file, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
verify = sys.argv[5] in ("--verify", "--served")
burst = 0 if verify else int(sys.argv[5])
host, _, port = addr.rpartition(":")
pool = open(pool_file, "rb").read().split(b"\n")
pool = [p for p in pool if p]
acked = {}
try:
    for line in open(acks_file):
        eid, idx = line.split()
        if acked.setdefault(eid, int(idx)) != int(idx):
            sys.exit(f"entry {eid} acknowledged at two indices: {acked[eid]} and {idx}")
except FileNotFoundError:
    pass
if verify and sys.argv[5] == "--verify":
    import sqlite3
    db = sqlite3.connect(f"file:{sys.argv[6]}?mode=ro", uri=True)
    size = db.execute("SELECT max(size) FROM checkpoints").fetchone()[0]
    entries = []
    for n, data in db.execute("SELECT n, data FROM bundles ORDER BY n"):
        assert n == len(entries) // 256, f"bundle {n} out of place"
        i = 0
        while i < len(data):  # C2SP tlog-tiles entry bundle: u16 big-endian length, bytes
            k = int.from_bytes(data[i:i + 2], "big")
            entries.append(data[i + 2:i + 2 + k])
            i += 2 + k
    for eid, idx in acked.items():
        if idx >= size or hashlib.sha256(entries[idx]).hexdigest() != eid:
            sys.exit(f"acknowledged entry {eid} is not at index {idx} (log size {size})")
    print(len(acked), size)
    sys.exit(0)
if verify:
    import random
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    for eid, idx in random.sample(sorted(acked.items()), min(50, len(acked))):
        c.request("GET", f"/v1/entries/{idx}")
        r = c.getresponse()
        body = r.read()
        if r.status != 200 or hashlib.sha256(body).hexdigest() != eid:
            sys.exit(f"acknowledged entry {eid} is not served at index {idx} (status {r.status})")
    sys.exit(0)
# Everything submitted before and not acknowledged (lost to a kill), then `burst` new entries.
done = max((i for i, p in enumerate(pool) if hashlib.sha256(p).hexdigest() in acked), default=-1)
todo = [p for p in pool[:done + 1] if hashlib.sha256(p).hexdigest() not in acked]
todo += pool[done + 1:done + 1 + burst]
if not todo:
    sys.exit("the pool is used up: raise CRASH_POOL")
lock = threading.Lock()
out = open(acks_file, "a")
counts = {"acks": 0, "dups": 0, "503": 0}
def run(k):
    mine = todo[k::clients]
    batch = 4 if k % 2 else 1
    try:
        c = http.client.HTTPConnection(host, int(port), timeout=60)
        for i in range(0, len(mine), batch):
            chunk = mine[i:i + batch]
            body = b"[" + b",".join(chunk) + b"]" if batch > 1 else chunk[0]
            c.request("POST", "/v1/entries", body, {"content-type": "application/json"})
            r = c.getresponse()
            data = r.read()
            if r.status == 503:
                counts["503"] += 1
                continue
            if r.status != 200:
                sys.stderr.write(f"status {r.status}: {data[:300]!r}\n")
                continue
            v = json.loads(data)
            results = [x["ok"] for x in v["results"]] if batch > 1 else [v]
            with lock:
                for e, a in zip(chunk, results):
                    eid = hashlib.sha256(e).hexdigest()
                    assert a["entry_id"] == eid, a
                    out.write(f"{eid} {a['index']}\n")
                    counts["acks"] += 1
                    counts["dups"] += bool(a.get("duplicate"))
                out.flush()
    except (OSError, http.client.HTTPException):
        return  # the server was killed
ts = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
[t.start() for t in ts]
[t.join() for t in ts]
print(counts["acks"], counts["dups"], counts["503"])
EOF

start_server() {
    rm -f "$work/serve.out"  # never read the address of the server killed before
    TRUCE_RATE_PER_ADDR=1000000000 TRUCE_RATE_PER_KEY=1000000000 TRUCE_RATE_BURST=1000000000 \
        "$truce" --dir "$d" --quiet serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
    server=$!
    addr=""
    for _ in $(seq 1 1200); do
        addr=$(sed -n 's/^listening on http:\/\/\([^ ]*\).*/\1/p' "$work/serve.out" 2>/dev/null | head -1)
        [[ -n "$addr" ]] && break
        if ! kill -0 "$server" 2>/dev/null; then
            echo "truce serve exited:" >&2
            cat "$work/serve.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    [[ -n "$addr" ]] || { echo "truce serve did not print its address" >&2; exit 1; }
}

{
    echo "# bench/crash.sh $trials trials, $clients clients, $burst new entries a trial, kill ${kill_min}-${kill_max} s after the first ack, seed $seed"
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo 'no git') $(uname -sr), $(nproc) cores, binary $truce ($(date -u -r "$truce" +%Y-%m-%dT%H:%M:%SZ))"
    echo "# trial  kill_after_s  acks_this_trial  duplicates  503s  log_size  acked_total  verified  check"
    echo "# (verified: acknowledgements found at their index in the database as the kill left it, all of them, every trial;"
    echo "#  and 50 of them served by the restarted server at the start of the next trial)"
} | tee "$out"

touch "$work/acks.txt"
t0=$(date +%s)
passed=0
for trial in $(seq 1 "$trials"); do
    start_server
    # A restarted server serves what was acknowledged before the kill.
    python3 "$work/client.py" "$addr" "$work/pool.jsonl" "$work/acks.txt" "$clients" --served >"$work/served.out" 2>&1 || {
        echo "trial $trial: $(cat "$work/served.out")" | tee -a "$out"
        exit 1
    }
    after=$(python3 -c "import random; random.seed($seed * 1000 + $trial); print(f'{random.uniform($kill_min, $kill_max):.2f}')")
    python3 "$work/client.py" "$addr" "$work/pool.jsonl" "$work/acks.txt" "$clients" "$burst" >"$work/client.out" 2>"$work/client.err" &
    client=$!
    # The burst is under way once the first acknowledgement of this trial has arrived.
    before=$(wc -l <"$work/acks.txt")
    for _ in $(seq 1 2400); do
        [[ $(wc -l <"$work/acks.txt") -gt $before ]] && break
        kill -0 "$client" 2>/dev/null || break
        sleep 0.05
    done
    sleep "$after"
    kill -KILL "$server"
    wait "$server" 2>/dev/null || true
    server=""
    wait "$client" || { echo "client failed:" >&2; cat "$work/client.err" >&2; exit 1; }
    acks="" dups="" unavailable=""
    read -r acks dups unavailable <"$work/client.out" || true
    [[ -n "$unavailable" ]] || { echo "trial $trial: the client said nothing:" >&2; cat "$work/client.err" >&2; exit 1; }
    # The log checks as the kill left it, and holds every acknowledged entry at its index.
    if ! "$truce" --quiet log check --dir "$d" >"$work/check.out" 2>&1; then
        echo "trial $trial: truce log check failed:" | tee -a "$out"
        cat "$work/check.out" | tee -a "$out"
        exit 1
    fi
    python3 "$work/client.py" - "$work/pool.jsonl" "$work/acks.txt" 1 --verify "$d/truce.db" >"$work/verify.out" 2>&1 || {
        echo "trial $trial: $(cat "$work/verify.out")" | tee -a "$out"
        exit 1
    }
    read -r verified size <"$work/verify.out"
    total=$(cut -d' ' -f1 "$work/acks.txt" | sort -u | wc -l)
    printf '%7d  %12s  %15d  %10d  %4d  %8d  %11d  %8d  ok\n' \
        "$trial" "$after" "$acks" "$dups" "$unavailable" "$size" "$total" "$verified" | tee -a "$out"
    passed=$((passed + 1))
done
echo "# $passed of $trials trials passed: log check ok after every SIGKILL, every acknowledged entry served at its index; $(($(date +%s) - t0)) s" | tee -a "$out"
