#!/usr/bin/env bash
# scripts/engine.sh — install and run a real container build engine for imgspec's end-to-end tests.
#
#   scripts/engine.sh [up]     install what is missing, start everything, push the local base images
#   scripts/engine.sh status   print what runs
#   scripts/engine.sh verify   functional check: arm64 via QEMU, multi-platform build on each builder
#   scripts/engine.sh down     stop the daemons this script started (by their pid files)
#
# The stack (Debian 12, root, no systemd):
#   containerd + dockerd 26.1 (containerd image store) + buildx plugin, QEMU binfmt for linux/arm64,
#   a plain registry on 127.0.0.1:5000 and an htpasswd-protected one on 127.0.0.1:5001,
#   base images 127.0.0.1:5000/{busybox:latest, debian-python:bookworm, python:3.1x-slim-bookworm}
#   (and 127.0.0.1:5001/busybox:latest behind the login),
#   buildx builders "default" and "imgspec-alt" (both the docker driver).
# Nothing outside Debian's package mirror is reachable here (no Docker Hub), hence the local images.
# Idempotent: every step checks first and does nothing when its work is already done, so a rerun on
# a running stack takes about a second.
set -euo pipefail

# ---------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------
STATE=/var/lib/imgspec-engine          # everything of ours that persists: apt copies, caches, registries
LOGS=/var/log/imgspec-engine           # one log per daemon
PIDS=$STATE/run                        # pid files of the daemons this script started
REG=127.0.0.1:5000                     # plain registry (127.0.0.0/8 is insecure-allowed by dockerd)
REG_AUTH=127.0.0.1:5001                # registry with htpasswd auth, for tests of registry login
AUTH_USER=imgspec
AUTH_PASS=imgspec-test-pw
HTPASSWD=$STATE/registry-auth.htpasswd
CONTAINERD_SOCK=/run/containerd/containerd.sock
DOCKER_SOCK=/var/run/docker.sock
ALT_BUILDER=imgspec-alt
SOURCES=/etc/apt/sources.list.d/debian.sources   # the machine's own apt sources (deb822), read only
PYTHON_IMAGE=$REG/debian-python:bookworm
PYTHON_ALIASES=("$REG/python:3.12-slim-bookworm" "$REG/python:3.11-slim-bookworm")
BUSYBOX_IMAGE=$REG/busybox:latest

# root's PATH in CI may lack the sbin folders where dockerd and update-binfmts live.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

log() { echo "engine: $*" >&2; }
die() { echo "engine: ERROR: $*" >&2; exit 1; }

# Set when this run changed something, so that `up` runs the functional check only then
# (keeps a warm `up` fast).
CHANGED=0

# ---------------------------------------------------------------------------------------------------
# apt helpers
# ---------------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_update_once() {
  ((APT_UPDATED)) && return 0
  log "apt-get update"
  apt-get update -qq >/dev/null
  APT_UPDATED=1
}

# Prints the packages of "$@" that are not installed.
missing_pkgs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# Package postinst scripts must not start daemons of their own (the docker-registry package would
# start one on :5000 with Debian's config): a policy-rc.d that says 101 forbids it. The machine may
# already have one; we only add one for the duration of the install and remove only ours.
apt_install() {
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  # Output goes to a log (debconf chatter); its tail is shown when the install fails.
  local rc=0
  mkdir -p "$LOGS"
  apt-get install -y -qq --no-install-recommends "$@" >>"$LOGS/apt.log" 2>&1 || rc=$?
  ((own_policy)) && rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || tail -n 30 "$LOGS/apt.log" >&2
  return $rc
}

# shellcheck disable=SC1091
os_codename() { (. /etc/os-release && echo "${VERSION_CODENAME:?}"); }

# Prints the deb822 stanza(s) of the machine's sources that carry the release's main suite (e.g.
# "bookworm", not "bookworm-updates"/"bookworm-security"), with that suite replaced by $1 and the
# other suites dropped. No host name is written anywhere by us: it comes from the machine's file.
main_suite_sources() {
  local target=$1 codename
  codename=$(os_codename)
  [ -r "$SOURCES" ] || die "$SOURCES not found (this script expects Debian's deb822 sources)"
  awk -v main="$codename" -v target="$target" '
    function flush() {
      if (keep && n) { for (i = 1; i <= n; i++) print buf[i]; print "" }
      n = 0; keep = 0
    }
    /^[[:space:]]*$/ { flush(); next }
    {
      line = $0
      if (line ~ /^Suites:/) {
        m = split(substr(line, 8), s, /[[:space:]]+/)
        for (j = 1; j <= m; j++) if (s[j] == main) keep = 1
        line = "Suites: " target
      }
      buf[++n] = line
    }
    END { flush() }
  ' "$SOURCES"
}

