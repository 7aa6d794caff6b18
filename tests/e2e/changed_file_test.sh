#!/usr/bin/env bash
# E2E 6: a file that changes between hashing and streaming makes the build fail and pushes nothing.
# A wrapper around docker rewrites the file just before buildx starts reading the context; a
# 2 MiB file sorts first, so the tar writer is still blocked on the pipe when the rewrite happens.
source "$(dirname "$0")/lib.sh"
ctx="$WORK/ctx"
mkdir -p "$ctx/src" "$WORK/bin"
head -c 2097152 /dev/urandom >"$ctx/src/aaa.bin"
echo "original $NONCE" >"$ctx/src/zzz.txt"
cat >"$ctx/spec.yaml" <<YAML
name: e2e-changed
registry: $REG
platform: linux/amd64
from: {base: "$REG/busybox:latest"}
layers:
  - source_folder: {src: src, dst: /data}
YAML
real_docker=$(command -v docker)
cat >"$WORK/bin/docker" <<SH
#!/usr/bin/env bash
if [ "\$1" = buildx ] && [ "\$2" = build ]; then echo "rewritten" >"$ctx/src/zzz.txt"; fi
exec "$real_docker" "\$@"
SH
chmod +x "$WORK/bin/docker"
img=$("$IMGSPEC" uri "$ctx/spec.yaml")
PATH="$WORK/bin:$PATH" check "build fails when a file changes mid-stream" 1 "$IMGSPEC" build "$ctx/spec.yaml"
expect_in "$WORK/err" "zzz.txt" "the changed file is named"
expect_in "$WORK/err" "changed" "the error says it changed"
registry_has "$img" && fail "an image was pushed under the old tag" || ok "nothing pushed under the old tag"
img2=$("$IMGSPEC" uri "$ctx/spec.yaml")
[ "$img" != "$img2" ] && ok "the new content has a new tag" || fail "tag did not change"
check "a following build works" 0 "$IMGSPEC" build "$ctx/spec.yaml"
registry_has "$img2" && ok "the new tag is pushed" || fail "new tag missing"
finish
