#!/usr/bin/env bash
# Installs the Debian packages Mission Control needs, when they are missing. Usage:
#   scripts/deps.sh build   # compile and run the host
#   scripts/deps.sh test    # + what the test suite, the coverage build and the fuzzers use
#   scripts/deps.sh bench   # + the peers bench/side-by-side.sh runs beside the host
set -euo pipefail
profile=${1:-build}
packages=(cmake g++ make pkg-config libpoco-dev libboost-dev libboost-filesystem-dev libspdlog-dev libfmt-dev
          libcppunit-dev libpq-dev libssl-dev)
# plugins/bus-nats: the NATS C client.
packages+=(libnats-dev)
# The executables' allocator (MC_MALLOC in CMakeLists.txt): tcmalloc, the minimal one without profilers.
packages+=(libtcmalloc-minimal4)
# The web console (console/) is TypeScript, type-checked and bundled with pinned npm packages.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ "$profile" = test ]; then
  # postgresql: the real server the store-postgres tests start privately (tests/support/PostgresServer).
  packages+=(gcovr postgresql)
  # discovery-mdns tests: a network namespace per test (unshare, ip) and an independent mDNS responder.
  packages+=(util-linux iproute2 python3-zeroconf)
  # prometheus: the real Prometheus server and promtool the /metrics tests run (never its system service).
  packages+=(prometheus)
  # nats-server: the real NATS (JetStream on) the bus-nats and cluster tests start privately.
  packages+=(nats-server)
  # scripts/fuzz.sh: clang with libFuzzer and the sanitizer runtimes (Debian 12: clang 14).
  packages+=(clang libclang-rt-14-dev)
  # The console's tests run in a real headless browser (tests/browser, puppeteer-core drives it).
  packages+=(chromium)
fi
if [ "$profile" = bench ]; then
  # bench/peers/seed-fastapi: the seed's design on Debian's FastAPI and uvicorn (websockets: uvicorn's
  # WebSocket implementation). bench/peers/node-ws: Node, with ws from the npm registry (npm ci).
  packages+=(python3-fastapi python3-uvicorn python3-websockets)
  # mc-bench-json: the JSON parsers compared for the edge's one parse.
  packages+=(libsimdjson-dev nlohmann-json3-dev)
  # bench/call-instructions.sh: instructions per call, counted by callgrind.
  packages+=(valgrind)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts the prometheus package's service (listening on every interface) where systemd runs:
# the tests run their own server on loopback, so the system one is stopped and left disabled.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
# The same for nats-server's service: the tests start their own on loopback.
if [[ " ${missing[*]} " == *" nats-server "* ]] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now nats-server >/dev/null 2>&1 || true
fi
