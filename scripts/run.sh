#!/usr/bin/env bash
# Newcomer command 1: install what is missing, build, and start the host on the embedded SQLite store
# with ./host.properties (created from host.properties.example on first run). Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" build
"$root/scripts/build.sh"
cd "$root"
[ -f host.properties ] || cp host.properties.example host.properties
exec "${MC_BUILD_DIR:-$root/build}/bin/mission-control" --config=host.properties "$@"
