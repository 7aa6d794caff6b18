#!/usr/bin/env bash
# .dockerignore matching, one imgspec binary against another (issue 17: RE2 in place of the
# hand-written engine): `uri --no-cache` and `render --context` on the bench trees with the
# 30 rules of bench/dockerignore.rules (globs, '**', '!' exceptions), and the start-up of `uri`
# on a tiny spec, without rules and with the 30. Prints hyperfine's tables.
#
#   bash bench/dockerignore.sh OLD_IMGSPEC NEW_IMGSPEC
#   RUNS=10 TREES="a b" bash bench/dockerignore.sh ...   # defaults: RUNS=5, TREES="b a"
#
# Tree (a) is 1 GiB of 20,000 files, (b) 100,000 small files (bench/gen_tree.py); about 1.3 GiB
# under $TMPDIR, removed at the end. A few minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
old=$(realpath "$1")
new=$(realpath "$2")
RUNS=${RUNS:-5}
TREES=${TREES:-b a}

work=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-ignore-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache
log() { printf '\n== %s\n' "$*" >&2; }
bench() { hyperfine --style basic -N "$@"; }

for t in $TREES; do
    kind=small
    [[ $t == a ]] && kind=mixed
    log "tree ($t): generating"
    python3 "$here/gen_tree.py" "$kind" "$work/$t"
    # Rules where the spec is: they apply to its copies (README, "dockerignore").
    grep -v '^#' "$here/dockerignore.rules" >"$work/$t/.dockerignore"
    cd "$work/$t"
    tar -cf - tree | cat >/dev/null # the page cache warm for both alike
    # Both binaries must agree before their times mean anything.
    "$old" render spec.yaml --context "$work/old.tar"
    "$new" render spec.yaml --context "$work/new.tar"
    cmp "$work/old.tar" "$work/new.tar" || { echo "bench: the contexts differ" >&2; exit 1; }
    [[ $("$old" uri --no-cache spec.yaml) == $("$new" uri --no-cache spec.yaml) ]] ||
        { echo "bench: the tags differ" >&2; exit 1; }
    echo "tree ($t): same context tar and tag; $(tar -tf "$work/new.tar" | grep -vc '/$') files" >&2
    rm -f "$work/old.tar" "$work/new.tar"
    log "tree ($t): uri --no-cache"
    bench -w 1 -r "$RUNS" -n "old uri --no-cache" "$old uri --no-cache spec.yaml" \
        -n "new uri --no-cache" "$new uri --no-cache spec.yaml"
    log "tree ($t): render --context (stat cache filled)"
    bench -w 1 -r "$RUNS" --prepare "rm -f $work/out.tar" \
        -n "old render --context" "$old render spec.yaml --context $work/out.tar" \
        -n "new render --context" "$new render spec.yaml --context $work/out.tar"
    rm -f "$work/out.tar"
    cd "$work" && rm -rf "${work:?}/$t"
done

log "start-up: uri on a tiny spec"
# plain/: no .dockerignore; rules/: the 30 rules beside a spec that copies one file.
mkdir -p "$work/tiny/plain" "$work/tiny/rules" && cd "$work/tiny"
printf 'name: tiny\nfrom:\n  base: 127.0.0.1:5000/debian-python:bookworm\nlayers:\n  - env_vars: {A: b}\n' \
    >plain/spec.yaml
printf 'name: tiny\nfrom:\n  base: 127.0.0.1:5000/debian-python:bookworm\nlayers:\n  - source_file: {src: main.py, dst: /app/main.py}\n' \
    >rules/spec.yaml
printf 'print("hi")\n' >rules/main.py
grep -v '^#' "$here/dockerignore.rules" >rules/.dockerignore
"$old" uri rules/spec.yaml >/dev/null && "$new" uri rules/spec.yaml >/dev/null
bench -w 5 -r $((RUNS * 6)) -n "old uri (no files, no rules)" "$old uri plain/spec.yaml" \
    -n "new uri (no files, no rules)" "$new uri plain/spec.yaml" \
    -n "old uri (one file, 30 rules)" "$old uri rules/spec.yaml" \
    -n "new uri (one file, 30 rules)" "$new uri rules/spec.yaml"
