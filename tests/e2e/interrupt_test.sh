#!/usr/bin/env bash
# E2E: SIGINT and SIGTERM while imgspec works, as Ctrl-C or a supervisor sends them:
#   - during hashing (a 32 GiB sparse tree: hashing reads every byte),
#   - during streaming (a 4 GiB context written into buildx's stdin: the tar delivery),
#   - while the same context is staged, and while buildx reads the staged folder (sync delivery),
#   - during buildx (a RUN step that sleeps), pushing and with --output,
#   - during `render --context` (a large tar being written).
# Each time: exit code 130, the child (docker buildx, the build container's step) is stopped, no
# temporary file or folder is left in $TMPDIR or beside the --context/--output target, no partial
# target, nothing pushed, and a following build works.
source "$(dirname "$0")/lib.sh"
# Job control: each background imgspec gets its own process group and the default SIGINT action
# (a non-interactive shell starts background jobs with SIGINT ignored), as under a terminal.
set -m
export TMPDIR="$WORK/tmp" XDG_CACHE_HOME="$WORK/cache"
mkdir -p "$TMPDIR"
ctx="$WORK/ctx"
mkdir -p "$ctx/big" "$ctx/stream" "$ctx/small"
echo "$NONCE" >"$ctx/nonce.txt"
for i in 1 2 3 4 5 6 7 8; do truncate -s 4G "$ctx/big/part$i"; done  # hashing: 32 GiB of zeros
truncate -s 2G "$ctx/stream/a" "$ctx/stream/b"                      # streaming: 4 GiB tar
echo "$NONCE" >"$ctx/stream/nonce"
echo "$NONCE small" >"$ctx/small/f.txt"
nap=$((600 + RANDOM % 300)) # a sleep no other process on this machine runs
spec() { # NAME LAYER...: $ctx/NAME.yaml, pushed to $REG
  { printf 'name: e2e-interrupt-%s\nregistry: %s\nplatform: [linux/amd64]\nfrom: {base: "%s/busybox:latest"}\nlayers:\n  - source_file: {src: nonce.txt, dst: /}\n' "$1" "$REG" "$REG"
    shift; printf '  %s\n' "$@"; } >"$ctx/$1.yaml"
}
spec hash '- source_folder: {src: big, dst: /big}'
spec stream '- source_folder: {src: stream, dst: /stream}'
spec sleep "- commands: [\"sleep $nap\"]"
spec small '- source_folder: {src: small, dst: /small}'

