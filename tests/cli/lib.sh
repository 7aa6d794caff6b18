# Shared helpers for whole-binary tests: sourced, not run.
# Each test gets: $IMGSPEC (the binary), $SRC (source dir), $WORK (a fresh temp dir, removed at exit).
set -uo pipefail
IMGSPEC=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# check NAME EXPECTED_EXIT CMD...: runs CMD, stdout in $WORK/out, stderr in $WORK/err.
check() {
  local name=$1 want=$2
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" = "$want" ]; then ok "$name"; else
    fail "$name: exit $got, want $want"; sed 's/^/  stderr: /' "$WORK/err" | head -20
  fi
}

# expect_in FILE TEXT NAME
expect_in() {
  if grep -qF -- "$2" "$1"; then ok "$3"; else fail "$3: '$2' not in $1"; sed 's/^/  | /' "$1" | head -20; fi
}

# expect_not_in FILE TEXT NAME
expect_not_in() {
  if grep -qF -- "$2" "$1"; then fail "$3: '$2' found in $1"; grep -nF -- "$2" "$1" | head -5; else ok "$3"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
