#!/usr/bin/env bash
# From a fresh Debian 12 machine to a built image: dependencies, imgspec, the engine stack, and a
# multi-platform build of specs/quickstart.yaml pushed to the local registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${IMGSPEC_BUILD_DIR:-$root/build}

bash "$root/scripts/deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
bash "$root/scripts/engine.sh" up
imgspec="$build/apps/imgspec/imgspec"
"$imgspec" validate "$root/specs/quickstart.yaml"
"$imgspec" build "$root/specs/quickstart.yaml"
img=$("$imgspec" uri "$root/specs/quickstart.yaml")
echo "quickstart: built $img" >&2
docker buildx imagetools inspect "$img" >&2
docker run --rm --platform linux/arm64 "$img" sh -c 'uname -m; cat /app/built.txt; echo "GREETING=$GREETING"' >&2
