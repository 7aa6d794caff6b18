#!/usr/bin/env bash
# Replays every saved crash (tests/fuzz/regressions/<target>/*) and then fuzzes each target for a
# while, seeded from specs/, the bad-spec corpus (tests/data/bad-specs), tests/data/hostile and
# tests/fuzz/corpus.
# A crash, a UBSan/ASan report, an escaped exception, a timeout (-timeout) or an RSS past
# -rss_limit_mb fails the run; the input is kept under $FUZZ_ARTIFACTS and the way to turn it into
# a regression is printed.
#
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
#   BUILD_DIR  a build configured with -DIMGSPEC_FUZZ=ON (cmake/fuzz.cmake), targets built
#   SECONDS    default $FUZZ_SECONDS, else 20; 0 replays the regressions only
# Environment: FUZZ_CORPUS_DIR keeps the grown corpus between runs (default: a temp folder);
#              FUZZ_ARTIFACTS where crashing inputs go (default: BUILD_DIR/fuzz-artifacts).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}" && pwd)
seconds=${2:-${FUZZ_SECONDS:-20}}
shift $(($# >= 2 ? 2 : 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_yaml fuzz_toml fuzz_dockerignore fuzz_pep723 fuzz_python_imports fuzz_secrets)
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
work=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
# The harnesses copy specs/ into $TMPDIR: keep that inside our folder.
export TMPDIR=$work
# Symbolized reports; a leak fails the run like a crash.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# seeds TARGET DIR: copies the seed files of TARGET into DIR.
seeds() {
  local t=$1 d=$2
  mkdir -p "$d"
  local files=()
  case $t in
    fuzz_yaml) files=("$src"/specs/*.yaml "$src"/tests/data/bad-specs/*.yaml "$src"/tests/data/bad-specs/*.yml
                      "$src"/tests/data/hostile/*.yaml) ;;
    fuzz_toml) mapfile -t files < <(ls "$src"/specs/*.toml "$src"/tests/data/bad-specs/*.toml "$src"/tests/data/hostile/*.toml
                                    find "$src/specs" -name pyproject.toml -o -name '*.lock') ;;
    fuzz_dockerignore) mapfile -t files < <(find "$src/specs" "$src/tests/data" -name '.dockerignore*') ;;
    fuzz_pep723 | fuzz_python_imports) mapfile -t files < <(find "$src/specs" "$src/tests/data" -name '*.py') ;;
    fuzz_secrets) files=() ;; # its seeds are tests/fuzz/corpus/fuzz_secrets (bytes the harness splits into fields)
  esac
  local f i=0
  for f in "${files[@]}" "$here/corpus/$t"/* "$here/regressions/$t"/*; do
    [ -f "$f" ] || continue
    i=$((i + 1))
    cp "$f" "$d/$i-$(basename "$f")"
  done
}

for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  if [ ! -x "$bin" ]; then
    fail "$t: $bin not built (cmake --build $build --target imgspec_fuzz)"
    continue
  fi
  dict=()
  [ -f "$here/dict/${t#fuzz_}.dict" ] && dict=(-dict="$here/dict/${t#fuzz_}.dict")

  # 1. Every saved crash must now pass.
  shopt -s nullglob
  regs=("$here/regressions/$t"/*)
  shopt -u nullglob
  if [ ${#regs[@]} -gt 0 ]; then
    if "$bin" -timeout=10 "${regs[@]}" >"$work/$t.replay.log" 2>&1; then
      ok "$t: ${#regs[@]} regression inputs replayed"
    else
      fail "$t: a regression input fails again"
      grep -E 'ERROR|runtime error|Running:|==[0-9]+==' "$work/$t.replay.log" | head -20 | sed 's/^/  | /'
    fi
  else
    ok "$t: no regression inputs yet"
  fi
  [ "$seconds" = 0 ] && continue

  # 2. A short run from the seeds.
  corpus=${FUZZ_CORPUS_DIR:+$FUZZ_CORPUS_DIR/$t}
  corpus=${corpus:-$work/corpus/$t}
  mkdir -p "$corpus" "$artifacts/$t"
  seeds "$t" "$work/seeds/$t"
  log="$work/$t.log"
  start=$(date +%s)
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t/" "${dict[@]}" "$corpus" "$work/seeds/$t" >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[A-Za-z]*' "$log" | tail -1)
  if [ "$rc" = 0 ]; then
    ok "$t: ${took} s, ${execs:-?} inputs, ${cov:-no coverage line}, no finding"
  else
    fail "$t: exit $rc after ${took} s (${execs:-?} inputs)"
    grep -E 'ERROR: |runtime error|SUMMARY|terminate called|what\(\)' "$log" | head -10 | sed 's/^/  | /'
    for a in "$artifacts/$t"/*; do
      [ -f "$a" ] || continue
      echo "  input: $a"
      echo "  keep it: cp '$a' '$here/regressions/$t/<what-it-is>'; then fix the bug (it is replayed by this script)"
    done
    tail -n 40 "$log" | sed 's/^/  log| /'
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
