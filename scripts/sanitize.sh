#!/usr/bin/env bash
# The whole test suite again, built with AddressSanitizer (+LeakSanitizer) and UndefinedBehaviorSanitizer
# into ./build-asan (or $MC_ASAN_BUILD_DIR): any memory error, leak or undefined behaviour fails the
# test that caused it. Extra arguments go to ctest (e.g. -R HttpServerTest). Run by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" test
"$root/scripts/mcp-peers.sh"
build=${MC_ASAN_BUILD_DIR:-$root/build-asan}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
      -DMC_SANITIZE=address,undefined -DMC_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "${MC_JOBS:-2}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/sanitize.supp:print_suppressions=0}
export MC_TEST_TIME_SCALE=${MC_TEST_TIME_SCALE:-3} # instrumented code is slower; latency bounds scale
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
ctest --test-dir "$build" --output-on-failure -j "${MC_JOBS:-2}" --timeout 900 "$@"
