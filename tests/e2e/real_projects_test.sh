#!/usr/bin/env bash
# Real projects build and run (issue 12): images written the way users write them, built on the
# real engine and then run.
#  A. a base with no /etc/passwd (busybox FROM scratch), two platforms, RUN steps as 0:0, PATH
#     extended by env_vars with $PATH, a literal \$;
#  B. a non-root base whose user is restored at the end (and `user:` overriding it);
#  C. secrets as the Flyte SDK passes them: a bare key is an environment variable (github-pat is
#     GITHUB_PAT), and $PAT in index_url is expanded by the step's shell;
#  D. a poetry project with dev and docs groups in install_project mode, its path dependencies
#     next to it: the project imports from the finished image (not an editable install into a
#     mount that is gone), the dev group is not installed;
#  E. a PEP 723 script with a local file: dependency;
#  F. layered requirements files (cookiecutter-django's requirements/ folder): production.txt
#     includes base.txt (-r), which pins through a constraints file one folder up (-c);
#  G. a Debian base without Python that gets it from apt_packages before pip_packages (the venv is
#     made at the first Python layer, not before the layers that install Python), and bases that
#     lack apt-get or python3 failing with a hint that says so;
#  H. a code bundle of loaded modules whose script imports its neighbours (`import helpers` in
#     scripts/) and a src/ layout package: the image runs both.
# uv cannot be installed here (no uv binary in these registries): uv projects and workspaces are
# checked by rendering, in tests/unit/render/real_projects_test.cpp.
source "$(dirname "$0")/lib.sh"
printf 'installer: pip\ndebian_base_image: "%s/python:{python_version}-slim-bookworm"\n' "$REG" >"$WORK/config.yaml"
PY="$REG/debian-python:bookworm"

# --- A: no /etc/passwd, two platforms, PATH --------------------------------------------------
# The local busybox has a passwd file; this base has none, as an image made FROM scratch.
nopasswd="$REG/e2e-nopasswd:$NONCE"
printf 'FROM %s/busybox:latest\nRUN ["/bin/busybox","rm","-f","/etc/passwd","/etc/group"]\n' "$REG" |
  push_dockerfile "$nopasswd" linux/amd64,linux/arm64 "$WORK/base.log" ||
  { fail "A: could not make the passwd-less base"; cat "$WORK/base.log"; }
a="$WORK/a"
mkdir -p "$a/tools"
printf '#!/bin/sh\necho "tool-ran $(uname -m)"\n' >"$a/tools/mytool"
chmod +x "$a/tools/mytool"
cat >"$a/spec.yaml" <<YAML
name: e2e-real-a
registry: $REG
platform: [linux/amd64, linux/arm64]
from: {base: "$nopasswd"}
layers:
  - source_folder: {src: tools, dst: /opt/tools/bin}
  - env_vars: {PATH: "/opt/tools/bin:\$PATH", PRICE: 'costs \\\$5 $NONCE'}
  - commands: ["mytool > /tool-output", "test ! -e /etc/passwd"]
YAML
check "A: a passwd-less base builds RUN steps for two platforms" 0 "$IMGSPEC" build "$a/spec.yaml"
img=$("$IMGSPEC" uri "$a/spec.yaml")
for platform in linux/amd64 linux/arm64; do
  docker run --rm --platform "$platform" "$img" sh -c 'cat /tool-output; mytool; echo "PATH=$PATH"; echo "PRICE=$PRICE"; id -u' >"$WORK/run" 2>&1
  expect_in "$WORK/run" "tool-ran" "A($platform): the tool on the extended PATH ran in the build and runs in the image"
  expect_in "$WORK/run" "PATH=/opt/tools/bin:/" "A($platform): \$PATH expanded from the base's PATH"
  expect_in "$WORK/run" "PRICE=costs \$5 $NONCE" "A($platform): \\\$ stays a literal dollar"
