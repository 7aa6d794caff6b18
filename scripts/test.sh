#!/usr/bin/env bash
# The whole test suite: installs build dependencies, builds imgspec, starts the real engine stack
# (docker engine, buildx, QEMU, registries), and runs unit, CLI and end-to-end tests with CTest.
# Usage: scripts/test.sh [ctest args...]   e.g. scripts/test.sh -L unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${IMGSPEC_BUILD_DIR:-$root/build}

bash "$root/scripts/deps.sh"
# Formatting first: a diff fails the run in a second, before any compiling.
bash "$root/scripts/check-format.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
# Cognitive complexity of the library's functions (clang-tidy over compile_commands.json).
bash "$root/scripts/check-tidy.sh" "$build"
if [ "${IMGSPEC_NO_ENGINE:-}" != 1 ]; then
  bash "$root/scripts/engine.sh" up
fi
cd "$build"
rc=0
ctest --output-on-failure -j2 "$@" || rc=$?
# ASan/UBSan build + hostile-input tests + a short fuzz run; not with a ctest filter, nor with IMGSPEC_NO_SANITIZE=1.
if [ $# -eq 0 ] && [ "${IMGSPEC_NO_SANITIZE:-}" != 1 ]; then bash "$root/scripts/sanitize.sh" || rc=1; fi
exit "$rc"
