#!/usr/bin/env bash
# E2E 5: --load of both platforms, --output type=oci, a registry with htpasswd auth reached
# through registry_secret, and a second named buildx builder selected with --builder.
source "$(dirname "$0")/lib.sh"
ctx="$WORK/ctx"
mkdir -p "$ctx"
echo "$NONCE" >"$ctx/nonce.txt"
cat >"$ctx/local.yaml" <<YAML
name: e2e-local
platform: [linux/amd64, linux/arm64]
from: {base: "$REG/busybox:latest"}
layers:
  - source_file: {src: nonce.txt, dst: /}
  - commands: ["uname -m > /arch"]
YAML
# No registry: built with --load into the engine's image store, both platforms.
check "load both platforms" 0 "$IMGSPEC" build "$ctx/local.yaml" --load
img=$("$IMGSPEC" uri "$ctx/local.yaml")
case "$img" in e2e-local:*) ok "no registry: a local image name" ;; *) fail "unexpected uri $img" ;; esac
[ "$(docker run --rm --platform linux/arm64 "$img" cat /arch)" = aarch64 ] && ok "loaded arm64 image runs" || fail "arm64 load"
[ "$(docker run --rm --platform linux/amd64 "$img" cat /arch)" = x86_64 ] && ok "loaded amd64 image runs" || fail "amd64 load"

# --output type=oci: an OCI layout tar with both platforms.
check "output oci" 0 "$IMGSPEC" build "$ctx/local.yaml" --output "type=oci,dest=$WORK/image.tar"
mkdir -p "$WORK/oci" && tar -xf "$WORK/image.tar" -C "$WORK/oci"
index_blob=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$WORK/oci/index.json")
python3 - "$WORK/oci/blobs/sha256/$index_blob" >"$WORK/platforms" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for m in doc.get("manifests", []):
    p = m.get("platform", {})
    print(f"{p.get('os')}/{p.get('architecture')}")
PY
expect_in "$WORK/platforms" "linux/amd64" "OCI output has linux/amd64"
expect_in "$WORK/platforms" "linux/arm64" "OCI output has linux/arm64"

# A registry that needs a login, through registry_secret (a docker config.json from the env).
cat >"$ctx/auth.yaml" <<YAML
name: e2e-auth
registry: 127.0.0.1:5001
platform: linux/amd64
from: {base: "127.0.0.1:5001/busybox:latest"}
registry_secret: REG_AUTH
layers:
  - source_file: {src: nonce.txt, dst: /}
secrets:
  REG_AUTH: {env: E2E_REGISTRY_AUTH}
YAML
unset E2E_REGISTRY_AUTH
check "auth registry without the secret" 3 "$IMGSPEC" build "$ctx/auth.yaml"
auth=$(printf 'imgspec:wrong-password' | base64)
export E2E_REGISTRY_AUTH="{\"auths\": {\"127.0.0.1:5001\": {\"auth\": \"$auth\"}}}"
check "auth registry with a wrong password" 5 "$IMGSPEC" build "$ctx/auth.yaml"
auth=$(printf 'imgspec:imgspec-test-pw' | base64)
export E2E_REGISTRY_AUTH="{\"auths\": {\"127.0.0.1:5001\": {\"auth\": \"$auth\"}}}"
before=$(ls -d "${TMPDIR:-/tmp}"/imgspec-* 2>/dev/null | grep -v "$WORK" | wc -l)
check "auth registry with the secret" 0 "$IMGSPEC" build "$ctx/auth.yaml" --json
expect_in "$WORK/out" '"skipped": false' "pushed to the auth registry"
check "auth registry: second build skips" 0 "$IMGSPEC" build "$ctx/auth.yaml" --json
expect_in "$WORK/out" '"skipped": true' "existence check through the auth registry"
after=$(ls -d "${TMPDIR:-/tmp}"/imgspec-* 2>/dev/null | grep -v "$WORK" | wc -l)
[ "$before" = "$after" ] && ok "private DOCKER_CONFIG removed" || fail "temp folders left: $before -> $after"
grep -q "127.0.0.1:5001" ~/.docker/config.json 2>/dev/null && fail "credentials leaked into ~/.docker" || ok "user's docker config untouched"

# A second named builder (the docker driver on its own context, see scripts/engine.sh).
echo "alt-$NONCE" >"$ctx/nonce.txt"
DOCKER_CONTEXT=imgspec-alt check "build with --builder imgspec-alt" 0 "$IMGSPEC" -v build "$ctx/local.yaml" --builder imgspec-alt --load
expect_in "$WORK/err" "--builder imgspec-alt" "buildx ran with the named builder"
finish
