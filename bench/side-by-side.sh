#!/usr/bin/env bash
# Mission Control beside the seed's design (FastAPI) and Node + ws, under the same load from
# mc-loadgen: every server is started fresh on a free loopback port for each step, loaded, and
# stopped; one table at the end. See bench/README.md.
#
#   bench/side-by-side.sh [--seconds 10] [--servers host,seed,node] [--rates "200 1000 10000 0"]
#                         [--subscribers 50] [--clients 16] [--batch 100] [--host-set key=value ...]
#                         [--out results.jsonl]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MC_BUILD_DIR:-$root/build}
seconds=10
servers=host,seed,node
rates="200 1000 10000 0"
subscribers=50
clients=16
batch=100
out=""
host_sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --host-set) host_sets+=("-D$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "side-by-side: unknown option $1" >&2; exit 1 ;;
  esac
done

loadgen=$build/bin/mc-loadgen
[ -x "$loadgen" ] || { echo "side-by-side: build mc-loadgen first (cmake --build build --target mc-loadgen mission-control)" >&2; exit 1; }
python=/usr/bin/python3
work=$(mktemp -d /tmp/mc-side-by-side.XXXXXX)
server_pid=""

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_healthy() { # port: up to 15 s for GET /health to answer 200
  "$python" - "$1" <<'EOF'
import sys, time, urllib.request
for _ in range(150):
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1).status == 200:
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

check_server() { # name: what it needs, before any run starts
  case $1 in
    host) [ -x "$build/bin/mission-control" ] || { echo "side-by-side: no $build/bin/mission-control (build it)" >&2; exit 1; } ;;
    seed) "$python" -c 'import fastapi, uvicorn, websockets' 2>/dev/null ||
            { echo "side-by-side: the seed peer needs python3-fastapi python3-uvicorn python3-websockets (scripts/deps.sh bench)" >&2; exit 1; } ;;
    node) if [ ! -d "$root/bench/peers/node-ws/node_modules/ws" ]; then
            echo "side-by-side: npm ci in bench/peers/node-ws" >&2
            (cd "$root/bench/peers/node-ws" && npm ci --no-audit --no-fund --loglevel=error >&2)
          fi ;;
    *) echo "side-by-side: unknown server '$1' (host, seed, node)" >&2; exit 1 ;;
  esac
}

start_server() { # name port log
  local name=$1 port=$2 log=$3
  case $name in
    host)
      mkdir -p "$work/host-$port"
      # Every subscriber gets every event: the queues may hold a whole flat-out step, as the peers'
      # unbounded buffers do. Durable SQLite (the default) stays on.
      "$build/bin/mission-control" -Dhttp.port="$port" -Dplugins.dir="$build/plugins" \
        -Dstore.sqlite.path="$work/host-$port/mc.db" -Ddiscovery.mdns.enabled=false -Dlog.level=warn \
        -Dgateway.log_rate_per_second=0 -Dws.queue.max_messages=5000000 -Dws.queue.max_bytes=4294967296 \
        ${host_sets[@]+"${host_sets[@]}"} >"$log" 2>&1 &
      ;;
    seed) "$python" "$root/bench/peers/seed-fastapi/serve.py" --port "$port" >"$log" 2>&1 & ;;
    node) node "$root/bench/peers/node-ws/server.mjs" --port "$port" >"$log" 2>&1 & ;;
  esac
  server_pid=$!
  if ! wait_healthy "$port"; then
    echo "side-by-side: $name did not become healthy on port $port:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
}

IFS=, read -r -a server_list <<<"$servers"
for name in "${server_list[@]}"; do check_server "$name"; done

results=$work/results.jsonl
for name in "${server_list[@]}"; do
  for rate in $rates; do
    port=$(free_port)
    log=$work/$name-$rate.log
    start_server "$name" "$port" "$log"
    echo "side-by-side: $name, rate ${rate/#0/flat out}, ${seconds} s ..." >&2
    line=$("$loadgen" --url "http://127.0.0.1:$port" --subscribers "$subscribers" --clients "$clients" --batch "$batch" \
             --rate "$rate" --seconds "$seconds" --server-pid "$server_pid" --json --allow-loss \
             2>>"$work/loadgen.err") || line=""
    [ -n "$line" ] || line='{"failed":true}'
    echo "{\"server\":\"$name\",\"step_rate\":$rate,\"run\":$line}" >>"$results"
    stop_server
  done
done

[ -z "$out" ] || cp "$results" "$out"
"$python" - "$results" "$subscribers" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(f"{sys.argv[2]} subscribers on logs:*; rates in events/s; cpu in % of one core")
header = ("server", "rate", "ingest ev/s", "delivered msgs/s", "p50 ms", "p99 ms", "lost", "errors", "server cpu", "loadgen cpu")
table = [header]
for row in rows:
    run = row["run"]
    rate = "flat out" if row["step_rate"] == 0 else f"{row['step_rate']:,}"
    if run.get("failed"):
        table.append((row["server"], rate, "failed", "", "", "", "", "", "", ""))
        continue
    latency = run["latency_ms"]
    table.append((row["server"], rate, f"{run['ingest_events_per_s']:,.0f}", f"{run['delivered_msgs_per_s']:,.0f}",
                  f"{latency['p50']:.2f}", f"{latency['p99']:.2f}", f"{run['lost_deliveries']:,}", f"{run['errors']:,}",
                  f"{run['server_cpu_percent']:.0f}", f"{run['loadgen_cpu_percent']:.0f}"))
widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
for i, r in enumerate(table):
    print("| " + " | ".join(str(c).rjust(w) if i and j >= 2 else str(c).ljust(w) for j, (c, w) in enumerate(zip(r, widths))) + " |")
    if i == 0:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
EOF
# What mc-loadgen said besides its result lines (first errors, closed subscribers), counted.
notes=$(grep -v '^mc-loadgen http' "$work/loadgen.err" 2>/dev/null | sort | uniq -c | head -20 || true)
[ -z "$notes" ] || printf 'mc-loadgen notes:\n%s\n' "$notes" >&2
