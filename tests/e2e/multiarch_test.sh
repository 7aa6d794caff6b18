#!/usr/bin/env bash
# E2E 1: a spec from a local multi-arch base with source_folder, source_file, env_vars (spaces and
# quotes), workdir and commands, built for linux/amd64 and linux/arm64 and pushed; both platforms
# see the files, the exact env values and the workdir.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/ctx/src/pkg" "$WORK/ctx/etc"
echo "print('main')" >"$WORK/ctx/src/main.py"
echo "$NONCE" >"$WORK/ctx/src/pkg/nonce.txt"
printf '#!/bin/sh\necho run.sh ran\n' >"$WORK/ctx/etc/run.sh"; chmod +x "$WORK/ctx/etc/run.sh"
echo "key: value" >"$WORK/ctx/etc/app.yaml"
cat >"$WORK/ctx/spec.yaml" <<YAML
name: e2e-multiarch
registry: $REG
platform: [linux/amd64, linux/arm64]
from: {base: "$REG/busybox:latest"}
layers:
  - workdir: /srv/app
  - env_vars:
      SPACES: "hello   world"
      QUOTES: 'it''s "quoted" and \\\$HOME stays \\ literal'
  - source_folder: {src: src, dst: /srv/app/src}
  - source_file: {src: [etc/run.sh, etc/app.yaml], dst: /srv/etc}
  - commands: ["/srv/etc/run.sh > /srv/app/built.txt", "uname -m > /srv/app/arch.txt"]
YAML
check "build and push both platforms" 0 "$IMGSPEC" build "$WORK/ctx/spec.yaml" --json
img=$("$IMGSPEC" uri "$WORK/ctx/spec.yaml")
expect_in "$WORK/out" "\"uri\": \"$img\"" "--json names the uri"
docker buildx imagetools inspect "$img" >"$WORK/inspect" 2>&1
expect_in "$WORK/inspect" "linux/amd64" "registry lists linux/amd64"
expect_in "$WORK/inspect" "linux/arm64" "registry lists linux/arm64"
for p in linux/amd64 linux/arm64; do
  docker run --rm --platform "$p" "$img" sh -c 'pwd; cat built.txt arch.txt src/pkg/nonce.txt; ls -l /srv/etc/run.sh; printf "%s|%s\n" "$SPACES" "$QUOTES"' >"$WORK/run" 2>&1
  expect_in "$WORK/run" "/srv/app" "$p: workdir"
  expect_in "$WORK/run" "run.sh ran" "$p: source_file copied and executable, command ran"
  expect_in "$WORK/run" "$NONCE" "$p: source_folder copied"
  expect_in "$WORK/run" 'hello   world|it'"'"'s "quoted" and $HOME stays \ literal' "$p: env values exact"
done
grep -q aarch64 <(docker run --rm --platform linux/arm64 "$img" cat arch.txt) && ok "arm64 step ran as aarch64" || fail "arm64 arch"
grep -q x86_64 <(docker run --rm --platform linux/amd64 "$img" cat arch.txt) && ok "amd64 step ran as x86_64" || fail "amd64 arch"
finish
