#!/usr/bin/env bash
# E2E: a matrix (issue 15, item 3) on the real engine: one spec with two Python versions gives two
# images, each content-tagged on its own, built in parallel (-j 2) and pushed; each one, run,
# reports its own value; a second build skips both; --matrix picks one.
#
# The local registry has one Python: scripts/engine.sh pushes Debian 12's python3 (3.11) as
# debian-python:bookworm and under the aliases python:3.11-slim-bookworm and
# python:3.12-slim-bookworm, and nothing here can download another. So `python3 --version` is the
# same in both images; what the axis changes and the test sees at run time is each image's base
# reference (its FROM), its IMAGE_PYTHON variable and a file its RUN step wrote, and python3 runs
# in both. With two real Python bases the same spec gives two `python3 --version`s.
source "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME="$WORK/cache"
ctx="$WORK/ctx"
mkdir -p "$ctx"
cat >"$ctx/spec.yaml" <<YAML
name: e2e-matrix
registry: $REG/imgspec-e2e
platform: linux/amd64
python_version: "\${{ matrix.python_version }}"
from: {base: "$REG/python:\${{ matrix.python_version }}-slim-bookworm"}
matrix:
  python_version: ["3.11", "3.12"]
layers:
  - env_vars: {IMAGE_PYTHON: "\${{ matrix.python_version }}", NONCE: "$NONCE"}
  - commands: ["echo \${{ matrix.python_version }} > /matrix-python"]
YAML

check "uri of the matrix" 0 "$IMGSPEC" uri "$ctx/spec.yaml"
mapfile -t uris <"$WORK/out"
[ "${#uris[@]}" = 2 ] && ok "two images" || fail "uri printed: ${uris[*]}"
case "${uris[0]}|${uris[1]}" in
  "$REG/imgspec-e2e/e2e-matrix-3.11:"*"|$REG/imgspec-e2e/e2e-matrix-3.12:"*) ok "named e2e-matrix-3.11 and -3.12" ;;
  *) fail "names: ${uris[*]}" ;;
esac
[ "${uris[0]#*:5000/*:}" != "${uris[1]#*:5000/*:}" ] && ok "each image its own tag" || fail "one tag for both"

check "build both, -j 2" 0 "$IMGSPEC" build "$ctx/spec.yaml" -j 2 --progress plain
for u in "${uris[@]}"; do
  registry_has "$u" && ok "pushed $u" || fail "not in the registry: $u"
done

for i in 0 1; do
  v=$([ "$i" = 0 ] && echo 3.11 || echo 3.12)
  docker run --rm --platform linux/amd64 "${uris[$i]}" \
    sh -c 'python3 --version && echo "env=$IMAGE_PYTHON" && echo "file=$(cat /matrix-python)"' >"$WORK/run$i" 2>&1
  expect_in "$WORK/run$i" "Python 3." "python3 runs in the $v image"
  expect_in "$WORK/run$i" "env=$v" "the $v image has IMAGE_PYTHON=$v"
  expect_in "$WORK/run$i" "file=$v" "the $v image's RUN step saw $v"
done
"$IMGSPEC" render "$ctx/spec.yaml" --dockerfile --matrix python_version=3.12 >"$WORK/df"
expect_in "$WORK/df" "FROM $REG/python:3.12-slim-bookworm" "the 3.12 image starts from the 3.12 base"

check "build again" 0 "$IMGSPEC" build "$ctx/spec.yaml" --json
"${PYTHON:-python3}" -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j) == 2 and all(i['skipped'] for i in j), j
assert [i['matrix'] for i in j] == [{'python_version': '3.11'}, {'python_version': '3.12'}], j
" "$WORK/out" >"$WORK/py" 2>&1 && ok "second build: both skipped, --json with the matrix values" || { fail "second build"; cat "$WORK/py"; }

check "--matrix picks one" 0 "$IMGSPEC" build "$ctx/spec.yaml" --matrix python_version=3.12 --dry-run
[ "$(grep -c '^would' "$WORK/out")" = 1 ] && expect_in "$WORK/out" "would skip ${uris[1]}" "--matrix: only the 3.12 image" || fail "--matrix: $(cat "$WORK/out")"

finish
