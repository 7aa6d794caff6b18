# Shared set-up for end-to-end tests against the real engine stack (scripts/engine.sh up).
# Sourced: gives $IMGSPEC, $SRC, $WORK and the helpers of tests/cli/lib.sh, plus:
#   $REG      the local registry (127.0.0.1:5000)
#   $NONCE    a value unique to this run, so content tags are new and builds really run
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
REG=127.0.0.1:5000
NONCE="$(date +%s%N)-$$"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" NO_COLOR=1

if ! docker info >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
  echo "FAIL: no docker engine with buildx: run scripts/engine.sh up (scripts/test.sh does)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# push_retry LOG CMD...: run a helper image's build-and-push CMD (output to LOG), up to 3 times
# when the registry answered 500: the Debian registry can fail a HEAD that races the tag's own
# write while dockerd pushes an index (seen in CI; imgspec retries its own pushes so, build.cpp).
push_retry() {
  local log=$1 i
  shift
  for i in 1 2 3; do
    "$@" >"$log" 2>&1 && return 0
    grep -q "500 Internal Server Error" "$log" || return 1
  done
  return 1
}

# push_dockerfile REF PLATFORMS LOG: the Dockerfile on stdin (no context files) built for
# PLATFORMS and pushed as REF, with push_retry.
push_dockerfile() {
  local dir
  dir=$(mktemp -d "$WORK/dockerfile.XXXXXX")
  cat >"$dir/Dockerfile"
  push_retry "$3" docker buildx build --platform "$2" --push -t "$1" "$dir"
}

# A pure-Python wheel without setuptools: make_wheel DIR NAME VERSION MODULE_SOURCE
make_wheel() {
  python3 "$SRC/tests/e2e/make_wheel.py" "$@"
}

# registry_has URI: the registry has a manifest for URI.
registry_has() {
  docker buildx imagetools inspect "$1" >/dev/null 2>&1
}

# step_cached LOG TEXT: a build step whose line contains TEXT was reported CACHED by BuildKit
# (plain progress prints "#N [i/n] RUN ..." and later "#N CACHED").
step_cached() {
  local id
  for id in $(grep -F -- "$2" "$1" | grep -oE '^#[0-9]+' | sort -u); do
    grep -qx "$id CACHED" "$1" && return 0
  done
  return 1
}
