#!/usr/bin/env bash
# Command-line manners (issue 16): global flags before or after the command, unknown commands named
# with a "did you mean" (with --help too), a spec on standard input.
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" NO_COLOR=1
spec="$SRC/specs/quickstart.yaml"
want_uri=$("$IMGSPEC" uri "$spec")

# --- Global flags after the command --------------------------------------------------------------
check "uri SPEC -v" 0 "$IMGSPEC" uri "$spec" -v
[ "$(cat "$WORK/out")" = "$want_uri" ] && ok "uri SPEC -v prints the URI only" || fail "uri SPEC -v stdout: $(cat "$WORK/out")"
# build --dry-run logs its docker calls at debug level (whether or not an engine answers).
"$IMGSPEC" build "$spec" --dry-run -v >/dev/null 2>"$WORK/err"
expect_in "$WORK/err" "imgspec: debug: running: " "-v after the command turns on debug logs"
check "validate SPEC -q" 0 "$IMGSPEC" validate "$spec" -q
check "validate -vv SPEC" 0 "$IMGSPEC" validate -vv "$spec"
printf 'registry: config.example.com/team\n' >"$WORK/other.yaml"
check "config --config FILE" 0 "$IMGSPEC" config --config "$WORK/other.yaml"
expect_in "$WORK/out" 'registry: "config.example.com/team"' "--config after the command is read"
check "config --config=FILE" 0 "$IMGSPEC" config --config="$WORK/other.yaml"
expect_in "$WORK/out" 'registry: "config.example.com/team"' "--config=FILE after the command is read"
check "render SPEC --dockerfile --ref after" 0 "$IMGSPEC" render "$SRC/specs/ref-name.yaml" --dockerfile \
  --ref gpu=nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04
expect_in "$WORK/out" "FROM nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04" "--ref after the command resolves the ref"
a=$("$IMGSPEC" --ref gpu=nvcr.io/x/y:1 uri "$SRC/specs/ref-name.yaml")
b=$("$IMGSPEC" uri "$SRC/specs/ref-name.yaml" --ref gpu=nvcr.io/x/y:1)
[ -n "$a" ] && [ "$a" = "$b" ] && ok "--ref before and after the command: one URI" || fail "--ref before/after: '$a' vs '$b'"
# A flag of one command stays that command's.
check "--dockerfile before the command is a usage error" 2 "$IMGSPEC" --dockerfile render "$spec"
check "build's --force on uri is a usage error" 2 "$IMGSPEC" uri "$spec" --force
expect_in "$WORK/err" "--force" "the stray flag is named"

# --- Unknown commands ----------------------------------------------------------------------------
check "unknown command" 2 "$IMGSPEC" frobnicate
expect_in "$WORK/err" "'frobnicate' is not an imgspec command" "unknown command is named"
expect_in "$WORK/err" "hint: the commands are build, render, uri, validate" "no close command: the list"
[ -s "$WORK/out" ] && fail "unknown command printed to stdout" || ok "unknown command: stdout empty"
check "unknown command --help" 2 "$IMGSPEC" frobnicate --help
expect_in "$WORK/err" "'frobnicate' is not an imgspec command" "unknown command with --help is named"
[ -s "$WORK/out" ] && fail "unknown command --help printed help on stdout" || ok "unknown command --help: no help"
check "--help before an unknown command" 2 "$IMGSPEC" --help frobnicate
check "a typo" 2 "$IMGSPEC" -v --config "$WORK/config.yaml" valdate "$spec"
expect_in "$WORK/err" "did you mean 'validate'?" "typo after global flags gets a did-you-mean"
check "a global option's value is not taken for the command" 0 "$IMGSPEC" --config "$WORK/config.yaml" validate "$spec"
check "known command --help" 0 "$IMGSPEC" uri --help
check "--version alone" 0 "$IMGSPEC" --version

# --- A spec on standard input ----------------------------------------------------------------------
specs="$SRC/specs"
got=$(cd "$specs" && "$IMGSPEC" uri - <quickstart.yaml)
[ "$got" = "$want_uri" ] && ok "uri - in the spec's folder: the file's URI" || fail "uri -: '$got' vs '$want_uri'"
got=$("$IMGSPEC" uri - --context-dir "$specs" <"$specs/quickstart.yaml")
[ "$got" = "$want_uri" ] && ok "uri - --context-dir: the file's URI" || fail "uri - --context-dir: '$got'"
got=$(cd "$specs" && "$IMGSPEC" uri - --format toml <quickstart.toml)
[ "$got" = "$want_uri" ] && ok "uri - --format toml: the file's URI" || fail "uri - --format toml: '$got'"
(cd "$specs" && "$IMGSPEC" render - --dockerfile <uv-project.yaml) >"$WORK/df.stdin"
"$IMGSPEC" render "$specs/uv-project.yaml" --dockerfile >"$WORK/df.file"
cmp -s "$WORK/df.stdin" "$WORK/df.file" && ok "render - --dockerfile: the file's Dockerfile" || fail "render - --dockerfile differs"
check "validate - (with a file)" 0 "$IMGSPEC" validate "$specs/trainer.yaml" - --context-dir "$specs" <"$specs/quickstart.yaml"
check "a relative path missing from the context folder" 3 "$IMGSPEC" validate - --context-dir "$WORK" <"$specs/quickstart.yaml"
expect_in "$WORK/err" "<stdin>:" "messages name <stdin>"
printf 'name: x\nfrom: {base: busybox}\nlayers:\n  - pip_pakages: [numpy]\n' >"$WORK/bad.yaml"
check "invalid spec on stdin" 3 "$IMGSPEC" uri - <"$WORK/bad.yaml"
expect_in "$WORK/err" "<stdin>:4:5: error: layers[0]: unknown layer kind 'pip_pakages'" "stdin errors have line:col"
[ -s "$WORK/out" ] && fail "invalid spec on stdin: stdout not empty" || ok "invalid spec on stdin: stdout empty"
check "TOML on stdin read as YAML" 3 "$IMGSPEC" uri - --context-dir "$specs" <"$specs/quickstart.toml"
check "--format with a spec file" 2 "$IMGSPEC" uri "$spec" --format toml
expect_in "$WORK/err" "--format applies to a spec on standard input only" "--format without - is named"
check "--context-dir with a spec file" 2 "$IMGSPEC" render "$spec" --dockerfile --context-dir /tmp
check "--format json" 2 "$IMGSPEC" uri - --format json </dev/null
check "- twice" 2 "$IMGSPEC" validate - - <"$spec"
check "--context-dir that is no folder" 2 "$IMGSPEC" uri - --context-dir "$WORK/nope" <"$spec"

finish
