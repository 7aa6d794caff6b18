#!/usr/bin/env bash
# Matrices from the command line: `uri` prints one line per image (--json a list with each
# image's matrix values), --matrix picks images, `render --dockerfile` needs one, `validate`
# and `build --dry-run` see every image, and errors print with their places and exit codes.
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" XDG_CACHE_HOME="$WORK/cache" NO_COLOR=1
PY=${PYTHON:-python3}
cd "$SRC/specs"

# --- uri ------------------------------------------------------------------------------------------
check "uri of a matrix" 0 "$IMGSPEC" uri matrix.yaml
[ "$(wc -l <"$WORK/out")" = 4 ] && ok "uri: one line per image" || fail "uri: $(cat "$WORK/out")"
sed 's/:.*//' "$WORK/out" >"$WORK/names"
printf 'matrix-demo-3.11-cpu\nmatrix-demo-3.11-gpu\nmatrix-demo-3.12-cpu\nmatrix-demo-3.12-gpu\n' >"$WORK/want"
cmp -s "$WORK/names" "$WORK/want" && ok "uri: names in axis order, first axis slowest" || fail "uri names: $(cat "$WORK/names")"
[ "$(cut -d: -f2 "$WORK/out" | sort -u | wc -l)" = 4 ] && ok "uri: each image its own tag" || fail "tags repeat"
"$IMGSPEC" uri matrix.toml >"$WORK/toml"
cmp -s "$WORK/out" "$WORK/toml" && ok "uri: YAML and TOML give the same images" || fail "YAML and TOML differ"
cp "$WORK/out" "$WORK/all"

check "uri --json of a matrix" 0 "$IMGSPEC" uri matrix.yaml --json
"$PY" -c "
import json, sys
j = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().split()
assert isinstance(j, list) and len(j) == 4, j
assert [i['uri'] for i in j] == lines
assert list(j[0]) == ['spec', 'uri', 'registry', 'name', 'tag', 'tag_source', 'platforms', 'matrix', 'warnings'], list(j[0])
assert j[1]['matrix'] == {'python_version': '3.11', 'variant': 'gpu'}, j[1]
assert j[1]['name'] == 'matrix-demo-3.11-gpu' and j[1]['spec'] == 'matrix.yaml'
" "$WORK/out" "$WORK/all" >"$WORK/py" 2>&1 && ok "uri --json: a list with the matrix values" || { fail "uri --json"; cat "$WORK/py"; }

check "uri --matrix" 0 "$IMGSPEC" uri matrix.yaml --matrix variant=gpu
grep -c gpu "$WORK/out" | grep -qx 2 && [ "$(wc -l <"$WORK/out")" = 2 ] && ok "--matrix variant=gpu: 2 images" || fail "--matrix: $(cat "$WORK/out")"
check "uri --matrix twice" 0 "$IMGSPEC" uri matrix.yaml --matrix variant=gpu --matrix python_version=3.12
grep -qx "$(sed -n 4p "$WORK/all")" "$WORK/out" && [ "$(wc -l <"$WORK/out")" = 1 ] && ok "two axes picked: 1 image, the same URI" || fail "--matrix x2: $(cat "$WORK/out")"
check "uri --matrix one image --json is still a list" 0 "$IMGSPEC" uri matrix.yaml --json --matrix variant=gpu --matrix python_version=3.12
"$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); assert isinstance(j, list) and len(j)==1" "$WORK/out" && ok "--json list of one" || fail "--json of one image"
check "uri --matrix unknown axis" 2 "$IMGSPEC" uri matrix.yaml --matrix varaint=gpu
expect_in "$WORK/err" "has no axis 'varaint'" "unknown axis named"
expect_in "$WORK/err" "did you mean 'variant'?" "unknown axis: did you mean"
check "uri --matrix unknown value" 2 "$IMGSPEC" uri matrix.yaml --matrix variant=tpu
expect_in "$WORK/err" "python_version: 3.11, 3.12; variant: cpu, gpu" "unknown value: the axes listed"
check "uri --matrix without =" 2 "$IMGSPEC" uri matrix.yaml --matrix variant
check "uri --matrix on a spec without one" 2 "$IMGSPEC" uri quickstart.yaml --matrix variant=gpu
check "uri of a folder with a matrix" 0 "$IMGSPEC" --ref gpu=nvcr.io/x:1 uri .
grep -c '^matrix-demo-' "$WORK/out" | grep -qx 4 && ok "a folder: the matrix's 4 images among the others" || fail "folder: $(cat "$WORK/out")"
check "uri from stdin" 0 "$IMGSPEC" uri - <matrix.yaml
cmp -s "$WORK/out" "$WORK/all" && ok "stdin: the same images" || fail "stdin differs"

# --- specs without a matrix: unchanged ------------------------------------------------------------
check "uri --json of a plain spec" 0 "$IMGSPEC" uri quickstart.yaml --json
"$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); assert isinstance(j, dict) and 'matrix' not in j" "$WORK/out" && ok "plain spec: one object, no matrix field" || fail "plain spec json"

