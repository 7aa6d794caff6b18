#!/usr/bin/env bash
# E2E: imgspec runs at the same time, sharing what a machine shares: $TMPDIR, the stat cache
# ($XDG_CACHE_HOME/imgspec), the buildx builder and the registry.
#   - four `imgspec build` at once on different specs (two of them children of one parent spec,
#     which both build first), then two at once on the same spec (four rounds): all exit 0 and
#     every image in the registry has the content its spec gives;
#   - four `render --context` at once into the same file: the file is one whole context;
#   - afterwards no temporary file or folder is left, the stat cache still gives the right tags, and
#     a changed file still gives a new tag.
source "$(dirname "$0")/lib.sh"
export TMPDIR="$WORK/tmp" XDG_CACHE_HOME="$WORK/cache"
mkdir -p "$TMPDIR"
ctx="$WORK/ctx"
for s in a b c d same; do
  mkdir -p "$ctx/$s"
  for i in $(seq 1 200); do echo "$s $i $NONCE" >"$ctx/$s/f$i.txt"; done
  head -c 4194304 /dev/urandom >"$ctx/$s/blob.bin"
done
mkdir -p "$ctx/parent"
echo "parent $NONCE" >"$ctx/parent/p.txt"
cat >"$ctx/parent.yaml" <<YAML
name: e2e-conc-parent
registry: $REG
platform: [linux/amd64]
extendable: true
from: {base: "$REG/busybox:latest"}
layers:
  - source_folder: {src: parent, dst: /parent}
YAML
spec() { # NAME FROM-LINE
  cat >"$ctx/$1.yaml" <<YAML
name: e2e-conc-$1
registry: $REG
platform: [linux/amd64]
from: $2
layers:
  - source_folder: {src: $1, dst: /data}
  - commands: ["cat /data/f1.txt > /proof && sha256sum /data/blob.bin >> /proof"]
YAML
}
spec a "{spec: parent.yaml}"
spec b "{spec: parent.yaml}"
spec c "{base: \"$REG/busybox:latest\"}"
spec d "{base: \"$REG/busybox:latest\"}"
spec same "{base: \"$REG/busybox:latest\"}"
sed -i 's/platform: \[linux\/amd64\]/platform: [linux\/amd64, linux\/arm64]/' "$ctx/d.yaml"

# proof NAME: what /proof in the image of NAME must say.
proof() { echo "$1 1 $NONCE"; (cd "$ctx/$1" && sha256sum blob.bin | sed 's|blob.bin|/data/blob.bin|'); }
# image_ok NAME: the pushed image of NAME runs and has its own content.
image_ok() {
  local uri
  uri=$("$IMGSPEC" uri "$ctx/$1.yaml")
  [ "$(docker run --rm --pull always --platform linux/amd64 "$uri" cat /proof 2>/dev/null)" = "$(proof "$1")" ]
}

# --- Four different specs at once ---------------------------------------------------------------------
pids=()
for s in a b c d; do
  "$IMGSPEC" build "$ctx/$s.yaml" --json >"$WORK/$s.out" 2>"$WORK/$s.err" &
  pids+=($!)
done
i=0
for s in a b c d; do
  wait "${pids[$i]}" && ok "concurrent build $s: exit 0" || { fail "concurrent build $s: exit $?"; tail -5 "$WORK/$s.err" | sed 's/^/  | /'; }
  i=$((i + 1))
done
for s in a b c d; do
  image_ok "$s" && ok "concurrent build $s: the image has its own content" || fail "concurrent build $s: wrong or missing image"
done
docker buildx imagetools inspect --raw "$("$IMGSPEC" uri "$ctx/d.yaml")" | grep -q arm64 \
  && ok "concurrent build d: both platforms pushed" || fail "concurrent build d: arm64 missing"
registry_has "$("$IMGSPEC" uri "$ctx/parent.yaml")" && ok "the shared parent was pushed" || fail "the shared parent is missing"

# --- The same spec twice at once -------------------------------------------------------------------------
# Both runs find the tag missing and build it; neither may fail because the other got there first.
# The race is narrow (the two exports must overlap), so it runs a few rounds, each with new content.
for round in 1 2 3 4; do
  echo "same $round $NONCE" >"$ctx/same/f1.txt"
  "$IMGSPEC" build "$ctx/same.yaml" --json >"$WORK/same1.out" 2>"$WORK/same1.err" &
  p1=$!
  "$IMGSPEC" build "$ctx/same.yaml" --json >"$WORK/same2.out" 2>"$WORK/same2.err" &
  p2=$!
  wait "$p1"; r1=$?
  wait "$p2"; r2=$?
  if [ "$r1" = 0 ] && [ "$r2" = 0 ]; then ok "same spec twice at once, round $round: both exit 0"; else
    fail "same spec twice at once, round $round: exits $r1 and $r2"
    grep -h 'imgspec: error' "$WORK/same1.err" "$WORK/same2.err" | sed 's/^/  | /'
  fi
  [ "$(docker run --rm --pull always "$("$IMGSPEC" uri "$ctx/same.yaml")" head -n 1 /proof 2>/dev/null)" = "same $round $NONCE" ] \
    && ok "same spec, round $round: the image has its content" || fail "same spec, round $round: wrong or missing image"
done
check "same spec: a third run skips it" 0 "$IMGSPEC" build "$ctx/same.yaml" --json
expect_in "$WORK/out" '"skipped": true' "same spec: found in the registry"

# --- render --context into one file, four at once -----------------------------------------------------------
"$IMGSPEC" render "$ctx/c.yaml" --context "$WORK/alone.tar"
pids=()
for i in 1 2 3 4; do
  "$IMGSPEC" render "$ctx/c.yaml" --context "$WORK/shared.tar" 2>"$WORK/render$i.err" &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ "$rc" = 0 ] && ok "four render --context into one file: exit 0" || fail "four render --context: a run failed"
cmp -s "$WORK/alone.tar" "$WORK/shared.tar" && ok "the shared --context file is one whole context" || fail "the shared --context file differs"
ls -a "$WORK" | grep -q '\.tmp\.' && fail "render --context left a temp file" || ok "no temp file beside the shared --context file"

# --- Shared state afterwards --------------------------------------------------------------------------------
[ -z "$(ls -A "$TMPDIR")" ] && ok "\$TMPDIR is empty" || fail "left in \$TMPDIR: $(ls -A "$TMPDIR" | tr '\n' ' ')"
leftovers=$(find "$XDG_CACHE_HOME" -name '*.tmp*' 2>/dev/null)
[ -z "$leftovers" ] && ok "no temp file in the stat cache" || fail "temp files in the stat cache: $leftovers"
for s in a b c d same; do
  with=$("$IMGSPEC" uri "$ctx/$s.yaml")
  without=$(XDG_CACHE_HOME="$WORK/no-cache" "$IMGSPEC" uri "$ctx/$s.yaml")
  [ "$with" = "$without" ] && ok "$s: the stat cache gives the same tag as no cache" || fail "$s: cached tag $with != $without"
done
before=$("$IMGSPEC" uri "$ctx/c.yaml")
echo "changed" >>"$ctx/c/f7.txt"
after=$("$IMGSPEC" uri "$ctx/c.yaml")
[ "$before" != "$after" ] && ok "after the concurrent runs, an edit still changes the tag" || fail "the stat cache hid an edit"
finish
