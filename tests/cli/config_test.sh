#!/usr/bin/env bash
# `imgspec config`: the effective configuration and where each value comes from, lowest first:
# default < file (--config, else $IMGSPEC_CONFIG, else $XDG_CONFIG_HOME/imgspec/config.yaml) <
# env ($IMGSPEC_REGISTRY, ...) < flag (--ref). The text output is itself a config file.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}
unset IMGSPEC_CONFIG IMGSPEC_REGISTRY IMGSPEC_BUILDER IMGSPEC_INSTALLER IMGSPEC_UV_IMAGE \
  IMGSPEC_DEBIAN_BASE_IMAGE IMGSPEC_SYNTAX_IMAGE IMGSPEC_REQUIRE_LOCK
export XDG_CONFIG_HOME="$WORK/xdg" HOME="$WORK/home" NO_COLOR=1
mkdir -p "$WORK/home"

# setting_is NAME VALUE SOURCE [ORIGIN]: checks `imgspec config --json` in $WORK/out.
setting_is() {
  local name=$1 value=$2 source=$3 origin=${4:-}
  if "$PY" - "$WORK/out" "$name" "$value" "$source" "$origin" >"$WORK/py" 2>&1 <<'PY'; then
import json, sys
j = json.load(open(sys.argv[1]))
name, value, source, origin = sys.argv[2:]
s = j['refs'].get(name[5:]) if name.startswith('refs.') else j['settings'][name]
want = {'value': value, 'source': source, 'origin': origin or None}
if s != want:
    sys.exit(f"got {s}, want {want}")
PY
    ok "$name = '$value' from $source${origin:+ $origin}"
  else
    fail "$name: $(cat "$WORK/py")"
  fi
}

# --- No file: every value is a default ------------------------------------------------------------
check "config without a file" 0 "$IMGSPEC" config
expect_in "$WORK/out" "# no config file" "says there is no config file"
grep -v '^#' "$WORK/out" | grep -v '# default$' >"$WORK/nondefault"
[ -s "$WORK/nondefault" ] && fail "non-default values: $(cat "$WORK/nondefault")" || ok "every value is a default"
expect_in "$WORK/out" 'installer: "uv"' "installer default shown"
check "config --json without a file" 0 "$IMGSPEC" config --json
"$PY" -c "
import json, sys
j = json.load(open('$WORK/out'))
assert list(j) == ['file', 'file_source', 'settings', 'refs'], list(j)
assert j['file'] is None and j['file_source'] is None and j['refs'] == {}
assert list(j['settings']) == ['registry', 'builder', 'installer', 'uv_image', 'debian_base_image', 'syntax_image', 'context', 'require_lock', 'provenance', 'sbom', 'sbom_generator', 'reproducible', 'source_date_epoch', 'cache', 'cache_ref']
for s in j['settings'].values():
    assert list(s) == ['value', 'source', 'origin'] and s['source'] == 'default' and s['origin'] is None, s
" && ok "config --json fields" || fail "config --json fields"

# --- The file, found three ways --------------------------------------------------------------------
cat >"$WORK/team.yaml" <<'YAML'
registry: registry.example.com/team
builder: ci-builder
refs:
  gpu: nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04
  cpu: python:3.12-slim-bookworm
YAML
check "config --config FILE" 0 "$IMGSPEC" --config "$WORK/team.yaml" config
expect_in "$WORK/out" "# config file: $WORK/team.yaml (from --config)" "file named by --config"
expect_in "$WORK/out" "# file $WORK/team.yaml:1" "registry from the file, with its line"
"$IMGSPEC" --config "$WORK/team.yaml" config --json >"$WORK/out"
setting_is registry registry.example.com/team file "$WORK/team.yaml:1"
setting_is builder ci-builder file "$WORK/team.yaml:2"
setting_is installer uv default
setting_is refs.gpu nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04 file "$WORK/team.yaml:4"

IMGSPEC_CONFIG="$WORK/team.yaml" "$IMGSPEC" config >"$WORK/out"
expect_in "$WORK/out" '(from $IMGSPEC_CONFIG)' "file named by \$IMGSPEC_CONFIG"
mkdir -p "$WORK/xdg/imgspec" && cp "$WORK/team.yaml" "$WORK/xdg/imgspec/config.yaml"
"$IMGSPEC" config >"$WORK/out"
expect_in "$WORK/out" "# config file: $WORK/xdg/imgspec/config.yaml (the default location)" "file at the XDG location"
rm -r "$WORK/xdg/imgspec"

# --- env over file, flag over file -------------------------------------------------------------------
IMGSPEC_BUILDER=env-builder IMGSPEC_UV_IMAGE=ghcr.io/astral-sh/uv:0.9.0 IMGSPEC_INSTALLER=pip IMGSPEC_REGISTRY= \
  "$IMGSPEC" --config "$WORK/team.yaml" --ref gpu=nvcr.io/nvidia/cuda:12.6.0-runtime-ubuntu22.04 config --json >"$WORK/out"
