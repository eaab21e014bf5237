#!/usr/bin/env bash
# Installs the pinned npm packages the tests use, once per lock file change: the MCP test peers
# (tests/mcp-peers/package-lock.json) and the browser driver of the console's tests
# (tests/browser/package-lock.json: puppeteer-core, which drives Debian's chromium and downloads none)
# and the MCP conformance suite with the Node 22 it needs (tests/conformance/package-lock.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for dir in "$root/tests/mcp-peers" "$root/tests/browser" "$root/tests/conformance"; do
  stamp=$dir/node_modules/.mc-lock-stamp
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    continue
  fi
  echo "mcp-peers: npm ci in $dir"
  (cd "$dir" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
done
