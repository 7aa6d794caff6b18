#!/usr/bin/env bash
# A copied folder swapped with a symlink to an outside folder while imgspec reads it (issue 13,
# item 1). Another process exchanges src/sub (a folder) and src/alt (a symlink to ../../outside)
# with renameat2(RENAME_EXCHANGE) in a loop while `render --context` and `uri` run over and over
# for RACE_SECONDS (default 20). Each run must either succeed with a result that is one of the
# two states the folder passes through (a tar that GNU tar extracts, with no byte from outside,
# its paths those of one state; a tag of one state), or fail with exit 1 ("changed while...") in
# one line. After the loop, `uri` gives the tag of the state the folder is left in.
#
# Usage: bash tests/cli/race_test.sh <path-to-imgspec> <source-dir>
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" XDG_CACHE_HOME="$WORK/cache" NO_COLOR=1
SECONDS_LIMIT=${RACE_SECONDS:-20}
CANARY=OUTSIDE-CANARY-7f3a

mkdir -p "$WORK/outside" "$WORK/p/src/sub/deep"
for i in $(seq 1 40); do
  echo "$CANARY $i" >"$WORK/outside/f$i.txt"
  echo "inside $i" >"$WORK/p/src/sub/f$i.txt"
  echo "inside deep $i" >"$WORK/p/src/sub/deep/g$i.txt"
done
mkdir -p "$WORK/outside/deep"
echo "$CANARY deep" >"$WORK/outside/deep/g1.txt"
ln -s ../../outside "$WORK/p/src/alt"
echo "plain" >"$WORK/p/src/top.txt"
cat >"$WORK/p/spec.yaml" <<'YAML'
name: race
registry: 127.0.0.1:5000
platform: [linux/amd64]
from: {base: "127.0.0.1:5000/busybox:latest"}
layers:
  - source_folder: {src: src, dst: /app}
YAML

# swap [SECONDS]: one exchange, or exchanges in a loop for SECONDS.
cat >"$WORK/swap.py" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
a, b, secs = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2]), float(sys.argv[3])
def once():
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
once()
end = time.monotonic() + secs
while time.monotonic() < end:
    once()
PY
swap() { python3 "$WORK/swap.py" "$WORK/p/src/sub" "$WORK/p/src/alt" "${1:-0}"; }

uri() { "$IMGSPEC" uri --no-cache "$WORK/p/spec.yaml"; }
tag_a=$(uri) || { fail "uri of state A"; finish; exit; }
swap
tag_b=$(uri) || { fail "uri of state B"; finish; exit; }
swap
[ -n "$tag_a" ] && [ "$tag_a" != "$tag_b" ] && ok "the two states have two tags" || fail "tags of the states: '$tag_a' '$tag_b'"

# The tar of each state, listed: a raced tar must list exactly one of them.
"$IMGSPEC" render "$WORK/p/spec.yaml" --no-cache --context "$WORK/a.tar" && tar -tf "$WORK/a.tar" | sort >"$WORK/list_a"
swap
"$IMGSPEC" render "$WORK/p/spec.yaml" --no-cache --context "$WORK/b.tar" && tar -tf "$WORK/b.tar" | sort >"$WORK/list_b"
swap

python3 "$WORK/swap.py" "$WORK/p/src/sub" "$WORK/p/src/alt" "$SECONDS_LIMIT" &
swapper=$!
tars=0 tar_fail=0 tags=0 tag_fail=0 bad=0
deadline=$((SECONDS + SECONDS_LIMIT))
while [ "$SECONDS" -lt "$deadline" ]; do
  rm -f "$WORK/ctx.tar"
  timeout 20 "$IMGSPEC" render "$WORK/p/spec.yaml" --no-cache --context "$WORK/ctx.tar" >/dev/null 2>"$WORK/err"
  rc=$?
  if [ "$rc" = 0 ]; then
    tars=$((tars + 1))
    rm -rf "$WORK/x" && mkdir "$WORK/x"
    if ! tar -xf "$WORK/ctx.tar" -C "$WORK/x" 2>"$WORK/tar_err"; then
      bad=$((bad + 1)); fail "a tar GNU tar cannot extract: $(head -1 "$WORK/tar_err")"
    elif grep -rqF "$CANARY" "$WORK/x" --no-messages; then
      bad=$((bad + 1)); fail "a tar holds bytes from outside the folder"
    elif ! tar -tf "$WORK/ctx.tar" | sort | { cmp -s - "$WORK/list_a" || { tar -tf "$WORK/ctx.tar" | sort | cmp -s - "$WORK/list_b"; }; }; then
      bad=$((bad + 1)); fail "a tar lists neither state's paths"
    fi
  elif [ "$rc" = 1 ] && [ "$(wc -l <"$WORK/err")" -le 2 ] && [ ! -e "$WORK/ctx.tar" ]; then
    tar_fail=$((tar_fail + 1))
  else
    bad=$((bad + 1)); fail "render --context: exit $rc (or a partial file left)"; sed 's/^/  stderr: /' "$WORK/err" | head -5
  fi
  out=$(timeout 20 "$IMGSPEC" uri --no-cache "$WORK/p/spec.yaml" 2>"$WORK/err")
  rc=$?
  if [ "$rc" = 0 ]; then
    tags=$((tags + 1))
    if [ "$out" != "$tag_a" ] && [ "$out" != "$tag_b" ]; then
      bad=$((bad + 1)); fail "uri printed a tag of neither state: $out"
    fi
  elif [ "$rc" = 1 ] && [ "$(wc -l <"$WORK/err")" -le 2 ]; then
    tag_fail=$((tag_fail + 1))
  else
    bad=$((bad + 1)); fail "uri: exit $rc"; sed 's/^/  stderr: /' "$WORK/err" | head -5
  fi
  [ "$bad" -ge 5 ] && break
done
kill "$swapper" 2>/dev/null
wait "$swapper" 2>/dev/null
echo "render --context: $tars tars, $tar_fail failed with exit 1; uri: $tags tags, $tag_fail failed with exit 1"
[ "$bad" = 0 ] && ok "race: every result is one state of the folder, or exit 1"
[ $((tars + tar_fail)) -gt 0 ] && [ $((tags + tag_fail)) -gt 0 ] && ok "race: both commands ran" || fail "race: nothing ran"

final=$(uri)
if [ -L "$WORK/p/src/sub" ]; then want=$tag_b; else want=$tag_a; fi
[ "$final" = "$want" ] && ok "after the loop: uri is the tag of the state left" || fail "after the loop: '$final', want '$want'"
finish
