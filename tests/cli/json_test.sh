#!/usr/bin/env bash
# --json of uri, validate, render and build: valid JSON on stdout, exactly the documented fields
# (README.md, "Machine-readable output"), values that agree with the text
# commands and with the context itself, nothing but JSON on stdout.
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" NO_COLOR=1
PY=${PYTHON:-python3}
cd "$SRC/specs"

# pycheck NAME FILE PYTHON: runs PYTHON with `j` = the JSON in FILE; an assert failing fails NAME.
pycheck() {
  local name=$1 file=$2 code=$3
  if "$PY" -c "import json, sys, hashlib
j = json.load(open(sys.argv[1]))
$code" "$file" >"$WORK/py" 2>&1; then ok "$name"; else fail "$name"; sed 's/^/  /' "$WORK/py" | tail -8; fi
}

# --- uri --json ----------------------------------------------------------------------------------
check "uri --json" 0 "$IMGSPEC" uri quickstart.yaml --json
cp "$WORK/out" "$WORK/uri.json"
want_uri=$("$IMGSPEC" uri quickstart.yaml)
pycheck "uri --json fields" "$WORK/uri.json" "
assert list(j) == ['spec', 'uri', 'registry', 'name', 'tag', 'tag_source', 'platforms', 'warnings'], list(j)
assert j['warnings'] == [], j['warnings']
assert j['uri'] == '$want_uri', j['uri']
assert j['uri'] == j['registry'] + '/' + j['name'] + ':' + j['tag']
assert j['tag_source'] == 'content' and len(j['tag']) == 32
assert j['platforms'] == ['linux/amd64', 'linux/arm64']
assert j['spec'] == 'quickstart.yaml'"
printf 'name: fixed\ntag: v1\nfrom: {base: busybox}\nlayers: [{workdir: /app}]\n' >"$WORK/fixed.yaml"
"$IMGSPEC" uri "$WORK/fixed.yaml" --json >"$WORK/fixed.json"
pycheck "uri --json: fixed tag, no registry" "$WORK/fixed.json" "
assert j['tag'] == 'v1' and j['tag_source'] == 'fixed' and j['registry'] == '' and j['uri'] == 'fixed:v1', j"
printf 'from: {base: python:3.12-slim-bookworm}\n' >"$WORK/pass.yaml"
"$IMGSPEC" uri "$WORK/pass.yaml" --json >"$WORK/pass.json"
pycheck "uri --json: a base used as it is" "$WORK/pass.json" "
assert j['tag_source'] == 'base' and j['uri'] == 'python:3.12-slim-bookworm' and j['tag'] == '3.12-slim-bookworm', j"

