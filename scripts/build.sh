#!/usr/bin/env bash
# Configures and builds into ./build (or $MC_BUILD_DIR). Extra arguments go to CMake's configure step.
# MC_BUILD_TYPE (RelWithDebInfo) and MC_DEBUG_INFO (full; lines: -g1, what CI builds) choose the flags.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MC_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${MC_BUILD_TYPE:-RelWithDebInfo} -DMC_DEBUG_INFO=${MC_DEBUG_INFO:-full} "$@" >/dev/null
cmake --build "$build" -j "${MC_JOBS:-2}"
