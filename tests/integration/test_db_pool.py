"""The db role's MariaDB worker pool (tests/unit/db/mysql_pool_test.cc)
against a real MariaDB started by the launcher: the gtest binary gets the
server's address through POLIS_TEST_MYSQL_* and must run every test (none
may skip here)."""

import os
import subprocess

DATABASE = "polis_pool_it"


def test_mysql_pool_against_a_real_mariadb(make_cluster, build_dir):
    cluster = make_cluster({"center": 1}, mariadb={"enabled": True, "database": DATABASE})
    cluster.up(timeout=60)
    binary = build_dir / "tests" / "unit" / "db" / "polis_db_pool_tests"
    env = dict(os.environ, POLIS_TEST_MYSQL_PORT=str(cluster.entry("mariadb")["port"]),
               POLIS_TEST_MYSQL_USER="root", POLIS_TEST_MYSQL_DATABASE=DATABASE)
    r = subprocess.run([binary], capture_output=True, text=True, timeout=120, env=env)
    print(r.stdout[-4000:])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "SKIPPED" not in r.stdout, "a pool test skipped although MariaDB was up"
    assert "[  PASSED  ] 8 tests." in r.stdout
