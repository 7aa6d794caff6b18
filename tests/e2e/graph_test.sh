#!/usr/bin/env bash
# E2E: many images in one command (issue 15), on the real engine:
#   - a parent shared by two children, built with -j 2: the parent is built once, before the
#     children, and all three are pushed for linux/amd64 and linux/arm64; --metadata-file has one
#     entry per image; a second run skips all three; --dry-run lists the parent once;
#   - a failure in one child while another builds: the running one finishes, no new build starts,
#     exit 4, the failed image and the one never started are not pushed; --keep-going builds it;
#     a failed parent: its child is never attempted;
#   - Ctrl-C during a parallel build: every buildx stopped, exit 130, $TMPDIR empty, nothing pushed.
source "$(dirname "$0")/lib.sh"
set -m
export TMPDIR="$WORK/tmp" XDG_CACHE_HOME="$WORK/cache"
mkdir -p "$TMPDIR"
ctx="$WORK/ctx"
mkdir -p "$ctx"
echo "$NONCE" >"$ctx/nonce.txt"
R="$REG/imgspec-e2e"
# spec NAME FROM PLATFORMS COMMAND: $ctx/NAME.yaml, image $R/graph-NAME
spec() {
  cat >"$ctx/$1.yaml" <<YAML
name: graph-$1
registry: $R
platform: [$3]
extendable: true
from: $2
layers:
  - source_file: {src: nonce.txt, dst: /}
  - commands: ["$4"]
YAML
}
both="linux/amd64, linux/arm64"
spec parent "{base: \"$REG/busybox:latest\"}" "$both" "echo parent > /parent-proof"
spec kid1 "{spec: parent.yaml}" "$both" "cat /parent-proof > /proof && echo kid1 >> /proof"
spec kid2 "{spec: parent.yaml}" "$both" "cat /parent-proof > /proof && echo kid2 >> /proof"
uri() { "$IMGSPEC" uri "$ctx/$1.yaml"; }
P=$(uri parent) K1=$(uri kid1) K2=$(uri kid2)

# --- A shared parent, -j 2 ------------------------------------------------------------------------
check "dry run of two children" 0 "$IMGSPEC" build "$ctx/kid1.yaml" "$ctx/kid2.yaml" --dry-run
n=$(grep -c "^would build $P:" "$WORK/out")
[ "$n" = 1 ] && ok "dry run: the parent is listed once" || { fail "dry run: the parent is listed $n times"; cat "$WORK/out"; }
[ "$(grep -c '^would build ' "$WORK/out")" = 3 ] && ok "dry run: three images" || fail "dry run: $(cat "$WORK/out")"

check "build two children -j 2" 0 "$IMGSPEC" build "$ctx/kid1.yaml" "$ctx/kid2.yaml" -j 2 --progress plain --metadata-file "$WORK/meta.json"
cp "$WORK/err" "$WORK/build.err"
n=$(grep -c "building $P for" "$WORK/build.err")
[ "$n" = 1 ] && ok "the parent is built once" || fail "the parent is built $n times"
last_parent=$(grep -n "^\[graph-parent\] " "$WORK/build.err" | tail -1 | cut -d: -f1)
first_kid=$(grep -n -E "^\[graph-kid[12]\] " "$WORK/build.err" | head -1 | cut -d: -f1)
if [ -n "$last_parent" ] && [ -n "$first_kid" ] && [ "$last_parent" -lt "$first_kid" ]; then
  ok "the parent's build ends before a child's starts (prefixed lines)"
else fail "order of builds: parent's last line $last_parent, first child line $first_kid"; sed 's/^/  | /' "$WORK/build.err" | head -20; fi
for u in "$P" "$K1" "$K2"; do
  plats=$(docker buildx imagetools inspect "$u" 2>/dev/null | grep -E '^\s+Platform:' | awk '{print $2}' | sort | tr '\n' ' ')
  [ "$plats" = "linux/amd64 linux/arm64 " ] && ok "pushed for both platforms: ${u##*/}" || fail "$u: platforms '$plats'"
