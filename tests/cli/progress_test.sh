#!/usr/bin/env bash
# The progress line on stderr: shown on a terminal (faked with util-linux `script`), never when
# stderr is not a terminal, never with -q; stdout and the written file are the same either way.
# $IMGSPEC_PROGRESS_DELAY_MS=0 shows it at once (by default it waits 500 ms, so quick work shows
# nothing).
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" NO_COLOR=1
if ! command -v script >/dev/null; then
  fail "no 'script' (util-linux)"
  finish
  exit
fi

# Each run starts with an empty stat cache, so that every file is read (and hashed) again.
fresh_cache() { echo "XDG_CACHE_HOME='$WORK/cache-$RANDOM$RANDOM'"; }

# A context of 300 files, 24 MiB.
mkdir -p "$WORK/big/data"
for i in $(seq 1 300); do head -c 81920 /dev/urandom >"$WORK/big/data/f$i.bin"; done
printf 'name: big\nfrom: {base: busybox}\nlayers:\n  - source_folder: {src: data, dst: /data}\n' >"$WORK/big/spec.yaml"
cd "$WORK/big"

# on_tty CMD: runs CMD with stdin, stdout and stderr on a pseudo-terminal; prints what it drew.
on_tty() {
  script -qec "$*" /dev/null </dev/null
}

on_tty "$(fresh_cache) IMGSPEC_PROGRESS_DELAY_MS=0 '$IMGSPEC' render spec.yaml --context '$WORK/tty.tar'" >"$WORK/tty.out"
tr '\r' '\n' <"$WORK/tty.out" >"$WORK/tty.lines"
if grep -qE '^imgspec: writing context [0-9,]+/301 files, [0-9.]+ [KMG]?i?B/2[0-9.]* MiB' "$WORK/tty.lines"; then
  ok "terminal: a progress line with files and bytes"
else
  fail "terminal: no progress line"; sed 's/^/  | /' "$WORK/tty.lines" | head -5
fi
# A fresh cache has no records, so files are stat'ed as they are read: no byte total, an ETA from
# the files (the byte total of a walk that stats is checked in tests/unit/plan/hash_progress_test).
hashing_line='^imgspec: hashing [0-9,]+/300 files, [0-9.]+ [KMG]?i?B(,|$)'
if grep -qE "$hashing_line" "$WORK/tty.lines"; then
  ok "terminal: render hashes with a progress line first"
else
  fail "terminal: render showed no hashing line"; sed 's/^/  | /' "$WORK/tty.lines" | head -5
fi
# The last thing drawn clears the line: spaces then a carriage return.
tail -c 2 "$WORK/tty.out" | od -c | grep -q ' \\r' && ok "terminal: the line is cleared at the end" ||
  fail "terminal: the line is not cleared: $(tail -c 40 "$WORK/tty.out" | od -c | tail -3)"

on_tty "$(fresh_cache) IMGSPEC_PROGRESS_DELAY_MS=0 '$IMGSPEC' -q render spec.yaml --context '$WORK/quiet.tar'" >"$WORK/quiet.out"
[ -s "$WORK/quiet.out" ] && fail "-q on a terminal still drew: $(head -c 80 "$WORK/quiet.out")" || ok "-q: nothing on the terminal"

on_tty "$(fresh_cache) '$IMGSPEC' render spec.yaml --context '$WORK/default.tar'" >"$WORK/default.out"
grep -q 'writing context' "$WORK/default.out" && echo "note: the 24 MiB context took over 500 ms here" || ok "quick work: no line with the default delay"

XDG_CACHE_HOME="$WORK/cache-pipe" IMGSPEC_PROGRESS_DELAY_MS=0 "$IMGSPEC" render spec.yaml --context "$WORK/pipe.tar" 2>"$WORK/pipe.err" >"$WORK/pipe.out"
[ -s "$WORK/pipe.err" ] && fail "stderr not a terminal, yet: $(head -c 80 "$WORK/pipe.err")" || ok "not a terminal: nothing on stderr"
[ -s "$WORK/pipe.out" ] && fail "render --context printed to stdout" || ok "stdout stays empty"
cmp -s "$WORK/tty.tar" "$WORK/pipe.tar" && cmp -s "$WORK/tty.tar" "$WORK/quiet.tar" && ok "the same tar with and without the line" ||
  fail "the tar differs with a progress line"