# wait_until SECONDS CMD...: polls CMD every 50 ms; false when it never held.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  while ((SECONDS < deadline)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}
has_open() { ls -l "/proc/$1/fd" 2>/dev/null | grep -qF -- "$2"; }   # PID PATH-PART
running() { pgrep -f -- "$1" >/dev/null; }                          # CMDLINE-PART
not_running() { ! running "$1"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
sleeping_step() { pgrep -fx -- "sleep $nap" >/dev/null || pgrep -f -- "-c sleep $nap" >/dev/null; }

# start CMD...: imgspec in the background; pid in $pid.
start() {
  "$@" >"$WORK/out" 2>"$WORK/err" &
  pid=$!
}
# stop_with SIGNAL: sends it and waits for imgspec; exit code in $rc.
stop_with() {
  kill -s "$1" "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < 600)); do sleep 0.05; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    fail "imgspec did not exit within 30 s of SIG$1"
    ps -eo pid,pgid,ppid,stat,wchan:24,args | awk -v p="$pid" '$1 == p || $3 == p || $2 == p' | sed 's/^/  ps| /'
    for t in /proc/"$pid"/task/*; do echo "  task ${t##*/}: $(cat "$t/wchan" 2>/dev/null)"; done
    kill -KILL "$pid"
  fi
  wait "$pid" 2>/dev/null
  rc=$?
}
# after NAME: the checks every interrupt must pass. $1 a label; $2 the URI whose buildx must be gone
# (or -); $3 a target file that must not exist (or -).
after() {
  local what=$1 uri=$2 target=$3
  [ "$rc" = 130 ] && ok "$what: exit 130" || { fail "$what: exit $rc, want 130"; sed 's/^/  | /' "$WORK/err" | tail -5; }
  grep -qE 'Sanitizer|terminate called|Aborted' "$WORK/err" && fail "$what: crash report on stderr"
  if [ "$uri" != - ]; then
    wait_until 15 not_running "$uri" && ok "$what: buildx stopped" || { fail "$what: buildx still runs"; pgrep -af -- "$uri" | head -3; }
    registry_has "$uri" && fail "$what: an image was pushed" || ok "$what: nothing pushed"
  fi
  if [ -z "$(ls -A "$TMPDIR")" ]; then ok "$what: \$TMPDIR is empty"; else
    fail "$what: left in \$TMPDIR: $(ls -A "$TMPDIR" | tr '\n' ' ')"; rm -rf "${TMPDIR:?}"/*; fi
  if [ "$target" != - ]; then
    [ -e "$target" ] && fail "$what: a partial $target exists" || ok "$what: no partial target"
    local dir leftovers
    dir=$(dirname "$target")
    leftovers=$(find "$dir" -maxdepth 1 -name '.*.tmp.*' 2>/dev/null)
    [ -z "$leftovers" ] && ok "$what: no temp file beside the target" || { fail "$what: temp left: $leftovers"; rm -f $leftovers; }
  fi
  leftovers=$(find "$XDG_CACHE_HOME" -name '*.tmp*' 2>/dev/null)
  [ -z "$leftovers" ] && ok "$what: no temp file in the cache" || fail "$what: temp left in the cache: $leftovers"
}
following_build() {
  check "$1: a following build works" 0 "$IMGSPEC" build "$ctx/small.yaml" --force
}

# --- During hashing ---------------------------------------------------------------------------------
for sig in INT TERM; do
  rm -rf "$XDG_CACHE_HOME"
  start "$IMGSPEC" build "$ctx/hash.yaml"
  if wait_until 60 has_open "$pid" "$ctx/big/"; then
    stop_with "$sig"
    after "SIG$sig while hashing" - -
  else
    fail "SIG$sig while hashing: imgspec never opened the data files"; kill -KILL "$pid"; wait "$pid"
  fi
done
following_build "after hashing"

# --- During streaming (tar delivery): buildx runs and imgspec is writing the big files into its stdin -
"$IMGSPEC" uri "$ctx/stream.yaml" >/dev/null # hashes once; the stat cache lets the build stream at once
uri=$("$IMGSPEC" uri "$ctx/stream.yaml")
streaming() { running "$uri" && has_open "$pid" "$ctx/stream/"; }
for sig in INT TERM; do
  IMGSPEC_CONTEXT=tar start "$IMGSPEC" build "$ctx/stream.yaml"
  if wait_until 60 streaming; then
    stop_with "$sig"
    after "SIG$sig while streaming (tar)" "$uri" -
  else
    fail "SIG$sig while streaming: never saw buildx read the context"; kill -KILL "$pid"; wait "$pid"; sed 's/^/  | /' "$WORK/err" | tail -5
  fi
done
following_build "after streaming"

# --- Sync delivery: while imgspec stages the files, then while buildx reads the staged folder --------
staging() { has_open "$pid" "$ctx/stream/" && not_running "$uri"; }
for sig in INT TERM; do
  start "$IMGSPEC" build "$ctx/stream.yaml"
  if wait_until 60 staging; then
    stop_with "$sig"
    after "SIG$sig while staging (sync)" "$uri" -
  else
    fail "SIG$sig while staging: never saw imgspec stage the files"; kill -KILL "$pid"; wait "$pid"; sed 's/^/  | /' "$WORK/err" | tail -5
  fi
done
# buildx (the docker CLI or its plugin) has a file of the staged folder open.
syncing() {
  local p
  for p in $(pgrep -f -- "$uri"); do has_open "$p" "$XDG_CACHE_HOME/imgspec/contexts/" && return 0; done
  return 1
}
for sig in INT TERM; do
  start "$IMGSPEC" build "$ctx/stream.yaml"
  if wait_until 300 syncing; then
    stop_with "$sig"
    after "SIG$sig while buildx reads the staged folder (sync)" "$uri" -
  else
    fail "SIG$sig while buildx syncs: never saw buildx read the staged folder"; kill -KILL "$pid"; wait "$pid"; sed 's/^/  | /' "$WORK/err" | tail -5
  fi
done
following_build "after the sync cases"

# --- During buildx: a RUN step sleeps ---------------------------------------------------------------
uri=$("$IMGSPEC" uri "$ctx/sleep.yaml")
start "$IMGSPEC" build "$ctx/sleep.yaml" --progress plain
if wait_until 120 sleeping_step; then
  stop_with INT
  after "SIGINT during a RUN step (push)" "$uri" -
  wait_until 20 eval '! sleeping_step' && ok "SIGINT during a RUN step: the step's process is stopped" || fail "the RUN step still sleeps"
else
  fail "SIGINT during a RUN step: the step never started"; kill -KILL "$pid"; wait "$pid"; sed 's/^/  | /' "$WORK/err" | tail -5
fi
mkdir -p "$WORK/out-dir"
start "$IMGSPEC" build "$ctx/sleep.yaml" --output "type=oci,dest=$WORK/out-dir/image.tar" --progress plain
if wait_until 120 sleeping_step; then
  stop_with TERM
  after "SIGTERM during a RUN step (--output)" "$uri" "$WORK/out-dir/image.tar"
  wait_until 20 eval '! sleeping_step' && ok "SIGTERM during a RUN step: the step's process is stopped" || fail "the RUN step still sleeps"
else
  fail "SIGTERM during a RUN step: the step never started"; kill -KILL "$pid"; wait "$pid"; sed 's/^/  | /' "$WORK/err" | tail -5
fi
following_build "after buildx"

# --- During render --context: the tar is being written --------------------------------------------
for sig in INT TERM; do
  target="$WORK/render-$sig/context.tar"
  mkdir -p "$(dirname "$target")"
  start "$IMGSPEC" render "$ctx/stream.yaml" --context "$target"
  if wait_until 60 has_open "$pid" "$ctx/stream/"; then
    stop_with "$sig"
    after "SIG$sig during render --context" - "$target"
  else
    fail "SIG$sig during render --context: never saw it write"; kill -KILL "$pid"; wait "$pid"
  fi
done
check "render --context after the interrupts" 0 "$IMGSPEC" render "$ctx/small.yaml" --context "$WORK/render-INT/context.tar"
finish
