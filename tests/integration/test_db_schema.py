"""The db node's schema at start, against a real MariaDB started by the
launcher: an empty database is created at the newest version, a restart
changes nothing, an older database is upgraded, a newer one is refused."""

import pytest

from conftest import scrape, value, wait_for
from polis_cluster import ClusterError, databases

DATABASE = "polis_schema_it"
TABLES = {"polis_schema", "accounts", "players", "documents", "players_written_through", "players_superseded",
          "leaderboards", "leaderboard_entries", "leaderboard_written_through", "leaderboard_superseded"}
# The last migration's tables, dropped to make a database one version older.
LAST = ["leaderboards", "leaderboard_entries", "leaderboard_written_through", "leaderboard_superseded"]


def sql(cluster, text):
    return databases.mariadb_sql(cluster.entry("mariadb"), f"USE {DATABASE}; {text}").strip()


def versions(cluster):
    return [int(v) for v in sql(cluster, "SELECT version FROM polis_schema ORDER BY version").split()]


def tables(cluster):
    return set(sql(cluster, "SHOW TABLES").split())


def restart_db(cluster):
    assert cluster.stop("db-1", timeout=10) == "stopped"
    cluster.start("db-1", timeout=30)


def db_log(cluster):
    return cluster.log_path("db-1").read_text(errors="replace").rsplit("--- polis-cluster", 1)[-1]


@pytest.fixture
def cluster(make_cluster):
    c = make_cluster({"center": 1, "db": 1}, mariadb={"enabled": True, "database": DATABASE},
                     redis={"enabled": True})
    c.up(timeout=60)
    return c


def test_an_empty_database_gets_the_whole_schema_and_a_restart_changes_nothing(cluster):
    latest = versions(cluster)
    assert latest == list(range(1, len(latest) + 1)) and len(latest) >= 5, latest
    assert TABLES <= tables(cluster)
    assert "leaderboard_scores" not in tables(cluster), "version 3's placeholder is dropped by version 5"
    assert f"at schema version {latest[-1]} (was 0)" in db_log(cluster)
    # The worker pool the data API runs on is connected, one connection per worker.
    wait_for(lambda: value(scrape(cluster.ops_port("db-1")), "polis_db_mysql_connected_workers") == 4, 5,
             "the four MariaDB workers to connect")
    applied = sql(cluster, "SELECT version, applied_at FROM polis_schema ORDER BY version")

    restart_db(cluster)
    assert sql(cluster, "SELECT version, applied_at FROM polis_schema ORDER BY version") == applied
    log = db_log(cluster)
    assert f"at schema version {latest[-1]}" in log and "(was" not in log, log


def test_an_older_database_is_upgraded(cluster):
    latest = versions(cluster)[-1]
    # What a binary that knew only up to version latest-1 would have left: the
    # last migration's tables missing and its row absent.
    sql(cluster, f"DROP TABLE {', '.join(LAST)}; DELETE FROM polis_schema WHERE version = {latest}")
    sql(cluster, "INSERT INTO accounts (name, name_folded, created_at) VALUES ('kept', 'kept', 1)")
    restart_db(cluster)
    assert versions(cluster)[-1] == latest
    assert TABLES <= tables(cluster)
    assert f"at schema version {latest} (was {latest - 1})" in db_log(cluster)
    assert sql(cluster, "SELECT name FROM accounts") == "kept", "an upgrade must keep the data"


def test_a_database_newer_than_the_binary_is_refused(cluster):
    sql(cluster, "INSERT INTO polis_schema (version, description) VALUES (99, 'from the future')")
    assert cluster.stop("db-1", timeout=10) == "stopped"
    with pytest.raises(ClusterError) as failure:
        cluster.start("db-1", timeout=30)
    message = str(failure.value)
    assert "exited with code 1 before it was ready" in message, message
    assert "schema version 99, newer than this binary knows" in message, message
    assert versions(cluster)[-1] == 99, "a refused start must not touch the schema"


def test_the_db_node_waits_for_a_mariadb_that_is_not_up_yet(cluster):
    assert cluster.stop("db-1", timeout=10) == "stopped"
    assert cluster.stop("mariadb", timeout=60) == "stopped"
    cluster.start("db-1", wait=False)
    wait_for(lambda: "retrying in" in db_log(cluster), 10, "the db node to report that MariaDB does not answer")
    assert cluster.is_running("db-1")
    cluster.start("mariadb", timeout=60)
    cluster.wait_ready(["db-1"], 30)
    assert f"at schema version {versions(cluster)[-1]}" in db_log(cluster)
