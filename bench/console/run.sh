#!/usr/bin/env bash
# The console benchmark (console-bench.mjs) in a loopback-only network namespace.
#   bench/console/run.sh [--host=build/bin/mission-control] [--threads=100000] [--logs=1000000]
#                        [--rate=2000] [--seconds=10] [--loads=5] [--keep=DIR: reuse a seeded store]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec unshare -n sh -c 'ip link set lo up && exec node "$0" "$@"' "$here/console-bench.mjs" "$@"
