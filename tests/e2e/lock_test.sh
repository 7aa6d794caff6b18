#!/usr/bin/env bash
# E2E lock files (issue 14 item 1) against the real registry: a two-platform base pushed as
# lock-base:1, a spec locked on it and built; another image pushed under the same reference:
# `outdated` exits 1, `build` still skips with the old lock, `lock --update` changes the tag and
# `build` builds it; the locked FROM carries the digest; a YAML/TOML twin locks to the same bytes;
# a registry that is down is exit 5 and leaves the lock alone; bad locks are exit 3 with a line.
source "$(dirname "$0")/lib.sh"
BASE=$REG/imgspec-e2e/lock-base:1

# push_base TEXT: a two-platform image (busybox + /base.txt holding TEXT) as $BASE.
push_base() {
  mkdir -p "$WORK/base"
  echo "$1" >"$WORK/base/base.txt"
  printf 'FROM %s\nCOPY base.txt /base.txt\n' "$REG/busybox:latest" >"$WORK/base/Dockerfile"
  push_retry "$WORK/base.err" docker buildx build --platform linux/amd64,linux/arm64 \
    --provenance=false --push -t "$BASE" --quiet "$WORK/base" || { cat "$WORK/base.err"; fail "push base $1"; }
}
raw_digest() { echo "sha256:$(docker buildx imagetools inspect --raw "$1" | sha256sum | cut -d' ' -f1)"; }

push_base "one-$NONCE"
d1=$(raw_digest "$BASE")
mkdir -p "$WORK/ctx"
echo "$NONCE" >"$WORK/ctx/nonce.txt"
cat >"$WORK/ctx/spec.yaml" <<YAML
name: lock-app
registry: $REG/imgspec-e2e
platform: [linux/amd64, linux/arm64]
from: {base: "$BASE"}
layers:
  - source_file: {src: [nonce.txt], dst: /app}
YAML
cat >"$WORK/ctx/spec.toml" <<TOML
name = "lock-app"
registry = "$REG/imgspec-e2e"
platform = ["linux/amd64", "linux/arm64"]
[from]
base = "$BASE"
[[layers]]
source_file = {src = ["nonce.txt"], dst = "/app"}
TOML
unlocked=$("$IMGSPEC" uri "$WORK/ctx/spec.yaml")

check "lock writes the lock" 0 "$IMGSPEC" lock "$WORK/ctx/spec.yaml"
expect_in "$WORK/out" "wrote $WORK/ctx/spec.yaml.lock" "lock names the file it wrote"
expect_in "$WORK/ctx/spec.yaml.lock" "digest = \"$d1\"" "the lock holds the base's index digest"
expect_in "$WORK/ctx/spec.yaml.lock" 'platforms."linux/arm64" = "sha256:' "and one digest a platform"
check "lock again changes nothing" 0 "$IMGSPEC" lock "$WORK/ctx/spec.yaml"
expect_in "$WORK/out" "unchanged" "an unchanged lock is not rewritten"
check "the TOML twin locks" 0 "$IMGSPEC" lock "$WORK/ctx/spec.toml"
cmp -s "$WORK/ctx/spec.yaml.lock" "$WORK/ctx/spec.toml.lock" && ok "YAML and TOML twins give one lock" ||
  fail "twin locks differ: $(diff "$WORK/ctx/spec.yaml.lock" "$WORK/ctx/spec.toml.lock")"

check "render the locked Dockerfile" 0 "$IMGSPEC" render "$WORK/ctx/spec.yaml" --dockerfile
expect_in "$WORK/out" "FROM $BASE@$d1" "the locked FROM carries the digest"
locked=$("$IMGSPEC" uri "$WORK/ctx/spec.yaml")
[ "$locked" != "$unlocked" ] && ok "the lock changes the tag" || fail "same tag with and without the lock"
[ "$locked" = "$("$IMGSPEC" uri "$WORK/ctx/spec.toml")" ] && ok "twins keep one tag" || fail "twin tags differ"

check "build the locked spec" 0 "$IMGSPEC" build "$WORK/ctx/spec.yaml" --json
expect_in "$WORK/out" '"skipped": false' "it was built"
docker run --rm --pull always --platform linux/arm64 "$locked" cat /base.txt >"$WORK/run" 2>&1
expect_in "$WORK/run" "one-$NONCE" "built on the locked base"

# Upstream moves.
push_base "two-$NONCE"
d2=$(raw_digest "$BASE")
[ "$d1" != "$d2" ] && ok "the reference moved upstream" || fail "base digest did not change"
check "outdated reports the move" 1 "$IMGSPEC" outdated "$WORK/ctx/spec.yaml"
expect_in "$WORK/out" "$BASE moved" "outdated names the reference"
check "outdated --json" 1 "$IMGSPEC" outdated "$WORK/ctx/spec.yaml" --json
expect_in "$WORK/out" '"moved": true' "--json says moved"
expect_in "$WORK/out" "\"current\": \"$d2\"" "--json gives the current digest"
check "build with the old lock" 0 "$IMGSPEC" build "$WORK/ctx/spec.yaml"
expect_in "$WORK/out" "skipped $locked" "build still skips with the old lock"

