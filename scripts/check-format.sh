#!/usr/bin/env bash
# Fails when a tracked C++ file is not laid out as clang-format 14 lays it out with the repo's
# .clang-format, naming the file and line. Fast (a second or two), so scripts/test.sh runs it
# before the build. Usage: scripts/check-format.sh [--fix]   (--fix rewrites the files instead)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cf=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$cf" ]; then
  echo "check-format: clang-format not found; install the Debian package clang-format-14" >&2
  exit 1
fi
# Another major version lays some code out differently: check with the one the code is kept in.
if ! "$cf" --version | grep -q 'version 14\.'; then
  echo "check-format: $("$cf" --version) is not clang-format 14; install clang-format-14" >&2
  exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t all < <(git ls-files -- '*.cpp' '*.hpp' '*.h' '*.cc')
else
  mapfile -t all < <(find apps lib tests bench -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \) | sort)
fi
files=("${all[@]}")

if [ "${1:-}" = --fix ]; then
  "$cf" -i "${files[@]}"
  exit 0
fi
if ! "$cf" --dry-run -Werror "${files[@]}"; then
  echo "check-format: the files above are not clang-format clean; run scripts/check-format.sh --fix" >&2
  exit 1
fi
