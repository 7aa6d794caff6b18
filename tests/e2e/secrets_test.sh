#!/usr/bin/env bash
# E2E 4: build secrets (from an environment variable and from a file) reach RUN steps, and the
# values are absent from the context tar, the Dockerfile, the argv of every child process, the
# most verbose log, the --json output, and the image's layers and history.
source "$(dirname "$0")/lib.sh"
ctx="$WORK/ctx"
mkdir -p "$ctx"
env_canary="env-canary-$NONCE-$RANDOM"
file_canary="file-canary-$NONCE-$RANDOM"
printf '%s' "$file_canary" >"$WORK/secret-file"
echo "$NONCE" >"$ctx/nonce.txt"
cat >"$ctx/spec.yaml" <<YAML
name: e2e-secrets
registry: $REG
platform: [linux/amd64]
from: {base: "$REG/busybox:latest"}
layers:
  - source_file: {src: nonce.txt, dst: /}
  - commands: ["sha256sum /run/secrets/API_TOKEN | cut -d' ' -f1 > /env-proof", "echo \"\$TOKEN_AS_ENV\" | sha256sum | cut -d' ' -f1 > /env-var-proof"]
    secret_mounts: [API_TOKEN, {key: API_TOKEN, as_env_var: TOKEN_AS_ENV}]
  - commands: ["sha256sum /etc/creds | cut -d' ' -f1 > /file-proof"]
    secret_mounts: [{key: CREDS, mount: /etc/creds}]
secrets:
  API_TOKEN: {env: E2E_API_TOKEN}
  CREDS: {file: $WORK/secret-file}
YAML

# A missing secret stops the build before anything runs.
unset E2E_API_TOKEN
check "missing secret is an error before building" 3 "$IMGSPEC" build "$ctx/spec.yaml"
expect_in "$WORK/err" "API_TOKEN" "the missing secret is named"

export E2E_API_TOKEN="$env_canary"
# Watch every process's argv while the build runs.
( while :; do cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' '; echo; sleep 0.05; done ) >"$WORK/argvs" 2>/dev/null &
watcher=$!
check "build with secrets" 0 "$IMGSPEC" -vv build "$ctx/spec.yaml" --json --progress plain
kill "$watcher"; wait "$watcher" 2>/dev/null
cp "$WORK/out" "$WORK/json"; cp "$WORK/err" "$WORK/log"
img=$("$IMGSPEC" uri "$ctx/spec.yaml")
grep -q "buildx" "$WORK/argvs" && ok "argv watcher saw buildx run" || fail "argv watcher saw no buildx"

want_env=$(printf '%s' "$env_canary" | sha256sum | cut -d' ' -f1)
want_env_var=$(printf '%s\n' "$env_canary" | sha256sum | cut -d' ' -f1)
want_file=$(printf '%s' "$file_canary" | sha256sum | cut -d' ' -f1)
[ "$(docker run --rm "$img" cat /env-proof)" = "$want_env" ] && ok "env secret reached the RUN step as a file" || fail "env secret proof"
[ "$(docker run --rm "$img" cat /env-var-proof)" = "$want_env_var" ] && ok "secret reached the RUN step as a variable" || fail "as_env_var proof"
[ "$(docker run --rm "$img" cat /file-proof)" = "$want_file" ] && ok "file secret reached the RUN step" || fail "file secret proof"

"$IMGSPEC" render "$ctx/spec.yaml" --context "$WORK/ctx.tar"
"$IMGSPEC" render "$ctx/spec.yaml" --dockerfile >"$WORK/Dockerfile"
"$IMGSPEC" render "$ctx/spec.yaml" --buildx >"$WORK/argv"
docker save "$img" -o "$WORK/image.tar"
mkdir -p "$WORK/image" && tar -xf "$WORK/image.tar" -C "$WORK/image"
for f in "$WORK/image"/blobs/sha256/*; do (gzip -dc "$f" 2>/dev/null || cat "$f"); done >"$WORK/image-bytes"
docker history --no-trunc "$img" >"$WORK/history"
docker image inspect "$img" >"$WORK/inspect"
# The searches below must have read real data: the image's own files are in image-bytes.
grep -aqF "$want_env" "$WORK/image-bytes" && ok "image layers were read (proof file found)" || fail "image layers not read"
for canary in "$env_canary" "$file_canary"; do
  for f in ctx.tar Dockerfile argv argvs log json image-bytes history inspect; do
    if grep -aqF -- "$canary" "$WORK/$f"; then fail "secret value found in $f"; else ok "secret absent from $f"; fi
  done
done
finish
