#!/usr/bin/env bash
# `--no-cache` on uri and render: every file is read and hashed, and the stat cache
# ($XDG_CACHE_HOME/imgspec/stat/...) is neither read nor written; the tag is the same either way.
# Reading is proven with a poisoned cache file: a valid one (checksum fixed up) whose record for a
# file holds a wrong digest. A run that reads the cache prints another tag; --no-cache must not.
#
# Usage: bash tests/cli/no_cache_test.sh <path-to-imgspec> <source-dir>
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" XDG_CACHE_HOME="$WORK/cache" NO_COLOR=1
cache_dir=$WORK/cache/imgspec/stat

mkdir -p "$WORK/p/src/sub"
cat >"$WORK/p/spec.yaml" <<'EOF'
name: nocache
from:
  base: 127.0.0.1:5000/busybox:latest
layers:
  - source_folder: {src: src, dst: /app}
EOF
echo one >"$WORK/p/src/a.txt"
echo two >"$WORK/p/src/sub/b.txt"
# Files whose mtime or ctime is within ~2 s of the run are racily clean and never cached; ctime
# cannot be set back, so let them age.
sleep 2.5

check "uri --no-cache" 0 "$IMGSPEC" uri --no-cache "$WORK/p/spec.yaml"
want=$(cat "$WORK/out")
if [ ! -e "$cache_dir" ]; then ok "uri --no-cache writes no cache"; else
  fail "uri --no-cache wrote $(ls "$cache_dir")"
fi
check "render --no-cache --context" 0 "$IMGSPEC" render "$WORK/p/spec.yaml" --no-cache --context "$WORK/ctx.tar"
if [ ! -e "$cache_dir" ]; then ok "render --no-cache writes no cache"; else
  fail "render --no-cache wrote $(ls "$cache_dir")"
fi

check "uri (fills the cache)" 0 "$IMGSPEC" uri "$WORK/p/spec.yaml"
if [ "$(cat "$WORK/out")" = "$want" ]; then ok "same tag with the cache"; else
  fail "tag with the cache $(cat "$WORK/out"), without $want"
fi
cache_file=$(ls "$cache_dir"/* 2>/dev/null | head -1)
if [ -n "$cache_file" ]; then ok "uri writes a cache file"; else fail "no cache file in $cache_dir"; fi

# Poison it: flip a byte of every record's digest and fix the trailing checksum (see
# lib/src/plan/stat_cache.cpp for the layout: 40-byte header, 80-byte records, SHA-256 trailer).
python3 - "$cache_file" <<'EOF'
import hashlib, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
count = int.from_bytes(data[16:24], "little")
assert count >= 2, count
for i in range(count):
    data[40 + 80 * i + 48] ^= 0xFF
body = bytes(data[:-32])
open(path, "wb").write(body + hashlib.sha256(body).digest())
EOF
poisoned=$(sha256sum "$cache_file")
check "uri (reads the poisoned cache)" 0 "$IMGSPEC" uri "$WORK/p/spec.yaml"
if [ "$(cat "$WORK/out")" != "$want" ]; then ok "the cache is read without --no-cache"; else
  fail "the poisoned cache was not used: the test proves nothing"
fi
# Every record matched, so that run left the file as it was.
[ "$(sha256sum "$cache_file")" = "$poisoned" ] || fail "the run with the cache rewrote it"
before=$(sha256sum "$cache_file"; stat -c %Y.%i "$cache_file")

check "uri --no-cache (poisoned cache)" 0 "$IMGSPEC" uri --no-cache "$WORK/p/spec.yaml"
if [ "$(cat "$WORK/out")" = "$want" ]; then ok "uri --no-cache does not read the cache"; else
  fail "uri --no-cache printed $(cat "$WORK/out"), want $want"
fi
check "render --no-cache --json (poisoned cache)" 0 "$IMGSPEC" render --no-cache --json "$WORK/p/spec.yaml"
expect_in "$WORK/out" "${want##*:}" "render --no-cache does not read the cache"
after=$(sha256sum "$cache_file"; stat -c %Y.%i "$cache_file")
if [ "$before" = "$after" ]; then ok "--no-cache leaves the cache file alone"; else
  fail "--no-cache changed the cache file"
fi

check "uri --help" 0 "$IMGSPEC" uri --help
expect_in "$WORK/out" "--no-cache" "uri --help lists --no-cache"
check "render --help" 0 "$IMGSPEC" render --help
expect_in "$WORK/out" "--no-cache" "render --help lists --no-cache"
finish
