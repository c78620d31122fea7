#!/usr/bin/env bash
# Installs the Debian 12 packages Xinyipi builds and tests with, only those that are missing.
# Usage: scripts/install-deps.sh [--browser] [--promtool]
#   --browser   Chromium and Node for the dashboard test (Node and npm also run the schema check)
#   --promtool  Debian's prometheus package, for promtool (the alert rules' check): about 19 MB to
#               download, 96 MB installed, half a minute. Where systemd runs, the package also
#               enables a prometheus service on :9090; `systemctl disable --now prometheus` if
#               this machine should not run one.
set -euo pipefail

browser=false
promtool=false
for arg in "$@"; do
  case "$arg" in
    --browser) browser=true ;;
    --promtool) promtool=true ;;
    *) echo "usage: scripts/install-deps.sh [--browser] [--promtool]" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  libboost1.81-dev libhiredis-dev nlohmann-json3-dev libsimdjson-dev catch2
  libspdlog-dev libfmt-dev libcli11-dev zlib1g-dev libicu-dev libjemalloc-dev
  redis-server redis-tools
  dpkg-dev file  # cpack -G DEB's dependency lookup (dpkg-shlibdeps, file)
)
if $browser; then
  packages+=(chromium fonts-wqy-zenhei)
  # Node may already come from elsewhere (nodesource's nodejs conflicts with Debian's npm).
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi
if $promtool; then
  command -v promtool >/dev/null || packages+=(prometheus)
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
