#!/usr/bin/env bash
# imgspec init on a requirements project (tests/data/init/requirements-project), built and run on
# the real engine: the spec it writes builds as it is, the dependency installs before the source,
# and the app runs in the image. No package index here: the project's requirements.txt reads a
# wheelhouse (/wheels) that its base image carries, as a company base image would.
source "$(dirname "$0")/lib.sh"
printf 'installer: pip\n' >"$WORK/config.yaml"

# The base: the local Python 3.11 image plus a wheelhouse with the project's dependency.
base_ctx="$WORK/base"
mkdir -p "$base_ctx"
make_wheel "$base_ctx/wheels" alpha 1.0 "VALUE = 'alpha-1.0'" >/dev/null
printf 'FROM %s/python:3.11-slim-bookworm\nCOPY wheels /wheels\n' "$REG" >"$base_ctx/Dockerfile"
base="$REG/imgspec-e2e-init-base:$NONCE"
if docker buildx build --platform linux/amd64 --push -t "$base" "$base_ctx" >"$WORK/base.log" 2>&1; then
  ok "base image with a wheelhouse pushed"
else
  fail "could not build the base image"; tail -20 "$WORK/base.log"; finish; exit 1
fi

proj="$WORK/requirements-project"
cp -r "$SRC/tests/data/init/requirements-project" "$proj"
mkdir -p "$proj/.git" "$proj/.venv/bin"
echo "print('run $NONCE')" >>"$proj/app.py"
cd "$proj" || exit 1
check "init" 0 "$IMGSPEC" init --base "$base" --name "e2e-init-$NONCE"
[ "$(cat "$WORK/out")" = "imgspec.yaml" ] && ok "init prints the spec's path" || fail "init stdout: $(cat "$WORK/out")"
check "build the generated spec" 0 "$IMGSPEC" build imgspec.yaml --load --progress plain
img=$("$IMGSPEC" uri imgspec.yaml)
docker run --rm "$img" python /app/app.py >"$WORK/run" 2>&1
expect_in "$WORK/run" "requirements app: alpha-1.0" "the dependency is installed and the app runs"
expect_in "$WORK/run" "run $NONCE" "the app is this project's source"
docker run --rm "$img" sh -c 'ls -a /app' >"$WORK/ls" 2>&1
grep -qxE '\.venv|\.git' "$WORK/ls" && fail ".venv or .git shipped in /app" || ok "neither .venv nor .git in the image"

# A source edit rebuilds after the install, which BuildKit takes from its cache.
echo "print('edited $NONCE')" >>app.py
check "rebuild after a source edit" 0 "$IMGSPEC" build imgspec.yaml --load --progress plain
step_cached "$WORK/err" "--requirement" && ok "the install step is cached after a source edit" ||
  { fail "the install step ran again"; grep -F -- "--requirement" "$WORK/err" | head -3; }
docker run --rm "$("$IMGSPEC" uri imgspec.yaml)" python /app/app.py >"$WORK/run" 2>&1
expect_in "$WORK/run" "edited $NONCE" "the edit is in the new image"
finish
