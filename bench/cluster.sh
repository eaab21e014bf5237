#!/usr/bin/env bash
# One host against a cluster of three, side by side under the same load from mc-loadgen: a private
# PostgreSQL and nats-server (JetStream) on loopback, then for each rate (1) one host on PostgreSQL
# with every subscriber on it, (2) three hosts (cluster.enabled) on the same PostgreSQL and NATS with
# the subscribers spread over them; ingest goes to the first host in both. One table at the end.
# See docs/cluster.md.
#
#   bench/cluster.sh [--seconds 10] [--rates "1000 5000"] [--subscribers 150] [--clients 8] [--batch 50]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MC_BUILD_DIR:-$root/build}
seconds=10
rates="1000 5000"
subscribers=150
clients=8
batch=50
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "cluster-bench: unknown option $1" >&2; exit 1 ;;
  esac
done
for tool in "$build/bin/mc-loadgen" "$build/bin/mission-control"; do
  [ -x "$tool" ] || { echo "cluster-bench: build $tool first" >&2; exit 1; }
done
command -v nats-server >/dev/null || { echo "cluster-bench: needs nats-server (scripts/deps.sh test)" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
python=/usr/bin/python3
work=$(mktemp -d /tmp/mc-cluster-bench.XXXXXX)
chmod 755 "$work"
pids=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_all() {
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_all
  [ -d "$work/pg" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_healthy() {
  "$python" - "$1" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1).status == 200: sys.exit(0)
    except OSError: time.sleep(0.1)
sys.exit(1)
PY
}

# PostgreSQL 15 with its durable defaults, private to this run.
pg_port=$(free_port)
mkdir -p "$work/pg" && [ "$(id -u)" -ne 0 ] || chown postgres "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg" -U mc --auth=trust --locale=C.UTF-8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" -l "$work/pg/log" -w start >/dev/null
nats_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$work/nats" >"$work/nats.log" 2>&1 &
nats_pid=$!
sleep 0.5

start_host() { # port database cluster(0/1) host_id
  local port=$1 db=$2 cluster=$3 id=$4
  "$build/bin/mission-control" -Dhttp.port="$port" -Dplugins.dir="$build/plugins" -Dlog.level=warn \
    -Dstore.backend=postgres -Dstore.postgres.url="host=127.0.0.1 port=$pg_port dbname=$db user=mc" \
    -Ddiscovery.mdns.enabled=false -Dmcp.endpoint.enabled=false -Dgateway.log_rate_per_second=0 \
    -Dws.queue.max_messages=5000000 -Dws.queue.max_bytes=4294967296 -Dreceiver.otlp.listen= \
    -Dcluster.enabled=$([ "$cluster" = 1 ] && echo true || echo false) -Dcluster.host_id="$id" \
    -Dcluster.name="$db" -Dbus.nats.servers="nats://127.0.0.1:$nats_port" -Dbus.nats.prefix="$db" \
    -Dbus.nats.stream="$db" >"$work/$db-$id.log" 2>&1 &
  pids+=($!)
  wait_healthy "$port" || { echo "cluster-bench: host $id did not start:" >&2; tail -20 "$work/$db-$id.log" >&2; exit 1; }
}

results=()
run=0
for rate in $rates; do
  for shape in one three; do
    run=$((run + 1))
    db="bench_${shape}_$run"
    "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U mc "$db"
    ports=()
    if [ "$shape" = one ]; then
      ports+=("$(free_port)"); start_host "${ports[0]}" "$db" 0 h1
    else
      for i in 1 2 3; do ports+=("$(free_port)"); start_host "${ports[-1]}" "$db" 1 "h$i"; done
      sleep 2 # every host follows the log
    fi
    urls=$(printf 'http://127.0.0.1:%s,' "${ports[@]}"); urls=${urls%,}
    echo "cluster-bench: $shape host(s), rate $rate, $subscribers subscribers, ${seconds} s ..." >&2
    line=$("$build/bin/mc-loadgen" --url "http://127.0.0.1:${ports[0]}" --subscribe-urls "$urls" \
             --subscribers "$subscribers" --clients "$clients" --batch "$batch" --rate "$rate" --seconds "$seconds" \
             --reader-threads 2 --drain-seconds 20 --json --allow-loss 2>>"$work/loadgen.err") || line='{"failed":true}'
    results+=("$shape $rate $line")
    stop_all
  done
done
kill "$nats_pid" 2>/dev/null || true; wait "$nats_pid" 2>/dev/null || true

echo
printf '%-8s %7s %14s %14s %9s %9s %9s %8s\n' hosts rate ingest/s delivered/s p50_ms p99_ms max_ms lost
for r in "${results[@]}"; do
  read -r shape rate json <<<"$r"
  "$python" - "$shape" "$rate" "$json" <<'PY'
import json, sys
shape, rate, j = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if j.get("failed"): print(f"{shape:<8} {rate:>7} failed"); sys.exit()
l = j["latency_ms"]
print(f"{shape:<8} {rate:>7} {j['ingest_events_per_s']:>14.0f} {j['delivered_msgs_per_s']:>14.0f} {l['p50']:>9.2f} {l['p99']:>9.2f} {l['max']:>9.2f} {j['lost_deliveries']:>8}")
PY
done
