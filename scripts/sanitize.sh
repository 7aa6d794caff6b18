#!/usr/bin/env bash
# Hostile input under the sanitizers, as CI runs it (scripts/test.sh calls this after CTest):
#   1. build-asan: a Debug build with -DIMGSPEC_SANITIZE=ON (ASan + UBSan, cmake/warnings.cmake) of
#      the imgspec binary and the unit tests only; the unit tests run, then the CLI tests that feed
#      it hostile input (hostile, bad-spec corpus, smoke) run with that binary. (limits_test.sh runs
#      in CTest only: its time and memory bounds are for the normal build.)
#   2. build-fuzz: the libFuzzer targets (clang, cmake/fuzz.cmake); every saved crash is replayed
#      and each target is fuzzed for $FUZZ_SECONDS seconds (tests/fuzz/run.sh, README there).
# A sanitizer report fails the step that printed it (ASan aborts, UBSan halts on the first error).
#
# Usage: scripts/sanitize.sh [--no-fuzz | --fuzz-only]
# Environment: IMGSPEC_ASAN_DIR, IMGSPEC_FUZZ_DIR (build folders), FUZZ_SECONDS (default 20).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
asan=${IMGSPEC_ASAN_DIR:-$root/build-asan}
fuzz=${IMGSPEC_FUZZ_DIR:-$root/build-fuzz}
mode=${1:-all}
jobs=$(nproc)

bash "$root/scripts/deps.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=()
failed=()
# step NAME CMD...: runs CMD, remembers whether it passed.
step() {
  local name=$1
  shift
  echo "=== sanitize: $name"
  local start=$SECONDS
  if "$@"; then passed+=("$name"); else failed+=("$name"); fi
  echo "=== sanitize: $name: $((SECONDS - start)) s"
}

if [ "$mode" != --fuzz-only ]; then
  step "configure $asan" cmake -S "$root" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DIMGSPEC_SANITIZE=ON
  if step "build imgspec + imgspec_unit (ASan/UBSan)" cmake --build "$asan" -j"$jobs" --target imgspec imgspec_unit; then
    bin="$asan/apps/imgspec/imgspec"
    step "unit tests (ASan/UBSan)" "$asan/tests/imgspec_unit" --gtest_brief=1
    for t in hostile bad_specs smoke; do
      [ -f "$root/tests/cli/${t}_test.sh" ] || continue
      # A hostile case may take a little longer under ASan; linear work stays far below this.
      step "tests/cli/${t}_test.sh (ASan/UBSan binary)" env HOSTILE_LIMIT=20 MAX_SECONDS=10 \
        bash "$root/tests/cli/${t}_test.sh" "$bin" "$root"
    done
  fi
fi

if [ "$mode" != --no-fuzz ]; then
  step "configure $fuzz" cmake -S "$root" -B "$fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DIMGSPEC_FUZZ=ON -DIMGSPEC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
  if step "build the fuzz targets (clang, ASan/UBSan)" cmake --build "$fuzz" -j"$jobs" --target imgspec_fuzz; then
    step "fuzz: regressions + ${FUZZ_SECONDS:-20} s a target" bash "$root/tests/fuzz/run.sh" "$fuzz" "${FUZZ_SECONDS:-20}"
  fi
fi

echo "=== sanitize: summary"
for s in "${passed[@]}"; do echo "ok: $s"; done
for s in "${failed[@]}"; do echo "FAIL: $s"; done
echo "${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} = 0 ]