# The first mirror URI of the main suite (for debootstrap), read from the machine's sources.
main_mirror() {
  main_suite_sources "$(os_codename)" | awk '/^URIs:/ { print $2; exit }'
}

# Options that point apt at a private sources file, lists folder and cache, so that the machine's
# own apt state (sources, lists, pkgcache) is left exactly as it was. Downloads go to our folders, which
# the _apt sandbox user cannot write, hence the sandbox user root.
private_apt_opts() {
  local dir=$1
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  echo "-o Dir::Etc::SourceList=$dir/sources.sources -o Dir::Etc::SourceParts=/dev/null" \
       "-o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache" \
       "-o APT::Sandbox::User=root"
}

# ---------------------------------------------------------------------------------------------------
# Step 1: packages from the machine's Debian release
# ---------------------------------------------------------------------------------------------------
BASE_PKGS=(containerd runc tini iptables qemu-user-static binfmt-support docker-registry debootstrap
           apache2-utils curl jq ca-certificates)
install_base() {
  local missing
  missing=$(missing_pkgs "${BASE_PKGS[@]}")
  [ -z "$missing" ] && return 0
  log "installing from Debian: $(tr "\n" " " <<<"$missing")"
  apt_update_once
  # shellcheck disable=SC2086
  apt_install $missing
  CHANGED=1
}