done
docker run --rm --platform linux/arm64 "$img" uname -m >"$WORK/run" 2>&1
expect_in "$WORK/run" "aarch64" "A: the arm64 image is arm64"

# --- B: a non-root base keeps its user ------------------------------------------------------
base="$REG/e2e-nonroot:$NONCE"
printf 'FROM %s/busybox:latest\nUSER 1234:1234\n' "$REG" |
  push_dockerfile "$base" linux/amd64,linux/arm64 "$WORK/base.log" ||
  { fail "B: could not make the non-root base"; cat "$WORK/base.log"; }
b="$WORK/b"
mkdir -p "$b"
cat >"$b/spec.yaml" <<YAML
name: e2e-real-b
registry: $REG
platform: [linux/amd64, linux/arm64]
from: {base: "$base"}
layers:
  - commands: ["mkdir /made-by-root && echo $NONCE > /made-by-root/n"]
YAML
check "B: steps on a non-root base run as root" 0 "$IMGSPEC" build "$b/spec.yaml"
img=$("$IMGSPEC" uri "$b/spec.yaml")
docker run --rm "$img" sh -c 'id -u; id -g; cat /made-by-root/n' >"$WORK/run" 2>&1
expect_in "$WORK/run" "1234" "B: the image runs as its base's user again"
expect_in "$WORK/run" "$NONCE" "B: the root step's file is there"
printf 'user: "4321:4321"\n' >>"$b/spec.yaml"
check "B: user: overrides the base's user" 0 "$IMGSPEC" build "$b/spec.yaml"
docker run --rm "$("$IMGSPEC" uri "$b/spec.yaml")" id -u >"$WORK/run" 2>&1
expect_in "$WORK/run" "4321" "B: the image runs as the spec's user"

# --- C: secrets as environment variables, $PAT in index_url ---------------------------------
c="$WORK/c"
mkdir -p "$c/wheels"
make_wheel "$c/wheels" alpha 1.0 "VALUE = 'alpha-from-index'" >/dev/null
pat="tok$RANDOM$RANDOM"
mkdir -p "$c/index/simple/alpha"
cp "$c/wheels/"*.whl "$c/index/"
printf '<a href="../../alpha-1.0-py3-none-any.whl">alpha-1.0-py3-none-any.whl</a>\n' >"$c/index/simple/alpha/index.html"
gh="gh-$NONCE-$RANDOM"
cat >"$c/spec.yaml" <<YAML
name: e2e-real-c
registry: $REG
platform: linux/amd64
from: {base: "$PY"}
layers:
  - source_folder: {src: index, dst: /idx/$pat}
  - pip_packages: [alpha]
    index_url: "file:///idx/\$PAT/simple"
    secret_mounts: [PAT]
  - commands: ['printf %s "\$GITHUB_PAT" | sha256sum > /gh-proof']
    secret_mounts: [github-pat]
YAML
export PAT="$pat" GITHUB_PAT="$gh"
check "C: a private index with \$PAT, and github-pat as GITHUB_PAT" 0 "$IMGSPEC" build "$c/spec.yaml"
img=$("$IMGSPEC" uri "$c/spec.yaml")
docker run --rm "$img" sh -c 'python -c "import alpha; print(alpha.VALUE)"; cat /gh-proof' >"$WORK/run" 2>&1
expect_in "$WORK/run" "alpha-from-index" "C: the package came from the index named with \$PAT"
expect_in "$WORK/run" "$(printf %s "$gh" | sha256sum | cut -d' ' -f1)" "C: the bare key reached the step as GITHUB_PAT"
"$IMGSPEC" render "$c/spec.yaml" --dockerfile >"$WORK/df"
docker history --no-trunc "$img" >"$WORK/history" 2>&1
docker image inspect "$img" >>"$WORK/history" 2>&1
if grep -qF "$gh" "$WORK/df" "$WORK/history"; then fail "C: the secret's value is in the Dockerfile or the image"; else ok "C: the secret's value is in neither the Dockerfile nor the image"; fi
# The same index named in a requirements file as pip expands it, ${PAT} from the step's secret.
mkdir -p "$c/r"
cp -r "$c/index" "$c/r/index"
printf -- '--index-url file:///idx/${PAT}/simple\nalpha==1.0\n' >"$c/r/requirements.txt"
cat >"$c/r/spec.yaml" <<YAML
name: e2e-real-c-req
registry: $REG
platform: linux/amd64
from: {base: "$PY"}
layers:
  - source_folder: {src: index, dst: /idx/$pat}
  - requirements: requirements.txt
    secret_mounts: [PAT]
