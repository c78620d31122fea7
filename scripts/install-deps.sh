#!/usr/bin/env bash
# Installs the Debian 12 packages Xinyipi builds and tests with, only those that are missing.
# Usage: scripts/install-deps.sh [--browser]   (--browser adds Chromium and Node for the dashboard test)
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  libboost1.81-dev libhiredis-dev nlohmann-json3-dev libsimdjson-dev catch2
  libspdlog-dev libfmt-dev libcli11-dev zlib1g-dev
  redis-server redis-tools
)
if [[ "${1:-}" == "--browser" ]]; then
  packages+=(chromium fonts-wqy-zenhei)
  # Node may already come from elsewhere (nodesource's nodejs conflicts with Debian's npm).
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
