#!/usr/bin/env bash
# E2E: the sync delivery (context: sync, the default). The context is staged into a folder of the
# cache that buildx reads as its local context; BuildKit's file sync sends only what changed.
#   - the staged folder holds exactly the files of `render --context` (nothing outside the spec
#     folder, no secret, no ignored file), with normalized modes and mtimes;
#   - after one edit that keeps the file's size, the rebuild sends that file only (buildx's
#     "transferring context" line) and the image has the new content;
#   - a deleted file is gone from the folder and from the image;
#   - a file changed after it was hashed fails the build and nothing is pushed under its tag;
#   - render --buildx and build --dry-run show the argv of the delivery used (sync, or tar with
#     IMGSPEC_CONTEXT=tar), and the tar delivery gives the same image;
#   - the second builder (imgspec-alt) rebuilds from the same folder;
#   - $TMPDIR is left empty (buildx's Dockerfile-from-stdin folder goes with imgspec's own).
source "$(dirname "$0")/lib.sh"
export TMPDIR="$WORK/tmp" XDG_CACHE_HOME="$WORK/cache"
mkdir -p "$TMPDIR"
ctx="$WORK/ctx"
mkdir -p "$ctx/src/sub" "$ctx/src/ignored" "$WORK/outside"
echo "secret-canary-$NONCE" >"$WORK/outside/secret.txt"
echo "in-folder-secret-$NONCE" >"$ctx/token.txt"
printf 'aaaa-%s\n' "$NONCE" >"$ctx/src/a.txt"
echo "b $NONCE" >"$ctx/src/b.txt"
echo "c $NONCE" >"$ctx/src/sub/c.txt"
echo "ignored $NONCE" >"$ctx/src/ignored/x.txt"
head -c 1048576 /dev/urandom >"$ctx/src/big.bin"
chmod 600 "$ctx/src/b.txt"   # the image has 0644 whatever the user's mode
chmod 775 "$ctx/src/sub"
ln -s ../outside/secret.txt "$ctx/link-out" 2>/dev/null || true
printf 'src/ignored\n' >"$ctx/.dockerignore"
cat >"$ctx/spec.yaml" <<YAML
name: e2e-ctx-sync
registry: $REG
platform: linux/amd64
from: {base: "$REG/busybox:latest"}
layers:
  - source_folder: {src: src, dst: /data}
  - commands: ["cat /run/secrets/TOKEN | wc -c > /token-len"]
    secret_mounts: [TOKEN]
secrets:
  TOKEN: {file: $ctx/token.txt}
YAML
staged() { ls -d "$XDG_CACHE_HOME"/imgspec/contexts/e2e-ctx-sync-*/ctx 2>/dev/null | head -1; }
# transferred LOG: the bytes of the last "transferring context: N" line of the build context.
transferred() {
  grep -E 'transferring context: [0-9.]+[kMG]?B' "$1" | tail -1 | grep -oE '[0-9.]+[kMG]?B' | head -1
}
run_in() { docker run --rm --pull always "$1" sh -c "$2" 2>/dev/null; }

# --- render --buildx / --dry-run: the argv of the delivery used -------------------------------------
check "render --buildx" 0 "$IMGSPEC" render "$ctx/spec.yaml" --buildx
tail -3 "$WORK/out" | head -2 | tr '\n' ' ' | grep -q -- '-f -' && ok "sync: the Dockerfile comes from stdin (-f -)" || fail "sync: no -f -: $(tail -3 "$WORK/out" | tr '\n' ' ')"
tail -1 "$WORK/out" | grep -q "$XDG_CACHE_HOME/imgspec/contexts/e2e-ctx-sync-.*/ctx" && ok "sync: the context is the staged folder" || fail "sync: context is $(tail -1 "$WORK/out")"
IMGSPEC_CONTEXT=tar check "render --buildx with IMGSPEC_CONTEXT=tar" 0 "$IMGSPEC" render "$ctx/spec.yaml" --buildx
[ "$(tail -3 "$WORK/out" | tr '\n' ' ')" = "-f Dockerfile - " ] && ok "tar: -f Dockerfile -" || fail "tar: $(tail -3 "$WORK/out" | tr '\n' ' ')"
check "build --dry-run" 0 "$IMGSPEC" build "$ctx/spec.yaml" --dry-run
expect_in "$WORK/out" "-f - $XDG_CACHE_HOME/imgspec/contexts/e2e-ctx-sync-" "dry-run shows the sync argv"
[ -z "$(staged)" ] && ok "dry-run stages nothing" || fail "dry-run staged a folder"

# --- First build: the staged folder is the context ---------------------------------------------------
uri1=$("$IMGSPEC" uri "$ctx/spec.yaml")
check "first build" 0 "$IMGSPEC" build "$ctx/spec.yaml" --progress plain
registry_has "$uri1" && ok "first build pushed" || fail "first build: nothing pushed"
dir=$(staged)
[ -n "$dir" ] && ok "the context was staged under the cache" || fail "no staged folder"
"$IMGSPEC" render "$ctx/spec.yaml" --context "$WORK/ctx.tar"
mkdir -p "$WORK/untar" && tar -xf "$WORK/ctx.tar" -C "$WORK/untar"
if diff -r --no-dereference "$WORK/untar" "$dir" >"$WORK/diff" 2>&1; then ok "the staged folder holds exactly the tar's files"; else
  fail "the staged folder differs from render --context"; sed 's/^/  | /' "$WORK/diff" | head -5; fi