done
[ "$(grep -c '^built ' "$WORK/out")" = 3 ] && ok "three 'built' lines" || { fail "summary"; cat "$WORK/out"; }
python3 - "$WORK/meta.json" "$P" "$K1" "$K2" <<'PY' && ok "metadata file: one entry per image, built, with a digest" || fail "metadata file: $(cat "$WORK/meta.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert sorted(m) == sorted(sys.argv[2:]), m.keys()
for u, e in m.items():
    assert e["status"] == "built" and e["digest"].startswith("sha256:"), e
    assert e["containerimage.digest"] == e["digest"]
assert m[sys.argv[2]]["requested"] is False and m[sys.argv[3]]["requested"] is True
PY
got=$(docker run --rm --pull always --platform linux/arm64 "$K2" cat /proof 2>/dev/null | tr '\n' ' ')
[ "$got" = "parent kid2 " ] && ok "kid2 (arm64) runs on its parent" || fail "kid2 /proof: '$got'"

check "again: everything exists" 0 "$IMGSPEC" build "$ctx/kid1.yaml" "$ctx/kid2.yaml" -j 2 --json
python3 - "$WORK/out" <<'PY' && ok "again: --json says skipped, the parent under both" || fail "again: $(cat "$WORK/out")"
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 2 and all(o["status"] == "skipped" and o["skipped"] for o in a), a
assert a[0]["parents"][0]["uri"] == a[1]["parents"][0]["uri"]
PY
check "a folder: the three specs" 0 "$IMGSPEC" uri "$ctx"
[ "$(wc -l <"$WORK/out")" = 3 ] && ok "uri of a folder: three lines" || fail "uri of a folder: $(cat "$WORK/out")"

# --- A failure in one child ------------------------------------------------------------------------
nap=$((20 + RANDOM % 10))
spec fail "{spec: parent.yaml}" "linux/amd64" "echo failing; exit 7"
spec slow "{spec: parent.yaml}" "linux/amd64" "sleep $nap"
spec later "{spec: parent.yaml}" "linux/amd64" "echo later > /proof"
F=$(uri fail) S=$(uri slow) L=$(uri later)
SECONDS=0
check "one child fails: exit 4" 4 "$IMGSPEC" build "$ctx/fail.yaml" "$ctx/slow.yaml" "$ctx/later.yaml" -j 2 --progress plain
expect_in "$WORK/err" "imgspec: error: buildx failed for $F" "the failure is reported"
expect_in "$WORK/out" "failed $F" "summary: failed"
expect_in "$WORK/out" "built $S" "summary: the running build finished"
expect_in "$WORK/out" "not built $L: stopped after $F failed" "summary: no new build started"
((SECONDS >= nap)) && ok "imgspec waited for the running build" || fail "returned after $SECONDS s"
registry_has "$F" && fail "the failed image was pushed" || ok "the failed image is not pushed"
registry_has "$L" && fail "the image never started was pushed" || ok "the image not started is not pushed"
registry_has "$S" && ok "the running one was pushed" || fail "the running one is missing"
check "--keep-going: the others build" 4 "$IMGSPEC" build "$ctx/fail.yaml" "$ctx/later.yaml" -j 1 --keep-going
registry_has "$L" && ok "--keep-going: built after the failure" || fail "--keep-going: not pushed"

spec badparent "{base: \"$REG/busybox:latest\"}" "linux/amd64" "exit 9"
spec orphan "{spec: badparent.yaml}" "linux/amd64" "true"
O=$(uri orphan)
check "a failed parent" 4 "$IMGSPEC" build "$ctx/orphan.yaml" -j 2 --keep-going --json
python3 - "$WORK/out" <<'PY' && ok "the child of a failed parent is not built" || fail "failed parent: $(cat "$WORK/out")"
import json, sys
a = json.load(open(sys.argv[1]))
assert a[0]["status"] == "not built" and "failed" in a[0]["error"], a
assert a[0]["parents"][0]["status"] == "failed"
PY
registry_has "$O" && fail "the orphan was pushed" || ok "the orphan is not pushed"