check "lock --update" 0 "$IMGSPEC" lock --update "$WORK/ctx/spec.yaml"
expect_in "$WORK/ctx/spec.yaml.lock" "digest = \"$d2\"" "the lock holds the new digest"
updated=$("$IMGSPEC" uri "$WORK/ctx/spec.yaml")
[ "$updated" != "$locked" ] && ok "the update changes the tag" || fail "same tag after lock --update"
check "build after the update" 0 "$IMGSPEC" build "$WORK/ctx/spec.yaml" --json
expect_in "$WORK/out" '"skipped": false' "the new tag is built"
docker run --rm --pull always --platform linux/amd64 "$updated" cat /base.txt >"$WORK/run" 2>&1
expect_in "$WORK/run" "two-$NONCE" "built on the new base"
check "outdated after the update" 0 "$IMGSPEC" outdated "$WORK/ctx/spec.yaml"
check "lock --update=REFERENCE" 0 "$IMGSPEC" lock "--update=$BASE" "$WORK/ctx/spec.yaml"
check "lock --update of an unused reference" 2 "$IMGSPEC" lock --update=busybox:9 "$WORK/ctx/spec.yaml"

# A stale lock: the spec names another base.
sed "s|$BASE|$REG/busybox:latest|" "$WORK/ctx/spec.yaml" >"$WORK/ctx/stale.yaml"
cp "$WORK/ctx/spec.yaml.lock" "$WORK/ctx/stale.yaml.lock"
check "a stale lock stops build before anything" 3 "$IMGSPEC" build "$WORK/ctx/stale.yaml"
expect_in "$WORK/err" "hint: imgspec lock $WORK/ctx/stale.yaml" "with the hint"
check "and render" 3 "$IMGSPEC" render "$WORK/ctx/stale.yaml" --dockerfile

# Corrupt, hand-edited and newer locks: exit 3 with the line.
cp "$WORK/ctx/spec.yaml.lock" "$WORK/good.lock"
printf '<<<<<<< HEAD\n' >>"$WORK/ctx/spec.yaml.lock"
check "a corrupt lock" 3 "$IMGSPEC" uri "$WORK/ctx/spec.yaml"
expect_in "$WORK/err" "spec.yaml.lock:$(wc -l <"$WORK/ctx/spec.yaml.lock"):" "names its line"
sed 's/^version = 1/version = 9/' "$WORK/good.lock" >"$WORK/ctx/spec.yaml.lock"
check "a lock from a newer imgspec" 3 "$IMGSPEC" build "$WORK/ctx/spec.yaml"
expect_in "$WORK/err" "spec.yaml.lock:4:" "names the version line"
sed 's/digest = "sha256:\(.\)/digest = "sha256:Z/' "$WORK/good.lock" >"$WORK/ctx/spec.yaml.lock"
check "a hand-edited digest" 3 "$IMGSPEC" render "$WORK/ctx/spec.yaml" --dockerfile
expect_in "$WORK/err" "is not a digest" "says what is wrong"
cp "$WORK/good.lock" "$WORK/ctx/spec.yaml.lock"

# A registry that is down: exit 5, the lock untouched.
sed "s|$REG/|127.0.0.1:5999/|" "$WORK/ctx/spec.yaml" >"$WORK/ctx/down.yaml"
sed "s|$REG/|127.0.0.1:5999/|" "$WORK/good.lock" >"$WORK/ctx/down.yaml.lock"
cp "$WORK/ctx/down.yaml.lock" "$WORK/down.before"
check "outdated with the registry down" 5 "$IMGSPEC" outdated "$WORK/ctx/down.yaml"
check "lock --update with the registry down" 5 "$IMGSPEC" lock --update "$WORK/ctx/down.yaml"
cmp -s "$WORK/ctx/down.yaml.lock" "$WORK/down.before" && ok "the old lock is untouched" || fail "lock changed"
ls -a "$WORK/ctx" | grep -q '\.tmp\.' && fail "a temp file was left" || ok "no temp file left"

# require_lock: build refuses a spec without a lock.
echo "require_lock: true" >"$WORK/config.yaml"
rm "$WORK/ctx/spec.toml.lock"
check "require_lock refuses a spec without a lock" 3 "$IMGSPEC" build "$WORK/ctx/spec.toml"
expect_in "$WORK/err" "require_lock" "and says why"
check "require_lock lets a locked spec through" 0 "$IMGSPEC" build "$WORK/ctx/spec.yaml"
: >"$WORK/config.yaml"
finish
