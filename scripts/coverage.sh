#!/usr/bin/env bash
# Line coverage of host, SDK, libs and plugins over the whole test suite (gcovr). Report: build-coverage/coverage.txt
# and build-coverage/coverage.html. Prints the total line coverage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" test
"$root/scripts/mcp-peers.sh"
export MC_BUILD_DIR=$root/build-coverage MC_BUILD_TYPE=Debug
"$root/scripts/build.sh" -DMC_COVERAGE=ON -DMC_BUILD_BENCH=OFF
find "$MC_BUILD_DIR" -name '*.gcda' -delete
export MC_TEST_TIME_SCALE=${MC_TEST_TIME_SCALE:-2} # unoptimized, instrumented code is slower; latency bounds scale
# Object directories of targets the build no longer has (renamed or removed) keep their coverage
# notes, which gcovr would merge with the current ones (and fail on): drop them.
targets=$(cmake --build "$MC_BUILD_DIR" --target help | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')
find "$MC_BUILD_DIR" -type d -path '*/CMakeFiles/*.dir' | while read -r dir; do
  grep -qx -- "$(basename "$dir" .dir)" <<<"$targets" || rm -rf "$dir"
done
ctest --test-dir "$MC_BUILD_DIR" --output-on-failure -j "${MC_JOBS:-2}" || echo "coverage: some tests failed"
cd "$root"
filters=(--filter "$root/host/" --filter "$root/sdk/" --filter "$root/libs/" --filter "$root/plugins/" --exclude "$root/plugins/.*/tests/")
gcovr -r "$root" "${filters[@]}" --gcov-ignore-parse-errors --object-directory "$MC_BUILD_DIR" --txt "$MC_BUILD_DIR/coverage.txt" \
      --html-details "$MC_BUILD_DIR/coverage.html" --print-summary | tail -3
