#!/usr/bin/env bash
# Installs the packages needed to build and test imgspec (Debian 12). Idempotent.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git
      libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libarchive-dev
      libgtest-dev libgmock-dev libssl-dev nlohmann-json3-dev libre2-dev libcurl4-openssl-dev
      clang clang-format-14 clang-tidy-14 libclang-rt-14-dev python3 python3-jsonschema python3-yaml hyperfine time
      python3-poetry)  # poetry: locks the real-projects e2e fixtures (tests/e2e/real_projects_test.sh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
