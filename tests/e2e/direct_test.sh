#!/usr/bin/env bash
# E2E: the shortcuts of a build (README "Registries, the engine and buildx"), each against the real
# engine and registries, each with its fallback:
#   - the existence check and the base image's user are asked of the registry over HTTP (no
#     `docker buildx imagetools`): a miss, then a hit that starts no process at all; the registry
#     with basic auth (127.0.0.1:5001) through the spec's registry_secret
#   - buildx runs as the plugin itself behind a real docker; as `docker buildx` behind a wrapper
#   - --platform is left out for the engine's own platform (the image still says it), kept for
#     another one and when a builder is named; IMGSPEC_DIRECT_HTTP=0 goes back to docker for all
#   - the built images run
source "$(dirname "$0")/lib.sh"
ctx="$WORK/ctx"
mkdir -p "$ctx" "$WORK/bin"
echo "$NONCE" >"$ctx/nonce.txt"
arch=$(docker version --format '{{.Server.Arch}}')
other=arm64
[ "$arch" = arm64 ] && other=amd64
spec() { # FILE REGISTRY PLATFORM [EXTRA LINE...]
  local file=$1 registry=$2 platform=$3
  shift 3
  { printf 'name: e2e-direct\nregistry: %s\nplatform: [%s]\nfrom: {base: "%s/busybox:latest"}\n' "$registry" "$platform" "$REG"
    printf 'layers:\n  - source_file: {src: nonce.txt, dst: /}\n  - commands: ["cat /nonce.txt > /seen"]\n'
    [ $# -gt 0 ] && printf '%s\n' "$@"; } >"$ctx/$file"
}
spec own.yaml "$REG" "linux/$arch"
spec other.yaml "$REG" "linux/$other"
spec auth.yaml 127.0.0.1:5001 "linux/$arch" 'registry_secret: REG_AUTH' 'secrets:' '  REG_AUTH: {env: E2E_DIRECT_AUTH}'
export E2E_DIRECT_AUTH="{\"auths\": {\"127.0.0.1:5001\": {\"auth\": \"$(printf 'imgspec:imgspec-test-pw' | base64)\"}}}"

# --- A miss over HTTP, the plugin run directly, no --platform for the engine's own -------------
check "build (own platform)" 0 "$IMGSPEC" -vv build "$ctx/own.yaml" --progress plain
uri=$("$IMGSPEC" uri "$ctx/own.yaml")
expect_in "$WORK/err" "asked 127.0.0.1:5000 over HTTP: HTTP 404" "the existence check asked the registry over HTTP"
expect_in "$WORK/err" "its config over HTTP: HTTP 200" "the base image's user: its config over HTTP"
grep -q 'running: .*imagetools' "$WORK/err" && fail "docker buildx imagetools ran" || ok "no docker buildx imagetools"
grep -E 'running: [^ ]*/docker-buildx build ' "$WORK/err" >"$WORK/argv" && ok "buildx ran as the plugin itself" || fail "buildx not run directly: $(grep 'running:' "$WORK/err" | tail -1)"
grep -q -- '--platform' "$WORK/argv" && fail "--platform given for the engine's own platform" || ok "no --platform for linux/$arch"
docker buildx imagetools inspect --format '{{json .Image}}' "$uri" >"$WORK/config.json" 2>&1
expect_in "$WORK/config.json" "\"architecture\": \"$arch\"" "the image says linux/$arch"
[ "$(docker run --rm --pull always "$uri" cat /seen 2>/dev/null)" = "$NONCE" ] && ok "the image runs" || fail "the image does not run as built"

# --- A hit over HTTP: no process at all --------------------------------------------------------
check "build again (exists)" 0 "$IMGSPEC" -vv build "$ctx/own.yaml"
expect_in "$WORK/err" "asked 127.0.0.1:5000 over HTTP: HTTP 200" "the hit came over HTTP"
expect_in "$WORK/out" "skipped" "skipped"
grep -q 'running: ' "$WORK/err" && fail "a skipped build started a process: $(grep 'running: ' "$WORK/err" | head -1)" || ok "a skipped build starts no process"

# --- Another platform: said out loud -----------------------------------------------------------
check "build (linux/$other)" 0 "$IMGSPEC" -vv build "$ctx/other.yaml" --progress plain
grep 'running: .*docker-buildx build ' "$WORK/err" | grep -q -- "--platform linux/$other" && ok "--platform linux/$other given" || fail "no --platform for linux/$other"
docker buildx imagetools inspect --format '{{json .Image}}' "$("$IMGSPEC" uri "$ctx/other.yaml")" >"$WORK/config.json" 2>&1
expect_in "$WORK/config.json" "\"architecture\": \"$other\"" "that image says linux/$other"

# --- The registry with basic auth, through the spec's registry secret --------------------------
check "build (127.0.0.1:5001, registry_secret)" 0 "$IMGSPEC" -vv build "$ctx/auth.yaml" --progress plain
expect_in "$WORK/err" "asked 127.0.0.1:5001 over HTTP: HTTP 404" "the auth registry answered over HTTP (basic)"
grep -qF "imgspec-test-pw" "$WORK/err" && fail "the password is in the log" || ok "the password is not in the log"
check "build again (5001, exists)" 0 "$IMGSPEC" -vv build "$ctx/auth.yaml"
expect_in "$WORK/err" "asked 127.0.0.1:5001 over HTTP: HTTP 200" "the auth registry's hit over HTTP"
expect_in "$WORK/out" "skipped" "skipped on 5001"

# --- Fallbacks: a named builder, a wrapper docker, IMGSPEC_DIRECT_HTTP=0 -----------------------
echo "$NONCE-2" >"$ctx/nonce.txt"
check "build --builder default" 0 "$IMGSPEC" -vv build "$ctx/own.yaml" --builder default --progress plain
grep 'running: .*buildx build ' "$WORK/err" | grep -q -- "--platform linux/$arch" && ok "a named builder gets --platform" || fail "no --platform with --builder"
real_docker=$(command -v docker)
printf '#!/usr/bin/env bash\nexec %s "$@"\n' "$real_docker" >"$WORK/bin/docker"
chmod +x "$WORK/bin/docker"
echo "$NONCE-3" >"$ctx/nonce.txt"
PATH="$WORK/bin:$PATH" check "build behind a wrapper docker" 0 "$IMGSPEC" -vv build "$ctx/own.yaml" --progress plain
expect_in "$WORK/err" "running: docker buildx build " "a wrapper docker is called as docker buildx"
echo "$NONCE-4" >"$ctx/nonce.txt"
IMGSPEC_DIRECT_HTTP=0 check "build with IMGSPEC_DIRECT_HTTP=0" 0 "$IMGSPEC" -vv build "$ctx/own.yaml" --progress plain
grep -q 'over HTTP' "$WORK/err" && fail "HTTP used with IMGSPEC_DIRECT_HTTP=0" || ok "no HTTP with IMGSPEC_DIRECT_HTTP=0"
expect_in "$WORK/err" "imagetools inspect --raw" "the check went through docker"
grep 'running: .*buildx build ' "$WORK/err" | grep -q -- "--platform linux/$arch" && ok "--platform given with IMGSPEC_DIRECT_HTTP=0" || fail "no --platform with IMGSPEC_DIRECT_HTTP=0"
[ "$(docker run --rm --pull always "$("$IMGSPEC" uri "$ctx/own.yaml")" cat /seen 2>/dev/null)" = "$NONCE-4" ] && ok "that image runs" || fail "that image does not run as built"

finish