YAML
check "C: \${PAT} in a requirements file, the secret as its variable" 0 "$IMGSPEC" build "$c/r/spec.yaml"
docker run --rm "$("$IMGSPEC" uri "$c/r/spec.yaml")" python -c "import alpha; print(alpha.VALUE)" >"$WORK/run" 2>&1
expect_in "$WORK/run" "alpha-from-index" "C: the requirements file's index was reached with the secret"
sed -i '/secret_mounts/d' "$c/r/spec.yaml"
check "C: without the secret, validate passes with a warning" 0 "$IMGSPEC" validate "$c/r/spec.yaml"
expect_in "$WORK/err" "requirements.txt:1:25: warning: '\${PAT}' is expanded from the install step's environment" "C: ... which points at the variable"
unset PAT GITHUB_PAT

# --- D: a poetry project with groups, installed as a project ---------------------------------
d="$WORK/d"
mkdir -p "$d/wheels" "$d/proj/src/myproj"
make_wheel "$d/wheels" alpha 1.0 "VALUE = 'alpha-1.0'" >/dev/null
make_wheel "$d/wheels" devtool 1.0 "VALUE = 'dev'" >/dev/null
make_wheel "$d/wheels" docstool 1.0 "VALUE = 'docs'" >/dev/null
echo "VALUE = 'myproj-$NONCE'" >"$d/proj/src/myproj/__init__.py"
cat >"$d/proj/pyproject.toml" <<'TOML'
[tool.poetry]
name = "myproj"
version = "0.1.0"
description = "A project shaped like a real one: src layout, groups, path dependencies"
authors = ["Example <dev@example.com>"]
packages = [{include = "myproj", from = "src"}]

[tool.poetry.dependencies]
python = "^3.9"
alpha = {path = "../wheels/alpha-1.0-py3-none-any.whl"}

[tool.poetry.group.dev.dependencies]
devtool = {path = "../wheels/devtool-1.0-py3-none-any.whl"}

[tool.poetry.group.docs]
optional = true

[tool.poetry.group.docs.dependencies]
docstool = {path = "../wheels/docstool-1.0-py3-none-any.whl"}

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
TOML
(cd "$d/proj" && poetry lock --no-update >"$WORK/lock.log" 2>&1) || { fail "D: poetry lock"; cat "$WORK/lock.log"; }
printf '.venv/\n.git/\n' >"$d/.dockerignore"
cat >"$d/spec.yaml" <<YAML
name: e2e-real-d
registry: $REG
platform: linux/amd64
from: {base: "$PY"}
layers:
  - apt_packages: [python3-poetry]
  - poetry_project: {pyproject: proj/pyproject.toml, project_install_mode: install_project, extra_args: "--without dev --with docs"}
YAML
check "D: a poetry project with groups, install_project" 0 "$IMGSPEC" build "$d/spec.yaml" --progress plain
img=$("$IMGSPEC" uri "$d/spec.yaml")
docker run --rm -w / "$img" python -c "
import alpha, docstool, myproj
print(myproj.VALUE, alpha.VALUE, docstool.VALUE, myproj.__file__)
try:
    import devtool
    print('dev group installed')
except ImportError:
    print('no dev group')
