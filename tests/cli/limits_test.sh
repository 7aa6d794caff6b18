#!/usr/bin/env bash
# Limits: what imgspec refuses, and what it handles in bounded time and memory.
#   - a spec file past the loader's 4 MiB bound is refused at once (exit 3), one just under it loads;
#   - 100,000 files in a source_folder: `render --context` and `uri` finish in bounded time and
#     memory (measured here: about 10 s and 85 MiB for render --context on 2 cores; bounds below);
#   - a path past PATH_MAX in a copied tree is a clear error, not a crash;
#   - a single 3 GiB (sparse) file: `render --context` streams it (peak RSS < 100 MiB) and the tar
#     holds it whole; `uri` hashes it in bounded memory too.
# Peak RSS comes from /usr/bin/time -v; memory bounds are skipped for a sanitizer build.
#
# Usage: bash tests/cli/limits_test.sh <path-to-imgspec> <source-dir>
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" XDG_CACHE_HOME="$WORK/cache" NO_COLOR=1
BASE=127.0.0.1:5000/busybox:latest
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "FAIL: /usr/bin/time missing (apt-get install time)"; echo "0 passed, 1 failed"; exit 1; }
asan=0
ldd "$IMGSPEC" 2>/dev/null | grep -qE 'libasan|libubsan' && asan=1

