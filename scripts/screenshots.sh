#!/usr/bin/env bash
# Regenerates the dashboard screenshots docs/dashboard-*.png (1366×768): builds the demo, serves
# it on a free local port, and runs the dashboard's browser test (crates/truce-dashboard/web/
# tests/browser.mjs), which checks every page and saves a screenshot of each.
# Needs Node.js/npm and Debian's Chromium (apt-get install chromium nodejs npm).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
web="$root/crates/truce-dashboard/web"
out="${1:-$root/docs}"

[ -x /usr/bin/chromium ] || { echo "install chromium: apt-get install chromium" >&2; exit 1; }
[ -d "$web/node_modules/playwright-core" ] || (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
cargo build -q -p truce
truce="$root/target/debug/truce"

tmp="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$truce" -q demo --no-serve --scenario "$root/scenarios/energy-moratorium-2025" --dir "$tmp/demo"
TRUCE_LOG=error "$truce" --dir "$tmp/demo" serve --listen 127.0.0.1:0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
server=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$tmp/serve.out" 2>/dev/null | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/serve.err" >&2; echo "truce serve did not start" >&2; exit 1; }

mkdir -p "$out"
(cd "$web" && node tests/browser.mjs "$url" "$out")
echo "screenshots in $out:"
ls -1 "$out"/dashboard-*.png
