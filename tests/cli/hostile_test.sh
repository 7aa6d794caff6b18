#!/usr/bin/env bash
# Hostile specs and trees: each must give a clear error (the documented exit code and a message
# that names the problem) or a correct result; never a crash, a sanitizer report, or a hang (every
# run has a time limit). scripts/sanitize.sh runs this test with the ASan/UBSan binary.
# What imgspec does with each input: tests/data/hostile/README.md.
#
# Usage: bash tests/cli/hostile_test.sh <path-to-imgspec> <source-dir>
source "$(dirname "$0")/lib.sh"
DATA="$SRC/tests/data/hostile"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" XDG_CACHE_HOME="$WORK/cache" NO_COLOR=1
# Seconds a case may take. Linear work on these inputs takes well under a second even under ASan.
LIMIT=${HOSTILE_LIMIT:-10}
REG=127.0.0.1:5000
BASE="$REG/busybox:latest"

# run NAME WANT_EXIT CMD...: runs CMD with a time limit; stdout in $WORK/out, stderr in $WORK/err.
# Checks the exit code, the time, that no sanitizer reported anything, and that a failure printed
# nothing on stdout. Sets $ms.
run() {
  local name=$1 want=$2
  shift 2
  local start problems=()
  start=$(date +%s%N)
  timeout --kill-after=2 "$LIMIT" "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  if [ "$got" = 124 ] || [ "$got" = 137 ]; then
    problems+=("no answer within ${LIMIT} s (killed)")
  elif [ "$got" != "$want" ]; then
    problems+=("exit $got, want $want")
  fi
  grep -qE 'Sanitizer|runtime error:|terminate called' "$WORK/err" && problems+=("sanitizer report or abort")
  [ "$want" != 0 ] && [ -s "$WORK/out" ] && problems+=("stdout not empty on failure")
  if [ ${#problems[@]} -eq 0 ]; then
    ok "$name (${ms} ms)"
    return 0
  fi
  fail "$name: ${problems[*]}"
  sed 's/^/  stderr: /' "$WORK/err" | head -15
  return 1
}
# err_has TEXT NAME / err_lacks TEXT NAME: about the last run's stderr.
err_has() { expect_in "$WORK/err" "$1" "$2"; }
err_lacks() {
  if grep -qF -- "$1" "$WORK/err"; then fail "$2: '$1' in stderr"; sed 's/^/  | /' "$WORK/err" | head -5; else ok "$2"; fi
}
# one_line_diagnostics NAME: every line of the last stderr is a diagnostic ("file:L:C: error: ..."),
# a hint or the summary: a newline in a value or key must not start a line of its own.
one_line_diagnostics() {
  if grep -vE '^.+:[0-9]+:[0-9]+: (error|warning): |^  hint: |^imgspec: ' "$WORK/err" >"$WORK/stray"; then
    fail "$1: a newline inside a diagnostic starts a stray line"; sed 's/^/  | /' "$WORK/err" | head -6
  else ok "$1: one line per diagnostic"; fi
}
# spec DIR LAYERS...: DIR/spec.yaml from a busybox base with these layer lines.
spec() {
  local dir=$1
  shift
  mkdir -p "$dir"
  { printf 'name: hostile\nregistry: %s\nplatform: [linux/amd64]\nfrom: {base: "%s"}\nlayers:\n' "$REG" "$BASE"
    printf '  %s\n' "$@"; } >"$dir/spec.yaml"
}
py() { python3 - "$@"; }

# --- 1. The loader: alias bombs, nesting, size, bytes, duplicate keys -------------------------------
cd "$DATA" || exit 1
run "alias bomb (10^10 values)" 3 "$IMGSPEC" validate alias-bomb.yaml && err_has "once aliases are expanded" "alias bomb: says why"
run "merge-key alias bomb" 3 "$IMGSPEC" validate alias-merge-bomb.yaml && err_has "once aliases are expanded" "merge bomb: says why"
run "alias inside its own anchor" 3 "$IMGSPEC" validate alias-recursive.yaml && err_has "inside the node it refers to" "recursive alias: says why"
run "duplicate keys (YAML), nested too" 3 "$IMGSPEC" validate duplicate-keys.yaml
err_has "duplicate-keys.yaml:3:1: error: duplicate key 'name' (first at line 1)" "duplicate top-level key with both lines"
err_has "duplicate key 'A'" "duplicate key inside env_vars"
run "duplicate keys (TOML)" 3 "$IMGSPEC" validate duplicate-keys.toml && err_has "duplicate-keys.toml:2:" "TOML duplicate: file:line"
run "duplicate tables (TOML)" 3 "$IMGSPEC" validate duplicate-tables.toml && err_has "table [from] is defined twice" "TOML duplicate table: says why"
run "UTF-8 byte order mark is fine" 0 "$IMGSPEC" validate utf8-bom.yaml
run "UTF-16 file" 3 "$IMGSPEC" validate utf16.yaml && err_has "not a text file" "UTF-16: not a text file"
run "Latin-1 byte" 3 "$IMGSPEC" validate latin1.yaml && err_has "latin1.yaml:1:10: error: not a text file: invalid UTF-8" "Latin-1: line and column"
run "NUL byte" 3 "$IMGSPEC" validate nul-byte.toml && err_has "NUL byte" "NUL: says so"

cd "$WORK" || exit 1
mkdir -p gen
py "$WORK/gen" <<'EOF'
import os, sys
d = sys.argv[1]
def w(name, text, mode='w'):
    with open(os.path.join(d, name), mode) as f: f.write(text)
w('deep-block.yaml', ''.join(' ' * i + 'a:\n' for i in range(1000)))
w('deep-flow-list.yaml', 'name: ' + '[' * 200000 + ']' * 200000 + '\n')
w('deep-flow-map.yaml', 'name: ' + '{a: ' * 100000 + '1' + '}' * 100000 + '\n')
w('deep-anchors.yaml', 'a: &a [x]\n' + ''.join(f'a{i}: &a{i} [*{"a" if i == 0 else "a" + str(i - 1)}]\n' for i in range(100)))
w('deep-dotted-key.toml', 'a' + '.a' * 200000 + ' = 1\n')
w('deep-header.toml', '[' + '.'.join(['a'] * 100000) + ']\n')
w('deep-arrays.toml', 'a = ' + '[' * 200000 + ']' * 200000 + '\n')
w('deep-inline-tables.toml', 'a = ' + '{b = ' * 50000 + '1' + '}' * 50000 + '\n')
w('deep-array-tables.toml', ''.join('[[' + '.'.join(['t'] * i) + ']]\n' for i in range(1, 80)))
big = 'x' * (3 << 20)
big_key = 'k' * (1 << 20)
w('huge-string.yaml', f'name: huge\nfrom: {{base: "127.0.0.1:5000/busybox:latest"}}\nlayers:\n  - env_vars: {{BIG: "{big}"}}\n')
w('huge-string.toml', f'name = "huge"\nfrom = {{base = "127.0.0.1:5000/busybox:latest"}}\n[[layers]]\nenv_vars = {{BIG = "{big}"}}\n')
w('huge-key.yaml', f'name: huge\n{big_key}: 1\n')
w('huge-key.toml', f'name = "huge"\n{big_key} = 1\n')
w('junk.yaml', os.urandom(1 << 16), 'wb')
w('junk.toml', os.urandom(1 << 16), 'wb')
w('wide-yaml-one-line.yaml', 'name: x\nx: [' + ','.join(['"' + 'a' * 30 + '"'] * 100000) + ']\n')
w('wide-yaml-map-one-line.yaml', 'name: x\nx: {' + ','.join(f'k{i}: 1' for i in range(100000)) + '}\n')
w('wide-toml-floats.toml', 'name = "x"\nx = [' + ','.join(['1.5'] * 100000) + ']\n')
w('wide-toml-strings.toml', 'name = "x"\nx = [' + ','.join(['"' + 'a' * 30 + '"'] * 100000) + ']\n')
w('many-keys.yaml', 'name: x\n' + ''.join(f'k{i}: 1\n' for i in range(50000)))
w('many-aliases.yaml', 'a: &a [' + ','.join(['1'] * 100) + ']\nb: [' + ','.join(['*a'] * 9000) + ']\n')
EOF
cd gen || exit 1
for f in deep-block.yaml deep-flow-list.yaml deep-flow-map.yaml deep-dotted-key.toml deep-header.toml \
         deep-arrays.toml deep-inline-tables.toml deep-array-tables.toml; do
  run "nesting: $f" 3 "$IMGSPEC" validate "$f" && err_has "nested deeper than 64 levels" "$f: says why"
done
run "aliases nested 100 deep" 3 "$IMGSPEC" validate deep-anchors.yaml && err_has "nested deeper than 64 levels" "deep anchors: says why"
for f in huge-string.yaml huge-string.toml; do
  run "3 MiB string value: $f" 0 "$IMGSPEC" render "$f" --dockerfile
  [ "$(grep -c x "$WORK/out")" -ge 1 ] && [ "$(wc -c <"$WORK/out")" -gt $((3 << 20)) ] && ok "$f: the value is in the Dockerfile" || fail "$f: value missing"
done
[ "$("$IMGSPEC" uri huge-string.yaml)" = "$("$IMGSPEC" uri huge-string.toml)" ] && ok "huge string: YAML and TOML give one URI" || fail "huge string: URIs differ"
run "1 MiB key (YAML)" 3 "$IMGSPEC" validate huge-key.yaml
run "1 MiB key (TOML)" 3 "$IMGSPEC" validate huge-key.toml
run "random bytes (YAML)" 3 "$IMGSPEC" validate junk.yaml && err_has "not a text file" "junk YAML: not a text file"
run "random bytes (TOML)" 3 "$IMGSPEC" validate junk.toml && err_has "not a text file" "junk TOML: not a text file"
# 100k values on one line: each value's column must not be counted from the line's start again.
run "YAML: 100k strings on one line (3.3 MB)" 3 "$IMGSPEC" validate wide-yaml-one-line.yaml && err_has "x: unknown key" "wide YAML list: reports the key"
run "YAML: 100k-key flow map on one line" 3 "$IMGSPEC" validate wide-yaml-map-one-line.yaml
run "TOML: 100k floats on one line" 3 "$IMGSPEC" validate wide-toml-floats.toml && err_has "x: unknown key" "wide TOML floats: reports the key"
run "TOML: 100k strings on one line" 3 "$IMGSPEC" validate wide-toml-strings.toml
run "50k unknown keys, each reported" 3 "$IMGSPEC" validate many-keys.yaml
[ "$(grep -c 'unknown key' "$WORK/err")" = 50000 ] && ok "50k unknown keys: 50000 diagnostics" || fail "50k unknown keys: $(grep -c 'unknown key' "$WORK/err") diagnostics"
run "900k values through 9000 aliases" 3 "$IMGSPEC" validate many-aliases.yaml

# --- 2. Paths that leave the context --------------------------------------------------------------
cd "$WORK" || exit 1
mkdir -p p/sub p/tree && echo inside >p/sub/f.txt && echo outside >outside.txt
try_path() { # NAME EXIT TEXT LAYER
  spec p "$4"
  run "path: $1" "$2" "$IMGSPEC" validate p/spec.yaml && [ -n "$3" ] && err_has "$3" "path: $1: says why"
}
try_path "../ escapes" 3 "is outside the spec's folder" '- source_file: {src: ../outside.txt, dst: /x}'
try_path "sub/../../ escapes" 3 "is outside the spec's folder" '- source_file: {src: sub/../../outside.txt, dst: /x}'
try_path "sub/../sub stays inside" 0 "" '- source_file: {src: sub/../sub/f.txt, dst: /x}'
try_path "absolute file" 3 "'/etc/passwd' is an absolute path" '- source_file: {src: /etc/passwd, dst: /x}'
try_path "absolute folder /" 3 "is an absolute path" '- source_folder: {src: /, dst: /x}'
try_path "folder .." 3 "is outside the spec's folder" '- source_folder: {src: .., dst: /x}'
try_path "requirements ../" 3 "is outside the spec's folder" '- requirements: ../r.txt'
try_path "dockerignore absolute" 3 "is an absolute path" '- dockerignore: /etc/hostname'
try_path "code_bundle root_dir .." 3 "is outside the spec's folder" '- code_bundle: {copy_style: all, root_dir: .., dst: /x}'
try_path "destination with a newline" 3 "on one line" '- source_file: {src: sub/f.txt, dst: "/x\ny"}'
try_path "source path with a newline" 3 "does not exist" '- source_file: {src: "sub/\nf.txt", dst: /x}'
one_line_diagnostics "a path with a newline"

# Symlinks: named ones are resolved and must stay inside; walked ones are copied as symlinks.
ln -s ../outside.txt p/link-out.txt
ln -s /etc p/link-etc
ln -s loop-b p/loop-a && ln -s loop-a p/loop-b
ln -s nowhere p/dangling
try_path "named symlink to a file outside" 3 "is outside the spec's folder" '- source_file: {src: link-out.txt, dst: /x}'
try_path "named symlink to a folder outside" 3 "is outside the spec's folder" '- source_folder: {src: link-etc, dst: /x}'
try_path "dangling symlink" 3 "'dangling' does not exist" '- source_file: {src: dangling, dst: /x}'
# A loop is not a missing file: the message must say what is wrong with it.
try_path "symlink loop" 3 "loop-a" '- source_file: {src: loop-a, dst: /x}'
err_lacks "does not exist" "symlink loop: not reported as a missing file"
echo data >p/tree/real.txt
ln -s /etc/passwd p/tree/passwd
ln -s / p/tree/root
ln -s ../.. p/tree/up
ln -s ../../outside.txt p/tree/outside
ln -s loop p/tree/loop
spec p '- source_folder: {src: tree, dst: /t}'
run "folder with symlinks out of the context" 0 "$IMGSPEC" render p/spec.yaml --context "$WORK/links.tar"
py "$WORK/links.tar" <<'EOF' && ok "symlinks out of the context are tar symlinks with their targets, never followed" || fail "symlink entries"
import sys, tarfile
want = {'passwd': '/etc/passwd', 'root': '/', 'up': '../..', 'outside': '../../outside.txt', 'loop': 'loop'}
t = tarfile.open(sys.argv[1])
got = {m.name.split('/')[-1]: m for m in t.getmembers() if m.name.startswith('layers/0/')}
ok = all(got[n].issym() and got[n].linkname == target and got[n].size == 0 for n, target in want.items())
ok = ok and got['real.txt'].isfile()
data = open(sys.argv[1], 'rb').read()
ok = ok and b'root:x:0:0' not in data and b'outside\n' not in data
sys.exit(0 if ok else 1)
EOF

# --- 3. FIFOs, devices, sockets, and odd things where a spec should be -------------------------
mkdir -p s/ff s/dev
mkfifo s/ff/pipe s/pipe.txt
py s/sock <<'EOF'
import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])
EOF
try_special() { # NAME TEXT LAYER
  spec s "$3"
  run "special: $1" 3 "$IMGSPEC" validate s/spec.yaml && err_has "$2" "special: $1: says why"
}
try_special "FIFO in a copied folder" "is a FIFO" '- source_folder: {src: ff, dst: /x}'
try_special "FIFO as source_file" "is not a regular file" '- source_file: {src: pipe.txt, dst: /x}'
# A FIFO whose name has a newline and a byte that is not UTF-8: one diagnostic line on stderr,
# and --json stays JSON (the byte as U+FFFD, the newline as JSON's \n).
mkdir -p s/odd && mkfifo "s/odd/p"$'\xff\n'"q"
spec s '- source_folder: {src: odd, dst: /x}'
run "FIFO named 'p\\xff\\nq' in a copied folder" 3 "$IMGSPEC" validate s/spec.yaml && err_has 'p\xff\nq: is a FIFO' "odd FIFO name: escaped in the message"
one_line_diagnostics "a file name with a newline and a non-UTF-8 byte"
timeout "$LIMIT" "$IMGSPEC" validate --json s/spec.yaml >"$WORK/out" 2>"$WORK/err"
[ $? = 3 ] && [ ! -s "$WORK/err" ] && ok "the same with --json: exit 3, nothing on stderr" || fail "--json: $(head -3 "$WORK/err")"
py "$WORK/out" <<'PY' && ok "--json: valid JSON with the name's newline" || fail "--json: not JSON, or the message lost"
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
sys.exit(0 if len(d) == 1 and 'p\ufffd\nq: is a FIFO' in d[0]['message'] else 1)
PY
try_special "FIFO as requirements" "is not a regular file" '- requirements: pipe.txt'
try_special "FIFO as dockerignore" "is not a regular file" '- dockerignore: pipe.txt'
try_special "socket as source_file" "is not a regular file" '- source_file: {src: sock, dst: /x}'
if mknod s/dev/null c 1 3 2>/dev/null && mknod s/zero c 1 5 2>/dev/null; then
  try_special "device in a copied folder" "is a device" '- source_folder: {src: dev, dst: /x}'
  try_special "device as source_file" "is not a regular file" '- source_file: {src: zero, dst: /x}'