# ---------------------------------------------------------------------------------------------------
# Step 2: docker.io (26.1) and docker-buildx from the next release (trixie)
# Debian 12's docker.io is 20.10 (too old for multi-platform builds with the docker driver) and it has
# no buildx; trixie's .debs install fine with Debian 12's dependencies.
# ---------------------------------------------------------------------------------------------------
docker_ok() {
  command -v dockerd >/dev/null || return 1
  local v
  v=$(dockerd --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
  [ -n "$v" ] && [ "$v" -ge 25 ] || return 1
  docker buildx version >/dev/null 2>&1
}

install_docker() {
  docker_ok && return 0
  if [ "$(os_codename)" != bookworm ]; then
    # A newer release has recent enough packages in its own sources.
    log "installing docker.io docker-buildx"
    apt_update_once
    apt_install docker.io docker-buildx
    CHANGED=1
    docker_ok || die "docker buildx still does not work after installing docker.io/docker-buildx"
    return 0
  fi
  local dir=$STATE/apt/trixie debs
  debs=$STATE/cache/debs
  mkdir -p "$dir" "$debs"
  main_suite_sources trixie >"$dir/sources.sources"
  [ -s "$dir/sources.sources" ] || die "no main-suite stanza found in $SOURCES"
  local opts
  opts=$(private_apt_opts "$dir")
  if ! ls "$debs"/docker.io_*.deb "$debs"/docker-buildx_*.deb >/dev/null 2>&1; then
    log "fetching docker.io and docker-buildx from trixie (private apt lists, machine sources untouched)"
    # shellcheck disable=SC2086
    apt-get $opts update -qq >/dev/null
    # shellcheck disable=SC2086
    (cd "$debs" && apt-get $opts download docker.io docker-buildx >/dev/null)
  fi
  log "installing $(cd "$debs" && echo docker.io_*.deb docker-buildx_*.deb)"
  apt_update_once   # their dependencies come from the normal (bookworm) sources
  apt_install "$debs"/docker.io_*.deb "$debs"/docker-buildx_*.deb
  CHANGED=1
  docker_ok || die "docker buildx does not work after installing docker.io/docker-buildx"
}

# ---------------------------------------------------------------------------------------------------
# Step 3: daemon.json — the containerd image store is what lets the docker driver build (and --load)
# multi-platform images. An existing file is kept and only this key is set.
# ---------------------------------------------------------------------------------------------------
DAEMON_JSON=/etc/docker/daemon.json
configure_docker() {
  mkdir -p /etc/docker
  if [ -s "$DAEMON_JSON" ]; then
    if [ "$(jq -r '.features["containerd-snapshotter"] // false' "$DAEMON_JSON")" = true ]; then
      return 0
    fi
    log "enabling containerd-snapshotter in existing $DAEMON_JSON"
    jq '.features["containerd-snapshotter"] = true' "$DAEMON_JSON" >"$DAEMON_JSON.tmp"
    mv "$DAEMON_JSON.tmp" "$DAEMON_JSON"
  else
    log "writing $DAEMON_JSON"
    echo '{"features": {"containerd-snapshotter": true}}' | jq . >"$DAEMON_JSON"
  fi
  CHANGED=1
  # A running dockerd only reads features at start: restart the one we started.
  if docker_up; then
    if pid_alive dockerd dockerd; then
      log "restarting dockerd to apply $DAEMON_JSON"
      stop_pidfile dockerd
    else
      log "WARNING: a dockerd not started by this script runs; restart it to apply $DAEMON_JSON"
    fi
  fi
}

# ---------------------------------------------------------------------------------------------------
# Step 4: daemons (no systemd here: setsid + pid files + logs)
# ---------------------------------------------------------------------------------------------------
# proc_running PID PATTERN -> PID is a live (not zombie) process whose command line matches PATTERN.
# Our daemons are reparented to init, which reaps them only after a while: a zombie counts as gone.
proc_running() {
  local state
  state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] &&
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

pid_alive() {   # pid_alive NAME PATTERN -> the pid in our pid file NAME.pid is a running PATTERN
  local f=$PIDS/$1.pid
  [ -s "$f" ] && proc_running "$(cat "$f")" "$2"
}

# start_bg NAME CMD... : run CMD detached from this shell (own session; no inherited fds, not even
# the lock, which would otherwise stay held by the daemon) with its output in $LOGS/NAME.log and
# its pid in $PIDS/NAME.pid.
start_bg() {
  local name=$1; shift
  mkdir -p "$LOGS" "$PIDS"
  echo "=== $(date -Is) starting: $*" >>"$LOGS/$name.log"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 9>&- &   # 9: our lock, not theirs
  echo $! >"$PIDS/$name.pid"
}

# wait_for WHAT SECONDS LOG CMD... : poll CMD until it succeeds; on timeout show the log tail and fail.
wait_for() {
  local what=$1 secs=$2 logf=$3; shift 3
  local i
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "engine: --- last lines of $logf ---" >&2
  tail -n 40 "$logf" >&2 || true
  die "$what did not come up within ${secs}s"
}

# ctr would retry a dead socket for 10 s: bound it.
containerd_up() {
  [ -S "$CONTAINERD_SOCK" ] && ctr --address "$CONTAINERD_SOCK" --connect-timeout 1s version >/dev/null 2>&1
}
docker_up() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_containerd() {
  containerd_up && return 0
  log "starting containerd (log $LOGS/containerd.log)"
  start_bg containerd containerd
  wait_for containerd 30 "$LOGS/containerd.log" containerd_up
  CHANGED=1
}

start_dockerd() {
  docker_up && return 0
  log "starting dockerd (log $LOGS/dockerd.log)"
  start_bg dockerd dockerd --containerd="$CONTAINERD_SOCK" --host="unix://$DOCKER_SOCK"
  wait_for dockerd 60 "$LOGS/dockerd.log" docker_up
  CHANGED=1
  local drv
  drv=$(docker info --format '{{.Driver}}' 2>/dev/null || true)
  log "dockerd $(docker version --format '{{.Server.Version}}') up, storage driver $drv"
}

# ---------------------------------------------------------------------------------------------------
# Step 5: QEMU binfmt, so that linux/arm64 RUN steps and containers run on this x86-64 machine
# ---------------------------------------------------------------------------------------------------
BINFMT=/proc/sys/fs/binfmt_misc
setup_binfmt() {
  if [ -r "$BINFMT/qemu-aarch64" ] && grep -q '^enabled' "$BINFMT/qemu-aarch64"; then
    return 0
  fi
  mountpoint -q "$BINFMT" || { log "mounting binfmt_misc"; mount -t binfmt_misc binfmt_misc "$BINFMT"; }
  log "registering QEMU binfmt handlers"
  # Only QEMU's formats (a bare `update-binfmts --enable` would also register jar/python handlers).
  # qemu-user-static registers with the F flag, so the handler also works inside containers.
  local f
  for f in /usr/share/binfmts/qemu-*; do
    update-binfmts --enable "${f##*/}" >/dev/null 2>&1 || true   # "already enabled" is fine
  done
  grep -q '^enabled' "$BINFMT/qemu-aarch64" 2>/dev/null || die "qemu-aarch64 binfmt handler is not enabled"
  CHANGED=1
}

# ---------------------------------------------------------------------------------------------------
# Step 6: registries (Debian's docker-registry 2.8 with configs of our own)
# ---------------------------------------------------------------------------------------------------
http_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true; }