grep -rqs "secret-canary-$NONCE\|in-folder-secret-$NONCE" "$dir" && fail "a secret is in the staged folder" || ok "no secret in the staged folder"
[ -e "$dir/layers/0/ignored" ] && fail "an ignored file was staged" || ok "ignored files are not staged"
[ "$(stat -c %a "$dir/layers/0/b.txt")" = 644 ] && ok "modes normalized (0600 -> 0644)" || fail "b.txt mode $(stat -c %a "$dir/layers/0/b.txt")"
[ "$(stat -c %a "$dir/layers/0/sub")" = 755 ] && ok "folder modes normalized (0775 -> 0755)" || fail "sub mode $(stat -c %a "$dir/layers/0/sub")"
[ "$(stat -c %Y "$dir/layers/0/a.txt")" = 0 ] && ok "mtime seconds are 0" || fail "a.txt mtime $(stat -c %Y "$dir/layers/0/a.txt")"
[ "$(run_in "$uri1" 'stat -c %Y /data/a.txt; cat /token-len')" = "$(printf '0\n%s' "$(wc -c <"$ctx/token.txt")")" ] \
  && ok "the image has mtime 0 and the secret reached the RUN step" || fail "image mtime or secret wrong: $(run_in "$uri1" 'stat -c %Y /data/a.txt; cat /token-len')"

# --- The tar delivery gives the same image -----------------------------------------------------------
digest_of() { docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])'; }
d_sync=$(digest_of "$uri1")
IMGSPEC_CONTEXT=tar check "the same image with the tar" 0 "$IMGSPEC" build "$ctx/spec.yaml" --force
[ "$d_sync" = "$(digest_of "$uri1")" ] && ok "sync and tar push the same manifest" || fail "sync $d_sync, tar $(digest_of "$uri1")"

# --- One edit that keeps the size: only that file crosses ------------------------------------------
printf 'zzzz-%s\n' "$NONCE" >"$ctx/src/a.txt"
uri2=$("$IMGSPEC" uri "$ctx/spec.yaml")
check "rebuild after one edit" 0 "$IMGSPEC" build "$ctx/spec.yaml" --progress plain
sent=$(transferred "$WORK/err")
case "$sent" in
  *kB|*MB|*GB) fail "the rebuild sent $sent (the tree has 1 MiB)" ;;
  "") fail "no transferring context line"; grep -i transferring "$WORK/err" | sed 's/^/  | /' ;;
  *) ok "the rebuild sent $sent only" ;;
esac
[ "$(run_in "$uri2" 'cat /data/a.txt')" = "zzzz-$NONCE" ] && ok "the image has the edit (same size, same second)" || fail "the image has old content: $(run_in "$uri2" 'cat /data/a.txt')"

# --- A deleted file goes ----------------------------------------------------------------------------
rm "$ctx/src/b.txt"
uri3=$("$IMGSPEC" uri "$ctx/spec.yaml")
check "rebuild after a deletion" 0 "$IMGSPEC" build "$ctx/spec.yaml"
[ -e "$dir/layers/0/b.txt" ] && fail "b.txt still staged" || ok "the deleted file left the staged folder"
[ "$(run_in "$uri3" 'ls /data')" = "$(printf 'a.txt\nbig.bin\nsub')" ] && ok "the image lacks the deleted file" || fail "image /data: $(run_in "$uri3" 'ls /data' | tr '\n' ' ')"

# --- A file changed after it was hashed: nothing pushed under the tag ------------------------------
mkdir -p "$WORK/bin"
real_docker=$(command -v docker)
cat >"$WORK/bin/docker" <<SH
#!/usr/bin/env bash
if [ "\$1" = buildx ] && [ "\$2" = build ]; then echo "late $NONCE" >"$ctx/src/sub/c.txt"; fi
exec "$real_docker" "\$@"
SH
chmod +x "$WORK/bin/docker"
echo "c2 $NONCE" >"$ctx/src/sub/c.txt"
uri4=$("$IMGSPEC" uri "$ctx/spec.yaml")
PATH="$WORK/bin:$PATH" check "a file changed after hashing fails the build" 1 "$IMGSPEC" build "$ctx/spec.yaml"
expect_in "$WORK/err" "c.txt" "the changed file is named"
registry_has "$uri4" && fail "an image was pushed under the old tag" || ok "nothing pushed under the old tag"
check "the build after it works" 0 "$IMGSPEC" build "$ctx/spec.yaml"
[ "$(run_in "$("$IMGSPEC" uri "$ctx/spec.yaml")" 'cat /data/sub/c.txt')" = "late $NONCE" ] && ok "the new tag has the late content" || fail "wrong content after the late change"

# --- The second builder -----------------------------------------------------------------------------
echo "alt $NONCE" >"$ctx/src/sub/c.txt"
uri5=$("$IMGSPEC" uri "$ctx/spec.yaml")
DOCKER_CONTEXT=imgspec-alt check "rebuild on builder imgspec-alt" 0 "$IMGSPEC" build "$ctx/spec.yaml" --builder imgspec-alt --progress plain
[ "$(run_in "$uri5" 'cat /data/sub/c.txt')" = "alt $NONCE" ] && ok "imgspec-alt built the edit" || fail "imgspec-alt: wrong content"

# --- Nothing left behind ---------------------------------------------------------------------------
[ -z "$(ls -A "$TMPDIR")" ] && ok "\$TMPDIR is empty" || fail "left in \$TMPDIR: $(ls -A "$TMPDIR" | tr '\n' ' ')"
leftovers=$(find "$XDG_CACHE_HOME" -name '*.tmp*' 2>/dev/null)
[ -z "$leftovers" ] && ok "no temp file in the cache" || fail "temp files in the cache: $leftovers"
finish
