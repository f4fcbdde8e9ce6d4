#!/usr/bin/env bash
# Builds the libFuzzer targets under tests/fuzz with clang (ASan + UBSan) and
# runs each for a bounded time from a small seed corpus. Part of tools/test.sh;
# run alone for longer with FUZZ_SECONDS=600 bash tools/fuzz.sh.
# A crash leaves its input as build-fuzz/crash-* and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
build=${POLIS_FUZZ_BUILD_DIR:-build-fuzz}
targets=(fuzz_channel fuzz_http_parser fuzz_session_token fuzz_websocket)
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# The code generator runs during the build and is instrumented too; its exit-time leaks are not ours to fix.
export ASAN_OPTIONS=detect_leaks=0
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DPOLIS_FUZZ=ON \
  -DPOLIS_BUILD_TESTS=OFF -DPOLIS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1
/usr/bin/python3 tests/fuzz/seeds.py "$build/corpus"
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds}s"
  mkdir -p "$build/corpus/$t"
  (cd "$build" && "./tests/fuzz/$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 "corpus/$t" 2>&1 | tail -n 12)
done
