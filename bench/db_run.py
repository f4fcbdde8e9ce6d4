#!/usr/bin/env python3
"""The data service's benchmark (docs/benchmarks.md): starts a local cluster
(a center, one db node, Redis and MariaDB, pinned to CPU 0 with the load on
CPU 1), runs bench_db in each mode, alternating the db-node mode and its
ceiling, and prints a markdown table of medians with the ratios and targets.

    /usr/bin/python3 bench/db_run.py [build-dir]      # RUNS=3 SECONDS=5 CALLERS=100 ROWS=20000

Builds nothing: cmake --build build --target bench_db polis-db polis-center first.
Bounded: every bench_db run stops by itself; the cluster is stopped at the end.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools" / "cluster"))
from polis_cluster import Cluster, topology  # noqa: E402

SECRET = "polis-bench-secret-not-for-production"
RUNS = int(os.environ.get("RUNS", 3))
SECONDS = os.environ.get("SECONDS_PER_RUN", "5")
CALLERS = os.environ.get("CALLERS", "100")
ROWS = os.environ.get("ROWS", "20000")


def pin(pid, cpu):
    subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], capture_output=True, check=False)


def run(binary, *args):
    r = subprocess.run(["taskset", "-c", "1", str(binary), *args], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit(f"bench_db {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else "build").resolve()
    binary = build / "bench" / "bench_db"
    if not binary.exists():
        sys.exit(f"{binary} is missing; cmake --build {build} --target bench_db polis-db polis-center")
    topo = topology.from_dict({"name": "bench-db", "secret": SECRET, "ports": "auto", "roles": {"center": 1, "db": 1},
                               "log": {"level": "warn", "format": "human"},
                               "redis": {"enabled": True}, "mariadb": {"enabled": True, "database": "polis_bench"}})
    data = Path(tempfile.mkdtemp(prefix="polis-bench-db-"))
    cluster = Cluster(topo, data_dir=data, build_dir=build)
    try:
        cluster.up(timeout=60)
        for name in ("redis", "mariadb", "center-1"):
            pin(cluster.entry(name)["pid"], 0)
        pin(cluster.entry("db-1")["pid"], int(os.environ.get("DB_CPU", "0")))
        rpc = ["--port=" + str(cluster.entry("db-1")["rpc_port"]), "--secret=" + SECRET]
        redis = ["--redis-port=" + str(cluster.entry("redis")["port"])]
        mysql = ["--mysql-port=" + str(cluster.entry("mariadb")["port"]), "--database=polis_bench", "--rows=" + ROWS]
        common = ["--seconds=" + SECONDS, "--callers=" + CALLERS]
        pairs = [("cached loads", ["--mode=rpc-load", *common, *rpc], ["--mode=redis-get", *common, *redis], 0.50),
                 ("saves", ["--mode=rpc-save", *common, *rpc], ["--mode=redis-set", *common, *redis], None),
                 ("MariaDB flush rows", ["--mode=flush-batch", *mysql], ["--mode=flush-single", *mysql], 10.0)]
        results = {}
        for name, ours, ceiling, _ in pairs:
            for _ in range(RUNS):
                results.setdefault((name, "ours"), []).append(run(binary, *ours)["ops_per_sec"])
                results.setdefault((name, "base"), []).append(run(binary, *ceiling)["ops_per_sec"])
        print(f"machine: {os.cpu_count()} CPUs; db node, Redis and MariaDB on CPU 0, load on CPU 1; "
              f"median of {RUNS} runs, {SECONDS} s each, {CALLERS} concurrent callers, 256-byte players")
        print()
        print("| case | Polis | baseline | ratio | target |")
        print("|---|---:|---:|---:|---|")
        labels = {"cached loads": ("db node Players.Load/s", "direct Redis GET/s"),
                  "saves": ("db node Players.Save/s", "direct Redis SET/s"),
                  "MariaDB flush rows": ("write-behind batch rows/s", "single-row autocommit rows/s")}
        for name, _, _, target in pairs:
            ours, base = statistics.median(results[(name, "ours")]), statistics.median(results[(name, "base")])
            ratio = ours / base
            verdict = "—"
            if target is not None:
                verdict = f"≥ {target:g}×: {'met' if ratio >= target else 'MISSED'}" if target >= 1 else \
                          f"≥ {target:.0%}: {'met' if ratio >= target else 'MISSED'}"
            shown = f"{ratio:.1f}×" if ratio >= 2 else f"{ratio:.0%}"
            print(f"| {name}: {labels[name][0]} vs {labels[name][1]} | {ours:,.0f} | {base:,.0f} | {shown} | {verdict} |")
        loads = statistics.median(results[("cached loads", "ours")])
        print()
        print(f"cached loads/s through the db server: {loads:,.0f} (target ≥ 50,000: {'met' if loads >= 50000 else 'MISSED'})")
        print("every run:", {f"{k[0]}/{k[1]}": [round(v) for v in vs] for k, vs in results.items()})
    finally:
        cluster.down(timeout=20)
        cluster.kill_all()


if __name__ == "__main__":
    main()