# --- Ctrl-C during a parallel build ---------------------------------------------------------------
nap2=$((600 + RANDOM % 300))
spec int1 "{spec: parent.yaml}" "linux/amd64" "sleep $nap2"
spec int2 "{spec: parent.yaml}" "linux/amd64" "sleep $nap2; true"
I1=$(uri int1) I2=$(uri int2)
sleeping() { [ "$(pgrep -f -- "sleep $nap2" | wc -l)" -ge 2 ]; }
wait_until() { local deadline=$((SECONDS + $1)); shift; while ((SECONDS < deadline)); do "$@" && return 0; sleep 0.1; done; return 1; }
"$IMGSPEC" build "$ctx/int1.yaml" "$ctx/int2.yaml" -j 2 --progress plain >"$WORK/out" 2>"$WORK/err" &
pid=$!
if wait_until 120 sleeping; then
  [ "$(pgrep -f -- "--tag $R/graph-int" | wc -l)" -ge 2 ] && ok "two buildx run at once" || fail "not two buildx: $(pgrep -af -- "--tag $R/graph-int")"
  kill -INT "$pid"
  waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < 300)); do sleep 0.1; waited=$((waited + 1)); done
  kill -0 "$pid" 2>/dev/null && { fail "imgspec still runs 30 s after SIGINT"; kill -KILL "$pid"; }
  wait "$pid"
  rc=$?
  [ "$rc" = 130 ] && ok "Ctrl-C: exit 130" || { fail "Ctrl-C: exit $rc"; tail -5 "$WORK/err"; }
  wait_until 15 eval '! pgrep -f -- "--tag $R/graph-int" >/dev/null' && ok "Ctrl-C: every buildx stopped" || fail "a buildx still runs"
  wait_until 20 eval '! pgrep -f -- "sleep $nap2" >/dev/null' && ok "Ctrl-C: the RUN steps are stopped" || fail "a RUN step still sleeps"
  [ -z "$(ls -A "$TMPDIR")" ] && ok "Ctrl-C: \$TMPDIR is empty" || fail "Ctrl-C: left in \$TMPDIR: $(ls -A "$TMPDIR")"
  registry_has "$I1" || registry_has "$I2" && fail "Ctrl-C: an image was pushed" || ok "Ctrl-C: nothing pushed"
  grep -qE 'Sanitizer|terminate called|Aborted' "$WORK/err" && fail "Ctrl-C: crash report on stderr"
else
  fail "Ctrl-C: the two RUN steps never ran"; kill -KILL "$pid"; wait "$pid"; tail -5 "$WORK/err"
fi

# --- The graph on another builder, named in the config (issue 15 item 6) ---------------------------
echo "$NONCE-alt" >"$ctx/nonce.txt"
printf 'builder: imgspec-alt\n' >"$WORK/config.yaml"
A1=$(uri kid1) A2=$(uri kid2)
DOCKER_CONTEXT=imgspec-alt check "the graph with -j 2 on the builder of the config" 0 "$IMGSPEC" -v build "$ctx/kid1.yaml" "$ctx/kid2.yaml" -j 2 --progress plain
n=$(grep -c -- "--builder imgspec-alt" "$WORK/err")
[ "$n" = 3 ] && ok "three buildx runs, each on imgspec-alt" || fail "--builder imgspec-alt in $n buildx lines, want 3"
got=$(docker run --rm --pull always --platform linux/arm64 "$A1" cat /proof 2>/dev/null | tr '\n' ' ')
[ "$got" = "parent kid1 " ] && ok "kid1 from imgspec-alt (arm64) runs on its parent" || fail "kid1 /proof: '$got'"
: >"$WORK/config.yaml"
finish
