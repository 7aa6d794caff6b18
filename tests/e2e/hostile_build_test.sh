#!/usr/bin/env bash
# E2E: hostile values through a real build. Environment values full of quotes, '$', backslashes,
# tabs and non-ASCII characters reach the running image exactly as the spec says, and files whose
# names hold newlines, carriage returns, quotes and non-UTF-8 bytes are copied into the image with
# their names, contents, modes and symlink targets intact (a symlink that points out of the context
# stays a symlink). The CLI side of the same inputs: tests/cli/hostile_test.sh.
source "$(dirname "$0")/lib.sh"
ctx="$WORK/ctx"
mkdir -p "$ctx/odd"
python3 - "$ctx" "$REG" "$NONCE" <<'PY'
import json, os, sys
ctx, reg, nonce = sys.argv[1], sys.argv[2], sys.argv[3]
values = {
    'DQ': 'say "hi"', 'SQ': "it's", 'DOLLAR': '$HOME ${PATH} $(id) `id` $$ $',
    'BACKSLASH': 'C:\\path\\ trailing\\', 'MIX': 'a\tb #not-a-comment \\$x \\" end', 'EMPTY': '',
    'SPACES': '  lead and trail  ', 'UNICODE': 'snow \u2603 \u00e9 \U0001d11e', 'EQUALS': 'a=b=c',
    'BRACES': '${HOME:-default} ${X:+y}', 'NONCE': nonce,
}
with open(os.path.join(ctx, 'spec.yaml'), 'w') as f:
    f.write(f'name: e2e-hostile\nregistry: {reg}\nplatform: [linux/amd64]\n'
            f'from: {{base: "{reg}/busybox:latest"}}\nlayers:\n  - env_vars:\n')
    for k, v in values.items():
        # A JSON string is a YAML double-quoted scalar. '$' expands in env_vars as in a
        # Dockerfile; written as '\$' it is the literal dollar these values want.
        literal = v.replace('$', '\\$')
        f.write(f'      {k}: {json.dumps(literal, ensure_ascii=False)}\n')
    f.write('  - source_folder: {src: odd, dst: /odd}\n')
with open(os.path.join(ctx, 'values.json'), 'w') as f:
    json.dump(values, f)
odd = os.fsencode(os.path.join(ctx, 'odd'))
names = [b'new\nline.txt', b'\xff\xfe-not-utf8-\xe9.txt', b'tab\tand space .txt', b'quote"\'$`\\.txt',
         b'CR\r.txt', b'star*?[x].txt', b'#hash', b'-dash', b'\xe2\x98\x83 snow.txt', b'a' * 255]
for n in names:
    with open(os.path.join(odd, n), 'wb') as f:
        f.write(b'content of ' + n)
os.chmod(os.path.join(odd, b'-dash'), 0o755)
os.makedirs(os.path.join(odd, b'dir\nwith\xfe', b'sub'))
open(os.path.join(odd, b'dir\nwith\xfe', b'sub', b'f'), 'wb').write(b'deep')
os.symlink(b'new\nline.txt', os.path.join(odd, b'link\xff'))
os.symlink(b'/etc/passwd', os.path.join(odd, b'to-etc-passwd'))
os.symlink(b'../../outside', os.path.join(odd, b'to-outside'))
PY
check "build with hostile env values and file names" 0 "$IMGSPEC" build "$ctx/spec.yaml" --progress plain
img=$("$IMGSPEC" uri "$ctx/spec.yaml")

# Every value, as the running image sees it (NUL-separated, so nothing is lost in between).
docker run --rm "$img" sh -c 'for n in DQ SQ DOLLAR BACKSLASH MIX EMPTY SPACES UNICODE EQUALS BRACES NONCE; do eval "v=\${$n}"; printf "%s\n\0" "$v"; done' >"$WORK/env.bin"
python3 - "$ctx/values.json" "$WORK/env.bin" <<'PY' && ok "every env value arrives exactly as written" || fail "env values differ in the image"
import json, sys
values = json.load(open(sys.argv[1]))
got = open(sys.argv[2], 'rb').read().split(b'\0')[:-1]
bad = [(k, v, g) for (k, v), g in zip(values.items(), got) if (v + '\n').encode() != g]
for b in bad: print('  ', b)
sys.exit(1 if bad or len(got) != len(values) else 0)
PY

# The copied tree, read back from the image as a tar made by the image's own busybox.
docker run --rm "$img" tar -C /odd -cf - . >"$WORK/odd.tar"
python3 - "$ctx/odd" "$WORK/odd.tar" <<'PY' && ok "odd names, contents, modes and symlinks arrive intact in the image" || fail "odd files differ in the image"
import os, sys, tarfile
src = os.fsencode(sys.argv[1])
t = tarfile.open(sys.argv[2], encoding='utf-8', errors='surrogateescape')
got = {}
for m in t.getmembers():
    name = m.name.encode('utf-8', 'surrogateescape')
    name = name[2:] if name.startswith(b'./') else name
    if name not in (b'.', b''):
        got[name] = m
bad = []
want = set()
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        p = os.path.join(root, n)
        rel = os.path.relpath(p, src)
        want.add(rel)
        m = got.get(rel)
        if m is None:
            bad.append(('missing', rel)); continue
        if os.path.islink(p):
            ok = m.issym() and m.linkname.encode('utf-8', 'surrogateescape') == os.readlink(p)
        elif os.path.isfile(p):
            mode = 0o755 if os.stat(p).st_mode & 0o100 else 0o644
            ok = m.isfile() and (m.mode & 0o777) == mode and t.extractfile(m).read() == open(p, 'rb').read()
        else:
            ok = m.isdir()
        if not ok:
            bad.append(('differs', rel))
extra = set(got) - want
for b in bad + [('extra', e) for e in extra]: print('  ', b)
sys.exit(1 if bad or extra else 0)
PY
[ "$(docker run --rm "$img" readlink /odd/to-etc-passwd)" = /etc/passwd ] && ok "a symlink out of the context is a symlink in the image" || fail "symlink to /etc/passwd"
finish
