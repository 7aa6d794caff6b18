#!/usr/bin/env bash
# Issue 18: the first build of a 400 MiB context, imgspec against plain docker buildx, nothing else
# in the image (`FROM base; COPY src /app/src`), fresh random data every round (nothing cached),
# the order alternating. Needs the engine stack (scripts/engine.sh up) and ~1 GiB under $TMPDIR.
#   bash bench/cold_context.sh [IMGSPEC] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
I=$(realpath "${1:-$here/../build/apps/imgspec/imgspec}")
ROUNDS=${2:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/imgspec-cold.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
: >cfg.yaml
export XDG_CACHE_HOME=$work/cache NO_COLOR=1 IMGSPEC_CONFIG=$work/cfg.yaml
mk() { rm -rf $1; mkdir -p $1/src/data $1/src/pkg; python3 -c "
import os,sys
d=sys.argv[1]
for i in range(40): open(f'{d}/src/data/blob{i:02d}.bin','wb').write(os.urandom(10*1024*1024))
for i in range(200): open(f'{d}/src/pkg/m{i:03d}.py','w').write('X=%d\n'%i*5000)
" $1
printf 'name: cold-probe\nregistry: 127.0.0.1:5000\nplatform: linux/amd64\nfrom: {base: "127.0.0.1:5000/debian-python:bookworm"}\nlayers:\n  - source_folder: {src: src, dst: /app/src}\n' > $1/spec.yaml
printf 'FROM 127.0.0.1:5000/debian-python:bookworm\nCOPY src /app/src\n' > $1/Dockerfile
printf 'spec.yaml\nDockerfile\n' > $1/.dockerignore; sync; }
el() { python3 -c "print(f'{$2-$1:.2f}')"; }
for r in $(seq 1 "$ROUNDS"); do
  mk A; mk B
  if [ $((r % 2)) = 1 ]; then order="df im"; else order="im df"; fi
  for w in $order; do
    t0=$(date +%s.%N)
    if [ $w = df ]; then docker buildx build --progress plain --provenance=false -t 127.0.0.1:5000/cold-df:latest --push A >log 2>&1 || { tail -5 log >&2; exit 1; }
    else "$I" build B/spec.yaml --progress plain >log 2>&1 || { tail -5 log >&2; exit 1; }; fi
    t1=$(date +%s.%N); echo "round $r $w $(el $t0 $t1)"
  done
done
