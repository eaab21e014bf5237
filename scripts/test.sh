#!/usr/bin/env bash
# Newcomer command 2: install what is missing, build, and run the whole test suite (CppUnit via
# CTest). Exits non-zero on any failure. Extra arguments go to ctest (e.g. -R WebSocket).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" test
"$root/scripts/mcp-peers.sh"
"$root/scripts/build.sh"
build=${MC_BUILD_DIR:-$root/build}
ctest --test-dir "$build" --output-on-failure -j "${MC_JOBS:-2}" "$@"