" >"$WORK/run" 2>&1
expect_in "$WORK/run" "myproj-$NONCE alpha-1.0 docs" "D: the project and its groups' dependencies import from the image"
expect_in "$WORK/run" "/opt/venv/lib/" "D: the project is installed in the venv, not editable into a mount"
expect_in "$WORK/run" "no dev group" "D: --without dev is honoured"

# --- E: a PEP 723 script with a local file: dependency ---------------------------------------
e="$WORK/e"
mkdir -p "$e/libs"
# A wheel built beside the script (no build backend can be fetched here).
make_wheel "$e/libs" mylib 0.1 "VALUE = 'mylib-$NONCE'" >/dev/null
# As users write it: the absolute path of the checkout.
cat >"$e/train.py" <<PY
# /// script
# requires-python = ">=3.11"
# dependencies = ["mylib @ file://$e/libs/mylib-0.1-py3-none-any.whl"]
# ///
import mylib
print(mylib.VALUE)
PY
cat >"$e/spec.yaml" <<YAML
name: e2e-real-e
registry: $REG
platform: linux/amd64
python_version: "3.11"
from:
  uv_script: {script: train.py, extra_args: "--no-index"}
layers:
  - source_file: {src: train.py, dst: /app}
YAML
"$IMGSPEC" render "$e/spec.yaml" --dockerfile >"$WORK/df" 2>"$WORK/err"
if grep -qF "$e" "$WORK/df"; then fail "E: a host path is in the Dockerfile"; else ok "E: no host path in the Dockerfile"; fi
check "E: a PEP 723 script with a local dependency" 0 "$IMGSPEC" build "$e/spec.yaml"
docker run --rm "$("$IMGSPEC" uri "$e/spec.yaml")" python /app/train.py >"$WORK/run" 2>&1
expect_in "$WORK/run" "mylib-$NONCE" "E: the script's local dependency imports"
docker run --rm "$("$IMGSPEC" uri "$e/spec.yaml")" sh -c 'echo "user=$(id -un) pythonpath=$PYTHONPATH"' >"$WORK/run" 2>&1
expect_in "$WORK/run" "user=flyte pythonpath=/root" "E: Flyte's base runs as flyte with /root on PYTHONPATH, as the SDK's image"

# --- F: layered requirements, -r and -c ------------------------------------------------------
f="$WORK/f"
mkdir -p "$f/wheels" "$f/requirements"
make_wheel "$f/wheels" alpha 1.0 "VALUE = 'alpha-1.0'" >/dev/null
make_wheel "$f/wheels" alpha 2.0 "VALUE = 'alpha-2.0'" >/dev/null
make_wheel "$f/wheels" beta 1.0 "VALUE = 'beta-$NONCE'" >/dev/null
printf -- '# shared by every environment\n--no-index --find-links /wheels\nalpha\n-c ../constraints.txt\n' >"$f/requirements/base.txt"
printf -- '-r base.txt  # the common pins\nbeta==1.0\n' >"$f/requirements/production.txt"
printf 'alpha<2\n' >"$f/constraints.txt"
cat >"$f/spec.yaml" <<YAML
name: e2e-real-f
registry: $REG
platform: linux/amd64
from: {base: "$PY"}
layers:
  - source_folder: {src: wheels, dst: /wheels}
  - requirements: requirements/production.txt
YAML
check "F: requirements that include (-r) and constrain (-c)" 0 "$IMGSPEC" build "$f/spec.yaml"
docker run --rm "$("$IMGSPEC" uri "$f/spec.yaml")" python -c "import alpha, beta; print(alpha.VALUE, beta.VALUE)" >"$WORK/run" 2>&1
expect_in "$WORK/run" "alpha-1.0 beta-$NONCE" "F: the included file's package installed, held below 2 by the constraints file"

