#!/usr/bin/env bash
# imgspec init on fixture projects shaped like real ones (tests/data/init: a uv workspace, a Poetry
# project, a requirements project, a layered requirements/ folder, a PEP 723 script, and a folder
# with only a Dockerfile): the spec it writes validates in YAML and TOML, with one URI for both;
# stdout is the spec's path only; it never replaces a file without --force; a .dockerignore is
# written when .git or .venv would be shipped and there is none, and an existing one is left alone.
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" NO_COLOR=1
FIXTURES="$SRC/tests/data/init"

# fixture NAME: a fresh copy in $WORK/NAME, with the folders git does not keep.
fixture() {
  rm -rf "${WORK:?}/$1"
  cp -r "$FIXTURES/$1" "$WORK/$1"
}

# A finding per project: the layer or form its spec must hold.
declare -A want=(
  [uv-workspace]="uv_project: {pyproject: pyproject.toml, project_install_mode: install_project}"
  [poetry-project]="poetry_project: {pyproject: pyproject.toml, project_install_mode: install_project}"
  [requirements-project]="requirements: requirements.txt"
  [layered-requirements]="requirements: requirements/production.txt"
  [script]="uv_script: {script: report.py}"
)
declare -A name=([uv-workspace]=acme [poetry-project]=ledger [requirements-project]=requirements-project [layered-requirements]=layered-requirements [script]=report)

for p in uv-workspace poetry-project requirements-project layered-requirements script; do
  fixture "$p"
  mkdir -p "$WORK/$p/.git" "$WORK/$p/.venv/bin"
  cd "$WORK/$p" || exit 1
  check "$p: init" 0 "$IMGSPEC" init
  [ "$(cat "$WORK/out")" = "imgspec.yaml" ] && ok "$p: stdout is the spec's path" || fail "$p: stdout: $(cat "$WORK/out")"
  [ "$p" = script ] || expect_in "$WORK/err" "wrote .dockerignore" "$p: says it wrote .dockerignore"
  expect_in imgspec.yaml "${want[$p]}" "$p: detected"
  expect_in imgspec.yaml "name: ${name[$p]}" "$p: image name"
  check "$p: the spec validates" 0 "$IMGSPEC" validate imgspec.yaml
  check "$p: init --toml" 0 "$IMGSPEC" init --toml
  check "$p: the TOML spec validates" 0 "$IMGSPEC" validate imgspec.toml
  a=$("$IMGSPEC" uri imgspec.yaml 2>/dev/null)
  b=$("$IMGSPEC" uri imgspec.toml 2>/dev/null)
  [ -n "$a" ] && [ "$a" = "$b" ] && ok "$p: YAML and TOML give one URI" || fail "$p: uri '$a' vs '$b'"
  if [ "$p" = script ]; then
    [ -e .dockerignore ] && fail "$p: .dockerignore written for a spec that copies one file" || ok "$p: no .dockerignore needed"
  else
    expect_in .dockerignore ".venv" "$p: .dockerignore leaves .venv out"
    grep -q "\.venv" imgspec.yaml && fail "$p: spec still warns about .venv" || ok "$p: spec has no .venv warning"
    # The context holds the source but neither .git nor .venv.
    "$IMGSPEC" render imgspec.yaml --context "$WORK/ctx.tar" 2>/dev/null
    tar -tf "$WORK/ctx.tar" >"$WORK/list" 2>/dev/null
    grep -qE '(^|/)\.venv/|(^|/)\.git/' "$WORK/list" && fail "$p: .git or .venv in the context" || ok "$p: no .git or .venv in the context"
  fi
  # Installs come before the source copy.
  first_install=$(grep -nE '^  - (uv_project|poetry_project|requirements):' imgspec.yaml | head -1 | cut -d: -f1)
  copy=$(grep -nE '^  - source_(folder|file):' imgspec.yaml | head -1 | cut -d: -f1)
  if [ -n "$copy" ] && [ -n "$first_install" ]; then
    [ "$first_install" -lt "$copy" ] && ok "$p: installs before the source copy" || fail "$p: source copied before the installs"
  fi
  # Never replaces without --force.
  cp imgspec.yaml "$WORK/before.yaml"
  check "$p: init again refuses" 1 "$IMGSPEC" init
  expect_in "$WORK/err" "imgspec.yaml exists already" "$p: says the spec exists"
  [ -s "$WORK/out" ] && fail "$p: refused init printed on stdout" || ok "$p: refused init: stdout empty"
  cmp -s imgspec.yaml "$WORK/before.yaml" && ok "$p: spec untouched" || fail "$p: spec changed without --force"
  check "$p: init --force" 0 "$IMGSPEC" init --force
  cd "$WORK" || exit 1