write_registry_config() {   # write_registry_config FILE ADDR STORAGE [HTPASSWD]
  local file=$1 addr=$2 storage=$3 auth=${4:-}
  mkdir -p "$storage"
  {
    echo "version: 0.1"
    echo "log:"
    echo "  level: warn"
    echo "  accesslog:"
    echo "    disabled: true"
    echo "storage:"
    echo "  filesystem:"
    echo "    rootdirectory: $storage"
    echo "  delete:"
    echo "    enabled: true"
    echo "http:"
    echo "  addr: $addr"
    echo "  secret: imgspec-local-only"
    if [ -n "$auth" ]; then
      echo "auth:"
      echo "  htpasswd:"
      echo "    realm: imgspec-test-registry"
      echo "    path: $auth"
    fi
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}

# start_registry NAME ADDR STORAGE EXPECTED_HTTP_CODE [HTPASSWD]
start_registry() {
  local name=$1 addr=$2 storage=$3 want=$4 auth=${5:-}
  local code
  code=$(http_code "http://$addr/v2/")
  [ "$code" = "$want" ] && return 0
  [ "$code" = 000 ] || die "something else answers on $addr (HTTP $code); stop it first"
  local cfg=$STATE/$name.yml
  write_registry_config "$cfg" "$addr" "$storage" "$auth"
  log "starting registry on $addr (log $LOGS/$name.log)"
  start_bg "$name" docker-registry serve "$cfg"
  wait_for "registry $addr" 30 "$LOGS/$name.log" registry_answers "$addr" "$want"
  CHANGED=1
}

registry_answers() { [ "$(http_code "http://$1/v2/")" = "$2" ]; }

start_registries() {
  if [ ! -s "$HTPASSWD" ] || ! htpasswd -vb "$HTPASSWD" "$AUTH_USER" "$AUTH_PASS" >/dev/null 2>&1; then
    # docker-registry only accepts bcrypt entries (-B).
    mkdir -p "$STATE"
    htpasswd -Bbn "$AUTH_USER" "$AUTH_PASS" >"$HTPASSWD"
  fi
  start_registry registry "$REG" "$STATE/registry" 200
  start_registry registry-auth "$REG_AUTH" "$STATE/registry-auth" 401 "$HTPASSWD"
}

# ---------------------------------------------------------------------------------------------------
# Step 7: local base images in 127.0.0.1:5000 (no Docker Hub here)
# ---------------------------------------------------------------------------------------------------
# Prints the platforms of a remote image ("linux/amd64 linux/arm64"), empty when it is missing.
remote_platforms() {
  local m
  m=$(docker buildx imagetools inspect --format '{{json .Manifest}}' "$1" 2>/dev/null) || return 0
  if jq -e '.manifests' >/dev/null 2>&1 <<<"$m"; then
    jq -r '[.manifests[].platform | select(. != null) | "\(.os)/\(.architecture)"] | join(" ")' <<<"$m"
  else   # a single-platform manifest: the platform is in the image config
    docker buildx imagetools inspect --format '{{json .Image}}' "$1" 2>/dev/null |
      jq -r '"\(.os)/\(.architecture)"'
  fi
}

remote_exists() { docker buildx imagetools inspect "$1" >/dev/null 2>&1; }

# Multi-arch busybox: Debian's static busybox binaries for amd64 and arm64, FROM scratch.
build_busybox() {
  local plats
  plats=$(remote_platforms "$BUSYBOX_IMAGE")
  if [[ $plats == *linux/amd64* && $plats == *linux/arm64* ]]; then
    return 0
  fi
  local dir=$STATE/build/busybox
  mkdir -p "$dir"
  if [ ! -x "$dir/busybox-amd64" ] || [ ! -x "$dir/busybox-arm64" ]; then
    # arm64 packages via a private apt config listing both architectures, instead of
    # `dpkg --add-architecture arm64`: the machine's dpkg/apt setup stays as it was.
    local adir=$STATE/apt/multiarch opts
    mkdir -p "$adir"
    main_suite_sources "$(os_codename)" >"$adir/sources.sources"
    opts="$(private_apt_opts "$adir") -o APT::Architectures::=amd64 -o APT::Architectures::=arm64"
    log "fetching busybox-static for amd64 and arm64"
    # shellcheck disable=SC2086
    apt-get $opts update -qq >/dev/null
    rm -f "$dir"/*.deb
    # shellcheck disable=SC2086
    (cd "$dir" && apt-get $opts download busybox-static:amd64 busybox-static:arm64 >/dev/null)
    local arch deb
    for arch in amd64 arm64; do
      deb=$(ls "$dir"/busybox-static_*_"$arch".deb)
      rm -rf "$dir/x-$arch"
      dpkg -x "$deb" "$dir/x-$arch"
      install -m 0755 "$dir/x-$arch/bin/busybox" "$dir/busybox-$arch"
      rm -rf "$dir/x-$arch" "$deb"
    done
  fi
  # /tmp, /usr/bin/env (for shebangs) and a minimal passwd/group make it usable as a test base.
  cat >"$dir/Dockerfile" <<'EOF'
FROM scratch
ARG TARGETARCH
COPY busybox-${TARGETARCH} /bin/busybox
RUN ["/bin/busybox","--install","-s","/bin"]
RUN ["/bin/busybox","sh","-c","mkdir -p /tmp /root /etc /usr/bin /var && chmod 1777 /tmp && ln -s /bin/env /usr/bin/env && printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\\n' >/etc/passwd && printf 'root:x:0:\\nnogroup:x:65534:\\n' >/etc/group"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
EOF
  log "building and pushing $BUSYBOX_IMAGE (linux/amd64,linux/arm64)"
  docker buildx build --builder default --platform linux/amd64,linux/arm64 --provenance=false \
    --tag "$BUSYBOX_IMAGE" --push --quiet "$dir" >/dev/null
  CHANGED=1
}

# The auth registry gets a copy of busybox, so that tests can pull a base image that needs a login
# (FROM 127.0.0.1:5001/busybox:latest). The login goes to a throwaway DOCKER_CONFIG: the user's
# ~/.docker/config.json never holds these credentials.
seed_auth_registry() {
  local ref=$REG_AUTH/busybox:latest code
  code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' -u "$AUTH_USER:$AUTH_PASS" \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    "http://$REG_AUTH/v2/busybox/manifests/latest" || true)
  [ "$code" = 200 ] && return 0
  log "copying $BUSYBOX_IMAGE to $ref (auth registry, user $AUTH_USER)"
  local cfg rc=0
  cfg=$(mktemp -d)
  {
    DOCKER_CONFIG=$cfg docker login -u "$AUTH_USER" --password-stdin "$REG_AUTH" <<<"$AUTH_PASS" &&
      DOCKER_CONFIG=$cfg docker buildx imagetools create --tag "$ref" "$BUSYBOX_IMAGE"
  } >/dev/null 2>"$cfg/err" || rc=$?
  ((rc == 0)) || { cat "$cfg/err" >&2; rm -rf "$cfg"; die "could not copy busybox to $ref"; }
  rm -rf "$cfg"
  CHANGED=1
}

# Debian 12 with python3 (amd64), made by debootstrap from the machine's own mirror. The rootfs tar
# is cached, so after the registry storage is wiped a rerun only imports and pushes.
build_debian_python() {
  local need=0 ref
  for ref in "$PYTHON_IMAGE" "${PYTHON_ALIASES[@]}"; do
    remote_exists "$ref" || need=1
  done
  ((need)) || return 0
  if ! docker image inspect "$PYTHON_IMAGE" >/dev/null 2>&1; then
    local tarball=$STATE/cache/debian-python-bookworm-amd64.tar
    if [ ! -s "$tarball" ]; then
      local mirror rootfs=$STATE/build/rootfs-bookworm
      mirror=$(main_mirror)
      [ -n "$mirror" ] || die "could not read the Debian mirror from $SOURCES"
      log "debootstrap bookworm (minbase + python3) from the machine's mirror; takes about a minute"
      rm -rf "$rootfs"
      mkdir -p "$(dirname "$rootfs")" "$STATE/cache"
      debootstrap --variant=minbase --arch=amd64 \
        --include=python3,python3-venv,python3-pip,ca-certificates \
        bookworm "$rootfs" "$mirror" >"$LOGS/debootstrap.log" 2>&1 ||
        { tail -n 30 "$LOGS/debootstrap.log" >&2; die "debootstrap failed"; }
      chroot "$rootfs" apt-get clean
      rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
      tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
      mv "$tarball.tmp" "$tarball"
      rm -rf "$rootfs"
    fi
    log "importing $PYTHON_IMAGE"
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'CMD ["python3"]' \
      "$tarball" "$PYTHON_IMAGE" >/dev/null
  fi
  for ref in "$PYTHON_IMAGE" "${PYTHON_ALIASES[@]}"; do
    [ "$ref" = "$PYTHON_IMAGE" ] || docker tag "$PYTHON_IMAGE" "$ref"
    log "pushing $ref"
    docker push --quiet "$ref" >/dev/null
  done
  CHANGED=1
}

# ---------------------------------------------------------------------------------------------------
# Step 8: builders. "default" is the docker driver on the default context.
# A `docker buildx create --driver docker-container` builder would need the moby/buildkit image from
# Docker Hub (unreachable; Debian has no buildkitd package either), and `buildx create` refuses
# further docker-driver instances. So the second builder is the docker driver on a second docker
# context: buildx lists every context as a builder of that name by itself. buildx only uses a
# context's builder while that context is selected, so it is used as
#   docker --context imgspec-alt buildx build --builder imgspec-alt ...
# (or DOCKER_CONTEXT=imgspec-alt); plain `docker buildx build --builder imgspec-alt` from the
# default context fails with "use `docker --context=imgspec-alt buildx` to switch to context".
# ---------------------------------------------------------------------------------------------------
setup_builders() {
  if ! docker context inspect "$ALT_BUILDER" >/dev/null 2>&1; then
    log "creating docker context and builder $ALT_BUILDER"
    local out
    out=$(docker context create "$ALT_BUILDER" --description "imgspec second builder (docker driver)" \
      --docker "host=unix://$DOCKER_SOCK" 2>&1) || die "docker context create failed: $out"
    CHANGED=1
  fi
}

# ---------------------------------------------------------------------------------------------------
# Functional check (run by `up` when it changed something, and by `verify`)
# ---------------------------------------------------------------------------------------------------
verify() {
  local out err
  # Only the container's stdout is compared: when the image is not in the engine's store yet,
  # `docker run` reports its pull on stderr ("Unable to find image ... locally").
  err=$(mktemp)
  out=$(docker run --rm --platform linux/arm64 "$BUSYBOX_IMAGE" uname -m 2>"$err") || true
  [ "$out" = aarch64 ] ||
    { cat "$err" >&2; rm -f "$err"; die "arm64 container under QEMU printed '$out', expected aarch64"; }
  rm -f "$err"
  log "ok: linux/arm64 container runs under QEMU (uname -m = aarch64)"
  local b ctx
  ctx=$(mktemp -d)
  # shellcheck disable=SC2016  # $TARGETARCH and $(uname -m) are for the RUN step
  printf 'FROM %s\nARG TARGETARCH\nRUN echo "$TARGETARCH $(uname -m)" >/arch\n' "$BUSYBOX_IMAGE" >"$ctx/Dockerfile"
  # Each builder's name is also its context's name (see Step 8).
  for b in default "$ALT_BUILDER"; do
    rm -rf "$ctx/out"
    docker --context "$b" buildx build --builder "$b" \
      --platform linux/amd64,linux/arm64 --provenance=false \
      --quiet --output type=local,dest="$ctx/out" "$ctx" >/dev/null 2>"$ctx/err" ||
      { cat "$ctx/err" >&2; rm -rf "$ctx"; die "multi-platform build with builder $b failed"; }
    out="$(cat "$ctx/out/linux_amd64/arch" "$ctx/out/linux_arm64/arch" 2>/dev/null | tr '\n' ' ')"
    [ "$out" = "amd64 x86_64 arm64 aarch64 " ] ||
      { rm -rf "$ctx"; die "builder $b: RUN steps saw '$out'"; }
    log "ok: multi-platform build with builder $b (RUN on amd64 and arm64)"
  done
  rm -rf "$ctx"
}

# ---------------------------------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------------------------------
# One `up`/`down` at a time (a developer and a test run may both call `up`).
lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  flock 9
}

cmd_up() {
  [ "$(id -u)" = 0 ] || die "run as root"
  local t0=$SECONDS
  mkdir -p "$STATE" "$LOGS" "$PIDS"
  lock
  install_base
  install_docker
  configure_docker
  start_containerd
  start_dockerd
  setup_binfmt
  start_registries
  build_busybox
  seed_auth_registry
  build_debian_python
  setup_builders
  if ((CHANGED)); then verify; fi
  log "up ($((SECONDS - t0)) s): registries $REG and $REG_AUTH, builders default and $ALT_BUILDER"
}

show() { printf '  %-42s %s\n' "$1" "$2"; }

cmd_status() {
  local s
  echo "imgspec engine:"
  containerd_up && s="running" || s="not running"
  pid_alive containerd containerd && s="$s (pid $(cat "$PIDS/containerd.pid"), ours)"
  show containerd "$s"
  if docker_up; then
    s="running, $(docker version --format 'server {{.Server.Version}}, client {{.Client.Version}}')"
    s="$s, storage driver $(docker info --format '{{.Driver}}' 2>/dev/null)"
  else
    s="not running"
  fi
  pid_alive dockerd dockerd && s="$s (pid $(cat "$PIDS/dockerd.pid"), ours)"
  show dockerd "$s"
  show buildx "$(docker buildx version 2>/dev/null || echo missing)"
  if [ -r "$BINFMT/qemu-aarch64" ]; then s=$(head -n1 "$BINFMT/qemu-aarch64"); else s="not registered"; fi
  show "binfmt qemu-aarch64" "$s"
  show "registry $REG" "HTTP $(http_code "http://$REG/v2/")"
  show "registry $REG_AUTH" "HTTP $(http_code "http://$REG_AUTH/v2/") without credentials (user $AUTH_USER)"
  local ref
  for ref in "$BUSYBOX_IMAGE" "$PYTHON_IMAGE" "${PYTHON_ALIASES[@]}"; do
    if remote_exists "$ref"; then s="present $(remote_platforms "$ref")"; else s="missing"; fi
    show "$ref" "$s"
  done
  s=$(curl -s -o /dev/null -m 3 -w "%{http_code}" -u "$AUTH_USER:$AUTH_PASS" \
    -H "Accept: application/vnd.docker.distribution.manifest.list.v2+json" \
    "http://$REG_AUTH/v2/busybox/manifests/latest" || true)
  show "$REG_AUTH/busybox:latest" "$([ "$s" = 200 ] && echo present || echo "missing (HTTP $s)")"
  if docker_up; then
    echo "builders:"
    docker buildx ls 2>/dev/null | awk '{ print "  " $0 }'
  fi
}

# stop_pidfile NAME : stop a daemon we started (SIGTERM, then SIGKILL after 30 s).
stop_pidfile() {
  local name=$1 pattern=${2:-$1} f=$PIDS/$1.pid pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if proc_running "$pid" "$pattern"; then
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
      proc_running "$pid" "$pattern" || break
      sleep 0.1
    done
    if proc_running "$pid" "$pattern"; then
      log "$name did not stop in 30 s; killing it"
      kill -9 "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$f"
}

cmd_down() {
  lock
  stop_pidfile registry-auth docker-registry
  stop_pidfile registry docker-registry
  stop_pidfile dockerd dockerd
  stop_pidfile containerd containerd
  log "down (only daemons started by this script were stopped)"
}

case "${1:-up}" in
  up) cmd_up ;;
  status) cmd_status ;;
  verify) verify ;;
  down) cmd_down ;;
  -h|--help|help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown subcommand '$1' (use up, status, verify or down)" ;;
esac
