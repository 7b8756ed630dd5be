#!/usr/bin/env bash
# Installs the Debian packages Foresight needs to build and test, only those missing.
# Quiet when everything is present. Usage: scripts/install-deps.sh [--bench]
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libboost-system-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev zlib1g-dev libeigen3-dev
  libcurl4-openssl-dev prometheus-node-exporter
  libprotobuf-dev protobuf-compiler libsnappy-dev
  curl python3 python3-venv python3-pip
  prometheus chromium
)
# Node.js and npm for the dashboard: the machine's own (e.g. NodeSource) if present, else Debian's.
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(python3-sklearn python3-numpy python3-pandas influxdb)
fi
if [[ "${1:-}" == "--fuzz" ]]; then
  pkgs+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
