#!/usr/bin/env bash
# Issue 18: wall time of a rebuild after editing one source file, on the real engine, against a
# well-written Dockerfile for the same image (apt with cache mounts, the wheels and
# requirements.txt copied first, pip with a cache mount, `COPY src /app/src` last; plain
# `docker buildx build --push` on the folder). Both push to the same registry.
#
#   bash bench/e2e_rebuild.sh                    # both trees, both context deliveries
#   TREES=small MODES=sync EDITS=5 bash bench/e2e_rebuild.sh
#
# Trees: small = 200 modules, 4 MiB; large = the same plus 40 files of 10 MiB (400 MiB).
# Modes: imgspec's context deliveries (`context: sync`, the default, and `tar`).
# Per tree: the first (cold) build of a new tree, the median rebuild after one edit (each run gets
# its own edit, so every build has a new tag), and the no-op (nothing changed: imgspec skips, the
# Dockerfile is fully cached). Prints a Markdown table; the raw times go to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
IMGSPEC=$(realpath "${IMGSPEC:-$root/build/apps/imgspec/imgspec}")
REG=${REG:-127.0.0.1:5000}
BASE=${BASE:-$REG/debian-python:bookworm}
EDITS=${EDITS:-3}
TREES=${TREES:-small large}
MODES=${MODES:-sync tar}

docker info >/dev/null 2>&1 || { echo "e2e_rebuild: no docker engine (scripts/engine.sh up)" >&2; exit 1; }
"$IMGSPEC" build --help >/dev/null 2>&1 || { echo "e2e_rebuild: this imgspec has no build command" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-e2e-bench.XXXXXX")
trap '[ -n "${KEEP:-}" ] && echo "e2e_rebuild: kept $work" >&2 || rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache IMGSPEC_CONFIG=$work/config.yaml NO_COLOR=1
printf 'installer: pip\n' >"$IMGSPEC_CONFIG"

# make_tree DIR SIZE NONCE: the spec, the Dockerfile and the source tree.
make_tree() {
    local ctx=$1 size=$2 nonce=$3
    mkdir -p "$ctx/src/pkg"
    for w in alpha beta gamma; do
        python3 "$root/tests/e2e/make_wheel.py" "$ctx/wheels" "$w" 1.0 "VALUE = '$w'" >/dev/null
    done
    printf 'alpha==1.0\nbeta==1.0\ngamma==1.0\n' >"$ctx/requirements.txt"
    python3 - "$ctx/src" "$nonce" "$size" <<'PY'
import os, random, sys
src, nonce, size = sys.argv[1:4]
rng = random.Random(7)
for i in range(200):  # 200 modules, 4 MiB in all
    with open(os.path.join(src, "pkg", f"m{i:03d}.py"), "w") as f:
        f.write(f"# {nonce}\n")
        f.write("".join(f"X{j} = {rng.random()!r}\n" for j in range(800)))
if size == "large":  # 40 files of 10 MiB: data that ships with the code
    os.makedirs(os.path.join(src, "data"))
    for i in range(40):
        with open(os.path.join(src, "data", f"blob{i:02d}.bin"), "wb") as f:
            f.write(nonce.encode() + os.urandom(10 * 1024 * 1024 - len(nonce)))
PY
    echo "print('main $nonce')" >"$ctx/src/main.py"
    cat >"$ctx/spec.yaml" <<YAML
name: bench-rebuild-$size
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
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt,sharing=locked \\
    rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update && \\
    apt-get install -y --no-install-recommends jq
COPY wheels /wheels
COPY requirements.txt /app/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \\
    python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-index --find-links /wheels -r /app/requirements.txt
COPY src /app/src
DOCKERFILE
    printf 'spec.yaml\nDockerfile\n' >"$ctx/.dockerignore"
}

secs() { # secs CMD...: wall seconds of one run, output to the log
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >>"$work/log" 2>&1 || { tail -30 "$work/log" >&2; exit 1; }
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}

rows=()
for size in $TREES; do
    nonce=$(date +%s%N)
    ctx=$work/$size
    make_tree "$ctx" "$size" "$nonce"
    dockerfile() { docker buildx build --progress plain --provenance=false -t "$REG/bench-dockerfile-$size:latest" --push "$ctx"; }
    ours() { IMGSPEC_CONTEXT=$1 "$IMGSPEC" build "$ctx/spec.yaml" --progress plain; }
    echo "$size tree: first builds" >&2
    cold_df=$(secs dockerfile)
    # Only the first mode's first build is cold: the others find its layers in BuildKit's cache.
    declare -A cold=() times=()
    first=${MODES%% *}
    cold[$first]=$(secs ours "$first")
    echo "  cold: Dockerfile $cold_df s, imgspec ($first) ${cold[$first]} s" >&2
    df_times=()
    # Odd edits build the Dockerfile first, even edits imgspec first: a build that runs right
    # after another (the engine still settling) is as often one tool as the other.
    anchor() {
        echo "print('edit $i dockerfile $nonce')" >"$ctx/src/main.py"
        df_times+=("$(secs dockerfile)")
    }
    for i in $(seq 1 "$EDITS"); do
        line="  edit $i:"
        [ $((i % 2)) = 1 ] && anchor
        for m in $MODES; do
            echo "print('edit $i $m $nonce')" >"$ctx/src/main.py"
            t=$(secs ours "$m")
            times[$m]="${times[$m]:-} $t"
            line+=" imgspec/$m $t s,"
        done
        [ $((i % 2)) = 0 ] && anchor
        echo "$line Dockerfile ${df_times[-1]} s" >&2
    done
    # No-op: nothing changed since each tool's last build (imgspec builds the last edit first).
    noop_df=$(secs dockerfile)
    secs ours "${MODES%% *}" >/dev/null
    noop_ours=$(secs ours "${MODES%% *}")
    echo "  no-op: imgspec $noop_ours s, Dockerfile $noop_df s" >&2
    rows+=("$(python3 - "$size" "$cold_df" "${df_times[*]}" "$noop_df" "$noop_ours" "$MODES" \
        "$(for m in $MODES; do printf '%s|%s|%s;' "$m" "${cold[$m]:-}" "${times[$m]}"; done)" <<'PY'
import statistics, sys
size, cold_df, df, noop_df, noop_ours, modes, per = sys.argv[1:8]
tree = {"small": "200 modules, 4 MiB", "large": "4 MiB + 40 x 10 MiB (400 MiB)"}[size]
mdf = statistics.median(float(x) for x in df.split())
out = []
for item in filter(None, per.split(";")):
    m, cold, ts = item.split("|")
    mo = statistics.median(float(x) for x in ts.split())
    if cold:
        out.append(f"| {tree} | first (cold) build | imgspec ({m}) | {float(cold):.2f} s | {float(cold_df):.2f} s | {float(cold) / float(cold_df):.2f} | |")
    out.append(f"| {tree} | rebuild after one edit | imgspec ({m}) | {mo:.2f} s | {mdf:.2f} s | {mo / mdf:.2f} | {ts.strip()} / {df} |")
out.append(f"| {tree} | no-op (unchanged) | imgspec ({modes.split()[0]}) | {float(noop_ours):.2f} s | {float(noop_df):.2f} s | {float(noop_ours) / float(noop_df):.2f} | |")
print("\n".join(out))
PY
)")
done
echo "| tree | what | tool | imgspec | well-written Dockerfile | ratio | runs (imgspec / Dockerfile) |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
