#!/usr/bin/env bash
# Issue 3 benchmark: the overhead of a skipped build (the image exists) against
# `docker buildx imagetools inspect` alone, which a skip has to run anyway.
# Needs the engine stack (scripts/engine.sh up) and a built imgspec (build/apps/imgspec/imgspec).
# Usage: bash bench/skip_overhead.sh [imgspec-binary]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
imgspec=${1:-$root/build/apps/imgspec/imgspec}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/config.yaml"
export IMGSPEC_CONFIG="$work/config.yaml"
mkdir -p "$work/ctx/src"
for i in $(seq 1 200); do echo "file $i" >"$work/ctx/src/f$i.txt"; done
cat >"$work/ctx/spec.yaml" <<YAML
name: bench-skip
registry: 127.0.0.1:5000
platform: [linux/amd64, linux/arm64]
from: {base: "127.0.0.1:5000/busybox:latest"}
layers:
  - source_folder: {src: src, dst: /data}
YAML
"$imgspec" -q build "$work/ctx/spec.yaml" >/dev/null
uri=$("$imgspec" uri "$work/ctx/spec.yaml")
hyperfine --warmup 2 --runs 15 --export-json "$work/skip.json" \
  -n "imgspec build (skipped)" "$imgspec -q build $work/ctx/spec.yaml" \
  -n "imagetools inspect --raw" "docker buildx imagetools inspect --raw $uri" >&2
python3 - "$work/skip.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
skip = r["imgspec build (skipped)"]["median"]
insp = r["imagetools inspect --raw"]["median"]
print(f"| imgspec build (skipped) | {skip*1000:.0f} ms |")
print(f"| docker buildx imagetools inspect --raw | {insp*1000:.0f} ms |")
print(f"| overhead | {(skip-insp)*1000:.0f} ms ({skip/insp:.2f}x) |")
PY
