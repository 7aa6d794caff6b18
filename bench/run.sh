#!/usr/bin/env bash
# imgspec against GNU tar on generated trees: context tar, cold and warm tag, peak memory,
# start-up. Prints one table; see bench/RESULTS.md for what each row means.
#
#   bash bench/run.sh                    # uses build/apps/imgspec/imgspec
#   IMGSPEC=path/to/imgspec RUNS=10 bash bench/run.sh
#   BIG=0 bash bench/run.sh              # skip the 4 GiB tree (memory growth row)
#
# Needs hyperfine, GNU tar, /usr/bin/time and python3 (scripts/deps.sh installs them). Takes
# 5-10 minutes and about 6 GiB of disk under $TMPDIR (removed at the end, also on Ctrl-C).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
IMGSPEC=${IMGSPEC:-$root/build/apps/imgspec/imgspec}
IMGSPEC=$(realpath "$IMGSPEC")
RUNS=${RUNS:-5}
BIG=${BIG:-1}

for tool in hyperfine tar python3 /usr/bin/time sha256sum cc; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh)" >&2; exit 1; }
done
[[ -x $IMGSPEC ]] || { echo "bench: no imgspec at $IMGSPEC (build it, or set IMGSPEC)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results
mkdir -p "$results"
# imgspec's stat cache goes here, not into the user's own cache folder.
export XDG_CACHE_HOME=$work/cache

# --no-cache once the CLI has it; until then a cold run is one with an empty cache folder.
if grep -q -- '--no-cache' <<<"$("$IMGSPEC" uri --help 2>&1)"; then
    cold_flag=(--no-cache)
    cold_prepare=true
else
    cold_flag=()
    cold_prepare="rm -rf $XDG_CACHE_HOME"
fi

log() { printf '\n== %s\n' "$*" >&2; }

gnutar_repro=(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)

# The kernel's share of a warm run alone (list and stat every entry), for item 3.
cc -O2 -pthread -o "$work/stat_floor" "$here/stat_floor.c"

log "generating trees in $work"
python3 "$here/gen_tree.py" mixed "$work/a"
python3 "$here/gen_tree.py" small "$work/b"
if [[ $BIG == 1 ]]; then
    python3 "$here/gen_tree.py" mixed "$work/big" --scale 4
fi
printf 'name: empty\nfrom:\n  base: 127.0.0.1:5000/debian-python:bookworm\nlayers:\n  - env_vars: {A: b}\n' \
    >"$work/empty.yaml"
# Files written in the last ~2 s are "racily clean" for the stat cache and never cached; let the
# newest ones age, as they would have in a real tree.
sleep 3

# hyperfine NAME ARGS...: runs and keeps the JSON as $results/NAME.json.
bench() {
    local name=$1
    shift
    hyperfine --style basic -N --export-json "$results/$name.json" "$@" >&2
}

# rss NAME CMD...: peak RSS of one run, in KiB, into $results/NAME.rss.
rss() {
    local name=$1
    shift
    /usr/bin/time -v "$@" 2>"$results/$name.time" >/dev/null
    awk -F': ' '/Maximum resident set size/ {print $2}' "$results/$name.time" >"$results/$name.rss"
}

for t in a b; do
    cd "$work/$t"
    # The page cache is warm for both tools alike: every file is read once before timing.
    tar -cf - tree | cat >/dev/null

    log "[$t] 1. render --context against GNU tar (reproducible mode)"
    "$IMGSPEC" uri spec.yaml >/dev/null # fills the stat cache, as any earlier run would
    # sync first: neither tool waits for the write-back of the other's output.
    bench "render-$t" -w 1 -r "$RUNS" --prepare "bash -c 'rm -f $work/out.tar; sync'" \
        -n "imgspec render --context" "$IMGSPEC render spec.yaml --context $work/out.tar" \
        -n "GNU tar --sort=name" "${gnutar_repro[*]} -cf $work/out.tar tree"
    bench "render-cold-$t" -w 1 -r "$RUNS" --prepare "bash -c 'rm -f $work/out.tar; $cold_prepare'" \
        -n "imgspec render --context (no cache)" \
        "$IMGSPEC render spec.yaml ${cold_flag[*]} --context $work/out.tar"
    rm -f "$work/out.tar"

    log "[$t] 2. uri (cold: no stat cache) against tar | sha256sum"
    bench "uri-cold-$t" -w 1 -r "$RUNS" --prepare "$cold_prepare" \
        -n "imgspec uri (cold)" "$IMGSPEC uri ${cold_flag[*]} spec.yaml" \
        -n "tar | sha256sum" "bash -c 'tar -cf - tree | sha256sum'" \
        -n "read floor (2 threads)" "$work/stat_floor tree 2 read"

    log "[$t] 3. uri again, nothing changed (stat cache)"
    "$IMGSPEC" uri spec.yaml >/dev/null
    bench "uri-warm-$t" -w 2 -r $((RUNS * 2)) -n "imgspec uri (warm)" "$IMGSPEC uri spec.yaml" \
        -n "stat floor (2 threads)" "$work/stat_floor tree 2"

    log "[$t] 4. peak memory"
    rss "rss-render-$t" "$IMGSPEC" render spec.yaml --context "$work/out.tar"
    rm -f "$work/out.tar"
    rm -rf "$XDG_CACHE_HOME"
    rss "rss-uri-cold-$t" "$IMGSPEC" uri "${cold_flag[@]}" spec.yaml
    rss "rss-gnutar-$t" "${gnutar_repro[@]}" -cf "$work/out.tar" tree
    rm -f "$work/out.tar"
done

if [[ $BIG == 1 ]]; then
    log "[big] 4. peak memory on a tree four times (a)"
    cd "$work/big"
    rss "rss-uri-cold-big" "$IMGSPEC" uri "${cold_flag[@]}" spec.yaml
    rss "rss-render-big" "$IMGSPEC" render spec.yaml --context "$work/out.tar"
    rm -f "$work/out.tar"
fi

log "5. start-up: a spec that copies nothing"
cd "$work"
bench startup -w 5 -r $((RUNS * 6)) -n "imgspec uri (no files)" "$IMGSPEC uri empty.yaml" \
    -n "cat SPEC" "cat empty.yaml"

python3 "$here/table.py" "$results"
