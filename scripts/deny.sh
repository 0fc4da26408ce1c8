#!/usr/bin/env bash
# Licences, bans and sources of the dependency tree with cargo-deny (deny.toml says what is
# allowed). Advisories are not checked: they need the RustSec database from the network.
#
# Usage: scripts/deny.sh            (installs cargo-deny with `cargo install --locked` if missing:
#                                    a few minutes, once)
# Not part of .ci/run: installing cargo-deny on a fresh machine takes minutes. Run it when the
# dependencies change (Cargo.lock) and before a release.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deny >/dev/null 2>&1; then
    echo "installing cargo-deny (cargo install --locked cargo-deny)" >&2
    cargo install --locked cargo-deny
fi
cargo deny --version
exec cargo deny check licenses bans sources
