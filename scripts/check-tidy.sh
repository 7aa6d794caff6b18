#!/usr/bin/env bash
# Fails when a function of the library (lib/src) is harder to follow than .clang-tidy allows:
# clang-tidy 14's readability-function-cognitive-complexity, with the Threshold set there. Only
# that check is enforced here (the other checks of .clang-tidy are for editors). Needs the build's
# compile_commands.json (scripts/test.sh configures the build first); files run in parallel.
# Usage: scripts/check-tidy.sh [BUILD_DIR]   (default $IMGSPEC_BUILD_DIR, else build/)
# Environment: IMGSPEC_TIDY_JOBS (parallel clang-tidy processes, default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${IMGSPEC_BUILD_DIR:-$root/build}}
jobs=${IMGSPEC_TIDY_JOBS:-2}
cd "$root"

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [ -z "$tidy" ]; then
  echo "check-tidy: clang-tidy not found; install the Debian package clang-tidy-14" >&2
  exit 1
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "check-tidy: no $build/compile_commands.json; configure the build first (cmake -S . -B build)" >&2
  exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- 'lib/src/*.cpp')
else
  mapfile -t files < <(find lib/src -type f -name '*.cpp' | sort)
fi

out=$(mktemp "${TMPDIR:-/tmp}/imgspec-tidy.XXXXXX")
trap 'rm -f "$out"' EXIT
start=$SECONDS
rc=0
printf '%s\0' "${files[@]}" |
  xargs -0 -n 4 -P "$jobs" "$tidy" -p "$build" --quiet \
    --checks='-*,readability-function-cognitive-complexity' --warnings-as-errors='*' \
    >"$out" 2>/dev/null || rc=$?
if [ "$rc" -ne 0 ]; then
  grep -E 'error:' "$out" | sort -u >&2 || cat "$out" >&2
  echo "check-tidy: a function is over the cognitive-complexity threshold of .clang-tidy;" \
    "split it into functions that each say one thing" >&2
  exit 1
fi
echo "check-tidy: ${#files[@]} files within the cognitive-complexity threshold ($((SECONDS - start)) s)"
