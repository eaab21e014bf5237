#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) into ./build-fuzz and runs each one in
# turn from its committed seeds (fuzz/corpus/<target>/). Exits non-zero when any target finds a
# crash, leak, UB, timeout or failed check, printing the reproducer. docs/fuzzing.md explains.
#
#   scripts/fuzz.sh                          every target for 20 s (what CI runs: --seconds N)
#   scripts/fuzz.sh --seconds 300 dns_message
#   scripts/fuzz.sh --runs 10000000 sse      a long run: stops after that many executions
#   scripts/fuzz.sh --list                   the targets
#   scripts/fuzz.sh --ledger                 each target's runs on this machine, summed (below)
#   scripts/fuzz.sh --build-only
#   scripts/fuzz.sh sse -- -max_len=65536    arguments after -- go to libFuzzer
#
# New inputs a run finds go to build-fuzz/fuzz/work/<target>/ (kept between runs, never committed);
# reproducers to build-fuzz/fuzz/artifacts/<target>/. Every run adds a line to build-fuzz/fuzz/ledger.tsv
# (when, target, commit, executions, seconds, result): a long run stopped with SIGINT (exit 72, not a
# finding) and continued later grows the same corpus, and --ledger sums a target's runs. MC_FUZZ_BUILD_DIR and MC_JOBS override the
# build directory and the build's parallelism (2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MC_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=20
runs=""
build_only=0
list_only=0
ledger_only=0
targets=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; runs=""; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --list) list_only=1; shift ;;
    --ledger) ledger_only=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

ledger=$build/fuzz/ledger.tsv
if [ $ledger_only -eq 1 ]; then
  [ -f "$ledger" ] || { echo "fuzz: no runs recorded yet ($ledger)"; exit 0; }
  awk -F'\t' '{ runs[$2]++; execs[$2]+=$4; secs[$2]+=$5; if ($6 != "ok" && $6 != "interrupted") bad[$2]=bad[$2] " " $6
                 if (!($2 in first)) first[$2]=$1; last[$2]=$1 }
       END { printf "%-18s %5s %14s %9s  %-21s %-21s %s\n", "target", "runs", "executions", "seconds", "first", "last", "findings"
             for (t in runs) printf "%-18s %5d %14d %9d  %-21s %-21s %s\n", t, runs[t], execs[t], secs[t], first[t], last[t], (t in bad) ? bad[t] : "none" }' \
    "$ledger" | { read -r header; echo "$header"; sort; }
  exit 0
fi

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/deps.sh test installs it)" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DMC_BUILD_FUZZERS=ON -DMC_BUILD_TESTS=OFF -DMC_BUILD_BENCH=OFF -DMC_BUILD_CONSOLE=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMC_DEBUG_INFO=lines >/dev/null
known=()
declare -A dicts=()
while read -r name dict; do
  [ -n "$name" ] || continue
  known+=("$name")
  dicts[$name]=$dict
done <"$build/fuzz/targets.txt"
if [ $list_only -eq 1 ]; then printf '%s\n' "${known[@]}"; exit 0; fi
if [ ${#targets[@]} -eq 0 ]; then targets=("${known[@]}"); fi
for t in "${targets[@]}"; do
  [ -n "${dicts[$t]+x}" ] || { echo "fuzz: no target '$t' (known: ${known[*]})" >&2; exit 2; }
done
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz-$t"); done
nice -n 10 cmake --build "$build" -j "${MC_JOBS:-2}" "${build_targets[@]}" >/dev/null
[ $build_only -eq 1 ] && exit 0

# One line of libFuzzer's final statistics: "stat::<name>: <value>".
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

failed=()
printf '%-14s %12s %8s %9s %6s %7s %9s  %s\n' target runs seconds exec/s cov ft slowest result
for t in "${targets[@]}"; do
  work=$build/fuzz/work/$t
  artifacts=$build/fuzz/artifacts/$t/
  log=$build/fuzz/logs/$t.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  args=(-artifact_prefix="$artifacts" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
  if [ -n "${dicts[$t]}" ]; then args+=(-dict="$root/fuzz/dict/${dicts[$t]}.dict"); fi
  if [ -n "$runs" ]; then args+=(-runs="$runs"); else args+=(-max_total_time="$seconds"); fi
  start=$(date +%s)
  status=0
  nice -n 10 "$build/fuzz/fuzz-$t" "${args[@]}" "${extra[@]}" "$work" "$root/fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  result=ok
  if [ $status -eq 72 ]; then
    result=interrupted # SIGINT: libFuzzer's -interrupted_exitcode; the corpus so far is kept
  elif [ $status -ne 0 ]; then
    result="FAILED ($status)"
    failed+=("$t")
  fi
  executed=$(stat number_of_executed_units "$log")
  [ -n "$executed" ] || executed=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" \
    "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "${executed:-0}" "$elapsed" "${result// /_}" >>"$ledger"
  printf '%-14s %12s %8s %9s %6s %7s %9s  %s\n' "$t" "${executed:-0}" "$elapsed" \
    "$(stat average_exec_per_sec "$log")" "${cov:--}" "${ft:--}" "$(stat slowest_unit_time_sec "$log")s" "$result"
  if [ $status -ne 0 ] && [ $status -ne 72 ]; then
    # What failed (the check, sanitizer or libFuzzer report) and the input that shows it.
    grep -E -A1 'fuzz check failed' "$log" | head -2 | sed 's/^/    /' || true
    grep -E -m 3 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' "$log" | sed 's/^/    /' || true
    reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "    reproducer: ${reproducer:-none written (see $log)}"
    [ -n "$reproducer" ] && echo "    replay:     $build/fuzz/fuzz-$t $reproducer"
    echo "    log:        $log"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
