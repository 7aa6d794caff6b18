#!/usr/bin/env bash
# `imgspec explain`: why a spec's tag differs from the last one computed here (kept in
# $XDG_CACHE_HOME/imgspec, never in the project) or from another tag computed here. Editing one
# source file names that file and its layer and nothing else; a Dockerfile change shows its lines;
# platforms; --json; nothing to compare with is exit 1 with a hint; --no-cache keeps no record.
#
# Usage: bash tests/cli/explain_test.sh <path-to-imgspec> <source-dir>
source "$(dirname "$0")/lib.sh"
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg" XDG_CACHE_HOME="$WORK/cache" NO_COLOR=1

mkdir -p "$WORK/p/src/pkg" "$WORK/p/conf"
cat >"$WORK/p/spec.yaml" <<'YAML'
name: explain
registry: registry.example.com/team
from: {base: "python:3.12-slim-bookworm"}
layers:
  - pip_packages: ["numpy==2.1"]
  - source_folder: {src: conf, dst: /etc/app}
  - source_folder: {src: src, dst: /app}
YAML
echo "a = 1" >"$WORK/p/src/pkg/a.py"
echo "b = 1" >"$WORK/p/src/pkg/b.py"
echo "x: 1" >"$WORK/p/conf/app.yaml"
sleep 0.01
touch "$WORK/set-up"

check "explain with nothing computed yet: exit 1" 1 "$IMGSPEC" explain "$WORK/p/spec.yaml"
expect_in "$WORK/err" "no earlier tag of this spec on this machine" "says why"
expect_in "$WORK/err" "imgspec uri" "hints at uri"

check "uri --no-cache" 0 "$IMGSPEC" uri --no-cache "$WORK/p/spec.yaml"
check "still nothing after --no-cache" 1 "$IMGSPEC" explain "$WORK/p/spec.yaml"

check "uri" 0 "$IMGSPEC" uri "$WORK/p/spec.yaml"
first=$(cat "$WORK/out")
check "explain, nothing changed" 0 "$IMGSPEC" explain "$WORK/p/spec.yaml"
expect_in "$WORK/out" "nothing changed" "unchanged spec says so"

# One source file edited: that file and its layer, and nothing else.
echo "a = 2" >"$WORK/p/src/pkg/a.py"
check "explain after one edit" 0 "$IMGSPEC" explain "$WORK/p/spec.yaml"
expect_in "$WORK/out" "(was ${first##*:}" "names the earlier tag"
expect_in "$WORK/out" "layers[2] source_folder: 1 changed" "names the layer and the count"
expect_in "$WORK/out" "~ src/pkg/a.py" "names the file by its path in the project"
if grep -qE 'b\.py|app\.yaml|layers\[0\]|layers\[1\]|Dockerfile:' "$WORK/out"; then
  fail "explain names more than the edited file"; sed 's/^/  | /' "$WORK/out"
else ok "nothing else is named"; fi
check "explain --json" 0 "$IMGSPEC" explain "$WORK/p/spec.yaml" --json
if python3 - "$WORK/out" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["changed"] is True, j
assert j["files"] == [{"change": "changed", "path": "src/pkg/a.py", "layer": "layers[2] source_folder"}], j["files"]
assert j["dockerfile"] == [], j["dockerfile"]
assert j["layers"] == [{"layer": "layers[2] source_folder", "added": 0, "removed": 0, "changed": 1, "files_known": True}], j["layers"]
PY
then ok "--json lists the one file"; else fail "--json"; cat "$WORK/out"; fi
check "explain asked twice answers the same" 0 "$IMGSPEC" explain "$WORK/p/spec.yaml"
expect_in "$WORK/out" "~ src/pkg/a.py" "explain does not move the comparison point"

# uri records the new tag: now a file added and one removed, and a package changed.
check "uri again" 0 "$IMGSPEC" uri "$WORK/p/spec.yaml"
second=$(cat "$WORK/out")
rm "$WORK/p/src/pkg/b.py"
echo "c = 1" >"$WORK/p/src/pkg/c.py"
sed -i 's/numpy==2.1/numpy==2.2/' "$WORK/p/spec.yaml"
check "explain after add, remove and a package change" 0 "$IMGSPEC" explain "$WORK/p/spec.yaml"
expect_in "$WORK/out" "(was ${second##*:}" "compares with the last uri"
expect_in "$WORK/out" "+ src/pkg/c.py" "added file"
expect_in "$WORK/out" "- src/pkg/b.py" "removed file"
expect_in "$WORK/out" "layers[2] source_folder: 1 added, 1 removed" "counts per layer"
if grep -qE '^  - .*numpy==2\.1$' "$WORK/out" && grep -qE '^  \+ .*numpy==2\.2$' "$WORK/out"; then
  ok "the Dockerfile line, old then new"; else fail "the Dockerfile lines"; sed 's/^/  | /' "$WORK/out"; fi
if [ "$(grep -c '^  [-+] ' "$WORK/out")" = 4 ]; then ok "two Dockerfile lines and two files, nothing else"; else
  fail "more lines than the change"; sed 's/^/  | /' "$WORK/out"; fi

# --against a URI whose tag was computed here (the first one), and one that was not.
check "explain --against the first uri" 0 "$IMGSPEC" explain "$WORK/p/spec.yaml" --against "$first"
expect_in "$WORK/out" "(was ${first##*:}" "compares with that tag"
expect_in "$WORK/out" "~ src/pkg/a.py" "the edit since the first tag shows too"
# A tag not computed here is read from the image's annotation (tests/e2e/attest_test.sh); a registry
# that does not answer is exit 5.
check "explain --against an unknown tag, registry down: exit 5" 5 "$IMGSPEC" explain "$WORK/p/spec.yaml" --against 127.0.0.1:9/x:0123456789abcdef0123456789abcdef
expect_in "$WORK/err" "127.0.0.1:9/x" "names the image it could not read"

# Platforms.
sed -i 's/^name: explain$/name: explain\nplatform: [linux\/amd64, linux\/arm64]/' "$WORK/p/spec.yaml"
check "explain after adding a platform" 0 "$IMGSPEC" explain "$WORK/p/spec.yaml"
expect_in "$WORK/out" "platforms: linux/amd64 -> linux/amd64, linux/arm64" "platforms before and after"

# A damaged record is as good as none: exit 1, no crash.
for f in "$WORK"/cache/imgspec/tags/*; do printf '{"version": 1, "tag": ' >"$f"; done
check "damaged records: exit 1" 1 "$IMGSPEC" explain "$WORK/p/spec.yaml"
check "explain of stdin is a usage error" 2 "$IMGSPEC" explain -
# Nothing was written into the project.
if [ "$(find "$WORK/p" -newer "$WORK/set-up" -type f | grep -v -e spec.yaml -e '\.py$')" = "" ]; then
  ok "nothing written into the project"; else fail "explain wrote into the project"; fi
finish
