#!/usr/bin/env bash
# Runs the console's browser tests (console.test.mjs) inside a fresh network namespace with loopback
# only, so that neither the host nor Chromium can reach anything beyond it. Fails (never skips) when
# something it needs is missing, saying what.
#   run.sh <mission-control binary> <screenshots directory>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
host_bin=${1:?usage: run.sh <mission-control binary> <screenshots directory>}
shots=${2:?usage: run.sh <mission-control binary> <screenshots directory>}
[ -x /usr/bin/chromium ] || { echo "run.sh: /usr/bin/chromium is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
[ -d "$here/node_modules/puppeteer-core" ] || { echo "run.sh: puppeteer-core is missing (scripts/mcp-peers.sh installs it)" >&2; exit 1; }
[ -x "$root/tests/mcp-peers/node_modules/.bin/mcp-server-everything" ] || { echo "run.sh: tests/mcp-peers is not installed (scripts/mcp-peers.sh)" >&2; exit 1; }
export MC_HOST_BIN=$host_bin MC_SCREENSHOTS_DIR=$shots MC_PEERS_DIR=$root/tests/mcp-peers
exec unshare -n sh -c '
  ip link set lo up || exit 1
  others=$(ip -o link show | cut -d: -f2 | tr -d " " | grep -vx lo || true)
  if [ -n "$others" ]; then echo "run.sh: not alone on loopback: $others" >&2; exit 1; fi
  exec node --test --test-reporter=spec --test-timeout=180000 "$0"' "$here/console.test.mjs"
