#!/usr/bin/env bash
# The README's second command: install, build, run every test (unit, code
# generator, integration with real processes). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
cd "${POLIS_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 300 -j2
