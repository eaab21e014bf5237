#!/usr/bin/env bash
# The instructions mc-bench-gateway's process runs per tool call (the host's threads and the
# benchmark's client; user space only, the kernel's work not counted), from two runs under valgrind's
# callgrind that differ only in their number of calls: start-up and shut-down cancel out. Unlike a
# latency or a CPU time, the figure hardly moves with the machine's other load (two runs of one build
# agree within ~0.5%), so a change of a few percent in the host's work shows in one comparison. The
# batched store writer is the exception: under valgrind each call is slow, its batches hold fewer
# records and their commits count more per call than in a real run. Needs valgrind (Debian valgrind,
# scripts/deps.sh bench). See bench/README.md.
#
#   bench/call-instructions.sh [--way "/mcp (http)"] [--top N]
#     --way  one of mc-bench-gateway's ways of calling (over Streamable HTTP), e.g. "direct http"
#     --top  also list the N functions with the most instructions per call, their callees included
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MC_BUILD_DIR:-$root/build}
way="/mcp (http)"
top=0
while [ $# -gt 0 ]; do
  case $1 in
    --way) way=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "call-instructions.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "call-instructions.sh: valgrind not found (scripts/deps.sh bench)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
few=300 many=1300
for calls in $few $many; do
  if ! valgrind --tool=callgrind --callgrind-out-file="$work/$calls.out" --dump-instr=no \
      "$build/bin/mc-bench-gateway" --transport http --logs 2 --calls "$calls" --warmup 20 --ways "$way" \
      --peers "$root/tests/mcp-peers" > "$work/$calls.log" 2>&1; then
    echo "call-instructions.sh: the benchmark failed under valgrind ($calls calls):" >&2
    tail -20 "$work/$calls.log" >&2
    exit 1
  fi
  grep -q "n=$calls " "$work/$calls.log" || { echo "call-instructions.sh: no way named \"$way\" ran" >&2; exit 1; }
done
/usr/bin/python3 - "$work/$few.out" "$work/$many.out" $((many - few)) "$top" "$way" <<'EOF'
import re, subprocess, sys
few, many, calls, top, way = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def totals(path):
    out = subprocess.run(['callgrind_annotate', '--inclusive=yes', '--threshold=100', path],
                         capture_output=True, text=True, check=True).stdout
    program, functions = None, {}
    for line in out.splitlines():
        m = re.match(r'\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)', line)
        if not m:
            continue
        count, name = int(m.group(1).replace(',', '')), m.group(2).strip()
        if name.startswith('PROGRAM TOTALS'):
            program = count
        elif not name.startswith('=>') and ':' in name:
            name = re.sub(r'\s*\[[^\]]*\]$', '', name.split(':', 1)[1])
            functions[name] = max(functions.get(name, 0), count)
    return program, functions

a_total, a = totals(few)
b_total, b = totals(many)
print(f'{way}: {(b_total - a_total) / calls:,.0f} instructions per call ({calls} calls between the two runs)')
if top:
    per_call = sorted(((b.get(k, 0) - a.get(k, 0)) / calls, k) for k in set(a) | set(b))
    for value, name in reversed(per_call[-top:]):
        print(f'  {value:>10,.0f}  {name[:150]}')
EOF