# measure NAME WANT_EXIT MAX_SECONDS MAX_RSS_MIB CMD...: runs CMD under /usr/bin/time -v with a time
# limit; checks exit code, wall time and peak RSS. Sets $secs and $rss_mib.
measure() {
  local name=$1 want=$2 max_s=$3 max_mib=$4
  shift 4
  local start got problems=()
  start=$(date +%s%N)
  timeout --kill-after=2 $((max_s * 2)) "$TIME" -v -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"
  got=$?
  local ms=$((($(date +%s%N) - start) / 1000000))
  secs=$(awk -v m="$ms" 'BEGIN { printf "%.1f", m / 1000 }')
  rss_mib=$(($(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time" 2>/dev/null || echo 0) / 1024))
  [ "$got" = "$want" ] || problems+=("exit $got, want $want")
  [ "$ms" -le $((max_s * 1000)) ] || problems+=("took ${secs} s, bound ${max_s} s")
  if [ "$asan" = 0 ] && [ "$max_mib" != - ] && [ "$rss_mib" -gt "$max_mib" ]; then
    problems+=("peak RSS ${rss_mib} MiB, bound ${max_mib} MiB")
  fi
  grep -qE 'Sanitizer|runtime error:' "$WORK/err" && problems+=("sanitizer report")
  if [ ${#problems[@]} -eq 0 ]; then ok "$name (${secs} s, ${rss_mib} MiB)"; else
    fail "$name: ${problems[*]}"; sed 's/^/  stderr: /' "$WORK/err" | head -10
  fi
}
err_has() { expect_in "$WORK/err" "$1" "$2"; }

# --- A spec file larger than the loader's bound --------------------------------------------------
cd "$WORK" || exit 1
python3 - <<EOF
head = 'name: big\nfrom: {base: "$BASE"}\nlayers:\n  - env_vars: {A: "1"}\n'
def padded(total):
    line = '#' + 'x' * 1022 + '\n'
    n = (total - len(head)) // len(line)
    body = head + line * n
    return body + '#' * (total - len(body))
open('just-under.yaml', 'w').write(padded((4 << 20) - 1))
open('just-over.yaml', 'w').write(padded((4 << 20) + 1))
open('huge.yaml', 'w').write(padded(64 << 20))
EOF
measure "a spec of 4 MiB - 1 byte loads" 0 10 100 "$IMGSPEC" validate just-under.yaml
measure "a spec of 4 MiB + 1 byte is refused" 3 5 50 "$IMGSPEC" validate just-over.yaml
err_has "just-over.yaml: error: the file is larger than 4194304 bytes, the limit for a spec" "over 4 MiB: says so"
measure "a 64 MiB spec is refused without reading it all" 3 5 50 "$IMGSPEC" validate huge.yaml
ln -s /dev/zero endless.yaml
measure "an endless spec (/dev/zero) is refused" 3 5 50 "$IMGSPEC" validate endless.yaml

# --- 100,000 files ----------------------------------------------------------------------------------
# On tmpfs when there is room: creating 100k files on a busy disk takes longer than the test itself.
tree_root=$WORK
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((2 << 20)) ]; then
  tree_root=$(mktemp -d /dev/shm/imgspec-limits.XXXXXX)
  trap 'rm -rf "$WORK" "$tree_root"' EXIT
fi
many="$tree_root/many"
start=$(date +%s)
python3 - "$many" <<'EOF'
import os, sys
root = sys.argv[1]
for d in range(100):
    sub = os.path.join(root, 'src', f'd{d:03}')
    os.makedirs(sub)
    for f in range(1000):
        with open(os.path.join(sub, f'f{f:04}.txt'), 'w') as fh:
            fh.write(f'{d} {f}\n')
EOF
echo "(100,000 files made in $(($(date +%s) - start)) s under $tree_root)"
printf 'name: many\nfrom: {base: "%s"}\nlayers:\n  - source_folder: {src: src, dst: /s}\n' "$BASE" >"$many/spec.yaml"
measure "100k files: render --context, cold" 0 90 256 "$IMGSPEC" render "$many/spec.yaml" --context "$WORK/many.tar"
python3 - "$WORK/many.tar" <<'EOF' && ok "100k files: all in the tar, each with its content" || fail "100k files: tar content"
import sys, tarfile
t = tarfile.open(sys.argv[1])
files = [m for m in t.getmembers() if m.isfile() and m.name.startswith('layers/0/')]
assert len(files) == 100000, len(files)
m = t.getmember('layers/0/d042/f0999.txt')
assert t.extractfile(m).read() == b'42 999\n'
EOF
measure "100k files: uri (stat cache warm)" 0 60 256 "$IMGSPEC" uri "$many/spec.yaml"
uri1=$(cat "$WORK/out")
rm -rf "$XDG_CACHE_HOME"
measure "100k files: uri (stat cache cold)" 0 60 256 "$IMGSPEC" uri "$many/spec.yaml"
[ "$uri1" = "$(cat "$WORK/out")" ] && ok "100k files: the same URI with and without the stat cache" || fail "100k files: URI differs with the cache"
rm -rf "$many" "$WORK/many.tar"

# --- A path longer than PATH_MAX in a copied folder ------------------------------------------------
mkdir -p deep
python3 - deep/src <<'EOF'
import os, sys
os.makedirs(sys.argv[1]); os.chdir(sys.argv[1])
for _ in range(24):  # 24 x 251 bytes: past PATH_MAX (4096) from any folder
    os.mkdir('d' * 250); os.chdir('d' * 250)
open('f.txt', 'w').write('x')
EOF
printf 'name: deep\nfrom: {base: "%s"}\nlayers:\n  - source_folder: {src: src, dst: /s}\n' "$BASE" >deep/spec.yaml
measure "a path past PATH_MAX in a copied folder" 3 20 100 "$IMGSPEC" render deep/spec.yaml --context "$WORK/deep.tar"
err_has "File name too long" "past PATH_MAX: says why"
[ -e "$WORK/deep.tar" ] && fail "past PATH_MAX: a context file was written" || ok "past PATH_MAX: no context file"
rm -rf deep

# --- One 3 GiB file ---------------------------------------------------------------------------------
mkdir -p huge/src
truncate -s 3G huge/src/big.bin
printf 'tail' >>huge/src/big.bin # a few real bytes at the end
printf 'name: huge\nfrom: {base: "%s"}\nlayers:\n  - source_folder: {src: src, dst: /s}\n' "$BASE" >huge/spec.yaml
measure "3 GiB file: render --context streams it" 0 110 100 "$IMGSPEC" render huge/spec.yaml --context "$WORK/huge.tar"
python3 - "$WORK/huge.tar" <<'EOF' && ok "3 GiB file: whole in the tar (size, last bytes)" || fail "3 GiB file: tar entry"
import sys, tarfile
t = tarfile.open(sys.argv[1])
m = t.getmember('layers/0/big.bin')
assert m.isfile() and m.size == (3 << 30) + 4, m.size
f = t.extractfile(m)
f.seek(m.size - 8)
assert f.read() == b'\0\0\0\0tail'
EOF
rm -f "$WORK/huge.tar"
rm -rf "$XDG_CACHE_HOME"
measure "3 GiB file: uri hashes it in bounded memory" 0 60 100 "$IMGSPEC" uri huge/spec.yaml
rm -rf huge

finish
