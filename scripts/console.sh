#!/usr/bin/env bash
# Builds the web console (console/) into the directory the host serves at /: installs its pinned npm
# packages (console/package-lock.json, once per lock file change), type-checks it, bundles it.
# Usage: scripts/console.sh <output directory>   (CMake runs it into build/share/mission-control/console)
set -euo pipefail
dir=$(cd "$(dirname "$0")/../console" && pwd)
out=${1:?usage: scripts/console.sh <output directory>}
stamp=$dir/node_modules/.mc-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
  echo "console: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
fi
(cd "$dir" && node node_modules/typescript/bin/tsc --noEmit -p . && node build.mjs "$out")
