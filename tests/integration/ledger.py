"""Runs the kill-and-compare ledger writers (tests/unit/db/ledger_writer_test.cc)
against a cluster with two Redis shards, and reads back what they recorded
as acknowledged."""

import os
import subprocess

from conftest import SECRET

DATABASE = "polis_ledger_it"
BOARD = "ledger"
PLAYERS, SCORES = "Ledger.Write", "Ledger.Scores"


def make(make_cluster, db_nodes=1, db_config=None):
    cluster = make_cluster({"center": 1, "db": {"count": db_nodes, "config": {"db": db_config or {}}}},
                           mariadb={"enabled": True, "database": DATABASE}, redis={"enabled": True, "shards": 2})
    cluster.up(timeout=60)
    return cluster


def run(kind, cluster, build_dir, tmp_path, nodes=("db-1",), players=40, saves=15, first=1000, wait=True,
        create=True, name="ledger", first_score=0):
    """Starts a writer; with `wait`, waits for it and returns what it acknowledged, else (process, ledger path)."""
    path = tmp_path / f"{name}-{first}.txt"
    binary = build_dir / "tests" / "unit" / "db" / "polis_db_api_tests"
    env = dict(os.environ, POLIS_TEST_LEDGER=str(path), POLIS_TEST_SECRET=SECRET,
               POLIS_TEST_DB_RPC_PORTS=",".join(str(cluster.entry(n)["rpc_port"]) for n in nodes),
               POLIS_TEST_LEDGER_PLAYERS=str(players), POLIS_TEST_LEDGER_SAVES=str(saves),
               POLIS_TEST_LEDGER_FIRST_ID=str(first))
    if kind == SCORES:
        env.update(POLIS_TEST_LEDGER_BOARD=BOARD, POLIS_TEST_LEDGER_FIRST_SCORE=str(first_score))
    if not create:
        env["POLIS_TEST_LEDGER_NO_CREATE"] = "1"
    proc = subprocess.Popen([binary, f"--gtest_filter={kind}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    if not wait:
        return proc, path
    return finish(proc, path, kind)


def finish(proc, path, kind):
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:]
    assert "[  PASSED  ] 1 test." in out, out[-3000:]
    return acknowledged_saves(path) if kind == PLAYERS else acknowledged_scores(path)


def acknowledged_saves(path):
    """{player: (highest acknowledged version, its data)}"""
    latest = {}
    for line in path.read_text().splitlines():
        player, version, data = line.split(" ", 2)
        player, version = int(player), int(version)
        if version > latest.get(player, (0, ""))[0]:
            latest[player] = (version, data)
    return latest


def acknowledged_scores(path):
    """{player: the last acknowledged score} (each player's scores only grow)"""
    latest = {}
    for line in path.read_text().splitlines():
        player, score = map(int, line.split())
        latest[player] = max(score, latest.get(player, score))
    return latest
