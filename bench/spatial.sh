#!/usr/bin/env bash
# Spatial-join benchmark: truce_geo::dwithin_join against DuckDB + spatial, shapely 2 and PostGIS 3
# on the same generated data in the same run; checks every pair set equals PostGIS's and prints
# seconds, pairs and ratios. Keeps the output in bench/results/spatial-<date>.txt
# (spatial-quick-<date>.txt with --quick). See bench/spatial/README.md.
#
# Usage: bench/spatial.sh [--quick] [--incidents N] [--sites M] [--d METRES] [--skip ENGINE,...]
#   --quick          100,000 incidents x 10,000 sites (default 1,000,000 x 100,000)
#   --skip           any of duckdb,shapely,postgis
# Environment: TRUCE_BENCH_REPS (timed runs of truce and duckdb, default 3),
#   TRUCE_BENCH_REPS_SLOW (shapely and postgis, default 3 with --quick, else 1),
#   TRUCE_BENCH_SPATIAL_WORK (data and pair files, default target/bench-spatial),
#   TRUCE_BENCH_PG_PORT (throwaway PostgreSQL cluster, default 5433; Unix socket only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in bench/spatial/

incidents=1000000 sites=100000 d=5000 quick=0 skip=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 incidents=100000 sites=10000 ;;
        --incidents) incidents=$2; shift ;;
        --sites) sites=$2; shift ;;
        --d) d=$2; shift ;;
        --skip) skip=$2; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "spatial.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
reps=${TRUCE_BENCH_REPS:-3}
if [ "$quick" = 1 ]; then slow_reps=${TRUCE_BENCH_REPS_SLOW:-3}; else slow_reps=${TRUCE_BENCH_REPS_SLOW:-1}; fi
skipped() { case ",$skip," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# --- what the peers need (installed only if missing) ---
if ! python3 -c 'import duckdb, duckdb_extension_spatial, shapely, pyproj, numpy
assert duckdb.__version__ == "1.5.5" and shapely.__version__ >= "2"' 2>/dev/null; then
    echo "installing the Python peers" >&2
    python3 -m pip install -q "duckdb==1.5.5" "duckdb-extension-spatial==1.5.5" "shapely>=2" pyproj numpy >&2
fi
if ! skipped postgis && [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
    echo "installing postgresql-15-postgis-3" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >&2
fi

# --- data ---
work=${TRUCE_BENCH_SPATIAL_WORK:-$root/target/bench-spatial}
data="$work/${incidents}x${sites}"
mkdir -p "$data"
rm -f "$data"/pairs-*.bin "$data"/results.jsonl
python3 bench/spatial/gen.py --out "$data" --incidents "$incidents" --sites "$sites" >&2

# Build first, so compiler output stays out of the results.
cargo bench -p truce-geo --bench join --no-run >&2

mkdir -p bench/results
if [ "$quick" = 1 ]; then name=spatial-quick; else name=spatial; fi
out="bench/results/$name-$(date +%Y-%m-%d).txt"
results="$data/results.jsonl"
log="$data/stderr.log"
: >"$log"
run() { # engine command...: appends its JSON lines to $results, its stderr to $log
    echo "running $1" >&2
    shift
    "$@" >>"$results" 2>>"$log" || { echo "spatial.sh: $* failed; see $log" >&2; tail -20 "$log" >&2; exit 1; }
}
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo no-git)$(git diff --quiet 2>/dev/null || echo +dirty)"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
    echo "# $incidents incidents x $sites sites within $d m (bench/spatial/gen.py, seed 20251130); truce and duckdb best of $reps, shapely and postgis best of $slow_reps"
    echo "\$ bench/spatial.sh $([ "$quick" = 1 ] && echo --quick) --incidents $incidents --sites $sites --d $d ${skip:+--skip $skip}"
    echo
} | tee "$out"

: >"$results"
run truce env TRUCE_BENCH_SPATIAL_DIR="$data" TRUCE_BENCH_SPATIAL_D="$d" TRUCE_BENCH_REPS="$reps" \
    cargo bench -q -p truce-geo --bench join
skipped duckdb || run duckdb python3 bench/spatial/peer_duckdb.py "$data" "$data/pairs-duckdb.bin" --d "$d" --reps "$reps"
skipped shapely || run shapely python3 bench/spatial/peer_shapely.py "$data" "$data/pairs-shapely.bin" --d "$d" --reps "$slow_reps"
skipped postgis || run postgis python3 bench/spatial/peer_postgis.py "$data" "$data/pairs-postgis.bin" --d "$d" --reps "$slow_reps" \
    --port "${TRUCE_BENCH_PG_PORT:-5433}" --workers "$(nproc)"

set +e
python3 bench/spatial/compare.py "$results" --data "$data" | tee -a "$out"
status=${PIPESTATUS[0]}
set -e
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
echo "saved to $out (pairs and logs in $data)" >&2
exit "$status"
