#!/usr/bin/env bash
# Installs the pinned MCP test peers (tests/mcp-peers/package-lock.json) from the npm registry, once
# per lock file change.
set -euo pipefail
dir=$(cd "$(dirname "$0")/../tests/mcp-peers" && pwd)
stamp=$dir/node_modules/.mc-lock-stamp
if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
  exit 0
fi
echo "mcp-peers: npm ci in $dir"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
cp "$dir/package-lock.json" "$stamp"