# --- render -----------------------------------------------------------------------------------------
check "render --dockerfile of a matrix" 2 "$IMGSPEC" render matrix.yaml --dockerfile
expect_in "$WORK/err" "is a matrix of 4 images" "render: says it is a matrix"
expect_in "$WORK/err" "pick one with --matrix AXIS=VALUE" "render: hint --matrix"
check "render --dockerfile --matrix" 0 "$IMGSPEC" render matrix.yaml --dockerfile --matrix variant=gpu --matrix python_version=3.11
expect_in "$WORK/out" "FROM python:3.11-slim-bookworm" "the picked image's base"
expect_in "$WORK/out" "DEVICE=\"gpu\"" "the picked image's value"
check "render --json of a matrix" 0 "$IMGSPEC" render matrix.yaml --json
"$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); assert len(j)==4 and j[3]['matrix']=={'python_version':'3.12','variant':'gpu'}" "$WORK/out" && ok "render --json: 4 objects" || fail "render --json"
check "render --buildx of a matrix" 0 "$IMGSPEC" render matrix.yaml --buildx
[ "$(awk 'BEGIN { RS = "" } END { print NR }' "$WORK/out")" = 4 ] && ok "render --buildx: 4 argvs" || fail "render --buildx: $(head -3 "$WORK/out")"

# --- validate and build ------------------------------------------------------------------------------
check "validate a matrix" 0 "$IMGSPEC" validate matrix.yaml matrix.toml
check "validate --json a matrix" 0 "$IMGSPEC" validate --json matrix.yaml
check "build --dry-run of a matrix" 0 "$IMGSPEC" build matrix.yaml --dry-run --matrix python_version=3.12 --json
"$PY" -c "
import json,sys
j=json.load(open(sys.argv[1]))
assert [i['uri'].split(':')[0] for i in j] == ['matrix-demo-3.12-cpu', 'matrix-demo-3.12-gpu'], j
assert all(i['spec'] == 'matrix.yaml' and i['dry_run'] for i in j)
assert j[0]['matrix'] == {'python_version': '3.12', 'variant': 'cpu'}
" "$WORK/out" >"$WORK/py" 2>&1 && ok "build --dry-run --json: one object per image" || { fail "build --dry-run --json"; cat "$WORK/py"; }
check "build --output of a matrix" 2 "$IMGSPEC" build matrix.yaml --output "$WORK/out.tar" --dry-run

# --- errors in a matrix spec: exit 3, compiler-style places ------------------------------------------
cd "$WORK"
bad() { # NAME TEXT WANT
  printf '%s' "$2" >"$WORK/bad.yaml"
  check "$1: exit 3" 3 "$IMGSPEC" validate "$WORK/bad.yaml"
  expect_in "$WORK/err" "$3" "$1: message"
}
bad "empty matrix" $'name: a\nmatrix: {}\n' "bad.yaml:2:9: error: matrix: the matrix has no axes"
bad "axis without values" $'name: a\nmatrix:\n  v: []\n' "bad.yaml:3:6: error: matrix.v: the axis has no values"
bad "non-scalar value" $'name: a\nmatrix:\n  v: [{a: 1}]\n' "bad.yaml:3:7: error: matrix.v[0]: expected a string, number or boolean"
bad "unknown axis" $'name: a\nmatrix: {v: [x]}\nlayers:\n  - workdir: "/${{ matrix.w }}"\n' \
  "bad.yaml:4:14: error: layers[0].workdir: 'w' is not an axis of the matrix"
bad "unused axis" $'name: a\nmatrix: {v: [x, y]}\nlayers: [{workdir: /app}]\n' \
  "bad.yaml:2:10: error: matrix.v: the axis is never used"
bad "overlay key" $'name: a\nmatrix:\n  v:\n    x: {layer: []}\n' "bad.yaml:4:9: error: matrix.v.x.layer: unknown key"
bad "a value error in one image" $'name: a\nfrom: {base: busybox}\nmatrix: {v: ["1.0", "x y"]}\ntag: "${{ matrix.v }}"\nlayers: [{workdir: /app}]\n' \
  "(matrix: v=x y)"
seq_values=$(seq -s, 1 300)
bad "too many images" "name: a
matrix: {v: [$seq_values]}
layers: [{workdir: \"/\${{ matrix.v }}\"}]
" "error: matrix: the matrix gives more than 256 images"
big_values=$(seq -s, 1 256)
big_list=$(seq -f 'p%g' -s, 1 5000)
bad "a large spec times many images" "name: a
matrix: {v: [$big_values]}
layers: [{workdir: \"/\${{ matrix.v }}\"}, {apt_packages: [$big_list]}]
" "error: matrix: the matrix's 256 images of this spec would hold more than 1000000 values"
printf 'name: p\nextendable: true\nfrom: {base: busybox}\nmatrix: {v: [a]}\nlayers: [{workdir: "/${{ matrix.v }}"}]\n' >"$WORK/parent.yaml"
printf 'name: c\nfrom: {spec: parent.yaml}\nlayers: [{workdir: /app}]\n' >"$WORK/child.yaml"
check "a parent with a matrix" 3 "$IMGSPEC" validate "$WORK/child.yaml"
expect_in "$WORK/err" "parent.yaml:4:9: error: matrix: this spec has a matrix" "parent: its matrix named"
expect_in "$WORK/err" "a parent cannot have a matrix" "parent: the hint"
printf 'name: a\ntag: v1\nfrom: {base: busybox}\nmatrix:\n  v: {x: {name: same}, y: {name: same}}\nlayers: [{workdir: /app}]\n' >"$WORK/twins.yaml"
check "two images with one URI" 3 "$IMGSPEC" uri "$WORK/twins.yaml"
expect_in "$WORK/err" "twins.yaml:5:3: error: matrix: the images v=x and v=y are one image, same:v1" "twins: both named"

finish