else
  echo "skip: mknod not permitted here (device files)"
fi
ln -s /dev/zero zero.yaml
run "spec is a symlink to /dev/zero" 3 "$IMGSPEC" validate zero.yaml && err_has "larger than 4194304 bytes" "/dev/zero spec: size limit"
ln -s /dev/urandom urandom.toml
run "spec is a symlink to /dev/urandom" 3 "$IMGSPEC" validate urandom.toml
ln -s /proc/self/mem mem.yaml
run "spec is /proc/self/mem (read fails)" 3 "$IMGSPEC" validate mem.yaml && err_has "cannot read the file" "/proc/self/mem: says why"
mkdir -p dir.yaml
# A folder is a list of specs (issue 15): one without a spec file is a usage error that says so.
run "spec is a folder without specs" 2 "$IMGSPEC" validate dir.yaml && err_has "no spec file in this folder" "empty folder: says why"
# A named FIFO as the spec is read like a pipe: it works when something writes it.
mkfifo fifo.yaml
(printf 'name: fifo\nfrom: {base: "%s"}\nlayers:\n  - env_vars: {A: "1"}\n' "$BASE" >fifo.yaml &)
run "spec is a FIFO with a writer" 0 "$IMGSPEC" uri fifo.yaml
spec s '- commands: ["true"]' '  secret_mounts: [S]'
printf 'secrets: {S: {file: pipe.txt}}\n' >>s/spec.yaml
run "secret file is a FIFO" 3 "$IMGSPEC" build s/spec.yaml --dry-run && err_has "missing or unreadable" "FIFO secret: says why"

