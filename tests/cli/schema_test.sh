#!/usr/bin/env bash
# `imgspec schema`: a valid JSON Schema (draft 2020-12, checked by python3-jsonschema) that
#   - accepts every example in specs/ (YAML and TOML) and the every-key corpus tests/data/schema/,
#   - rejects the structural cases of the bad-spec corpus (listed below, each with where it fails),
#   - equals the committed packaging/imgspec.schema.json (refresh: IMGSPEC_UPDATE_GOLDEN=1),
# and every specs/*.yaml names it in a yaml-language-server modeline.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}
CHECK="$SRC/tests/cli/schema_check.py"

check "schema exits 0" 0 "$IMGSPEC" schema
cp "$WORK/out" "$WORK/schema.json"
[ -s "$WORK/err" ] && fail "schema wrote to stderr" || ok "schema: nothing on stderr"
"$IMGSPEC" schema | cmp -s - "$WORK/schema.json" && ok "schema output is stable" || fail "schema differs between runs"

committed="$SRC/packaging/imgspec.schema.json"
if [ -n "${IMGSPEC_UPDATE_GOLDEN:-}" ]; then
  cp "$WORK/schema.json" "$committed"
fi
if cmp -s "$WORK/schema.json" "$committed"; then
  ok "packaging/imgspec.schema.json = imgspec schema"
else
  fail "packaging/imgspec.schema.json differs from 'imgspec schema': run this test with IMGSPEC_UPDATE_GOLDEN=1"
  diff "$committed" "$WORK/schema.json" | head -20 | sed 's/^/  /'
fi

if ! "$PY" -c 'import jsonschema, yaml, tomllib' 2>"$WORK/pyerr"; then
  fail "python3 with jsonschema, yaml and tomllib: $(tail -1 "$WORK/pyerr") (apt-get install python3-jsonschema python3-yaml; scripts/deps.sh)"
  finish
  exit
fi

# Good specs: the examples and the every-key corpus.
run_check() { # NAME MODE FILE...
  local name=$1
  shift
  if "$PY" "$CHECK" "$WORK/schema.json" "$@" >"$WORK/check" 2>&1; then
    ok "$name ($(grep -c '^ok:' "$WORK/check") files)"
  else
    fail "$name"
    grep -v '^ok:' "$WORK/check" | head -40 | sed 's/^/  /'
  fi
}
(cd "$SRC/specs" && ls ./*.yaml ./*.toml) >/dev/null || fail "no specs in $SRC/specs"
shopt -s nullglob
cd "$SRC/specs" && run_check "every example in specs/ validates" valid ./*.yaml ./*.yml ./*.toml
cd "$SRC/tests/data/schema" && run_check "every-key corpus validates" valid ./*.yaml ./*.toml

# Structural bad specs: FILE=WHERE (a JSON path, "" for the top). The others in the corpus need
# the disk, other specs, the config or the YAML/TOML parser itself (missing files, paths leaving
# the folder, parents, cycles, ref names, undefined secrets, PEP 723, duplicate keys, bombs), which
# only `imgspec validate` can check.
structural=(
  03-empty-file.yaml=
  04-not-a-map.yaml=
  05-unknown-top-key.yaml=
  06-unknown-layer-kind.yaml=layers/0
  07-unknown-option-key.yaml=layers/0
  08-string-got-list.yaml=name
  09-string-got-map.yaml=layers/0/workdir
  10-string-got-number.yaml=registry
  11-python-version-float.yaml=python_version
  12-python-version-malformed.yaml=python_version
  13-tag-number.yaml=tag
  14-tag-invalid-chars.yaml=tag
  15-image-name-uppercase.yaml=name
  16-invalid-registry.yaml=registry
  17-platform-typo.yaml=platform/1
  18-platform-duplicate.yaml=platform
  19-env-name-invalid.yaml=layers/0/env_vars
  20-env-value-newline.yaml=layers/0/env_vars/GREETING
  28-requirements-not-txt.yaml=layers/0/requirements
  29-absolute-path.yaml=layers/0/source_file
  31-dockerfile-with-layers.yaml=layers
  36-two-base-forms.yaml=from
  37-empty-from.yaml=from
  38-null-from.yaml=from
  42-pip-shell-metachars.yaml=layers/0/pip_packages/0
  43-apt-invalid.yaml=layers/0/apt_packages/0
  46-plugin-name.yaml=layers/0/local_v2_plugins/1
  50-secret-env-and-file.yaml=secrets/BOTH
  51-secret-value.yaml=secrets/TOKEN
  53-name-missing.yaml=
  54-layer-two-kinds.yaml=layers/0
  58-several-errors.yaml=name
  59-toml-types.toml=python_version
  63-flyte-version-invalid.yaml=from/debian_base/flyte_version
  64-index-url-invalid.yaml=layers/0/index_url
  66-secret-mount-both.yaml=layers/0/secret_mounts/0
  67-install-mode-unknown.yaml=layers/0/uv_project/project_install_mode
  68-copy-style-unknown.yaml=layers/0/code_bundle/copy_style
  69-base-invalid-ref.yaml=from/base
  70-empty-lists.yaml=layers/0/pip_packages
  72-layers-not-list.yaml=layers
  77-from-not-map.yaml=from
  80-toml-unknown-keys.toml=
  81-null-values.yaml=name
  82-destination-invalid.yaml=layers/0/source_folder/dst
  83-nul-escape.yaml=layers/0/commands/0
  84-platform-comma-string.yaml=platform
  85-layer-not-map.yaml=layers/0
)
cd "$SRC/tests/data/bad-specs" && run_check "structural bad specs are rejected where imgspec rejects them" invalid "${structural[@]}"
# Each listed case is still in the corpus and still rejected by imgspec itself.
for c in "${structural[@]}"; do
  f=${c%%=*}
  [ -f "$f" ] || fail "$f is listed but not in tests/data/bad-specs"
done
"$IMGSPEC" validate "${structural[@]%%=*}" >/dev/null 2>&1
[ $? = 3 ] && ok "imgspec validate rejects the listed cases too" || fail "imgspec validate accepted a listed case"

# The modeline: first line of every YAML example, pointing at the committed schema.
cd "$SRC/specs"
for f in ./*.yaml; do
  first=$(head -n 1 "$f")
  if [ "$first" = "# yaml-language-server: \$schema=../packaging/imgspec.schema.json" ]; then
    ok "$f has the schema modeline"
  else
    fail "$f: first line is not '# yaml-language-server: \$schema=../packaging/imgspec.schema.json'"
  fi
done
finish
