#!/usr/bin/env bash
# Regenerates the demo's SYNTHETIC monitor observations, scenarios/energy-moratorium-2025/reports/
# monitor-observations-2025-05-05.toml: `truce simulate observations` (seed 1), 7 days from
# 5 May 2025 (UTC), 4-8 patrols a day along the monitor's hand-drawn line of contact
# (lines/monitor-loc-2025-05-01.toml). Everything in it is synthetic: the explosions and gunfire,
# the patrols and the observers' positions are drawn from the seed (ids sim-obs-..., texts
# SYNTHETIC, illustrative = true). The same seed gives the same bytes on every run.
#
# Usage: scripts/demo-observations.sh [path/to/truce]   (default: target/debug/truce, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
truce=${1:-target/debug/truce}
[ -x "$truce" ] || cargo build -q -p truce
dir=scenarios/energy-moratorium-2025
out=$dir/reports/monitor-observations-2025-05-05.toml
{
  cat <<'HEADER'
# ─────────────────────────────────────────────────────────────────────────────────────────────
# reports/monitor-observations-2025-05-05.toml: SYNTHETIC observations by the (illustrative)
# monitoring mission's patrols, 5-11 May 2025, under the HYPOTHETICAL full ceasefire of 1 May.
# No such events happened and no such patrols went out: everything below is generated.
#
# Made by scripts/demo-observations.sh:
#   truce simulate observations --line lines/monitor-loc-2025-05-01.toml \
#     --days 7 --start 2025-05-05 --seed 1
# Patrols of both sides' monitors stand 3-15 km from the hand-drawn, approximate line (4-8 a
# day, 1-3 h each); synthetic explosions and gunfire happen along it (a few hot spots, calm and
# hot days), mostly within 10 km of it. Each [[observation]] is what one patrol heard, saw or
# recorded by camera of one event type in one compass octant, with a distance range; bearings
# and distances carry realistic errors, so the true place is sometimes outside the sector
# stated. Two patrols often count the same explosions: their public footprints overlap and the
# daily count is the larger, never the sum.
#
# The observers' POSITIONS ARE SYNTHETIC (drawn from the seed). As for any observation, filing
# keeps them out of the log: the public report carries a footprint from a coarse cell and a
# salted commitment; the position goes to the restricted store.
# ─────────────────────────────────────────────────────────────────────────────────────────────
HEADER
  "$truce" -q simulate observations --line "$dir/lines/monitor-loc-2025-05-01.toml" \
    --days 7 --start 2025-05-05 --seed 1
} > "$out"
echo "$out: $(grep -c '^\[\[observation\]\]' "$out") observations, $(stat -c %s "$out") bytes" >&2
