#!/usr/bin/env bash
# The corpus of bad specs: every tests/data/bad-specs/NN-slug.{yaml,yml,toml} must fail
# `imgspec validate` with the exit code and the messages its NN-slug.expect names:
#   line 1      the expected exit code
#   other lines substrings that must all appear in stderr; a line starting with '!' names a
#               substring that must NOT appear (e.g. a secret's value); lines starting with '#'
#               are comments; blank lines are ignored
# For every case: stdout stays empty, each "error:" line names its spec with line:column, and the
# run takes at most $MAX_SECONDS seconds (alias bombs, deep nesting).
# Then a few usage errors of the command line itself (exit 2).
#
# Usage: bash tests/cli/bad_specs_test.sh <path-to-imgspec> <source-dir> [case-name-filter]
set -uo pipefail
IMGSPEC=$(realpath "$1")
SRC=$(realpath "$2")
FILTER=${3:-}
CASES="$SRC/tests/data/bad-specs"
MAX_SECONDS=${MAX_SECONDS:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-bad.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# No user config, refs or colours may change what the binary prints.
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" HOME="$WORK/home" NO_COLOR=1
mkdir -p "$WORK/home"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
# fail NAME REASON...: the reasons (one per argument) follow, then the command's stderr and stdout.
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  shift
  local r
  for r in "$@"; do echo "  $r"; done
  echo "  --- stderr (actual) ---"
  if [ -s "$WORK/err" ]; then sed 's/^/  | /' "$WORK/err"; else echo "  (empty)"; fi
  if [ -s "$WORK/out" ]; then
    echo "  --- stdout (actual; must be empty) ---"
    sed 's/^/  | /' "$WORK/out" | head -20
  fi
}

# run CMD...: stdout in $WORK/out, stderr in $WORK/err, exit code in $code, wall time in $millis.
run() {
  local start end
  start=$(date +%s%N)
  timeout --kill-after=2 $((MAX_SECONDS * 4)) "$@" >"$WORK/out" 2>"$WORK/err"
  code=$?
  end=$(date +%s%N)
  millis=$(((end - start) / 1000000))
}

# --- The corpus ---------------------------------------------------------------------------------
cd "$CASES" || { echo "FAIL: no folder $CASES"; exit 1; }
shopt -s nullglob
cases=([0-9][0-9]-*.yaml [0-9][0-9]-*.yml [0-9][0-9]-*.toml)
mapfile -t cases < <(printf '%s\n' "${cases[@]}" | LC_ALL=C sort)
[ "${#cases[@]}" -gt 0 ] || { echo "FAIL: no cases in $CASES"; exit 1; }

for spec in "${cases[@]}"; do
  name=${spec%.*}
  if [ -n "$FILTER" ] && [[ $name != *$FILTER* ]]; then
    continue
  fi
  expect="$name.expect"
  if [ ! -f "$expect" ]; then
    : >"$WORK/err"
    : >"$WORK/out"
    fail "$spec" "no $expect beside it"
    continue
  fi
  want_code=$(head -n 1 "$expect" | tr -d '[:space:]')
  # The spec by its relative name, as a user in this folder types it. Messages from the reader name
  # it so; messages that name it by its absolute path still contain "NN-slug.yaml:LINE:COL".
  run "$IMGSPEC" validate "$spec"
  problems=()
  [ "$code" = "$want_code" ] || problems+=("exit code: got $code, want $want_code")
  [ -s "$WORK/out" ] && problems+=("stdout is not empty: errors belong on stderr")
  [ "$millis" -le $((MAX_SECONDS * 1000)) ] || problems+=("took ${millis} ms, more than ${MAX_SECONDS} s")
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    [ -z "$line" ] && continue
    [ "${line:0:1}" = "#" ] && continue
    if [ "${line:0:1}" = "!" ]; then
      grep -qF -- "${line:1}" "$WORK/err" && problems+=("- must not appear: ${line:1}")
    else
      grep -qF -- "$line" "$WORK/err" || problems+=("- missing: $line")
    fi
  done < <(tail -n +2 "$expect")
  # Every diagnostic about a spec says where: "<file>.yaml:LINE:COL: error:" (a file that cannot be
  # read at all has no line to give, nor does a usage error).
  if [ "$want_code" = 3 ]; then
    grep -E ': error: ' "$WORK/err" | grep -vE '\.(yaml|yml|toml|py):[0-9]+:[0-9]+: error: ' \
      | grep -vE '^imgspec: ' >"$WORK/noline"
    if [ -s "$WORK/noline" ]; then
      while IFS= read -r l; do problems+=("error without line:column: $l"); done <"$WORK/noline"
    fi
  fi
  if [ "${#problems[@]}" -eq 0 ]; then
    pass "$spec (${millis} ms)"
  else
    fail "$spec" "${problems[@]}"
  fi
done

# Every spec's problems in one run: two bad specs at once report both, still exit 3.
run "$IMGSPEC" validate 05-unknown-top-key.yaml 15-image-name-uppercase.yaml
if [ "$code" = 3 ] && grep -qF "05-unknown-top-key.yaml:4:1: error: regsitry: unknown key" "$WORK/err" &&
  grep -qF "15-image-name-uppercase.yaml:1:7: error: name:" "$WORK/err" && [ ! -s "$WORK/out" ]; then
  pass "validate of two bad specs reports both"
else
  fail "validate of two bad specs reports both" "exit $code, want 3 and both specs' errors"
fi

# --- Usage errors: exit 2, a message on stderr, nothing on stdout --------------------------------
# usage NAME STDERR_SUBSTRING CMD...
usage() {
  local what=$1 text=$2
  shift 2
  run "$@"
  local problems=()
  [ "$code" = 2 ] || problems+=("exit code: got $code, want 2")
  [ -s "$WORK/out" ] && problems+=("stdout is not empty")
  grep -qF -- "$text" "$WORK/err" || problems+=("- missing: $text")
  if [ "${#problems[@]}" -eq 0 ]; then pass "usage: $what"; else fail "usage: $what" "${problems[@]}"; fi
}
good="$SRC/specs/quickstart.yaml"
# CLI11 says "A subcommand is required" here without naming 'bulid' or suggesting 'build'.
usage "unknown subcommand" "imgspec: error:" "$IMGSPEC" bulid "$good"
usage "no subcommand" "error" "$IMGSPEC"
usage "validate without a spec" "SPEC" "$IMGSPEC" validate
usage "render --dockerfile with --context" "excludes" "$IMGSPEC" render "$good" --dockerfile --context "$WORK/ctx.tar"
[ -e "$WORK/ctx.tar" ] && fail "render --dockerfile --context wrote a context file" "$WORK/ctx.tar exists"
usage "render --dockerfile with --buildx" "excludes" "$IMGSPEC" render "$good" --dockerfile --buildx
usage "--ref without '='" "--ref bad: expected NAME=URI" "$IMGSPEC" --ref bad validate "$good"
usage "--ref with an empty URI" "expected NAME=URI" "$IMGSPEC" --ref gpu= validate "$good"
usage "--ref with an invalid URI" "not a valid image reference" "$IMGSPEC" --ref "gpu=Bad Image" validate "$good"
usage "unknown flag" "--bogus" "$IMGSPEC" validate --bogus "$good"
usage "missing --config file" "does not exist" "$IMGSPEC" --config "$WORK/nope.yaml" validate "$good"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
