#!/usr/bin/env bash
# Where one tool call's time goes, stage by stage: mc-bench-gateway runs one way of calling the echo
# tool over Streamable HTTP while perf records the system calls that mark each hand-over (the client's
# send, the host's receive and its POST to the server, the server's read and write, the host's receive
# of the answer and its reply, the client's receive) and every context switch, and bench/call_stages.py
# prints the median of each gap, then each hand-over split by same or other CPU and how long its sender
# ran on. Tracepoints, not a profiler: a few microseconds per marked call. Needs perf (Debian
# linux-perf) and root (or perf_event_paranoid <= -1). See bench/README.md.
#
#   bench/call-stages.sh [--way host|direct] [--calls 3000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MC_BUILD_DIR:-$root/build}
way=host
calls=3000
while [ $# -gt 0 ]; do
  case $1 in
    --way) way=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "call-stages.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $way in
  host) label="/mcp (http)" ;;
  direct) label="direct http" ;;
  *) echo "call-stages.sh: --way is host or direct (got $way)" >&2; exit 2 ;;
esac
command -v perf >/dev/null || { echo "call-stages.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
perf record -q -o "$work/perf.data" \
  -e syscalls:sys_enter_sendto,syscalls:sys_exit_recvfrom,syscalls:sys_exit_read,syscalls:sys_enter_writev \
  -e sched:sched_switch -- \
  "$build/bin/mc-bench-gateway" --transport http --logs 20 --calls "$calls" --warmup 200 --ways "$label" \
  --peers "$root/tests/mcp-peers" | grep -E 'p50' || true
perf script -i "$work/perf.data" -F comm,tid,cpu,time,event,trace 2>/dev/null > "$work/events.txt"
/usr/bin/python3 "$root/bench/call_stages.py" --way "$way" "$work/events.txt"
