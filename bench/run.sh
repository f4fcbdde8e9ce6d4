#!/usr/bin/env bash
# Node-to-node RPC benchmark: the Polis RPC server against a bare libevent echo
# server (the ceiling), same load generator, same frames, same payload.
# Builds nothing: build first with
#   cmake -S . -B build -DPOLIS_BUILD_BENCH=ON
#   cmake --build build -j2 --target bench_echo_server bench_rpc_server bench_loadgen
# then run from the repository root:
#   bench/run.sh [build-dir]
# Servers run pinned to SERVER_CPU, the generator to LOADGEN_CPU. Each case
# runs RUNS times per server, alternating echo and rpc, and the table shows
# the median of each figure. Prints a markdown table; exits when done (the
# servers are killed on exit and would stop by themselves after 10 minutes).
#
# Knobs (environment): RUNS=5 WARMUP_MS=1000 DURATION_MS=3000 PAYLOAD=64
#   PIPE_CONNS=16 DEPTH=128 SERVER_CPU=0 LOADGEN_CPU=1 NICE=-15
#   ONLY=pipelined (or pingpong): run only the cases of that mode
#   QUIET_PCT=10 QUIET_WAIT_S=120: before each run, wait until the machine's
#   CPUs are less than QUIET_PCT% busy (other work skews results badly); after
#   QUIET_WAIT_S seconds of waiting in total, stop waiting and count the runs
#   started on a busy machine (reported under the table).
set -euo pipefail

build=${1:-build}
bin="$build/bench"
RUNS=${RUNS:-5}
WARMUP_MS=${WARMUP_MS:-1000}
DURATION_MS=${DURATION_MS:-3000}
PAYLOAD=${PAYLOAD:-64}
PIPE_CONNS=${PIPE_CONNS:-16}
DEPTH=${DEPTH:-128}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
export POLIS_CLUSTER__SECRET=${POLIS_CLUSTER__SECRET:-polis-bench-secret-not-for-production}

for b in bench_echo_server bench_rpc_server bench_loadgen; do
  if [[ ! -x "$bin/$b" ]]; then
    echo "run.sh: $bin/$b is missing; build the bench targets first (see the top of this script)" >&2
    exit 1
  fi
done

# A shared machine: other work on the benchmark's cores adds scheduler stalls
# of whole time slices. A higher priority (NICE, root only) keeps most of them
# out; NICE=0 turns it off.
NICE=${NICE:--15}
pin="taskset -c"
priority="default"
if [[ "$NICE" != 0 ]] && nice -n "$NICE" true 2>/dev/null; then
  pin="nice -n $NICE taskset -c"
  priority="nice $NICE"
fi