tar -tf "$WORK/tty.tar" | grep -c '^layers/0/f' | grep -qx 300 && ok "the tar has every file" || fail "files missing from the tar"

# --- uri: the hashing line ------------------------------------------------------------------------
want_uri=$(XDG_CACHE_HOME="$WORK/cache-uri0" "$IMGSPEC" uri spec.yaml)
on_tty "$(fresh_cache) IMGSPEC_PROGRESS_DELAY_MS=0 '$IMGSPEC' uri spec.yaml" >"$WORK/uri.out"
tr '\r' '\n' <"$WORK/uri.out" >"$WORK/uri.lines"
if grep -qE "$hashing_line" "$WORK/uri.lines"; then
  ok "uri on a terminal: a hashing line with files and bytes"
else
  fail "uri on a terminal: no hashing line"; sed 's/^/  | /' "$WORK/uri.lines" | head -5
fi
# The line is cleared before the URI is printed: the URI sits alone at the start of its line.
grep -qxF "$want_uri" <(sed 's/ *$//' "$WORK/uri.lines") && ok "uri on a terminal: the URI on a clean line" ||
  fail "uri on a terminal: the URI is mangled: $(od -c "$WORK/uri.out" | tail -4)"
on_tty "$(fresh_cache) IMGSPEC_PROGRESS_DELAY_MS=0 '$IMGSPEC' -q uri spec.yaml" >"$WORK/uri-q.out"
grep -q 'hashing' "$WORK/uri-q.out" && fail "uri -q on a terminal drew a line" || ok "uri -q: no hashing line"
on_tty "$(fresh_cache) IMGSPEC_PROGRESS_DELAY_MS=0 '$IMGSPEC' uri --json spec.yaml" >"$WORK/uri-json.out"
grep -q 'hashing' "$WORK/uri-json.out" && fail "uri --json on a terminal drew a line" || ok "uri --json: no hashing line"
XDG_CACHE_HOME="$WORK/cache-uri-pipe" IMGSPEC_PROGRESS_DELAY_MS=0 "$IMGSPEC" uri spec.yaml 2>"$WORK/uri-pipe.err" >"$WORK/uri-pipe.out"
[ -s "$WORK/uri-pipe.err" ] && fail "uri, stderr not a terminal, yet: $(head -c 80 "$WORK/uri-pipe.err")" || ok "uri, not a terminal: nothing on stderr"
[ "$(cat "$WORK/uri-pipe.out")" = "$want_uri" ] && ok "uri, not a terminal: stdout is the URI" || fail "uri stdout: $(cat "$WORK/uri-pipe.out")"

# --- build --dry-run: hashes (no context is sent); needs docker only for the existence check -----
if docker buildx version >/dev/null 2>&1; then
  on_tty "$(fresh_cache) IMGSPEC_PROGRESS_DELAY_MS=0 timeout 120 '$IMGSPEC' build --dry-run spec.yaml" >"$WORK/dry.out"
  tr '\r' '\n' <"$WORK/dry.out" >"$WORK/dry.lines"
  grep -qE '^imgspec: hashing [0-9,]+/300 files' "$WORK/dry.lines" && ok "build --dry-run on a terminal: a hashing line" ||
    { fail "build --dry-run on a terminal: no hashing line"; sed 's/^/  | /' "$WORK/dry.lines" | head -5; }
  grep -q 'sending context' "$WORK/dry.lines" && fail "build --dry-run sent a context" || ok "build --dry-run: no context sent"
  on_tty "$(fresh_cache) IMGSPEC_PROGRESS_DELAY_MS=0 timeout 120 '$IMGSPEC' -q build --dry-run spec.yaml" >"$WORK/dry-q.out"
  grep -q 'hashing' "$WORK/dry-q.out" && fail "build -q --dry-run drew a line" || ok "build -q --dry-run: no line"
else
  echo "skip: build --dry-run on a terminal (no docker buildx here)"
fi
finish
