#!/usr/bin/env python3
"""Game code's handlers on the node-to-node RPC echo path (docs/benchmarks.md):
bench_hosted_server serves Echo.Echo from the binary, a plugin or a Lua
script — one node, one dispatch path, only the handler differs — and the
foundation benchmark's load generator drives each, alternating, in one run.
Then a reload under a sustained load: failed requests and the longest pause.

    /usr/bin/python3 bench/hosted_run.py [build-dir]      # RUNS=5 DURATION_MS=3000 SERVER_CPU=0 LOADGEN_CPU=1

The wall-clock rates of a shared 2-core VM swing by 2x between runs, so the
run also counts the instructions each handler costs per call under callgrind
(valgrind; skipped when it is not installed), which do not depend on the
machine's load.

Builds nothing: cmake --build build --target bench_hosted_server bench_echo_plugin bench_loadgen first.
The Lua handler is bench/lua/echo.lua.
Bounded: every server exits by itself (--max-seconds) and is killed at the end.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SECRET = "polis-bench-secret-not-for-production"
RUNS = int(os.environ.get("RUNS", 5))
DURATION_MS = int(os.environ.get("DURATION_MS", 3000))
SERVER_CPU = os.environ.get("SERVER_CPU", "0")
LOADGEN_CPU = os.environ.get("LOADGEN_CPU", "1")
CASES = [("pingpong", 100, 1), ("pipelined", 16, 128)]
WINDOW_MS = 50


def server_argv(build, handler):
    argv = [str(build / "bench" / "bench_hosted_server"), f"--handler={handler}", f"--secret={SECRET}",
            "--max-seconds=120"]
    if handler == "plugin":
        argv.append(f"--plugin={build / 'bench' / 'libbench_echo_plugin.so'}")
    if handler == "lua":
        argv.append(f"--script={Path(__file__).resolve().parent / 'lua' / 'echo.lua'}")
    return argv


def start(build, handler, reload_at=()):
    argv = ["taskset", "-c", SERVER_CPU, *server_argv(build, handler)]
    if reload_at:
        argv.append("--reload-at-ms=" + ",".join(str(t) for t in reload_at))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("port="):
        proc.kill()
        sys.exit(f"bench_hosted_server --handler={handler} did not start: {proc.stderr.read()}")
    return proc, int(line.split("=")[1])


def load(build, port, mode, conns, depth, duration_ms, warmup_ms=1000, window_ms=0):
    r = subprocess.run(["taskset", "-c", LOADGEN_CPU, str(build / "bench" / "bench_loadgen"), "--server=rpc",
                        f"--port={port}", f"--mode={mode}", f"--conns={conns}", f"--depth={depth}",
                        f"--warmup-ms={warmup_ms}", f"--duration-ms={duration_ms}", f"--window-ms={window_ms}",
                        f"--secret={SECRET}"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"bench_loadgen failed: {r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def stop(proc):
    proc.kill()
    proc.wait()


def throughput(build, handlers):
    rates = {}
    for mode, conns, depth in CASES:
        for _ in range(RUNS):
            for handler in handlers:
                proc, port = start(build, handler)
                try:
                    r = load(build, port, mode, conns, depth, DURATION_MS)
                finally:
                    stop(proc)
                rates.setdefault((mode, handler), []).append(r["msgs_per_sec"])
    return rates


def instructions_per_call(build, handler):
    """User-space instructions the server spends per call, counted by callgrind
    inside Channel::onData (reading a request, dispatching it, running the
    handler, writing the reply): repeatable whatever else the machine does."""
    out = Path(f"/tmp/polis-hosted-{handler}-{os.getpid()}.callgrind")
    argv = ["valgrind", "--tool=callgrind", "--toggle-collect=polis::rpc::Channel::onData*",
            f"--callgrind-out-file={out}", *server_argv(build, handler)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split("=")[1])
    try:
        calls = load(build, port, "pipelined", 4, 64, 6000, warmup_ms=0)["count"]
    finally:
        proc.terminate()
        proc.wait()
    totals = subprocess.run(["callgrind_annotate", str(out)], capture_output=True, text=True).stdout
    out.unlink()
    line = next(l for l in totals.splitlines() if "PROGRAM TOTALS" in l)
    return int(line.split()[0].replace(",", "")) / calls


def print_instructions_per_call(build, handlers):
    cost = {h: instructions_per_call(build, h) for h in handlers}
    print("| instructions per call (callgrind, in Channel::onData; pipelined, 4 conns × 64) | built-in | plugin | "
          "built-in / plugin | Lua | built-in / Lua |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| echo | {cost['builtin']:,.0f} | {cost['plugin']:,.0f} | {cost['builtin'] / cost['plugin']:.1%} | "
          f"{cost['lua']:,.0f} | {cost['builtin'] / cost['lua']:.1%} |")


def reload_under_load(build, handler):
    """Reloads at 1.5 s and 2.5 s into a 4 s measurement (after a 1 s warm-up)."""
    warmup, duration = 1000, 4000
    reload_at = (warmup + 1500, warmup + 2500)
    proc, port = start(build, handler, reload_at)
    try:
        r = load(build, port, "pingpong", 100, 1, duration, warmup, WINDOW_MS)
    finally:
        stop(proc)
        log = proc.stderr.read()
    windows = r["window_max_us"]
    first = (reload_at[0] - warmup) // WINDOW_MS
    during = [windows[(t - warmup) // WINDOW_MS + k] for t in reload_at for k in (0, 1)
              if (t - warmup) // WINDOW_MS + k < len(windows)]
    return {"errors": r["errors"], "calls": r["count"], "worst_before_ms": max(windows[:first]) / 1000,
            "worst_during_ms": max(during) / 1000, "reload_log": log.strip().splitlines()}


TARGETS = {"plugin": 0.95, "lua": 0.50}  # of the built-in handler's throughput


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else "build").resolve()
    handlers = ["builtin", "plugin", "lua"]
    rates = throughput(build, handlers)
    print(f"machine: {os.cpu_count()} CPUs; server on CPU {SERVER_CPU}, load generator on CPU {LOADGEN_CPU}; "
          f"median of {RUNS} runs of {DURATION_MS} ms each, handlers alternating")
    print()
    print("| case | built-in msgs/s | plugin msgs/s | plugin / built-in | target | Lua msgs/s | Lua / built-in | target |")
    print("|---|---:|---:|---:|---|---:|---:|---|")
    for mode, conns, depth in CASES:
        base = statistics.median(rates[(mode, "builtin")])
        cells = []
        for handler in ("plugin", "lua"):
            rate = statistics.median(rates[(mode, handler)])
            target = TARGETS[handler]
            verdict = "met" if rate / base >= target else "MISSED"
            cells.append(f"{rate:,.0f} | {rate / base:.1%} | ≥ {target:.0%}: {verdict}")
        print(f"| {mode} conns={conns} depth={depth} | {base:,.0f} | {' | '.join(cells)} |")
    print()
    print("every run:", {f"{m}/{h}": [round(v) for v in vs] for (m, h), vs in rates.items()})
    print()
    if shutil.which("valgrind") and shutil.which("callgrind_annotate"):
        print_instructions_per_call(build, handlers)
    else:
        print("valgrind is not installed (apt install valgrind): instruction counts per call skipped")
    print()
    print("| reload under load (pingpong, 100 conns, 2 reloads) | failed requests | worst latency before | "
          "worst latency during a reload | pause target |")
    print("|---|---:|---:|---:|---|")
    logs = []
    for handler in ("plugin", "lua"):
        r = reload_under_load(build, handler)
        pause = r["worst_during_ms"]
        print(f"| {handler} | {r['errors']} of {r['calls']:,} | {r['worst_before_ms']:.2f} ms | {pause:.2f} ms | "
              f"≤ 10 ms: {'met' if pause <= 10 else 'MISSED'} |")
        logs += [f"  {handler} server: {line}" for line in r["reload_log"]]
    print("\n".join(logs))


if __name__ == "__main__":
    main()
