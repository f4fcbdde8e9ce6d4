#!/usr/bin/env bash
# Installs everything Polis needs to build, run and test, from Debian 12 packages.
# Idempotent: packages already present are skipped by apt. Works as root or through sudo.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ccache git ca-certificates curl procps iproute2 util-linux
  # clang and its libFuzzer runtime for the fuzz targets (tools/fuzz.sh)
  clang libclang-rt-14-dev
  # libraries
  libevent-dev protobuf-compiler libprotobuf-dev libprotoc-dev libhiredis-dev libmysqlcppconn-dev
  liblua5.4-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev nlohmann-json3-dev libsodium-dev
  # servers the local cluster starts as ordinary processes
  redis-server mariadb-server mariadb-client
  # the launcher and the integration tests
  python3 python3-yaml python3-pytest
)

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
export DEBIAN_FRONTEND=noninteractive
sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update
# --no-install-recommends keeps a fresh machine small; servers must not auto-start here
# (policy-rc.d is honoured by invoke-rc.d; there is no systemd in a container anyway).
sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"
