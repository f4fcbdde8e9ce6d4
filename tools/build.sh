#!/usr/bin/env bash
# Installs the Debian packages Polis needs and builds it into build/ (or $POLIS_BUILD_DIR).
# Warnings are errors when CI=true. ccache is shared across clones of the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
build=${POLIS_BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = true ] && werror=ON
# Different clones (CI's fresh one included) share cache hits.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOLIS_WERROR="$werror" \
  -DPOLIS_BUILD_BENCH="${POLIS_BUILD_BENCH:-ON}" >/dev/null
cmake --build "$build" -j"$(nproc)"
