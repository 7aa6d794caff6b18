#!/usr/bin/env bash
# Two imgspec binaries, the same outputs: for every spec under specs/ and tests/data, the tag
# (`uri --no-cache`), the Dockerfile (`render --dockerfile`) and the context tar
# (`render --context`), compared byte for byte with cmp, exit codes and stderr included. For
# changes that must not change a result (a new matcher, a new hash library, ...).
#
#   bash bench/same_outputs.sh OLD_IMGSPEC NEW_IMGSPEC
#
# Prints one line per difference and a count of the comparisons; exits 1 on any difference.
set -uo pipefail

old=$(realpath "$1")
new=$(realpath "$2")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-same.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache IMGSPEC_CONFIG=$work/config.yaml
: >"$IMGSPEC_CONFIG"
ref=(--ref gpu=nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04)

same=0
differ=0
declare -A counts ok0 # identical comparisons per kind; those of them that exited 0
# run BIN OUT ARGS...: stdout to OUT.out, stderr to OUT.err, exit code to OUT.rc.
run() {
    local bin=$1 out=$2
    shift 2
    "$bin" "${ref[@]}" "$@" >"$out.out" 2>"$out.err"
    echo $? >"$out.rc"
}
compare() { # NAME FILE...: old and new versions of each FILE
    local name=$1 f ok=1
    shift
    for f in "$@"; do
        if ! cmp -s "$work/old.$f" "$work/new.$f"; then
            ok=0
            echo "DIFFERS: $name ($f)"
        fi
    done
    if ((ok)); then
        same=$((same + 1))
        [ "$(cat "$work/old.rc")" = 0 ] && ok0[$kind]=$((${ok0[$kind]:-0} + 1))
        counts[$kind]=$((${counts[$kind]:-0} + 1))
    else
        differ=$((differ + 1))
    fi
}

mapfile -t specs < <(cd "$root" && find specs tests/data -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.toml' \) | sort)
for spec in "${specs[@]}"; do
    path=$root/$spec
    kind=uri
    for v in old new; do run "${!v}" "$work/$v" uri --no-cache "$path"; done
    compare "uri $spec" out err rc
    kind=dockerfile
    for v in old new; do run "${!v}" "$work/$v" render --dockerfile "$path"; done
    compare "render --dockerfile $spec" out err rc
    kind=context
    for v in old new; do
        rm -f "$work/$v.tar"
        run "${!v}" "$work/$v" render --no-cache --context "$work/$v.tar" "$path"
        [ -f "$work/$v.tar" ] || : >"$work/$v.tar"
    done
    compare "render --context $spec" out err rc tar
done
echo "specs: ${#specs[@]}; identical: $same; different: $differ"
for kind in uri dockerfile context; do
    echo "  $kind: ${counts[$kind]:-0} identical, ${ok0[$kind]:-0} of them successful runs (exit 0)"
done
((differ == 0))
