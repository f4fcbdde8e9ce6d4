#!/usr/bin/env bash
# The Lua host's echo against the built-in C++ handler, both on the same
# standalone node code (bench_lua_server --handler=cpp|lua), same load
# generator and frames as bench/run.sh; then a Lua reload every
# RELOAD_EVERY_MS under sustained load. Builds nothing: first
#   cmake --build build -j2 --target bench_lua_server bench_loadgen
# then, from the repository root:  bench/lua_run.sh [build-dir]
# Knobs: RUNS=5 WARMUP_MS=1000 DURATION_MS=3000 PIPE_CONNS=16 DEPTH=128
#   RELOAD_EVERY_MS=250 SERVER_CPU=0 LOADGEN_CPU=1 NICE=-15
set -euo pipefail

build=${1:-build}
bin="$build/bench"
RUNS=${RUNS:-5}
WARMUP_MS=${WARMUP_MS:-1000}
DURATION_MS=${DURATION_MS:-3000}
PIPE_CONNS=${PIPE_CONNS:-16}
DEPTH=${DEPTH:-128}
RELOAD_EVERY_MS=${RELOAD_EVERY_MS:-250}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
NICE=${NICE:--15}
export POLIS_CLUSTER__SECRET=${POLIS_CLUSTER__SECRET:-polis-bench-secret-not-for-production}
for b in bench_lua_server bench_loadgen; do
  [[ -x "$bin/$b" ]] || { echo "lua_run.sh: $bin/$b is missing; build it first" >&2; exit 1; }
done
pin="taskset -c"
if [[ "$NICE" != 0 ]] && nice -n "$NICE" true 2>/dev/null; then pin="nice -n $NICE taskset -c"; fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME ARGS...: a bench_lua_server; port[NAME] gets its port.
declare -A port
start() {
  local name=$1
  shift
  $pin "$SERVER_CPU" "$bin/bench_lua_server" "$@" --max-seconds=900 >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  for _ in $(seq 50); do
    if grep -q '^port=' "$tmp/$name.out" 2>/dev/null; then
      port[$name]=$(sed -n 's/^port=//p' "$tmp/$name.out")
      return
    fi
    sleep 0.1
  done
  echo "lua_run.sh: bench_lua_server $* did not start:" >&2
  cat "$tmp/$name.err" >&2
  exit 1
}

load() {  # load NAME MODE CONNS DEPTH: one loadgen run, its JSON line tagged with NAME
  timeout 60 $pin "$LOADGEN_CPU" "$bin/bench_loadgen" --server=rpc --port="${port[$1]}" --mode="$2" --conns="$3" \
    --depth="$4" --warmup-ms="$WARMUP_MS" --duration-ms="$DURATION_MS" | sed "s/\"server\":\"rpc\"/\"server\":\"$1\"/"
}

start cpp --handler=cpp
start lua --handler=lua
for c in "pingpong 100 1" "pipelined $PIPE_CONNS $DEPTH"; do
  read -r mode conns depth <<<"$c"
  for run in $(seq "$RUNS"); do
    for server in cpp lua; do
      echo "  $mode $server run $run/$RUNS" >&2
      load "$server" "$mode" "$conns" "$depth" >>"$tmp/results.jsonl"
    done
  done
done

# Reloads under load: the same Lua server without and with a reload every
# RELOAD_EVERY_MS; a failed call makes the generator exit non-zero.
start reloading --handler=lua --reload-every-ms="$RELOAD_EVERY_MS"
for run in $(seq "$RUNS"); do
  echo "  reloads run $run/$RUNS" >&2
  load lua pingpong 100 1 | sed 's/"server":"lua"/"server":"steady"/' >>"$tmp/reload.jsonl"
  load reloading pingpong 100 1 >>"$tmp/reload.jsonl"
done
kill -TERM "${pids[2]}"
wait "${pids[2]}" || true
reload_stats=$(grep '^reloads=' "$tmp/reloading.out" || echo "reloads=? longest_reload_us=?")

echo "machine: $(nproc) CPUs,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); servers on CPU $SERVER_CPU, generator on CPU $LOADGEN_CPU"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); server during the reload runs: $reload_stats"
python3 - "$tmp/results.jsonl" "$tmp/reload.jsonl" "$RELOAD_EVERY_MS" <<'PY'
import json, statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["mode"], r["conns"], r["depth"], r["server"])].append(r)
med = lambda rs, k: statistics.median(r[k] for r in rs)
print(f"median of {len(next(iter(runs.values())))} runs per cell; latency in µs")
print()
print("| case | built-in msgs/s | Lua msgs/s | Lua / built-in | target | built-in p50 / p99 | Lua p50 / p99 |")
print("|---|---:|---:|---:|---|---:|---:|")
for mode, conns, depth in dict.fromkeys((m, c, d) for (m, c, d, _) in runs):
    cpp, lua = runs[(mode, conns, depth, "cpp")], runs[(mode, conns, depth, "lua")]
    ratio = med(lua, "msgs_per_sec") / med(cpp, "msgs_per_sec")
    name = f"{mode} {conns} conns" + (f" × depth {depth}" if mode == "pipelined" else "")
    print(f"| {name} | {med(cpp, 'msgs_per_sec'):,.0f} | {med(lua, 'msgs_per_sec'):,.0f} | {ratio:.0%} "
          f"| ≥ 50%: {'met' if ratio >= 0.5 else 'MISSED'} | {med(cpp, 'p50_us'):.0f} / {med(cpp, 'p99_us'):.0f} "
          f"| {med(lua, 'p50_us'):.0f} / {med(lua, 'p99_us'):.0f} |")
print()
for mode, conns, depth in dict.fromkeys((m, c, d) for (m, c, d, _) in runs):
    for server in ("cpp", "lua"):
        values = ", ".join(f"{r['msgs_per_sec']:,.0f}" for r in runs[(mode, conns, depth, server)])
        print(f"- {mode} {conns}×{depth} {server}: {values}")
rel = defaultdict(list)
for line in open(sys.argv[2]):
    r = json.loads(line)
    rel[r["server"]].append(r)
steady, reloading = rel["steady"], rel["reloading"]
print()
print(f"Reloads under load (pingpong 100 conns, a reload every {sys.argv[3]} ms; every run completed without a failed call):")
print()
print("| | msgs/s | p99 µs | worst µs (median of runs) | worst µs (any run) |")
print("|---|---:|---:|---:|---:|")
for name, rs in (("no reload", steady), ("reloading", reloading)):
    print(f"| {name} | {med(rs, 'msgs_per_sec'):,.0f} | {med(rs, 'p99_us'):.0f} | {med(rs, 'max_us'):.0f} "
          f"| {max(r['max_us'] for r in rs):.0f} |")
PY