# --- 4. Unreadable files and folders ---------------------------------------------------------------
# Root reads past chmod 000, so as root the runs drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
AS_USER=()
if [ "$(id -u)" = 0 ]; then
  AS_USER=(setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search)
  "${AS_USER[@]}" true 2>/dev/null || AS_USER=(none)
fi
if [ "${AS_USER[*]}" = none ]; then
  echo "skip: cannot drop the DAC capabilities (setpriv) as root: unreadable files"
else
  mkdir -p u/tree/locked u/tree/noexec
  echo a >u/tree/ok.txt
  echo s >u/tree/unread.txt && chmod 000 u/tree/unread.txt
  echo x >u/tree/locked/f && chmod 000 u/tree/locked
  echo y >u/tree/noexec/g && chmod 644 u/tree/noexec
  echo '**/*.key' >u/ignore.txt && chmod 000 u/ignore.txt
  spec u '- source_folder: {src: tree, dst: /t}'
  run "unreadable file and folder in a copied folder" 3 "${AS_USER[@]}" "$IMGSPEC" render u/spec.yaml --dockerfile
  err_has "cannot read folder 'tree/locked': Permission denied" "unreadable folder: named, with the reason"
  spec u '- source_file: {src: tree/unread.txt, dst: /t}'
  run "unreadable source_file" 3 "${AS_USER[@]}" "$IMGSPEC" render u/spec.yaml --dockerfile && err_has "unread.txt: cannot read: Permission denied" "unreadable file: named, with the reason"
  spec u '- dockerignore: ignore.txt' '- source_folder: {src: tree/noexec, dst: /t}'
  run "unreadable dockerignore is an error, not 'no rules'" 3 "${AS_USER[@]}" "$IMGSPEC" render u/spec.yaml --dockerfile
  err_has "Permission denied" "unreadable dockerignore: says why"
  # A file behind a folder that cannot be searched exists; the reason is the permission.
  spec u '- source_file: {src: tree/noexec/g, dst: /t}'
  run "source_file in a folder without search permission" 3 "${AS_USER[@]}" "$IMGSPEC" render u/spec.yaml --dockerfile
  err_lacks "does not exist" "no-search folder: not reported as a missing file"
  cp u/spec.yaml u/unreadable.yaml && chmod 000 u/unreadable.yaml
  run "unreadable spec" 3 "${AS_USER[@]}" "$IMGSPEC" validate u/unreadable.yaml && err_has "cannot read the file: Permission denied" "unreadable spec: says why"