done

# The uv workspace's details: .python-version, the members in the comment, no source copy (a
# project with a [build-system] is installed from its source).
expect_in "$WORK/uv-workspace/imgspec.yaml" 'python_version: "3.12"' "uv workspace: python_version from .python-version"
expect_in "$WORK/uv-workspace/imgspec.yaml" "members: packages/*" "uv workspace: members named"
expect_in "$WORK/uv-workspace/imgspec.yaml" 'base: "python:3.12-slim-bookworm"' "uv workspace: base from the Python version"
grep -q "source_folder" "$WORK/uv-workspace/imgspec.yaml" && fail "uv workspace: a package is copied as well as installed" || ok "uv workspace: installed, not copied"
expect_in "$WORK/requirements-project/imgspec.yaml" 'python_version: "3.11"' "requirements: 3.11.9 -> 3.11"
# A Poetry application (package-mode = false): dependencies, then the source copied.
fixture poetry-project
sed -i 's/^\[tool.poetry\]$/[tool.poetry]\npackage-mode = false/' "$WORK/poetry-project/pyproject.toml"
check "init of a Poetry application" 0 "$IMGSPEC" init "$WORK/poetry-project"
expect_in "$WORK/poetry-project/imgspec.yaml" "poetry_project: {pyproject: pyproject.toml}" "application: dependencies only"
expect_in "$WORK/poetry-project/imgspec.yaml" "source_folder: {src: ., dst: /app, copy_contents_only: true}" "application: source copied"
check "the Poetry application's spec validates" 0 "$IMGSPEC" validate "$WORK/poetry-project/imgspec.yaml"

# DIR argument, --print, --name, --base, an existing .dockerignore.
fixture poetry-project
mkdir -p "$WORK/poetry-project/.venv"
printf 'build/\n' >"$WORK/poetry-project/.dockerignore"
check "init DIR" 0 "$IMGSPEC" init "$WORK/poetry-project" --name books --base 127.0.0.1:5000/debian-python:bookworm
[ "$(cat "$WORK/out")" = "$WORK/poetry-project/imgspec.yaml" ] && ok "init DIR prints DIR/imgspec.yaml" || fail "init DIR stdout: $(cat "$WORK/out")"
expect_in "$WORK/poetry-project/imgspec.yaml" "name: books" "--name"
expect_in "$WORK/poetry-project/imgspec.yaml" 'base: "127.0.0.1:5000/debian-python:bookworm"' "--base"
[ "$(cat "$WORK/poetry-project/.dockerignore")" = "build/" ] && ok "an existing .dockerignore is left alone" || fail ".dockerignore changed"
expect_in "$WORK/err" "warning: .venv would be copied into the image" "a warning names .venv"
expect_in "$WORK/poetry-project/imgspec.yaml" ".venv would be copied too" "the spec says so too"
check "init --print" 0 "$IMGSPEC" init "$WORK/poetry-project" --print --toml
expect_in "$WORK/out" "[[layers]]" "--print prints the TOML spec"
[ -e "$WORK/poetry-project/imgspec.toml" ] && fail "--print wrote a file" || ok "--print writes nothing"
check "init --name with an invalid name" 2 "$IMGSPEC" init "$WORK/poetry-project" --print --name "Bad Name"
check "init of a missing folder" 2 "$IMGSPEC" init "$WORK/nope"

# Only a Dockerfile: built as it is. Nothing at all: a base and the source, still valid.
mkdir -p "$WORK/docker-only" "$WORK/empty"
printf 'FROM busybox\nRUN echo hi\n' >"$WORK/docker-only/Dockerfile"
check "init of a Dockerfile project" 0 "$IMGSPEC" init "$WORK/docker-only"
expect_in "$WORK/docker-only/imgspec.yaml" "dockerfile: Dockerfile" "Dockerfile detected"
check "the Dockerfile spec validates" 0 "$IMGSPEC" validate "$WORK/docker-only/imgspec.yaml"
check "init of an empty folder" 0 "$IMGSPEC" init "$WORK/empty"
check "the empty folder's spec validates" 0 "$IMGSPEC" validate "$WORK/empty/imgspec.yaml"
# init --print feeds render - (the spec on stdin, its context the current folder).
cd "$WORK/requirements-project" || exit 1
"$IMGSPEC" init --print --force | "$IMGSPEC" render - --dockerfile >"$WORK/df" 2>"$WORK/err"
expect_in "$WORK/df" "--requirement" "init --print | render - --dockerfile"
finish
