#!/usr/bin/env bash
# Issue 15 benchmark: the skip check of 50 images that already exist in the registry. imgspec
# (`build DIR` of 50 specs: plan, tag, then the existence checks of the whole graph, 8 at a time)
# against 50 sequential `docker buildx imagetools inspect --raw` calls (what a script that checks
# each image before building it does) and the same 50 calls 8 at a time (xargs -P 8).
# Needs the engine stack (scripts/engine.sh up). The 50 images are built once first (-j 4).
# Usage: bash bench/skip50.sh [imgspec-binary] [rounds]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
imgspec=${1:-$root/build/apps/imgspec/imgspec}
rounds=${2:-5}
reg=127.0.0.1:5000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/config.yaml"
export IMGSPEC_CONFIG="$work/config.yaml" XDG_CACHE_HOME="$work/cache" NO_COLOR=1
nonce="$(date +%s%N)"
mkdir -p "$work/specs"
for i in $(seq 1 50); do
  mkdir -p "$work/specs/s$i"
  echo "$nonce $i" >"$work/specs/s$i/data.txt"
  cat >"$work/specs/img$i.yaml" <<YAML
name: skip50-img$i
registry: $reg/imgspec-bench
platform: [linux/amd64, linux/arm64]
from: {base: "$reg/busybox:latest"}
layers:
  - source_file: {src: s$i/data.txt, dst: /data.txt}
YAML
done
"$imgspec" uri "$work/specs" >"$work/uris"
echo "building the 50 images once (-j 4)..." >&2
"$imgspec" build "$work/specs" -j 4 --progress quiet >/dev/null 2>"$work/build.err" ||
  { tail -20 "$work/build.err" >&2; exit 1; }

now() { date +%s.%N; }
declare -A total
for r in $(seq 1 "$rounds"); do
  t0=$(now)
  "$imgspec" build "$work/specs" --json >"$work/out" 2>/dev/null
  t1=$(now)
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==50 and all(o["status"]=="skipped" for o in a)' "$work/out"
  while read -r u; do docker buildx imagetools inspect --raw "$u" >/dev/null; done <"$work/uris"
  t2=$(now)
  xargs -P 8 -n 1 docker buildx imagetools inspect --raw <"$work/uris" >/dev/null
  t3=$(now)
  printf 'round %s: imgspec %.2f s, 50 sequential inspects %.2f s, 8 at a time %.2f s\n' "$r" \
    "$(awk "BEGIN {print $t1 - $t0}")" "$(awk "BEGIN {print $t2 - $t1}")" "$(awk "BEGIN {print $t3 - $t2}")" >&2
  total[imgspec]+=" $(awk "BEGIN {print $t1 - $t0}")"
  total[seq]+=" $(awk "BEGIN {print $t2 - $t1}")"
  total[par]+=" $(awk "BEGIN {print $t3 - $t2}")"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| check of 50 existing images | median of $rounds | runs |"
echo "| --- | --- | --- |"
echo "| \`imgspec build DIR\` (plan, tag, 50 checks, 8 at a time) | $(echo "${total[imgspec]}" | median) s |${total[imgspec]} |"
echo "| 50 sequential \`imagetools inspect --raw\` | $(echo "${total[seq]}" | median) s |${total[seq]} |"
echo "| the same 50, 8 at a time (\`xargs -P 8\`) | $(echo "${total[par]}" | median) s |${total[par]} |"