fi

# --- 5. File names: newlines, non-UTF-8 bytes, quotes, long paths -----------------------------------
mkdir -p n/src
py n/src <<'EOF'
import os, sys
d = os.fsencode(sys.argv[1])
names = [b'new\nline.txt', b'\xff\xfe-not-utf8-\xe9.txt', b'tab\tand space .txt', b'quote"\'$`\\.txt',
         b'-dash', b'\xe2\x98\x83 snow.txt', b'a' * 255, b'CR\r.txt', b'star*?[x].txt', b'#hash', b'!bang',
         b' leading space', b'trailing space ', b'.hidden', b'..dots']
for n in names:
    with open(os.path.join(d, n), 'wb') as f:
        f.write(b'content of ' + n)
sub = os.path.join(d, b'dir\nwith\xfe\xfd', b'sub')
os.makedirs(sub)
open(os.path.join(sub, b'f'), 'wb').write(b'deep')
os.symlink(b'new\nline.txt', os.path.join(d, b'link\xff\n'))
long = os.path.join(d, *([b'd' * 200] * 20))
os.makedirs(long)
open(os.path.join(long, b'long'), 'wb').write(b'L')
os.chmod(os.path.join(d, b'-dash'), 0o755)
EOF
spec n '- source_folder: {src: src, dst: "/odd dir/$x"}'
run "names with newlines and non-UTF-8 bytes: render --context" 0 "$IMGSPEC" render n/spec.yaml --context "$WORK/names.tar"
py n/src "$WORK/names.tar" <<'EOF' && ok "every odd name is in the tar byte for byte, with its type, mode, content and link target" || fail "odd names in the tar"
import os, sys, tarfile
src = os.fsencode(sys.argv[1])
want = {}
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        p = os.path.join(root, n)
        want[b'layers/0/' + os.path.relpath(p, src)] = p