# --- G: Python from apt_packages; bases without apt-get or python3 ---------------------------
g="$WORK/g"
mkdir -p "$g/wheels"
make_wheel "$g/wheels" alpha 1.0 "VALUE = 'alpha-g-$NONCE'" >/dev/null
nopy="$REG/e2e-nopython:$NONCE"
printf 'FROM %s\nRUN apt-get purge -y --auto-remove python3 python3-minimal && ! command -v python3\n' "$PY" |
  push_dockerfile "$nopy" linux/amd64 "$WORK/base.log" ||
  { fail "G: could not make the Python-less base"; cat "$WORK/base.log"; }
cat >"$g/spec.yaml" <<YAML
name: e2e-real-g
registry: $REG
platform: linux/amd64
from: {base: "$nopy"}
layers:
  - apt_packages: [python3, python3-venv]
  - source_folder: {src: wheels, dst: /wheels}
  - pip_packages: [alpha]
    extra_args: "--no-index --find-links /wheels"
YAML
check "G: apt_packages gives the base its python3, then pip_packages" 0 "$IMGSPEC" build "$g/spec.yaml"
docker run --rm "$("$IMGSPEC" uri "$g/spec.yaml")" python -c "import alpha, sys; print(alpha.VALUE, sys.prefix)" >"$WORK/run" 2>&1
expect_in "$WORK/run" "alpha-g-$NONCE /opt/venv" "G: the package imports from the venv made with apt's python3"
cat >"$g/nopy.yaml" <<YAML
name: e2e-real-g-nopy
registry: $REG
platform: linux/amd64
from: {base: "$nopy"}
layers:
  - pip_packages: [alpha]
YAML
check "G: pip_packages on a base without python3 fails" 4 "$IMGSPEC" build "$g/nopy.yaml"
expect_in "$WORK/err" "hint: the base image has no python3" "G: ... and the hint says the base has no python3"
cat >"$g/noapt.yaml" <<YAML
name: e2e-real-g-noapt
registry: $REG
platform: linux/amd64
from: {base: "$REG/busybox:latest"}
layers:
  - apt_packages: [curl]
YAML
check "G: apt_packages on a base without apt-get fails" 4 "$IMGSPEC" build "$g/noapt.yaml"
expect_in "$WORK/err" "hint: the base image has no apt-get" "G: ... and the hint says the base has no apt-get"

# --- H: loaded_modules finds a script's neighbours and a src/ layout -------------------------
h="$WORK/h"
mkdir -p "$h/scripts/config" "$h/src/app"
printf 'import helpers\nfrom config import settings\nprint("train", helpers.NAME, settings.LR)\n' >"$h/scripts/train.py"
printf 'NAME = "helpers-%s"\n' "$NONCE" >"$h/scripts/helpers.py"
: >"$h/scripts/config/__init__.py"
printf 'LR = 0.1\n' >"$h/scripts/config/settings.py"
printf 'NOT_IMPORTED = 1\n' >"$h/scripts/unused.py"
: >"$h/src/app/__init__.py"
printf 'from app.utils import VALUE\nprint("app", VALUE)\n' >"$h/src/app/main.py"
printf 'VALUE = "utils-%s"\n' "$NONCE" >"$h/src/app/utils.py"
cat >"$h/spec.yaml" <<YAML
name: e2e-real-h
registry: $REG
platform: linux/amd64
from: {base: "$PY"}
layers:
  - code_bundle: {copy_style: loaded_modules, entry: [scripts/train.py, src/app/main.py], dst: /app}
YAML
check "H: a loaded_modules bundle" 0 "$IMGSPEC" build "$h/spec.yaml"
img=$("$IMGSPEC" uri "$h/spec.yaml")
docker run --rm "$img" sh -c 'python3 /app/scripts/train.py; cd /app/src && python3 -m app.main; ls /app/scripts' >"$WORK/run" 2>&1
expect_in "$WORK/run" "train helpers-$NONCE 0.1" "H: the script imports its neighbours from the image"
expect_in "$WORK/run" "app utils-$NONCE" "H: the src/ layout package imports from the image"
expect_not_in "$WORK/run" "unused.py" "H: a module nothing imports stays out"
finish
