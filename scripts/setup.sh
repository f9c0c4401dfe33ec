#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages cproc needs that are missing.
# Safe to run again: it installs nothing when everything is present.
set -euo pipefail

packages=(
  build-essential pkg-config meson ninja-build re2c clang libclang-rt-14-dev
  libuv1-dev libprotobuf-c-dev protobuf-c-compiler node-llhttp libssl-dev
  libcmocka-dev protobuf-compiler libprotobuf-dev python3-protobuf openssl cmake libprotoc-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