t = tarfile.open(sys.argv[2], encoding='utf-8', errors='surrogateescape')
got = {m.name.encode('utf-8', 'surrogateescape'): m for m in t.getmembers()}
bad = []
for k, p in want.items():
    m = got.get(k)
    if m is None:
        bad.append(('missing', k)); continue
    if os.path.islink(p):
        if not (m.issym() and m.linkname.encode('utf-8', 'surrogateescape') == os.readlink(p)):
            bad.append(('link', k))
    elif os.path.isfile(p):
        mode = 0o755 if os.stat(p).st_mode & 0o100 else 0o644
        if not (m.isfile() and m.mode == mode and t.extractfile(m).read() == open(p, 'rb').read()):
            bad.append(('file', k))
    elif not (m.isdir() and m.mode == 0o755):
        bad.append(('dir', k))
for b in bad:
    print('  ', b)
sys.exit(1 if bad else 0)
EOF
"$IMGSPEC" render n/spec.yaml --context "$WORK/names2.tar" && cmp -s "$WORK/names.tar" "$WORK/names2.tar" \
  && ok "odd names: the context is byte-identical across runs" || fail "odd names: context differs between runs"
grep -qF 'COPY ["layers/0/", "/odd dir/$x"]' <("$IMGSPEC" render n/spec.yaml --dockerfile) \
  && ok "odd destination: COPY in JSON form" || fail "odd destination: $(grep COPY <("$IMGSPEC" render n/spec.yaml --dockerfile))"
