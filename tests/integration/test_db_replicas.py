"""MariaDB read replicas: a db node with one replica started by the launcher
(mariadb: {replicas: 1}). The steps of tests/unit/db/replica_reads_test.cc
talk to the db node; between them this test stops the replica's replication,
stops and starts the replica's server, reads the replica directly and checks
the db node's metrics. A read that allows a stale answer must come from the
replica while it is up (proven by a replica that stopped replicating and so
answers with an older version), and from the primary while it is down."""

import os
import random
import subprocess

import yaml

from conftest import SECRET, scrape, value, wait_for
from polis_cluster import databases, replication

DATABASE = "polis_replica_it"


def run_step(cluster, build_dir, owner, step):
    binary = build_dir / "tests" / "unit" / "db" / "polis_db_replica_tests"
    env = dict(os.environ, POLIS_TEST_DB_RPC_PORT=str(cluster.entry("db-1")["rpc_port"]), POLIS_TEST_SECRET=SECRET,
               POLIS_TEST_DOC_OWNER=str(owner))
    r = subprocess.run([binary, f"--gtest_filter=ReplicaSteps.{step}"], capture_output=True, text=True,
                       timeout=60, env=env)
    print(r.stdout[-3000:])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "[  PASSED  ] 1 test." in r.stdout, f"step {step} did not run"


def sql(cluster, name, text):
    return databases.mariadb_sql(cluster.entry(name), f"USE {DATABASE}; {text}").strip()


def stored(cluster, name, owner, key="news/1"):
    return sql(cluster, name, f"SELECT value FROM documents WHERE scope = 2 AND owner = {owner} AND doc_key = '{key}'")


def counters(cluster, replica_address):
    samples = scrape(cluster.ops_port("db-1"))
    return (value(samples, "polis_db_mysql_replica_reads_total", replica=replica_address),
            value(samples, "polis_db_mysql_replica_fallbacks_total"),
            value(samples, "polis_db_mysql_replica_connected_workers", replica=replica_address))


def assert_replicating(cluster):
    status = replication.replica_status(cluster.entry("mariadb-2"))
    assert status["Slave_IO_Running"] == "Yes" and status["Slave_SQL_Running"] == "Yes", status
    assert status["Last_Errno"] == "0" and status["Last_Error"] == "", status
    assert status["Using_Gtid"] == "Slave_Pos", status


def assert_same_data(cluster):
    """Every document on the replica is the primary's (no write of its own)."""
    text = "SELECT scope, owner, HEX(doc_key), version, HEX(value) FROM documents ORDER BY scope, owner, doc_key"
    wait_for(lambda: sql(cluster, "mariadb-2", text) == sql(cluster, "mariadb", text), 10,
             "the replica to hold exactly the primary's documents")


def test_stale_reads_go_to_the_replica_and_fall_back_to_the_primary(make_cluster, build_dir):
    cluster = make_cluster({"center": 1, "db": 1}, redis={"enabled": True},
                           mariadb={"enabled": True, "database": DATABASE, "user": "app", "password": "app-pw",
                                    "replicas": 1})
    cluster.up(timeout=90)
    replica = cluster.entry("mariadb-2")
    address = f"127.0.0.1:{replica['port']}"
    config = yaml.safe_load(open(cluster.entry("db-1")["marker"]))["db"]["mysql"]
    assert config["replicas"] == [address]
    assert databases.mariadb_sql(replica, "SELECT @@read_only").strip() == "1"
    assert_replicating(cluster)
    wait_for(lambda: counters(cluster, address)[2] == 2, 10, "both replica workers to connect")
    owner = random.randrange(1 << 40, 1 << 50)

    # Written through the API: on the primary, and replicated to the replica.
    run_step(cluster, build_dir, owner, "WriteTheFirstVersion")
    wait_for(lambda: stored(cluster, "mariadb-2", owner) == "first", 10, "the document to reach the replica")
    assert counters(cluster, address)[:2] == (0, 0), "a read that did not allow a stale answer went to the replica"

    # Replication stopped: the replica keeps "first" while the primary moves on.
    databases.mariadb_sql(replica, "STOP SLAVE")
    run_step(cluster, build_dir, owner, "StaleReadsComeFromTheStoppedReplica")
    assert stored(cluster, "mariadb", owner) == "second"
    assert stored(cluster, "mariadb-2", owner) == "first"
    assert counters(cluster, address)[:2] == (3, 0), "three stale reads, all served by the replica"

    databases.mariadb_sql(replica, "START SLAVE")
    wait_for(lambda: stored(cluster, "mariadb-2", owner) == "second", 10, "the replica to catch up")
    assert_replicating(cluster)

    # The replica's server stopped: stale reads are answered by the primary.
    assert cluster.stop("mariadb-2", timeout=60) == "stopped"
    run_step(cluster, build_dir, owner, "StaleReadsFallBackToThePrimaryWhileTheReplicaIsDown")
    served, fallbacks, _ = counters(cluster, address)
    assert (served, fallbacks) == (3, 11), "ten Gets and a List, all fallen back to the primary"
    wait_for(lambda: counters(cluster, address)[2] == 0, 5, "the replica's workers to notice it is gone")

    # Back: it catches up by itself, the db node reconnects, stale reads go there again.
    cluster.start("mariadb-2", timeout=60)
    wait_for(lambda: stored(cluster, "mariadb-2", owner) == "third", 20, "the restarted replica to catch up")
    wait_for(lambda: counters(cluster, address)[2] == 2, 15, "the db node to reconnect to the replica")
    run_step(cluster, build_dir, owner, "StaleReadsSeeTheReplicaOnceItCaughtUp")
    assert counters(cluster, address)[:2] == (4, 11)

    # The replica never took a write of its own: it replicated every change without an error and
    # holds exactly the primary's documents.
    assert_replicating(cluster)
    assert_same_data(cluster)
