#!/usr/bin/env bash
# E2E: everything around a build that can fail, each with its documented exit code (README "Exit
# codes") and a message that says what to do; none of them is ever taken for "the image exists":
#   5  docker missing (PATH without it), buildx missing (a docker that knows no buildx), the engine
#      down (DOCKER_HOST=unix:///nonexistent; push and --load), the registry down (127.0.0.1:5999),
#      credentials refused (127.0.0.1:5001 with a wrong password, and with none), a network error
#      during the existence check (a fake registry that resets the connection, answers 500, sends
#      garbage or a truncated manifest)
#   4  a RUN step that fails (`exit 3`), a base image that does not exist; with --output, no
#      partial output file is left
#   3  a missing secret
source "$(dirname "$0")/lib.sh"
ctx="$WORK/ctx"
mkdir -p "$ctx" "$WORK/bin" "$WORK/empty-bin" "$WORK/docker-config"
echo "$NONCE" >"$ctx/nonce.txt"
spec() { # FILE REGISTRY BASE [LAYER...]: a spec with a fresh tag (the nonce file)
  local file=$1 registry=$2 base=$3
  shift 3
  { [ -n "$registry" ] && printf 'registry: %s\n' "$registry"
    printf 'name: e2e-failures\nplatform: [linux/amd64]\nfrom: {base: "%s"}\nlayers:\n  - source_file: {src: nonce.txt, dst: /}\n' "$base"
    [ $# -gt 0 ] && printf '  %s\n' "$@"; } >"$ctx/$file"
}
spec push.yaml "$REG" "$REG/busybox:latest"
spec load.yaml "" "$REG/busybox:latest"
spec down.yaml 127.0.0.1:5999 "$REG/busybox:latest"
spec auth.yaml 127.0.0.1:5001 "$REG/busybox:latest"
spec step.yaml "$REG" "$REG/busybox:latest" '- commands: ["echo before; exit 3"]'
spec nobase.yaml "$REG" "$REG/imgspec-no-such-image:$NONCE"
spec secret.yaml "$REG" "$REG/busybox:latest" '- commands: ["true"]' '  secret_mounts: [E2E_FAILURES_MISSING_SECRET]'
printf 'registry_secret: REG_AUTH\nsecrets:\n  REG_AUTH: {env: E2E_FAILURES_AUTH}\n' >>"$ctx/auth.yaml"
cp "$ctx/auth.yaml" "$ctx/auth-none.yaml"
sed -i '/registry_secret/d; /secrets:/d; /REG_AUTH/d' "$ctx/auth-none.yaml"

# failure NAME EXIT CMD...: runs a build that must fail with EXIT; checks that it says what went
# wrong on stderr, prints no summary claiming success, and (exit 5) gives a hint.
failure() {
  local name=$1 want=$2
  shift 2
  check "$name: exit $want" "$want" "$@"
  if grep -qE '^(skipped|built) ' "$WORK/out" || grep -q '"skipped": true' "$WORK/out"; then
    fail "$name: reported as skipped or built"; sed 's/^/  out| /' "$WORK/out"
  else ok "$name: not taken for an existing image"; fi
  grep -q 'imgspec: error: ' "$WORK/err" && ok "$name: an error line" || fail "$name: no 'imgspec: error:' line"
  if [ "$want" = 5 ]; then
    grep -q '^  hint: ' "$WORK/err" && ok "$name: a hint says what to do" || { fail "$name: no hint"; grep 'error' "$WORK/err" | sed 's/^/  | /' | tail -3; }
  fi
}

# --- docker or buildx missing ------------------------------------------------------------------------
failure "docker missing from PATH" 5 env PATH="$WORK/empty-bin" "$IMGSPEC" build "$ctx/push.yaml" --json
expect_in "$WORK/err" "docker is not available" "docker missing: says so"
expect_in "$WORK/out" '"status": "failed"' "docker missing: --json lists the image as failed"
real_docker=$(command -v docker)
cat >"$WORK/bin/docker" <<SH
#!/usr/bin/env bash
# A docker without the buildx plugin, as docker itself answers.
if [ "\$1" = buildx ]; then
  echo "docker: 'buildx' is not a docker command." >&2
  echo "See 'docker --help'" >&2
  exit 1
fi
exec "$real_docker" "\$@"
SH
chmod +x "$WORK/bin/docker"
failure "buildx missing" 5 env PATH="$WORK/bin:$PATH" "$IMGSPEC" build "$ctx/push.yaml"
expect_in "$WORK/err" "buildx is not available" "buildx missing: says so"
expect_in "$WORK/err" "docker-buildx" "buildx missing: names the package"

# --- The engine down -----------------------------------------------------------------------------------
failure "engine down (push)" 5 env DOCKER_HOST=unix:///nonexistent "$IMGSPEC" build "$ctx/push.yaml"
expect_in "$WORK/err" "Cannot connect to the Docker daemon" "engine down (push): docker's reason"
failure "engine down (--load)" 5 env DOCKER_HOST=unix:///nonexistent "$IMGSPEC" build "$ctx/load.yaml"
check "engine down (--dry-run): still a dry run" 0 env DOCKER_HOST=unix:///nonexistent "$IMGSPEC" build "$ctx/load.yaml" --dry-run --json
expect_in "$WORK/out" '"exists": null' "engine down (--dry-run): existence unknown, not 'exists'"
expect_in "$WORK/out" '"skipped": false' "engine down (--dry-run): would build, not skip"

# --- The registry down, or refusing credentials -------------------------------------------------------
failure "registry down (127.0.0.1:5999)" 5 "$IMGSPEC" build "$ctx/down.yaml"
expect_in "$WORK/err" "127.0.0.1:5999" "registry down: names it"
unset E2E_FAILURES_AUTH
export E2E_FAILURES_AUTH="{\"auths\": {\"127.0.0.1:5001\": {\"auth\": \"$(printf 'imgspec:not-the-password' | base64)\"}}}"
failure "registry refuses a wrong password" 5 "$IMGSPEC" build "$ctx/auth.yaml"
grep -qiE 'credential|unauthorized|password|login' "$WORK/err" && ok "wrong password: says it is about credentials" || fail "wrong password: no word about credentials"
grep -qF "not-the-password" "$WORK/err" && fail "wrong password: the secret's value is printed" || ok "wrong password: the value is not printed"
failure "registry refuses no credentials" 5 env DOCKER_CONFIG="$WORK/docker-config" "$IMGSPEC" build "$ctx/auth-none.yaml"

# --- A network error during the existence check: a registry that misbehaves ---------------------------
cat >"$WORK/fake_registry.py" <<'PY'
# A registry that misbehaves: reset (RST at once), 500, garbage (200 + not JSON), truncated.
import socket, sys, threading
mode, port_file = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(64)
with open(port_file + '.tmp', 'w') as f:
    f.write(str(srv.getsockname()[1]))
import os; os.rename(port_file + '.tmp', port_file)
def handle(c):
    try:
        if mode == 'reset':
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
            c.close()
            return
        c.recv(65536)
        if mode == '500':
            body = b'{"errors":[{"code":"UNKNOWN","message":"internal error"}]}'
            head = b'HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n'
        elif mode == 'garbage':
            body = b'this is not a manifest \x00\xff'
            head = (b'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\n'
                    b'Docker-Content-Digest: sha256:' + b'0' * 64 + b'\r\n')
        else:  # truncated: promises 5000 bytes, sends a few
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\n'
                      b'Content-Length: 5000\r\nConnection: close\r\n\r\n{"schemaVersion": 2, "manifests": [')
            c.close()
            return
        c.sendall(head + b'Content-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
        c.close()
    except OSError:
        pass
while True:
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
PY
for mode in reset 500 garbage truncated; do
  rm -f "$WORK/port"
  python3 "$WORK/fake_registry.py" "$mode" "$WORK/port" &
  server=$!
  for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
  spec "fake-$mode.yaml" "127.0.0.1:$(cat "$WORK/port")" "$REG/busybox:latest"
  failure "existence check against a registry that answers '$mode'" 5 "$IMGSPEC" build "$ctx/fake-$mode.yaml" --json
  expect_in "$WORK/err" "cannot check whether the registry has" "registry '$mode': the check is what failed"
  kill "$server"; wait "$server" 2>/dev/null
done

# --- The build itself fails ----------------------------------------------------------------------------
failure "a RUN step exits 3" 4 "$IMGSPEC" build "$ctx/step.yaml"
expect_in "$WORK/err" "exit code: 3" "failed step: its exit code"
expect_in "$WORK/err" "exit 3" "failed step: the command"
registry_has "$("$IMGSPEC" uri "$ctx/step.yaml")" && fail "failed step: an image was pushed" || ok "failed step: nothing pushed"
mkdir -p "$WORK/out-dir"
failure "a RUN step exits 3 (--output)" 4 "$IMGSPEC" build "$ctx/step.yaml" --output "type=oci,dest=$WORK/out-dir/image.tar"
[ -e "$WORK/out-dir/image.tar" ] && fail "failed step (--output): a partial output file is left" || ok "failed step (--output): no output file"
echo "previous image" >"$WORK/out-dir/keep.tar"
failure "a RUN step exits 3 (--output over an existing file)" 4 "$IMGSPEC" build "$ctx/step.yaml" --output "type=oci,dest=$WORK/out-dir/keep.tar"
[ "$(cat "$WORK/out-dir/keep.tar" 2>/dev/null)" = "previous image" ] && ok "failed step (--output): the existing file is untouched" || fail "failed step (--output): the existing output file was clobbered ($(stat -c %s "$WORK/out-dir/keep.tar" 2>/dev/null) bytes)"
left=$(ls -A "$WORK/out-dir" | grep -vx keep.tar)
[ -z "$left" ] && ok "failed step (--output): no temp file beside the target" || fail "failed step (--output): left beside the target: $left"
failure "the base image does not exist" 4 "$IMGSPEC" build "$ctx/nobase.yaml"
expect_in "$WORK/err" "imgspec-no-such-image" "missing base: names it"

# --- A missing secret: before anything runs -------------------------------------------------------------
unset E2E_FAILURES_MISSING_SECRET
failure "a missing secret" 3 env DOCKER_HOST=unix:///nonexistent "$IMGSPEC" build "$ctx/secret.yaml"
expect_in "$WORK/err" "E2E_FAILURES_MISSING_SECRET" "missing secret: names it"

# --- And when all is well again ---------------------------------------------------------------------------
check "a following build works" 0 "$IMGSPEC" build "$ctx/push.yaml" --json
expect_in "$WORK/out" '"skipped": false' "the following build really built"
finish