tmp=$(mktemp -d)
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# busy_pct: percent of all CPUs busy over the next half second.
busy_pct() {
  local a b
  a=($(head -1 /proc/stat))
  sleep 0.5
  b=($(head -1 /proc/stat))
  local total=0 idle=$(( (b[4] + b[5]) - (a[4] + a[5]) ))
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

QUIET_PCT=${QUIET_PCT:-10}
QUIET_WAIT_S=${QUIET_WAIT_S:-120}
waited_s=0
busy_runs=0
# wait_quiet: blocks until the machine is quiet or the waiting budget is spent.
wait_quiet() {
  local busy
  while busy=$(busy_pct); (( busy >= QUIET_PCT )); do
    if (( waited_s >= QUIET_WAIT_S )); then
      busy_runs=$(( busy_runs + 1 ))
      return
    fi
    sleep 1
    waited_s=$(( waited_s + 2 ))  # the sleep plus the sample, roughly
  done
}

# start_server NAME: starts bench_NAME_server pinned; port[NAME] gets its port.
# Runs in this shell (not in $(...)) so the trap knows the pid.
declare -A port
start_server() {
  local name=$1
  $pin "$SERVER_CPU" "$bin/bench_${name}_server" --max-seconds=600 >"$tmp/$name.out" 2>"$tmp/$name.err" &
  server_pids+=($!)
  for _ in $(seq 50); do
    if grep -q '^port=' "$tmp/$name.out" 2>/dev/null; then
      port[$name]=$(sed -n 's/^port=//p' "$tmp/$name.out")
      return
    fi
    sleep 0.1
  done
  echo "run.sh: bench_${name}_server did not start:" >&2
  cat "$tmp/$name.err" >&2
  exit 1
}

start_server echo
start_server rpc

cases=("pingpong 1 1" "pingpong 100 1" "pipelined $PIPE_CONNS $DEPTH")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for c in "${cases[@]}"; do
  read -r mode conns depth <<<"$c"
  [[ -n "${ONLY:-}" && "$mode" != "$ONLY" ]] && continue
  for run in $(seq "$RUNS"); do
    for server in echo rpc; do
      wait_quiet
      echo "  $mode conns=$conns depth=$depth $server run $run/$RUNS" >&2
      timeout 60 $pin "$LOADGEN_CPU" "$bin/bench_loadgen" --server="$server" --port="${port[$server]}" \
        --mode="$mode" --conns="$conns" --depth="$depth" --payload="$PAYLOAD" \
        --warmup-ms="$WARMUP_MS" --duration-ms="$DURATION_MS" >>"$tmp/results.jsonl"
    done
  done
done

echo "machine: $(nproc) CPUs,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); server on CPU $SERVER_CPU," \
  "generator on CPU $LOADGEN_CPU; priority $priority"
echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg);" \
  "waited ${waited_s} s for a quiet machine"

python3 - "$tmp/results.jsonl" "$busy_runs" "$WARMUP_MS" "$DURATION_MS" <<'EOF'
import json, statistics, sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["mode"], r["conns"], r["depth"], r["server"])].append(r)

def target(mode, conns):  # the issue's targets for rpc/echo throughput
    if mode == "pingpong" and conns == 100:
        return 0.70
    return 0.30 if mode == "pipelined" else None

def med(rs, key):
    return statistics.median(r[key] for r in rs)

def lat(rs):
    return "%.0f / %.0f / %.0f" % (med(rs, "p50_us"), med(rs, "p99_us"), med(rs, "p999_us"))

first = next(iter(runs.values()))[0]
payload = first["payload"]
warmup, duration = sys.argv[3], sys.argv[4]
print(f"warm-up {warmup} ms, measuring {duration} ms; payload {payload} bytes; median of {len(next(iter(runs.values())))} runs per cell; latency in µs")
print()
print("| case | echo msgs/s | rpc msgs/s | rpc/echo | target | echo p50 / p99 / p99.9 | rpc p50 / p99 / p99.9 |")
print("|---|---:|---:|---:|---|---:|---:|")
seen = []
for (mode, conns, depth, _) in runs:
    if (mode, conns, depth) not in seen:
        seen.append((mode, conns, depth))
for mode, conns, depth in seen:
    echo, rpc = runs[(mode, conns, depth, "echo")], runs[(mode, conns, depth, "rpc")]
    ratio = med(rpc, "msgs_per_sec") / med(echo, "msgs_per_sec")
    t = target(mode, conns)
    verdict = f"≥ {t:.0%}: {'met' if ratio >= t else 'MISSED'}" if t else "—"
    name = f"{mode} {conns} conn{'s' if conns > 1 else ''}" + (f" × depth {depth}" if mode == "pipelined" else "")
    print(f"| {name} | {med(echo, 'msgs_per_sec'):,.0f} | {med(rpc, 'msgs_per_sec'):,.0f} | {ratio:.0%} | {verdict} "
          f"| {lat(echo)} | {lat(rpc)} |")
print()
print("Throughput of every run (msgs/s), to show the spread:")
print()
for mode, conns, depth in seen:
    for server in ("echo", "rpc"):
        values = ", ".join(f"{r['msgs_per_sec']:,.0f}" for r in runs[(mode, conns, depth, server)])
        print(f"- {mode} {conns}×{depth} {server}: {values}")
print()
print(f"Runs started while other work kept the CPUs busy: {sys.argv[2]}")
EOF
