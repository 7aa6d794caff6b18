#!/usr/bin/env bash
# The packages: `cpack` makes a .deb (dependencies computed by dpkg-shlibdeps) and a .tar.gz from
# this build tree; the .deb is installed with apt into a clean Debian 12 root (debootstrap minbase:
# the rootfs tar that scripts/engine.sh caches, else a fresh debootstrap from the machine's own
# mirror), whose apt then pulls the runtime libraries the package depends on; there imgspec runs
# --version, render, uri and validate with the same results as here, and the completions, man
# page and schema are where bash, zsh, fish and man look. Needs root and Debian's mirror; takes
# about a minute with the rootfs cache.
source "$(dirname "$0")/../cli/lib.sh"
export NO_COLOR=1
: >"$WORK/config.yaml"
export IMGSPEC_CONFIG="$WORK/config.yaml" XDG_CONFIG_HOME="$WORK/xdg"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
SOURCES=/etc/apt/sources.list.d/debian.sources
ROOTFS_CACHE=/var/lib/imgspec-engine/cache/debian-python-bookworm-amd64.tar
ROOT="$WORK/root"

if [ "$(id -u)" != 0 ]; then
  fail "needs root (chroot, mknod)"
  finish
  exit
fi
# The root's /proc is the only mount; it must be gone before lib.sh's trap removes $WORK.
cleanup() {
  if mountpoint -q "$ROOT/proc" 2>/dev/null; then umount "$ROOT/proc" || umount -l "$ROOT/proc"; fi
  if mountpoint -q "$ROOT/proc" 2>/dev/null; then
    echo "package_test: $ROOT/proc still mounted: leaving $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# --- The packages, from this build tree ----------------------------------------------------------
build=$(dirname "$IMGSPEC")
while [ "$build" != / ] && [ ! -f "$build/CPackConfig.cmake" ]; do build=$(dirname "$build"); done
if [ ! -f "$build/CPackConfig.cmake" ]; then
  fail "no CPackConfig.cmake above $IMGSPEC"
  finish
  exit
fi
if cpack --config "$build/CPackConfig.cmake" -B "$WORK/pkg" >"$WORK/cpack.log" 2>&1; then
  ok "cpack makes the packages"
else
  fail "cpack failed"; tail -20 "$WORK/cpack.log" | sed 's/^/  /'
fi
deb=$(ls "$WORK"/pkg/imgspec_*.deb 2>/dev/null | head -1)
tgz=$(ls "$WORK"/pkg/imgspec-*.tar.gz 2>/dev/null | head -1)
[ -f "$deb" ] && ok "a .deb: $(basename "$deb")" || fail "no .deb in $WORK/pkg"
[ -f "$tgz" ] && ok "a .tar.gz: $(basename "$tgz")" || fail "no .tar.gz in $WORK/pkg"
if [ ! -f "$deb" ]; then finish; exit; fi

depends=$(dpkg-deb -f "$deb" Depends)
# libarchive, libssl and libre2 are not among them when linked statically (IMGSPEC_STATIC_DEPS, the
# default when their .a files are installed).
libs="libyaml-cpp libtomlplusplus libspdlog libc6"
objdump -p "$IMGSPEC" 2>/dev/null | grep -q 'NEEDED.*libarchive' && libs="$libs libarchive"
objdump -p "$IMGSPEC" 2>/dev/null | grep -q 'NEEDED.*libcrypto' && libs="$libs libssl"
objdump -p "$IMGSPEC" 2>/dev/null | grep -q 'NEEDED.*libre2' && libs="$libs libre2"
for lib in $libs; do
  [[ $depends == *"$lib"* ]] && ok "Depends names $lib (dpkg-shlibdeps)" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -c "$deb" | awk '{print $6}' >"$WORK/deb.list"
for f in ./usr/bin/imgspec ./usr/share/bash-completion/completions/imgspec ./usr/share/zsh/site-functions/_imgspec \
  ./usr/share/fish/vendor_completions.d/imgspec.fish ./usr/share/man/man1/imgspec.1 \
  ./usr/share/imgspec/imgspec.schema.json; do
  grep -qxF "$f" "$WORK/deb.list" && ok "deb has $f" || fail "deb lacks $f"
done
mkdir -p "$WORK/tgz" && tar -xzf "$tgz" -C "$WORK/tgz"
tbin=$(find "$WORK/tgz" -path '*/bin/imgspec' | head -1)
[ -n "$tbin" ] && "$tbin" --version | grep -q "^imgspec " && ok ".tar.gz: bin/imgspec runs" || fail ".tar.gz: no runnable bin/imgspec"
[ -n "$(find "$WORK/tgz" -path '*/share/man/man1/imgspec.1')" ] && ok ".tar.gz has the man page" || fail ".tar.gz lacks the man page"

# --- A clean Debian 12 root --------------------------------------------------------------------
start=$(date +%s)
mkdir -p "$ROOT"
if [ -s "$ROOTFS_CACHE" ]; then
  tar --numeric-owner -xf "$ROOTFS_CACHE" -C "$ROOT" && ok "root from the engine's rootfs cache ($(($(date +%s) - start)) s)" ||
    fail "cannot unpack $ROOTFS_CACHE"
else
  # The machine's own mirror, read from its sources (never written down here).
  mirror=$(awk '/^URIs:/ { print $2; exit }' "$SOURCES" 2>/dev/null)
  if [ -z "$mirror" ]; then
    fail "no rootfs cache and no mirror in $SOURCES"; finish; exit
  fi
  if debootstrap --variant=minbase bookworm "$ROOT" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
    ok "root by debootstrap ($(($(date +%s) - start)) s)"
  else
    fail "debootstrap failed"; tail -20 "$WORK/debootstrap.log" | sed 's/^/  /'; finish; exit
  fi
fi
# What apt and dpkg need of a system: device nodes (no bind mount of the host's /dev, so removing
# the root can never touch it), /proc, name resolution, and the host's apt sources.
for node in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9"; do
  set -- $node
  [ -e "$ROOT/dev/$1" ] || mknod -m 666 "$ROOT/dev/$1" "$2" "$3" "$4"
done
mkdir -p "$ROOT/proc" && mount -t proc proc "$ROOT/proc"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
rm -f "$ROOT/etc/apt/sources.list"
mkdir -p "$ROOT/etc/apt/sources.list.d" && cp "$SOURCES" "$ROOT/etc/apt/sources.list.d/"
cp "$deb" "$ROOT/tmp/imgspec.deb"

in_root() { chroot "$ROOT" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive NO_COLOR=1 "$@"; }

chroot "$ROOT" dpkg -s imgspec >/dev/null 2>&1 && fail "the root already has imgspec" || ok "the root has no imgspec yet"
if in_root apt-get update -qq >"$WORK/apt.log" 2>&1 &&
   in_root apt-get install -y -qq --no-install-recommends /tmp/imgspec.deb >>"$WORK/apt.log" 2>&1; then
  ok "apt-get install ./imgspec.deb with its dependencies ($(($(date +%s) - start)) s)"
else
  fail "apt-get install of the .deb failed"; tail -20 "$WORK/apt.log" | sed 's/^/  /'; finish; exit
fi
in_root ldd /usr/bin/imgspec >"$WORK/ldd" 2>&1
grep -q "not found" "$WORK/ldd" && fail "unresolved libraries: $(grep 'not found' "$WORK/ldd")" || ok "every library resolves"

# --- imgspec in the root, against the same results here ------------------------------------------
want_version=$("$IMGSPEC" --version)
got_version=$(in_root imgspec --version 2>&1)
[ "$got_version" = "$want_version" ] && ok "imgspec --version in the root: $got_version" || fail "--version in the root: '$got_version', want '$want_version'"
cp -r "$SRC/specs" "$ROOT/tmp/specs"
: >"$ROOT/tmp/config.yaml"
REF=(--ref gpu=nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04)
in_root env IMGSPEC_CONFIG=/tmp/config.yaml imgspec render /tmp/specs/quickstart.yaml --dockerfile >"$WORK/root.Dockerfile" 2>"$WORK/err"
cmp -s "$WORK/root.Dockerfile" "$SRC/tests/data/golden/quickstart.Dockerfile" && ok "render in the root = golden Dockerfile" ||
  { fail "render in the root differs from the golden Dockerfile"; head -5 "$WORK/err"; }
for spec in quickstart trainer uv-project; do
  here=$("$IMGSPEC" "${REF[@]}" uri "$SRC/specs/$spec.yaml")
  there=$(in_root env IMGSPEC_CONFIG=/tmp/config.yaml imgspec "${REF[@]}" uri "/tmp/specs/$spec.toml" 2>&1)
  [ "$here" = "$there" ] && ok "uri of $spec in the root = here ($there)" || fail "uri of $spec: root '$there', here '$here'"
done
# specs/.dockerignore has wildcard rules, which RE2 (static or from the Depends) matches in the root.
"$IMGSPEC" render "$SRC/specs/quickstart.yaml" --context "$WORK/here.tar" >/dev/null 2>&1
in_root env IMGSPEC_CONFIG=/tmp/config.yaml imgspec render /tmp/specs/quickstart.yaml --context /tmp/context.tar >/dev/null 2>&1
cmp -s "$WORK/here.tar" "$ROOT/tmp/context.tar" && ok "render --context in the root = here (.dockerignore on RE2)" ||
  fail "render --context in the root differs from here"
(cd "$ROOT/tmp/specs" && ls ./*.yaml ./*.toml) | sed 's|^\./|/tmp/specs/|' >"$WORK/specs.list"
mapfile -t specs <"$WORK/specs.list"
in_root env IMGSPEC_CONFIG=/tmp/config.yaml imgspec "${REF[@]}" validate "${specs[@]}" >"$WORK/out" 2>&1 &&
  ok "validate every example in the root" || { fail "validate in the root"; head -5 "$WORK/out"; }
in_root imgspec schema | cmp -s - "$SRC/packaging/imgspec.schema.json" && ok "schema in the root = packaging/imgspec.schema.json" ||
  fail "schema in the root differs"
in_root cmp -s /usr/share/imgspec/imgspec.schema.json /dev/stdin <"$SRC/packaging/imgspec.schema.json" &&
  ok "installed schema file = packaging/imgspec.schema.json" || fail "installed schema file differs"
got=$(in_root bash -c 'source /usr/share/bash-completion/completions/imgspec
  COMP_WORDS=(imgspec ren); COMP_CWORD=1; _imgspec; echo "${COMPREPLY[*]}"')
[ "$got" = render ] && ok "installed bash completion works in the root" || fail "bash completion in the root: '$got'"
in_root test -s /usr/share/man/man1/imgspec.1 && ok "man page installed" || fail "no man page in the root"
echo "package test: $(($(date +%s) - start)) s in the root"
finish