u1=$("$IMGSPEC" uri n/spec.yaml)
printf 'changed' >"n/src/new"$'\n'"line.txt"
u2=$("$IMGSPEC" uri n/spec.yaml)
[ -n "$u1" ] && [ "$u1" != "$u2" ] && ok "odd names: an edit of 'new\\nline.txt' changes the tag" || fail "odd names: tag did not change ($u1)"

# --- 6. Env values and package strings ----------------------------------------------------------------
cd "$DATA" || exit 1
run "env values with quotes, \$, backslashes, tabs" 0 "$IMGSPEC" render env-odd-values.yaml --dockerfile
# Double-quoted with \ and " escaped, and every $ but $NAME, ${NAME}, ${NAME:-w}, ${NAME:+w} (README "Real projects");
# (tests/e2e/hostile_build_test.sh runs the image and compares).
err_out() { expect_in "$WORK/out" "$1" "env: $2"; }
err_out 'DQ="say \"hi\""' "double quotes escaped"
err_out 'DOLLAR="$HOME ${PATH} \$(id) `id` \$\$ \$"' "only \$NAME and \${NAME} expand; every other \$ escaped"
err_out 'BACKSLASH="C:\\path\\ trailing\\"' "backslashes escaped, trailing one too"
run "env value with a newline" 3 "$IMGSPEC" validate env-newline.yaml && err_has "cannot contain a newline" "env newline: says why"
err_has "hint:" "env newline: with a hint"
run "invalid env names" 3 "$IMGSPEC" validate env-names.yaml
[ "$(grep -c 'not a valid environment variable name' "$WORK/err")" = 7 ] && ok "invalid env names: all 7 reported" || fail "invalid env names: $(grep -c 'not a valid environment variable name' "$WORK/err") of 7"
# A key is shown in the key path: its newline must not start a line that reads as another diagnostic.
run "env name with a newline" 3 "$IMGSPEC" validate env-name-newline.yaml
one_line_diagnostics "a key with a newline"
if grep -q '^fake.yaml:1:1: error: forged' "$WORK/err"; then
  fail "a newline in a key starts a forged diagnostic line on stderr"
else ok "a newline in a key cannot forge a diagnostic"; fi
run "package strings with shell metacharacters" 3 "$IMGSPEC" validate packages-shell.yaml
[ "$(grep -c 'is not a valid requirement (PEP 508)' "$WORK/err")" = 9 ] && ok "pip: all 9 refused" || fail "pip: $(grep -c 'is not a valid requirement' "$WORK/err") of 9 refused"
[ "$(grep -c 'is not a valid Debian package' "$WORK/err")" = 8 ] && ok "apt: all 8 refused" || fail "apt: $(grep -c 'is not a valid Debian package' "$WORK/err") of 8 refused"
run "valid requirements full of metacharacters" 0 "$IMGSPEC" render packages-odd-valid.yaml --dockerfile
expect_in "$WORK/out" "'numpy[extra]>=1,<2; python_version > \"3.8\" and sys_platform != \"win32\"'" "marker requirement single-quoted"
expect_in "$WORK/out" "'\$(id)' '\`x\`' ';' rm" "extra_args: each word quoted, nothing expanded"
expect_in "$WORK/out" 'RUN ["/bin/sh", "-c", "echo a\necho b"]' "a command with a newline: exec form"
expect_in "$WORK/out" 'RUN ["/bin/sh", "-c", "echo trailing \\"]' "a command ending in a backslash: exec form"
expect_in "$WORK/out" 'WORKDIR "/a b/\$HOME"' "workdir quoted, \$ kept"

# --- 7. Thousands of layers ---------------------------------------------------------------------------
cd "$WORK/gen" || exit 1
py <<'EOF'
base = '127.0.0.1:5000/busybox:latest'
with open('layers-5000.yaml', 'w') as f:
    f.write(f'name: many\nfrom: {{base: "{base}"}}\nlayers:\n')
    for i in range(5000): f.write(f'  - env_vars: {{V{i}: "value {i}"}}\n')
with open('layers-5000.toml', 'w') as f:
    f.write(f'name = "many"\nfrom = {{base = "{base}"}}\n')
    for i in range(5000): f.write(f'[[layers]]\nenv_vars = {{V{i} = "value {i}"}}\n')
with open('layers-mixed.yaml', 'w') as f:
    f.write(f'name: many\nfrom: {{base: "{base}"}}\nlayers:\n')
    for i in range(2000): f.write(f'  - commands: ["echo {i}"]\n')
    for i in range(2000): f.write(f'  - source_file: {{src: f.txt, dst: /f{i}}}\n')