setting_is builder env-builder env IMGSPEC_BUILDER
setting_is uv_image ghcr.io/astral-sh/uv:0.9.0 env IMGSPEC_UV_IMAGE
setting_is installer pip env IMGSPEC_INSTALLER
setting_is registry registry.example.com/team file "$WORK/team.yaml:1"   # an empty variable is unset
setting_is refs.gpu nvcr.io/nvidia/cuda:12.6.0-runtime-ubuntu22.04 flag --ref
setting_is refs.cpu python:3.12-slim-bookworm file "$WORK/team.yaml:5"
IMGSPEC_BUILDER=env-builder "$IMGSPEC" --config "$WORK/team.yaml" config >"$WORK/out"
expect_in "$WORK/out" "# env IMGSPEC_BUILDER" "text names the variable"
"$IMGSPEC" --config "$WORK/team.yaml" --ref gpu=nvcr.io/x:1 config >"$WORK/out"
expect_in "$WORK/out" '"gpu": "nvcr.io/x:1"' "ref from the flag"
expect_in "$WORK/out" "# flag --ref" "text names the flag"

# The environment reaches what imgspec does, not only what it shows.
printf 'name: app\nfrom: {base: busybox}\nlayers: [{workdir: /app}]\n' >"$WORK/app.yaml"
uri=$(IMGSPEC_REGISTRY=registry.example.com/env "$IMGSPEC" uri "$WORK/app.yaml")
[[ $uri == registry.example.com/env/app:* ]] && ok "IMGSPEC_REGISTRY is the default registry ($uri)" || fail "uri: $uri"
check "an invalid IMGSPEC_INSTALLER is a usage error" 2 env IMGSPEC_INSTALLER=conda "$IMGSPEC" config
expect_in "$WORK/err" "IMGSPEC_INSTALLER: expected uv or pip" "names the variable"
check "an invalid IMGSPEC_REGISTRY is a usage error" 2 env IMGSPEC_REGISTRY=https://x.example.com "$IMGSPEC" config

# --- The text output is a config file that gives the same values ------------------------------------
IMGSPEC_BUILDER=env-builder "$IMGSPEC" --config "$WORK/team.yaml" --ref gpu=nvcr.io/x:1 config >"$WORK/copy.yaml"
"$IMGSPEC" --config "$WORK/copy.yaml" config --json >"$WORK/copy.json"
IMGSPEC_BUILDER=env-builder "$IMGSPEC" --config "$WORK/team.yaml" --ref gpu=nvcr.io/x:1 config --json >"$WORK/orig.json"
"$PY" -c "
import json
a = json.load(open('$WORK/orig.json')); b = json.load(open('$WORK/copy.json'))
va = {k: v['value'] for k, v in a['settings'].items()}; vb = {k: v['value'] for k, v in b['settings'].items()}
assert va == vb, (va, vb)
assert {k: v['value'] for k, v in a['refs'].items()} == {k: v['value'] for k, v in b['refs'].items()}
" && ok "config output read back as a config file gives the same values" || fail "config output is not an equivalent config file"
check "a malformed file is an invalid spec error (exit 3)" 3 env IMGSPEC_CONFIG="$WORK/app.yaml" "$IMGSPEC" config

# --- Attestations, reproducible, cache ---------------------------------------------------------------
cat >"$WORK/att.yaml" <<'YAML'
provenance: min
sbom: true
sbom_generator: 127.0.0.1:5000/syft:1
reproducible: true
source_date_epoch: 1700000000
cache: registry
cache_ref: "127.0.0.1:5000/cache/{repository}"
YAML
check "the new settings read from a file" 0 "$IMGSPEC" --config "$WORK/att.yaml" config
expect_in "$WORK/out" 'source_date_epoch: "1700000000"' "an integer epoch is read"
expect_in "$WORK/out" 'provenance: "min"' "provenance read"
printf 'provenance: maybe\n' >"$WORK/bad1.yaml"
check "an unknown provenance is exit 3" 3 "$IMGSPEC" --config "$WORK/bad1.yaml" config
expect_in "$WORK/err" "expected off, min or max" "and offers the three"
expect_in "$WORK/err" "bad1.yaml:1" "with its line"
printf 'source_date_epoch: -5\n' >"$WORK/bad2.yaml"
check "a negative epoch is exit 3" 3 "$IMGSPEC" --config "$WORK/bad2.yaml" config
printf 'cache: yes-please\n' >"$WORK/bad3.yaml"
check "an unknown cache is exit 3" 3 "$IMGSPEC" --config "$WORK/bad3.yaml" config
expect_in "$WORK/err" "expected off or registry" "and offers the two"
check "IMGSPEC_PROVENANCE checked" 2 env IMGSPEC_PROVENANCE=full "$IMGSPEC" config
check "IMGSPEC_REPRODUCIBLE read" 0 env IMGSPEC_REPRODUCIBLE=true "$IMGSPEC" config
expect_in "$WORK/out" 'reproducible: "true"' "from the environment"
check "the flags reach buildx" 0 env IMGSPEC_REGISTRY=127.0.0.1:5000 "$IMGSPEC" --config "$WORK/att.yaml" render "$SRC/specs/quickstart.yaml" --buildx
expect_in "$WORK/out" "--provenance=mode=min" "provenance from the config"
expect_in "$WORK/out" "type=sbom,generator=127.0.0.1:5000/syft:1" "sbom from the config"
expect_in "$WORK/out" "SOURCE_DATE_EPOCH=1700000000" "the epoch from the config"
expect_in "$WORK/out" "rewrite-timestamp=true" "timestamps rewritten"
expect_in "$WORK/out" "type=registry,ref=127.0.0.1:5000/cache/127.0.0.1:5000/" "the cache reference expanded"
finish
