#!/usr/bin/env bash
# imgspec built by imgspec (imgspec.yaml at the repository's root, and its TOML twin) and by docker
# (packaging/Dockerfile). Both compile imgspec from scratch, which takes 5-7 minutes on a 2-core
# machine, so by default this test checks what would be built (validate, one URI for YAML and
# TOML, a context of the sources only, build --dry-run); IMGSPEC_E2E_SELF_BUILD=1 builds both for
# real and runs `imgspec --version` in the images.
source "$(dirname "$0")/lib.sh"
cd "$SRC"

check "validate imgspec.yaml imgspec.toml" 0 "$IMGSPEC" validate imgspec.yaml imgspec.toml
yaml_uri=$("$IMGSPEC" uri imgspec.yaml)
toml_uri=$("$IMGSPEC" uri imgspec.toml)
[ "$yaml_uri" = "$toml_uri" ] && ok "YAML and TOML give one URI ($yaml_uri)" || fail "$yaml_uri != $toml_uri"
"$IMGSPEC" render imgspec.yaml --dockerfile >"$WORK/a" && "$IMGSPEC" render imgspec.toml --dockerfile >"$WORK/b"
cmp -s "$WORK/a" "$WORK/b" && ok "YAML and TOML give one Dockerfile" || fail "the Dockerfiles differ"
grep -c '^RUN ' "$WORK/a" | grep -qx 2 && ok "two RUN steps: packages, then build+install+clean in one" || fail "expected 2 RUN steps"

# The context holds the sources the build reads and nothing else: no build trees, tests, .git.
"$IMGSPEC" render imgspec.yaml --context "$WORK/ctx.tar"
tar -tf "$WORK/ctx.tar" | sed 's|/$||' >"$WORK/ctx.list"
grep -qx 'layers/1/CMakeLists.txt' "$WORK/ctx.list" && grep -qx 'layers/3/src/spec/schema.cpp' "$WORK/ctx.list" &&
  grep -qx 'layers/4/imgspec/main.cpp' "$WORK/ctx.list" && ok "context has the sources" || fail "context lacks sources"
if grep -E '(^|/)(build-[^/]*|\.git|tests|CMakeCache\.txt|\.ninja_log|[^/]*\.o)(/|$)' "$WORK/ctx.list" >"$WORK/extra"; then
  fail "context has build trees or tests: $(head -3 "$WORK/extra" | tr '\n' ' ')"
else
  ok "context has no build tree, tests or .git ($(wc -l <"$WORK/ctx.list") entries)"
fi

check "build --dry-run" 0 "$IMGSPEC" build imgspec.yaml --dry-run
expect_in "$WORK/out" "imgspec:" "dry run names the image"

if [ "${IMGSPEC_E2E_SELF_BUILD:-}" = 1 ]; then
  start=$(date +%s)
  check "imgspec build imgspec.yaml --load" 0 "$IMGSPEC" build imgspec.yaml --load --progress plain
  got=$(docker run --rm "$yaml_uri" imgspec --version 2>&1)
  [ "$got" = "$("$IMGSPEC" --version)" ] && ok "imgspec in the imgspec-built image: $got" || fail "in the image: $got"
  echo "imgspec build: $(($(date +%s) - start)) s"
  start=$(date +%s)
  tag="imgspec-selftest:$NONCE"
  check "docker build -f packaging/Dockerfile" 0 docker buildx build -f packaging/Dockerfile -t "$tag" --load --progress plain .
  got=$(docker run --rm "$tag" --version 2>&1)
  [ "$got" = "$("$IMGSPEC" --version)" ] && ok "imgspec in the packaging/Dockerfile image: $got" || fail "in the image: $got"
  docker image rm "$tag" >/dev/null 2>&1
  echo "docker build: $(($(date +%s) - start)) s"
else
  echo "skip: real builds (5-7 min each here); run with IMGSPEC_E2E_SELF_BUILD=1"
fi
finish