with open('env-50000.yaml', 'w') as f:
    f.write(f'name: wide\nfrom: {{base: "{base}"}}\nlayers:\n  - env_vars:\n')
    for i in range(50000): f.write(f'      V{i}: "value {i}"\n')
with open('secrets-100000.yaml', 'w') as f:
    f.write(f'name: many\nfrom: {{base: "{base}"}}\nlayers:\n  - commands: ["true"]\n    secret_mounts:\n')
    for i in range(100000): f.write(f'      - S{i}\n')
open('f.txt', 'w').write('x\n')
EOF
run "5000 env layers (YAML)" 0 "$IMGSPEC" render layers-5000.yaml --dockerfile
[ "$(grep -c '^ENV V' "$WORK/out")" = 5000 ] && ok "5000 ENV lines" || fail "ENV lines: $(grep -c '^ENV V' "$WORK/out")"
run "5000 env layers (TOML)" 0 "$IMGSPEC" render layers-5000.toml --dockerfile
[ "$("$IMGSPEC" uri layers-5000.yaml)" = "$("$IMGSPEC" uri layers-5000.toml)" ] && ok "5000 layers: YAML and TOML give one URI" || fail "5000 layers: URIs differ"
run "2000 RUN + 2000 COPY layers" 0 "$IMGSPEC" render layers-mixed.yaml --context "$WORK/mixed.tar"
run "50000 variables in one env layer" 0 "$IMGSPEC" render env-50000.yaml --dockerfile
run "100000 secret mounts in one RUN" 0 "$IMGSPEC" render secrets-100000.yaml --dockerfile

# --- 8. Where the context goes: never written through a symlink, FIFO or folder ------------------------
cd "$WORK" || exit 1
mkdir -p o/dir.tar && echo precious >o/precious && ln -s precious o/link.tar && mkfifo o/fifo.tar
S="$SRC/specs/quickstart.yaml"
run "--context onto a symlink replaces the link" 0 "$IMGSPEC" render "$S" --context o/link.tar
[ "$(cat o/precious)" = precious ] && [ ! -L o/link.tar ] && tar -tf o/link.tar >/dev/null 2>&1 \
  && ok "--context: the symlink's target is untouched" || fail "--context wrote through a symlink"
run "--context onto a FIFO replaces it (no hang)" 0 "$IMGSPEC" render "$S" --context o/fifo.tar
run "--context onto a folder" 1 "$IMGSPEC" render "$S" --context o/dir.tar && err_has "Is a directory" "--context folder: says why"
run "--context in a missing folder" 1 "$IMGSPEC" render "$S" --context o/nope/x.tar && err_has "No such file or directory" "--context missing folder: says why"
ls -a o | grep -q '\.tmp\.' && fail "--context left a temp file" || ok "--context: no temp file left"

# --- 9. The stat cache: a FIFO in its place, foreign files beside it (issue 13, items 6 and 7) -----
cd "$WORK" || exit 1
spec c "- source_folder: {src: src, dst: /app}"
mkdir -p c/src && echo a >c/src/a.txt
sleep 2.2 # older than StatCache::racy_margin_ns (ctime too), so that its record is kept
STAT="$WORK/cache/imgspec/stat"
cache_name=$(printf '%s' "$(realpath c/spec.yaml)" | sha256sum | cut -c1-32)
mkdir -p "$STAT" && mkfifo "$STAT/$cache_name"
run "a FIFO where the stat cache is (no hang)" 0 "$IMGSPEC" uri c/spec.yaml
rm -f "$STAT/$cache_name"
old_name=0123456789abcdef0123456789abcdef
echo foreign >"$STAT/notes.txt" && echo stale >"$STAT/$old_name"
touch -d '40 days ago' "$STAT/notes.txt" "$STAT/$old_name"
run "stat cache saved beside foreign files" 0 "$IMGSPEC" uri c/spec.yaml
[ -f "$STAT/$cache_name" ] && ok "stat cache: written" || fail "stat cache: not written"
[ -f "$STAT/notes.txt" ] && ok "cache cleanup keeps a file of a name it does not write" || fail "cache cleanup deleted a foreign file"
[ ! -e "$STAT/$old_name" ] && ok "cache cleanup deletes its own stale file" || fail "cache cleanup kept a stale cache file"
mkdir -p victim && echo precious >"victim/$old_name" && touch -d '40 days ago' "victim/$old_name"
rm -rf "$STAT" && ln -s "$WORK/victim" "$STAT"
run "stat cache folder is a symlink" 0 "$IMGSPEC" uri c/spec.yaml
[ -f "victim/$old_name" ] && ok "cache cleanup deletes nothing through a symlinked folder" || fail "cache cleanup deleted through a symlink"
rm -f "$STAT"

