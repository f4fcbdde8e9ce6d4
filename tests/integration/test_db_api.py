"""The data API of a real polis-db (tests/unit/db/*_api_test.cc), the db node
started by the launcher against a real MariaDB; afterwards the rows are read
from MariaDB directly: what the API acknowledged is there, verbatim."""

import os
import subprocess

from conftest import SECRET, wait_for
from db_views import dirty_scores, redis_cli, scores_in_mariadb, scores_in_redis
from polis_cluster import databases

DATABASE = "polis_api_it"


def test_the_data_api_against_a_real_db_node(make_cluster, build_dir):
    # Ended leaderboard periods leave Redis a second after they end.
    cluster = make_cluster({"center": 1, "db": {"count": 1, "config": {"db": {"leaderboards": {"retention": "1s"}}}}},
                           mariadb={"enabled": True, "database": DATABASE}, redis={"enabled": True})
    cluster.up(timeout=60)
    binary = build_dir / "tests" / "unit" / "db" / "polis_db_api_tests"
    env = dict(os.environ, POLIS_TEST_DB_RPC_PORT=str(cluster.entry("db-1")["rpc_port"]), POLIS_TEST_SECRET=SECRET)
    r = subprocess.run([binary, "--gtest_filter=-Ledger.*"], capture_output=True, text=True, timeout=120, env=env)
    print(r.stdout[-4000:])
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "SKIPPED" not in r.stdout, "an API test skipped although the db node was up"

    # Durable: MariaDB itself holds what was acknowledged, and the hostile name did nothing but get stored.
    rows = databases.mariadb_sql(cluster.entry("mariadb"), f"USE {DATABASE}; SELECT name FROM accounts")
    assert "Robert'); DROP TABLE accounts;--" in rows
    assert "名前🎮" in rows
    tables = databases.mariadb_sql(cluster.entry("mariadb"), f"USE {DATABASE}; SHOW TABLES").split()
    assert "accounts" in tables and "documents" in tables
    # Document keys are bytes, stored as given: the SQL fragment, and the NUL inside a key.
    keys = databases.mariadb_sql(cluster.entry("mariadb"), f"USE {DATABASE}; SELECT HEX(doc_key) FROM documents")
    keys = {bytes.fromhex(k) for k in keys.split()}
    assert b"'; DROP TABLE documents;--" in keys
    assert b"nul\0inside" in keys
    assert "名前🎮".encode() in keys

    # Scores are written behind: soon MariaDB holds exactly what Redis holds, and nothing is left dirty.
    # Both are read afresh each time: with a 1 s retention an ended period may leave Redis meanwhile
    # (MariaDB keeps it), so the comparison covers the periods Redis still holds. The flush deadline
    # itself is test_db_scores_durability.py's; this allows for a loaded machine.
    assert len(scores_in_redis(cluster)) > 20

    def same_scores():
        in_redis = scores_in_redis(cluster)
        periods = {key[:3] for key in in_redis}
        in_mariadb = {k: v for k, v in scores_in_mariadb(cluster, DATABASE).items() if k[:3] in periods}
        return in_mariadb == in_redis

    wait_for(lambda: same_scores() and dirty_scores(cluster) == 0, 15,
             "MariaDB to hold every score Redis holds, nothing left dirty")

    # The generation a Reset replaced left Redis after the retention; it is still read, from MariaDB.
    board = databases.mariadb_sql(cluster.entry("mariadb"),
                                  f"USE {DATABASE}; SELECT board FROM leaderboards WHERE board LIKE 'cup-%'").strip()
    wait_for(lambda: redis_cli(cluster, "redis", "--scan", "--pattern", f"polis:lb:{board}:1:*") == [], 5,
             "the replaced generation to leave Redis")
    assert redis_cli(cluster, "redis", "--scan", "--pattern", f"polis:lb:{board}:2:*"), "the current one stays"
    call = subprocess.run([build_dir / "tests" / "unit" / "db" / "polis_db_call", str(cluster.entry("db-1")["rpc_port"]),
                           "top", board, "1", "0"], capture_output=True, text=True, timeout=30, env=env)
    assert call.returncode == 0, call.stderr
    assert call.stdout.count("player_id") == 2 and "score: 20" in call.stdout, call.stdout
