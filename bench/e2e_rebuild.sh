#!/usr/bin/env bash
# Item 6: wall time of a rebuild after editing one source file, on the real engine:
# `imgspec build` against a hand-written single-stage Dockerfile that copies the source before
# installing requirements (what many users write). Both have an apt layer and a pip layer (plain
# pip from local wheels: no PyPI here) and push to the same registry.
#
#   bash bench/e2e_rebuild.sh            # needs dockerd + buildx and the registry on $REG
#   EDITS=5 REG=127.0.0.1:5000 bash bench/e2e_rebuild.sh
#
# Prints one Markdown table row per tool; the raw times go to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
IMGSPEC=$(realpath "${IMGSPEC:-$root/build/apps/imgspec/imgspec}")
REG=${REG:-127.0.0.1:5000}
BASE=${BASE:-$REG/debian-python:bookworm}
EDITS=${EDITS:-3}

docker info >/dev/null 2>&1 || { echo "e2e_rebuild: no docker engine (scripts/engine.sh up)" >&2; exit 1; }
"$IMGSPEC" build --help >/dev/null 2>&1 || { echo "e2e_rebuild: this imgspec has no build command" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-e2e-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache IMGSPEC_CONFIG=$work/config.yaml NO_COLOR=1
printf 'installer: pip\n' >"$IMGSPEC_CONFIG"
nonce=$(date +%s%N)

ctx=$work/ctx
mkdir -p "$ctx/src/pkg"
for w in alpha beta gamma; do
    python3 "$root/tests/e2e/make_wheel.py" "$ctx/wheels" "$w" 1.0 "VALUE = '$w'" >/dev/null
done
printf 'alpha==1.0\nbeta==1.0\ngamma==1.0\n' >"$ctx/requirements.txt"
# A modest source tree: 200 modules, 4 MiB in all.
python3 - "$ctx/src/pkg" "$nonce" <<'PY'
import os, random, sys
rng = random.Random(7)
for i in range(200):
    with open(os.path.join(sys.argv[1], f"m{i:03d}.py"), "w") as f:
        f.write(f"# {sys.argv[2]}\n")
        f.write("".join(f"X{j} = {rng.random()!r}\n" for j in range(800)))
PY
echo "print('main $nonce')" >"$ctx/src/main.py"

cat >"$ctx/spec.yaml" <<YAML
name: bench-rebuild
registry: $REG
platform: linux/amd64
from: {base: "$BASE"}
layers:
  - env_vars: {PIP_NO_INDEX: "1", PIP_FIND_LINKS: /wheels}
  - source_folder: {src: wheels, dst: /wheels}
  - apt_packages: [jq]
  - requirements: requirements.txt
  - source_folder: {src: src, dst: /app/src}
YAML

# What many users write: one stage, the whole folder copied first, then the installs.
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
WORKDIR /app
COPY . /app
RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-index --find-links /app/wheels -r /app/requirements.txt
DOCKERFILE
# The spec and the Dockerfile are not part of the hand-written image's source tree.
printf 'spec.yaml\nDockerfile\n' >"$ctx/.dockerignore"

naive() { docker buildx build --progress plain --provenance=false -t "$REG/bench-naive:latest" --push "$ctx"; }
ours() { "$IMGSPEC" build "$ctx/spec.yaml" --progress plain; }

secs() { # secs CMD...: wall seconds of one run, output to the log
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >>"$work/log" 2>&1 || { tail -30 "$work/log" >&2; exit 1; }
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}

echo "first builds (fill BuildKit's cache)" >&2
secs naive >/dev/null
secs ours >/dev/null

naive_times=()
ours_times=()
for i in $(seq 1 "$EDITS"); do
    echo "print('edit $i $nonce')" >"$ctx/src/main.py"
    ours_times+=("$(secs ours)")
    naive_times+=("$(secs naive)")
    echo "edit $i: imgspec ${ours_times[-1]} s, hand-written ${naive_times[-1]} s" >&2
done

python3 - "${ours_times[*]}" "${naive_times[*]}" <<'PY'
import statistics, sys
ours = [float(x) for x in sys.argv[1].split()]
naive = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(ours), statistics.median(naive)
print("| tool | median rebuild after one edit | ratio | runs |")
print("|---|---|---|---|")
print(f"| hand-written Dockerfile (COPY . then apt + pip) | {mn:.2f} s | - | {' '.join(f'{x:.2f}' for x in naive)} |")
print(f"| imgspec build | {mo:.2f} s | {mo / mn:.3f} | {' '.join(f'{x:.2f}' for x in ours)} |")
PY