# --- 10. Invisible and bidi characters in keys are escaped (issue 13, item 8) ----------------------
printf 'name: x\nab\xe2\x80\xaecd: 1\n\xef\xbb\xbfzw\xe2\x80\x8bj: 2\n' >bidi.yaml
run "U+202E, U+FEFF and U+200B in keys" 3 "$IMGSPEC" validate bidi.yaml
err_has 'ab\u{202e}cd' "U+202E escaped in the diagnostic"
err_has '\u{feff}zw\u{200b}j' "U+FEFF and U+200B escaped in the diagnostic"
if LC_ALL=C grep -q $'\xe2\x80\xae\|\xef\xbb\xbf\|\xe2\x80\x8b' "$WORK/err"; then fail "an invisible character reached stderr raw"; else ok "no invisible character on stderr"; fi
one_line_diagnostics "bidi keys"

# --- 11. A 3,000-deep from: spec chain fails fast at 64 (issue 13, item 5) -----------------------
mkdir -p deep && cd deep || exit 1
printf 'name: s0\nregistry: %s\nplatform: [linux/amd64]\nextendable: true\nfrom: {base: "%s"}\n' "$REG" "$BASE" >s0.yaml
for i in $(seq 1 3000); do printf 'name: s%d\nextendable: true\nfrom: {spec: s%d.yaml}\n' "$i" $((i - 1)) >"s$i.yaml"; done
run "from: spec chain 3,000 deep (uri)" 3 "$IMGSPEC" uri s3000.yaml && err_has "more than 64 deep" "deep chain: says why"
[ "$(grep -c 'error' "$WORK/err")" = 1 ] && ok "deep chain: one error line" || fail "deep chain: $(grep -c error "$WORK/err") error lines"
run "from: spec chain 3,000 deep (validate)" 3 "$IMGSPEC" validate s3000.yaml
run "from: spec chain 60 deep is fine" 0 "$IMGSPEC" uri s60.yaml
cd "$WORK" || exit 1

# --- 12. A spec reached through a symlink: the link's folder is the context (issue 13, decided) --
mkdir -p lnk/real/src lnk/other/src
spec lnk/real "- source_folder: {src: src, dst: /app}"
echo real >lnk/real/src/a.txt && echo other >lnk/other/src/a.txt && ln -s ../real/spec.yaml lnk/other/spec.yaml
run "spec through a symlink" 0 "$IMGSPEC" render lnk/other/spec.yaml --context lnk/o.tar
[ "$(tar -xOf lnk/o.tar --wildcards '*/a.txt')" = other ] && ok "symlinked spec: the link's folder is the context" || fail "symlinked spec: not the link's folder"
[ "$("$IMGSPEC" uri lnk/other/spec.yaml)" != "$("$IMGSPEC" uri lnk/real/spec.yaml)" ] && ok "symlinked spec: its own tag" || fail "symlinked spec: the target's tag"

# --- 13. One secret named twice in one RUN: one mount per target, one export per variable (decided)
spec dup '- commands: ["true"]' '  secret_mounts: [PAT, PAT, {key: PAT, as_env_var: A}, {key: PAT, as_env_var: A}, {key: PAT, mount: /a}, {key: PAT, mount: /a}]'
run "one secret mounted twice in one RUN" 0 "$IMGSPEC" render dup/spec.yaml --dockerfile
[ "$(grep -c 'target=/run/secrets/PAT,' "$WORK/out")" = 1 ] && [ "$(grep -c 'target=/a,' "$WORK/out")" = 1 ] \
  && ok "duplicate secret mounts: one mount per target" || fail "duplicate secret mounts: $(grep -c -- '--mount' "$WORK/out") mounts"
[ "$(grep -o 'export PAT' "$WORK/out" | wc -l)" = 1 ] && [ "$(grep -o 'export A' "$WORK/out" | wc -l)" = 1 ] \
  && ok "duplicate secret mounts: one export per variable" || fail "duplicate secret mounts: exports repeated"

# --- 14. Platform order: one tag for the set, buildx gets the spec's order (decided) --------------
mkdir -p po
printf 'name: p\nregistry: %s\nplatform: [linux/arm64, linux/amd64]\nfrom: {base: "%s"}\nlayers:\n  - commands: ["true"]\n' "$REG" "$BASE" >po/a.yaml
sed 's#\[linux/arm64, linux/amd64\]#[linux/amd64, linux/arm64]#' po/a.yaml >po/b.yaml
[ "$("$IMGSPEC" uri po/a.yaml)" = "$("$IMGSPEC" uri po/b.yaml)" ] && ok "platform order: one tag for the set" || fail "platform order: the tag depends on it"
run "platform order: buildx argv" 0 "$IMGSPEC" render po/a.yaml --buildx
expect_in "$WORK/out" "linux/arm64,linux/amd64" "platform order: buildx gets the spec's order"

finish
