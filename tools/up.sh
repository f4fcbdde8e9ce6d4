#!/usr/bin/env bash
# The README's first command: install, build, and start a local cluster
# (Redis, MariaDB and one node of every role) from deploy/local/dev.yaml.
# Stop it with: tools/polis-cluster down
set -euo pipefail
cd "$(dirname "$0")/.."
POLIS_BUILD_BENCH=OFF bash tools/build.sh
exec /usr/bin/python3 tools/polis-cluster up -t "${1:-deploy/local/dev.yaml}"
