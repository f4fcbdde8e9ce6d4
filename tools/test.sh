#!/usr/bin/env bash
# The README's second command: install, build, run every test (unit, code
# generator, integration with real processes), then everything once more
# against an AddressSanitizer + UBSan build — the unit tests and the
# integration tests with sanitized role binaries — and a short run of each
# fuzz target. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
build=${POLIS_BUILD_DIR:-build}
(cd "$build" && ctest --output-on-failure --timeout 300 -j2)

# Use-after-free in callbacks, coroutines and exit paths often passes
# silently in a normal build; the sanitizer pass makes it fail loudly. Every
# report (from a test binary or from a node the launcher started) goes to a
# file under $reports, and any file there fails the run.
asan=${build}-asan
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$asan" -DCMAKE_BUILD_TYPE=Debug -DPOLIS_SANITIZE=address,undefined -DPOLIS_BUILD_BENCH=OFF >/dev/null
cmake --build "$asan" -j"$(nproc)"
reports=$(mktemp -d /tmp/polis-sanitizer.XXXXXX)
export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
status=0
(cd "$asan" && ctest --output-on-failure --timeout 300 -j2 -E '^codegen|_NOT_BUILT$') || status=$?
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitizer reports:" >&2
  for f in "$reports"/*; do echo "=== $f" >&2; cat "$f" >&2; done
  status=1
fi
rm -rf "$reports"
[ "$status" -eq 0 ] || exit "$status"

bash tools/fuzz.sh
