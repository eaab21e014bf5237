#!/usr/bin/env bash
# Two or more builds of mc-bench-gateway compared over Streamable HTTP in the same turns: each round
# runs every build pinned (`--pin-server 1`: the server alone on CPU 1) and then unpinned, the builds
# one after another, so every build meets the same moments of this shared machine. Prints each run's
# added p50 (the 2025 session way and the 2026-07-28 way, over calling the server directly) and the
# host's CPU per call over direct, then the medians per build and mode. See bench/README.md.
#
#   bench/compare-builds.sh ROUNDS DIR[:ENV=VALUE] ...
#     DIR   a build directory (or a copy of its bin/, plugins/ and share/), e.g. build
#     ENV   an environment variable set for that build's runs (to compare switches of one build)
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,12p' "$0" >&2; exit 1; }
rounds=$1; shift
peers="$(cd "$(dirname "$0")/.." && pwd)/tests/mcp-peers"
ways="direct http,/mcp (http),/mcp 2026-07-28 (http)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT

field() { grep "$1" <<<"$out" | grep -oE "$2 +[0-9.]+" | awk '{print $2}'; }

for round in $(seq "$rounds"); do
  for pin in pinned unpinned; do
    for spec in "$@"; do
      dir=${spec%%:*}; env_set=(); [[ $spec == *:* ]] && env_set=("${spec#*:}")
      flags=(); [[ $pin == pinned ]] && flags=(--pin-server 1)
      out=$(env "${env_set[@]}" "$dir/bin/mc-bench-gateway" --transport http --logs 20 --calls 3000 --warmup 200 \
              --ways "$ways" --peers "$peers" "${flags[@]}" 2>&1) || { echo "$spec: the benchmark failed" >&2; echo "$out" | tail -5 >&2; exit 1; }
      direct=$(field "direct (POST" p50); old=$(field "host as MCP server, POST" p50); new=$(field "host as MCP server, 2026" p50)
      cpu_direct=$(field "direct (POST" "CPU/call"); cpu_old=$(field "host as MCP server, POST" "CPU/call")
      cpu_new=$(field "host as MCP server, 2026" "CPU/call")
      line=$(awk -v d="$direct" -v o="$old" -v n="$new" -v cd="$cpu_direct" -v co="$cpu_old" -v cn="$cpu_new" \
               'BEGIN { printf "%+.3f %+.3f %.3f %+d %+d", o - d, n - d, d, co - cd, cn - cd }')
      echo "$spec $pin $line" >>"$results"
      read -r a2025 a2026 d c2025 c2026 <<<"$line"
      echo "round $round $pin $spec: added p50 2025 $a2025 ms, 2026-07-28 $a2026 ms (direct $d ms); host CPU/call over direct $c2025 / $c2026 us"
    done
  done
done

echo "medians over $rounds round(s): added p50 2025 / 2026-07-28 (ms), host CPU per call over direct 2025 / 2026-07-28 (us)"
/usr/bin/python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    spec, mode, *values = line.split()
    runs.setdefault((spec, mode), []).append([float(v) for v in values])
for (spec, mode), rows in runs.items():
    m = [statistics.median(column) for column in zip(*rows)]
    print(f"  {spec} {mode}: {m[0]:+.3f} / {m[1]:+.3f} ms; {m[3]:+.0f} / {m[4]:+.0f} us")
PY