# --- validate --json -----------------------------------------------------------------------------
check "validate --json of good specs" 0 "$IMGSPEC" --ref gpu=nvcr.io/x:1 validate --json ./*.yaml ./*.toml
pycheck "validate --json of good specs is []" "$WORK/out" "assert j == [], j"
[ -s "$WORK/err" ] && fail "validate --json wrote to stderr: $(head -3 "$WORK/err")" || ok "validate --json: stderr empty"

bad="$SRC/tests/data/bad-specs"
check "validate --json of bad specs exits 3" 3 "$IMGSPEC" validate --json "$bad/58-several-errors.yaml" "$bad/05-unknown-top-key.yaml" "$bad/21-missing-requirements.yaml"
cp "$WORK/out" "$WORK/diags.json"
[ -s "$WORK/err" ] && fail "validate --json (bad) wrote to stderr: $(head -3 "$WORK/err")" || ok "validate --json (bad): stderr empty"
pycheck "validate --json diagnostics" "$WORK/diags.json" "
assert isinstance(j, list) and len(j) == 8, len(j)
for d in j:
    assert list(d) == ['severity', 'file', 'line', 'column', 'path', 'message', 'hint'], list(d)
    assert d['severity'] == 'error'
    assert isinstance(d['line'], int) and isinstance(d['column'], int)
    assert all(isinstance(d[k], str) for k in ('file', 'path', 'message', 'hint'))
d = j[0]
assert d['file'].endswith('58-several-errors.yaml') and (d['line'], d['column']) == (2, 7), d
assert d['path'] == 'name' and 'not a valid image name' in d['message'], d
assert j[1]['path'] == 'platform[1]' and j[1]['hint'] == \"did you mean 'linux/amd64'?\", j[1]
unknown = [d for d in j if d['file'].endswith('05-unknown-top-key.yaml')]
assert unknown and unknown[0]['path'] == 'regsitry' and unknown[0]['message'] == 'unknown key', unknown
missing = [d for d in j if d['file'].endswith('21-missing-requirements.yaml')]
assert missing and 'does not exist' in missing[0]['message'] and missing[0]['line'] > 0, missing"
check "validate --json of a missing file" 3 "$IMGSPEC" validate --json "$WORK/nope.yaml"
pycheck "validate --json of a missing file names it" "$WORK/out" "
assert len(j) == 1 and j[0]['file'].endswith('nope.yaml') and j[0]['severity'] == 'error', j"
printf 'regsitry: x\n' >"$WORK/badcfg.yaml"
check "validate --json with a bad config file exits 3" 3 "$IMGSPEC" --config "$WORK/badcfg.yaml" validate --json quickstart.yaml
pycheck "validate --json reports the config file's problem" "$WORK/out" "
assert len(j) == 1 and j[0]['file'].endswith('badcfg.yaml') and j[0]['path'] == 'regsitry', j"
# A warning (an install after the source copy) is a diagnostic with severity warning; exit 0.
mkdir -p "$WORK/w/src" && echo 'numpy' >"$WORK/w/requirements.txt"
printf 'name: w\nfrom: {base: busybox}\nlayers:\n  - source_folder: {src: src, dst: /app}\n  - requirements: requirements.txt\n' >"$WORK/w/spec.yaml"
check "validate --json with a warning exits 0" 0 "$IMGSPEC" validate --json "$WORK/w/spec.yaml"
# The same warning object wherever --json carries one (validate, uri, render, build).
want_warning="
def want_warning(w):
  assert list(w) == ['severity', 'file', 'line', 'column', 'path', 'message', 'hint'], list(w)
  assert w['severity'] == 'warning' and w['file'].endswith('spec.yaml'), w
  assert (w['line'], w['column']) == (5, 5) and w['path'] == 'layers[1].requirements', w
  assert w['message'].startswith('comes after the source copy at layers[0]'), w
  assert w['hint'] == 'move it before the copy', w"
pycheck "validate --json warning" "$WORK/out" "
assert len(j) == 1, j
$want_warning
want_warning(j[0])"
[ -s "$WORK/err" ] && fail "validate --json with a warning wrote to stderr: $(head -3 "$WORK/err")" || ok "validate --json with a warning: stderr empty"
check "uri --json with a warning" 0 "$IMGSPEC" uri --json "$WORK/w/spec.yaml"
pycheck "uri --json carries the warning" "$WORK/out" "
assert len(j['warnings']) == 1, j
$want_warning
want_warning(j['warnings'][0])"
check "render --json with a warning" 0 "$IMGSPEC" render --json "$WORK/w/spec.yaml"
pycheck "render --json carries the warning" "$WORK/out" "
assert list(j)[-1] == 'warnings' and len(j['warnings']) == 1, list(j)
$want_warning
want_warning(j['warnings'][0])"
# The text form on stderr, compiler style, with the hint; none with -q.
check "uri with a warning" 0 "$IMGSPEC" uri "$WORK/w/spec.yaml"
expect_in "$WORK/err" "spec.yaml:5:5: warning: layers[1].requirements: comes after the source copy at layers[0]" "uri: the warning on stderr as file:line:col: warning: key.path: message"
expect_in "$WORK/err" "  hint: move it before the copy" "uri: the warning's hint on stderr"
check "uri -q with a warning" 0 "$IMGSPEC" -q uri "$WORK/w/spec.yaml"
[ -s "$WORK/err" ] && fail "-q still printed: $(head -3 "$WORK/err")" || ok "-q: no warning on stderr"
# A parent's warnings come with its child's, the parent's first.
printf 'name: child\nfrom: {spec: spec.yaml}\nlayers: [{workdir: /x}]\n' >"$WORK/w/child.yaml"
sed -i '1a extendable: true' "$WORK/w/spec.yaml"
check "uri --json of a child spec" 0 "$IMGSPEC" uri --json "$WORK/w/child.yaml"
pycheck "uri --json carries the parent's warning" "$WORK/out" "
assert len(j['warnings']) == 1 and j['warnings'][0]['file'].endswith('spec.yaml'), j['warnings']
assert j['warnings'][0]['line'] == 6, j['warnings']"

# --- render --json -------------------------------------------------------------------------------
check "render --json" 0 "$IMGSPEC" render quickstart.yaml --json
cp "$WORK/out" "$WORK/plan.json"
"$IMGSPEC" render quickstart.yaml --dockerfile >"$WORK/Dockerfile"
"$IMGSPEC" render quickstart.yaml --context "$WORK/ctx.tar"
mkdir -p "$WORK/ctx" && tar -xf "$WORK/ctx.tar" -C "$WORK/ctx"
pycheck "render --json fields" "$WORK/plan.json" "
assert list(j) == ['spec', 'uri', 'registry', 'name', 'tag', 'tag_source', 'platforms', 'python_version',
                   'base', 'layers', 'secrets', 'registry_secret', 'dockerfile', 'files', 'tag_inputs',
                   'warnings'], list(j)
assert j['uri'] == '$want_uri'
assert j['base'] == {'form': 'base', 'image': '127.0.0.1:5000/busybox:latest'}, j['base']
assert [l['kind'] for l in j['layers']] == ['workdir', 'env_vars', 'source_folder', 'source_file', 'commands']
for i, l in enumerate(j['layers']):
    assert l['index'] == i and l['path'] == f'layers[{i}]' and l['line'] > 0, l
    for k in ('index', 'kind', 'path', 'line', 'context_dir', 'context_files', 'dst'):
        assert k in l, (k, l)
assert j['layers'][0]['workdir'] == '/app'
assert j['layers'][1]['env'] == {'GREETING': 'hello world', 'QUOTED': 'say \"hi\" at \$HOME for \\\\\$5'}, j['layers'][1]
assert j['layers'][2]['context_dir'] == 'layers/2' and j['layers'][2]['dst'] == '/app/src'
assert j['layers'][4]['commands'] == ['sh /app/config/run.sh > /app/built.txt']
assert j['secrets'] == [] and j['registry_secret'] is None and j['warnings'] == []
assert j['dockerfile'] == open('$WORK/Dockerfile').read()
ti = j['tag_inputs']
assert list(ti) == ['algorithm', 'length', 'dockerfile_sha256', 'entries', 'platforms'], list(ti)
assert ti['algorithm'] == 'sha256' and ti['length'] == 32 and ti['entries'] == len(j['files'])
assert ti['dockerfile_sha256'] == 'sha256:' + hashlib.sha256(j['dockerfile'].encode()).hexdigest()
assert ti['platforms'] == sorted(j['platforms'])"
pycheck "render --json files = the context tar" "$WORK/plan.json" "
import os, stat
ctx = '$WORK/ctx'
paths = [f['path'] for f in j['files']]
assert paths == sorted(paths, key=lambda p: p.encode()), 'files are sorted by byte order'
assert 'Dockerfile' in paths and 'layers/2/main.py' in paths, paths
on_disk = set()
for root, dirs, files in os.walk(ctx):
    for n in dirs + files:
        on_disk.add(os.path.relpath(os.path.join(root, n), ctx))
assert on_disk == set(paths), on_disk ^ set(paths)
for f in j['files']:
    assert list(f) == ['path', 'type', 'mode', 'size', 'sha256', 'link_target', 'source'], list(f)
    p = os.path.join(ctx, f['path'])
    if f['type'] == 'file':
        data = open(p, 'rb').read()
        assert f['size'] == len(data), f
        assert f['sha256'] == 'sha256:' + hashlib.sha256(data).hexdigest(), f
        assert f['mode'] in ('0644', '0755'), f
        assert f['path'] == 'Dockerfile' or f['source'].startswith('$SRC/specs/'), f
    else:
        assert f['type'] == 'directory' and f['sha256'] is None and f['size'] is None, f"
"$IMGSPEC" render trainer.yaml --json >"$WORK/trainer.json"
pycheck "render --json: debian base, secrets, lock files" "$WORK/trainer.json" "
assert j['base'] == {'form': 'debian_base', 'flyte_version': '2.0.1', 'install_flyte': True,
                     'image': 'python:3.12-slim-bookworm'}, j['base']
assert j['secrets'] == [{'id': 'PIP_TOKEN', 'env': 'PIP_TOKEN', 'file': None}], j['secrets']
req = [l for l in j['layers'] if l['kind'] == 'requirements'][0]
assert req['context_dir'] and req['context_files'] == ['requirements.txt'], req
assert j['layers'][1]['packages'] == ['numpy==2.1', 'pandas>=2'], j['layers'][1]"
check "render --json excludes --dockerfile" 2 "$IMGSPEC" render quickstart.yaml --json --dockerfile
check "render --json of an invalid spec exits 3" 3 "$IMGSPEC" render "$bad/05-unknown-top-key.yaml" --json
[ -s "$WORK/out" ] && fail "render --json of an invalid spec printed to stdout" || ok "render --json: nothing on stdout for an invalid spec"

# --- build --json (the dry run: no image is built; needs docker to ask the registry) -------------
if docker buildx version >/dev/null 2>&1; then
  check "build --dry-run --json" 0 timeout 120 "$IMGSPEC" build quickstart.yaml --dry-run --json
  pycheck "build --json fields" "$WORK/out" "
assert isinstance(j, list) and len(j) == 1
b = j[0]
for k in ('spec', 'uri', 'digest', 'platforms', 'skipped', 'seconds', 'reason', 'parents', 'dry_run', 'exists', 'argv', 'warnings'):
    assert k in b, (k, list(b))
assert b['spec'] == 'quickstart.yaml' and b['uri'] == '$want_uri'
assert b['dry_run'] is True and isinstance(b['skipped'], bool) and isinstance(b['seconds'], (int, float))
assert b['digest'] is None or b['digest'].startswith('sha256:')
assert b['platforms'] == ['linux/amd64', 'linux/arm64'] and b['parents'] == []
assert b['argv'][:3] == ['docker', 'buildx', 'build'] and b['argv'][-3:-1] == ['-f', '-']
assert '/imgspec/contexts/' in b['argv'][-1], b['argv'][-1]  # the staged folder (context: sync)
assert b['warnings'] == []"
  check "build --dry-run --json with a warning" 0 timeout 120 "$IMGSPEC" build "$WORK/w/spec.yaml" --dry-run --json
  pycheck "build --json carries the warning" "$WORK/out" "
assert len(j) == 1 and len(j[0]['warnings']) == 1, j
w = j[0]['warnings'][0]
assert w['severity'] == 'warning' and w['path'] == 'layers[1].requirements' and w['hint'], w"
else
  echo "skip: build --json (no docker buildx here; tests/e2e cover real builds)"
fi
finish
