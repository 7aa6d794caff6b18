#!/usr/bin/env bash
# Issue 15 benchmark: a graph of 1 parent and 8 children (a small copy and a RUN each), built and
# pushed with `imgspec build -j 1` and `-j 4`, and the same Dockerfiles and contexts with
# `docker buildx bake` (the children take the parent through a `target:` context). Every round
# uses new content, so every image is really built. Needs the engine stack (scripts/engine.sh up).
# Usage: [MODES="j1 j4 bake"] bash bench/graph.sh [imgspec-binary] [rounds] [platforms]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
imgspec=${1:-$root/build/apps/imgspec/imgspec}
rounds=${2:-3}
platforms=${3:-linux/amd64}
reg=127.0.0.1:5000
repo=$reg/imgspec-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/config.yaml"
export IMGSPEC_CONFIG="$work/config.yaml" XDG_CACHE_HOME="$work/cache" NO_COLOR=1

# make_graph DIR NONCE: parent.yaml and c1..c8.yaml in DIR, content unique to NONCE.
make_graph() {
  local dir=$1 nonce=$2
  mkdir -p "$dir/data"
  for i in $(seq 1 20); do echo "$nonce $i" >"$dir/data/f$i.txt"; done
  cat >"$dir/parent.yaml" <<YAML
name: graph-parent
registry: $repo
platform: [$platforms]
extendable: true
from: {base: "$reg/busybox:latest"}
layers:
  - source_folder: {src: data, dst: /data}
  - commands: ["sha256sum /data/* > /parent.sums"]
YAML
  for c in 1 2 3 4 5 6 7 8; do
    mkdir -p "$dir/c$c"
    for i in $(seq 1 20); do echo "$nonce child $c $i" >"$dir/c$c/f$i.txt"; done
    cat >"$dir/c$c.yaml" <<YAML
name: graph-child$c
registry: $repo
platform: [$platforms]
from: {spec: parent.yaml}
layers:
  - source_folder: {src: c$c, dst: /child}
  - commands: ["sha256sum /child/* /parent.sums > /child.sums && sleep 1"]
YAML
  done
}

# bake_files DIR: each spec's rendered context unpacked under DIR/bake/NAME and a bake file whose
# children's FROM (the parent's URI) is the parent target.
bake_files() {
  local dir=$1 puri
  puri=$("$imgspec" uri "$dir/parent.yaml")
  python3 - "$dir" "$puri" "$platforms" "$imgspec" <<'PY'
import json, os, subprocess, sys
d, puri, plats, imgspec = sys.argv[1:5]
targets = {}
for n in ["parent"] + [f"c{i}" for i in range(1, 9)]:
    spec = f"{d}/{n}.yaml"
    uri = subprocess.check_output([imgspec, "uri", spec], text=True).strip()
    ctx = f"{d}/bake/{n}"
    os.makedirs(ctx)
    subprocess.check_call([imgspec, "render", spec, "--context", f"{ctx}.tar"])
    subprocess.check_call(["tar", "-xf", f"{ctx}.tar", "-C", ctx])
    t = {"context": ctx, "dockerfile": "Dockerfile", "tags": [uri],
         "platforms": plats.split(","), "output": ["type=registry"],
         "attest": ["type=provenance,disabled=true"]}
    if n != "parent":
        t["contexts"] = {puri: "target:parent"}
    targets[n] = t
json.dump({"group": {"default": {"targets": list(targets)}}, "target": targets},
          open(f"{d}/bake.json", "w"), indent=1)
PY
}

now() { date +%s.%N; }
declare -A total
for r in $(seq 1 "$rounds"); do
  for mode in ${MODES:-j1 j4 bake}; do
    dir="$work/$mode-$r"
    make_graph "$dir" "$(date +%s%N)-$mode-$r"
    log="$work/$mode-$r.log"
    if [ "$mode" = bake ]; then
      bake_files "$dir"
      t0=$(now)
      (cd "$dir" && docker buildx bake -f bake.json --progress plain) >"$log" 2>&1
    else
      t0=$(now)
      "$imgspec" build "$dir"/c*.yaml -j "${mode#j}" --progress plain >"$log" 2>&1
    fi
    t=$(echo "$(now) - $t0" | bc)
    sends=$(grep -c "load remote build context\|transferring context" "$log" || true)
    echo "round $r $mode: ${t}s (context transfers in the log: $sends)" >&2
    total[$mode]="${total[$mode]:-} $t"
  done
done
for mode in ${MODES:-j1 j4 bake}; do
  python3 - "$mode" ${total[$mode]} <<'PY'
import statistics, sys
m, xs = sys.argv[1], [float(x) for x in sys.argv[2:]]
name = "docker buildx bake" if m == "bake" else f"imgspec build -j {m[1:]}"
print(f"| {name} | {statistics.median(xs):.1f} s | {min(xs):.1f}-{max(xs):.1f} s | {len(xs)} |")
PY
done
