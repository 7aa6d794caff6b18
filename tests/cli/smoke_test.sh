#!/usr/bin/env bash
# The binary as a user runs it: help, version, stdout discipline, exit codes, the examples.
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg"
REF=(--ref gpu=nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04)

check "--help" 0 "$IMGSPEC" --help
expect_in "$WORK/out" "Examples:" "--help shows examples"
expect_in "$WORK/out" "Exit codes" "--help lists exit codes"
check "--version" 0 "$IMGSPEC" --version
expect_in "$WORK/out" "imgspec 0." "--version prints the version"
check "no command is a usage error" 2 "$IMGSPEC"
check "unknown command is a usage error" 2 "$IMGSPEC" bulid "$SRC/specs/quickstart.yaml"
expect_in "$WORK/err" "did you mean 'build'?" "unknown command gets a did-you-mean"
check "build --help" 0 "$IMGSPEC" build --help

cd "$SRC/specs"
check "validate every example" 0 "$IMGSPEC" "${REF[@]}" validate ./*.yaml ./*.toml
[ -s "$WORK/out" ] && fail "validate printed to stdout" || ok "validate prints nothing on success"

for spec in *.yaml; do
  base=${spec%.yaml}
  check "uri $spec" 0 "$IMGSPEC" "${REF[@]}" uri "$spec"
  yaml_uri=$(cat "$WORK/out")
  toml_uri=$("$IMGSPEC" "${REF[@]}" uri "$base.toml")
  [ "$yaml_uri" = "$toml_uri" ] && ok "$base: YAML and TOML give one URI" || fail "$base: $yaml_uri != $toml_uri"
  if grep -q '^matrix:' "$spec"; then # a line per image; each image's golden: the unit tests
    [ "$(grep -cvE '^[a-z0-9./:_-]+:[0-9a-f]{32}$' "$WORK/out")" = 0 ] && ok "uri $spec: a URI per line" \
      || fail "uri $spec: $(cat "$WORK/out")"
    continue
  fi
  [ "$(wc -l <"$WORK/out")" = 1 ] && ok "uri $spec is one line" || fail "uri $spec is not one line"
  grep -qE '^[a-z0-9./:_-]+:[0-9a-f]{32}$' "$WORK/out" && ok "uri $spec shape" || fail "uri $spec: $(cat "$WORK/out")"
  "$IMGSPEC" "${REF[@]}" render "$spec" --dockerfile >"$WORK/Dockerfile"
  cmp -s "$WORK/Dockerfile" "$SRC/tests/data/golden/$base.Dockerfile" && ok "$base: render = golden" \
    || fail "$base: render differs from golden"
done

# IMG=$(imgspec uri ...) is stable across runs and machines' working directories.
a=$("$IMGSPEC" uri "$SRC/specs/quickstart.yaml")
b=$(cd / && "$IMGSPEC" uri "$SRC/specs/quickstart.yaml")
[ "$a" = "$b" ] && ok "uri independent of the working directory" || fail "uri depends on cwd: $a vs $b"

# render --context writes the exact context: a tar with the Dockerfile at the root, atomically.
check "render --context" 0 "$IMGSPEC" render "$SRC/specs/quickstart.yaml" --context "$WORK/ctx.tar"
tar -tf "$WORK/ctx.tar" >"$WORK/list" && ok "context is a valid tar" || fail "context is not a tar"
expect_in "$WORK/list" "Dockerfile" "context has the Dockerfile"
expect_in "$WORK/list" "layers/2/main.py" "context has the copied source"
[ -s "$WORK/out" ] && fail "render --context printed to stdout" || ok "render --context prints nothing"
tar -xOf "$WORK/ctx.tar" Dockerfile | cmp -s - "$SRC/tests/data/golden/quickstart.Dockerfile" \
  && ok "context Dockerfile = rendered Dockerfile" || fail "context Dockerfile differs"
"$IMGSPEC" render "$SRC/specs/quickstart.yaml" --context "$WORK/ctx2.tar"
cmp -s "$WORK/ctx.tar" "$WORK/ctx2.tar" && ok "context is byte-identical across runs" || fail "context differs between runs"
ls -a "$WORK" | grep -q '\.tmp\.' && fail "temp file left beside the context" || ok "no temp file left"

# An invalid spec: exit 3, compiler-style message on stderr, nothing on stdout.
printf 'name: x\nfrom: {base: busybox}\nlayers:\n  - pip_pakages: [numpy]\n' >"$WORK/bad.yaml"
check "invalid spec exits 3" 3 "$IMGSPEC" uri "$WORK/bad.yaml"
expect_in "$WORK/err" "bad.yaml:4:5: error: layers[0]: unknown layer kind 'pip_pakages'" "error has file:line:col and key path"
expect_in "$WORK/err" "did you mean 'pip_packages'?" "did-you-mean hint"
[ -s "$WORK/out" ] && fail "invalid spec printed to stdout" || ok "nothing on stdout for an invalid spec"
check "render --context of an invalid spec" 3 "$IMGSPEC" render "$WORK/bad.yaml" --context "$WORK/none.tar"
[ -e "$WORK/none.tar" ] && fail "a context file was written for an invalid spec" || ok "no context file for an invalid spec"

check "missing spec file" 3 "$IMGSPEC" validate "$WORK/nope.yaml"
check "--ref without =" 2 "$IMGSPEC" --ref bad uri "$SRC/specs/ref-name.yaml"
finish
