#!/usr/bin/env bash
# E2E what an image says about itself, against the real engine and registry (issue 14 items 2, 3
# and 5; issue 15 item 5):
#   --reproducible: two builds with the builder's cache pruned in between give the same index
#     digest and the same digest per platform; the created label is the epoch;
#   labels: title, created, and source (without its credentials) and revision from the spec's git
#     repository;
#   the io.imgspec.covers annotation, read by `explain --against URI` on a machine (a cache
#     folder) that never computed that tag;
#   --provenance=max attaches BuildKit's provenance; --sbom shows in the argv (its generator image
#     cannot be pulled here);
#   cache: registry: the install step of a rebuild after a prune comes from the registry cache.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/ctx"
cd "$WORK/ctx" || exit 1
echo "$NONCE" >nonce.txt
cat >spec.yaml <<YAML
name: attest-app
registry: $REG/imgspec-e2e
platform: [linux/amd64, linux/arm64]
from: {base: "$REG/busybox:latest"}
layers:
  - commands: ["echo built-$NONCE > /built.txt"]
  - source_file: {src: [nonce.txt], dst: /app}
YAML
uri=$("$IMGSPEC" uri spec.yaml)

# --- reproducible -----------------------------------------------------------------------------
check "--reproducible cannot --load" 2 "$IMGSPEC" build spec.yaml --reproducible --load
expect_in "$WORK/err" "rewrite layer timestamps" "and says why"
check "build --reproducible" 0 "$IMGSPEC" build spec.yaml --reproducible --json --progress plain
d1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["digest"])' "$WORK/out")
raw1=$(docker buildx imagetools inspect --raw "$uri")
docker buildx prune -f >/dev/null 2>&1
check "build --reproducible again after a prune" 0 "$IMGSPEC" build spec.yaml --reproducible --force --json --progress plain
d2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["digest"])' "$WORK/out")
if step_cached "$WORK/err" "echo built-$NONCE"; then fail "the RUN step came from the cache: not a rebuild"; else ok "the RUN step ran again"; fi
[ "${d1#sha256:}" != "$d1" ] && [ "$d1" = "$d2" ] && ok "same index digest twice ($d1)" || fail "index digests differ: $d1 / $d2"
raw2=$(docker buildx imagetools inspect --raw "$uri")
[ "$raw1" = "$raw2" ] && ok "same manifest digest for amd64 and arm64" || fail "the indexes differ: $raw1 / $raw2"
docker buildx imagetools inspect "$uri" --format '{{json .Image}}' >"$WORK/config.json"
python3 - "$WORK/config.json" <<'PY' && ok "created is the epoch, the labels are there, for both platforms" || fail "the image config: $(head -c 600 "$WORK/config.json")"
import json, sys
cfg = json.load(open(sys.argv[1]))
assert set(cfg) == {"linux/amd64", "linux/arm64"}, list(cfg)
for plat, c in cfg.items():
    assert c["created"] == "1970-01-01T00:00:00Z", (plat, c["created"])
    labels = c["config"]["Labels"]
    assert labels["org.opencontainers.image.created"] == "1970-01-01T00:00:00Z", labels
    assert labels["org.opencontainers.image.title"] == "attest-app", labels
    assert "org.opencontainers.image.revision" not in labels, labels
PY

# --- labels from git, the annotation, explain --against ---------------------------------------
git init -q . && git -c user.email=e2e@example.com -c user.name=e2e commit -q --allow-empty -m one
git remote add origin "https://e2e-user:tok-$NONCE@example.com/team/app.git"
rev=$(git rev-parse HEAD)
echo "$NONCE-2" >nonce.txt
uri2=$("$IMGSPEC" uri spec.yaml)
check "build in a git repository" 0 "$IMGSPEC" build spec.yaml
docker buildx imagetools inspect "$uri2" --format '{{json .Image}}' >"$WORK/config2.json"
python3 - "$WORK/config2.json" "$rev" <<'PY' && ok "revision is HEAD, source the remote" || fail "labels: $(head -c 800 "$WORK/config2.json")"
import json, sys
for plat, c in json.load(open(sys.argv[1])).items():
    labels = c["config"]["Labels"]
    assert labels["org.opencontainers.image.revision"] == sys.argv[2], labels
    assert labels["org.opencontainers.image.source"] == "https://example.com/team/app.git", labels
    assert labels["org.opencontainers.image.created"] != "1970-01-01T00:00:00Z", labels
PY
expect_not_in "$WORK/config2.json" "tok-$NONCE" "the remote's credentials are not in the image"
docker buildx imagetools inspect --raw "$uri2" >"$WORK/index.json"
expect_in "$WORK/index.json" '"io.imgspec.covers"' "the index carries what the tag covers"
echo "$NONCE-3" >nonce.txt
check "explain against the pushed image, no local record" 0 env XDG_CACHE_HOME="$WORK/fresh-cache" "$IMGSPEC" explain spec.yaml --against "$uri2"
expect_in "$WORK/out" "the image's annotation" "it read the annotation"
expect_in "$WORK/out" "layers[1] source_file" "and names the layer that changed"
expect_not_in "$WORK/out" "layers[0]" "and not the one that did not"

# --- attestations -----------------------------------------------------------------------------
check "build --provenance=max" 0 "$IMGSPEC" build spec.yaml --provenance=max
docker buildx imagetools inspect --raw "$("$IMGSPEC" uri spec.yaml)" >"$WORK/prov.json"
expect_in "$WORK/prov.json" "attestation-manifest" "the index holds a provenance attestation"
check "--sbom in the buildx command" 0 "$IMGSPEC" build spec.yaml --sbom --force --dry-run
expect_in "$WORK/out" "type=sbom,generator=docker/buildkit-syft-scanner" "the SBOM generator is passed"

# --- registry cache -----------------------------------------------------------------------------
printf 'cache: registry\n' >"$WORK/config.yaml"
echo "$NONCE-4" >nonce.txt
check "build with a registry cache" 0 "$IMGSPEC" build spec.yaml --progress plain
expect_in "$WORK/err" "exporting cache" "the cache was exported"
registry_has "$REG/imgspec-e2e/attest-app:buildcache" && ok "the cache is in the registry" || fail "no cache image"
docker buildx prune -f >/dev/null 2>&1
echo "$NONCE-5" >nonce.txt
check "rebuild after a prune on the other builder" 0 env DOCKER_CONTEXT=imgspec-alt "$IMGSPEC" build spec.yaml --builder imgspec-alt --progress plain
step_cached "$WORK/err" "echo built-$NONCE" && ok "the RUN step came from the registry cache" || fail "the RUN step ran again"
finish
