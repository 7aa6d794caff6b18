#!/usr/bin/env bash
# E2E 2 and 3: a Debian+Python base with a real apt install, pip_packages and requirements from
# local wheels (pip mode: no PyPI here), and local_v2 wheel installs; the packages import in the
# image. Then: an unchanged rebuild skips without running buildx, and after editing one copied
# source file the tag changes and BuildKit reports the install layers as CACHED.
source "$(dirname "$0")/lib.sh"
printf 'installer: pip\n' >"$WORK/config.yaml"
ctx="$WORK/ctx"
mkdir -p "$ctx/app" "$ctx/dist"
make_wheel "$ctx/wheels" alpha 1.0 "VALUE = 'alpha-1.0'" >/dev/null
make_wheel "$ctx/wheels" beta 2.0 "VALUE = 'beta-2.0'" >/dev/null
make_wheel "$ctx/dist" flyte 2.0.0.dev0 "__version__ = '2.0.0.dev0'" >/dev/null
make_wheel "$ctx/dist" flyteplugins-demo 0.1 "NAME = 'demo-plugin'" >/dev/null
echo "beta==2.0" >"$ctx/requirements.txt"
echo "print('app $NONCE')" >"$ctx/app/main.py"
cat >"$ctx/spec.yaml" <<YAML
name: e2e-python
registry: $REG
platform: linux/amd64
from: {base: "$REG/debian-python:bookworm"}
layers:
  - env_vars: {PIP_NO_INDEX: "1", PIP_FIND_LINKS: /wheels}
  - source_folder: {src: wheels, dst: /wheels}
  - apt_packages: [jq]
  - pip_packages: ["alpha==1.0"]
  - requirements: requirements.txt
  - local_v2: {dist: dist}
  - local_v2_plugins: [flyteplugins-demo]
    dist: dist
  - source_folder: {src: app, dst: /app}
YAML
check "build the Python image" 0 "$IMGSPEC" build "$ctx/spec.yaml" --progress plain
img=$("$IMGSPEC" uri "$ctx/spec.yaml")
docker run --rm --platform linux/amd64 "$img" sh -c \
  'jq --version && python -c "import alpha, beta, flyte, flyteplugins_demo; print(alpha.VALUE, beta.VALUE, flyte.__version__, flyteplugins_demo.NAME)" && python /app/main.py' \
  >"$WORK/run" 2>&1
expect_in "$WORK/run" "jq-1." "apt package installed"
expect_in "$WORK/run" "alpha-1.0 beta-2.0 2.0.0.dev0 demo-plugin" "pip, requirements and local wheels import"
expect_in "$WORK/run" "app $NONCE" "source copied"

# 3a: unchanged: skipped, and no buildx build started.
check "rebuild unchanged" 0 "$IMGSPEC" -v build "$ctx/spec.yaml" --json
expect_in "$WORK/out" '"skipped": true' "unchanged spec is skipped"
grep -q "buildx build" "$WORK/err" && fail "a buildx build ran for an unchanged spec" || ok "no buildx build for an unchanged spec"

# 3b: one source edit: new tag, installs CACHED.
echo "print('edited $NONCE')" >"$ctx/app/main.py"
img2=$("$IMGSPEC" uri "$ctx/spec.yaml")
[ "$img" != "$img2" ] && ok "editing a copied file changes the tag" || fail "tag unchanged after an edit"
check "rebuild after a source edit" 0 "$IMGSPEC" build "$ctx/spec.yaml" --progress plain
for step in "apt-get install" "pip install --disable-pip-version-check alpha" "--requirement" "flyteplugins-demo"; do
  if step_cached "$WORK/err" "$step"; then ok "install step cached: $step"
  else fail "install step not cached: $step"; grep -F -- "$step" "$WORK/err" | head -3; fi
done
docker run --rm "$img2" python /app/main.py >"$WORK/run" 2>&1
expect_in "$WORK/run" "edited $NONCE" "the edit is in the new image"
finish
