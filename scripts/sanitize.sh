#!/usr/bin/env bash
# The whole test suite again, built with AddressSanitizer (+LeakSanitizer) and UndefinedBehaviorSanitizer
# into ./build-asan (or $MC_ASAN_BUILD_DIR): any memory error, leak or undefined behaviour fails the
# test that caused it. Extra arguments go to ctest (e.g. -R HttpServerTest). Run by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" test
"$root/scripts/mcp-peers.sh"
build=${MC_ASAN_BUILD_DIR:-$root/build-asan}
# clang, not g++: the same instrumented code compiles 2-3 times faster (g++ -O1 with ASan+UBSan took
# about 20 of CI's minutes); -g1 (line tables) is all a sanitizer report's stack needs.
command -v clang++ >/dev/null || { echo "sanitize: clang++ not found (scripts/deps.sh test installs it)" >&2; exit 2; }
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++' "$build/CMakeCache.txt"; then
  rm -rf "$build" # configured by another compiler: CMake cannot switch one in place
fi
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" \
      -DMC_SANITIZE=address,undefined -DMC_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "${MC_JOBS:-2}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/sanitize.supp:print_suppressions=0}
export MC_TEST_TIME_SCALE=${MC_TEST_TIME_SCALE:-3} # instrumented code is slower; latency bounds scale
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
log="$build/sanitize-ctest.log"
if ctest --test-dir "$build" --output-on-failure -j "${MC_JOBS:-2}" --timeout 900 "$@" 2>&1 | tee "$log"; then
  exit 0
fi
# LeakSanitizer's tracer sometimes crashes at a test process's exit, after the test passed ("Tracer
# caught signal 11 ... LeakSanitizer has encountered a fatal error": a sanitizer runtime bug, e.g.
# google/sanitizers#1353). When that is in the output, the failed tests run once more; they must pass.
grep -q "LeakSanitizer has encountered a fatal error" "$log" || exit 1
echo "sanitize: LeakSanitizer's tracer crashed at a test's exit; running the failed tests once more" >&2
ctest --test-dir "$build" --output-on-failure --timeout 900 --rerun-failed
