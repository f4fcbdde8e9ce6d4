"""The local-cluster launcher itself: Redis and MariaDB as background
processes, the command line, idempotent `up`, clean `down`, and the report
it gives when a node fails to start."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import FAST, REPO, SECRET, make_topology, wait_for
from polis_cluster import Cluster, ClusterError, databases, nodes, ports, processes, replication, topology

CLI = REPO / "tools" / "polis-cluster"


def redis_ping(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return s.recv(64)


def mariadb(port, sql, user="root", password=None):
    argv = ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{port}", f"-u{user}", "--batch",
            "--skip-column-names", "-e", sql]
    if password:
        argv.insert(5, f"-p{password}")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def pids(cluster):
    return {n: (cluster.entry(n)["pid"], cluster.entry(n)["marker"]) for n in cluster.names()}


@pytest.mark.skipif(not (shutil.which("redis-server") and os.path.exists("/usr/sbin/mariadbd")),
                    reason="redis-server and mariadb-server packages are not installed")
def test_up_starts_redis_and_mariadb_and_down_stops_everything(make_cluster):
    cluster = make_cluster({"center": 1, "db": 1}, redis={"enabled": True, "shards": 2},
                           mariadb={"enabled": True, "database": "polis_it", "user": "app",
                                    "password": "app-pw"})
    cluster.up(timeout=60)
    redis_ports = [cluster.entry(n)["port"] for n in ("redis", "redis-2")]
    db_port = cluster.entry("mariadb")["port"]

    assert [redis_ping(p) for p in redis_ports] == [b"+PONG\r\n"] * 2
    db_config = yaml.safe_load(open(cluster.entry("db-1")["marker"]))["db"]
    assert db_config["redis"]["shards"] == [f"127.0.0.1:{p}" for p in redis_ports]
    assert mariadb(db_port, "select 1") == "1"
    charset = mariadb(db_port, "select default_character_set_name, default_collation_name from "
                               "information_schema.schemata where schema_name = 'polis_it'")
    assert charset == "utf8mb4\tutf8mb4_unicode_ci"
    assert mariadb(db_port, "select current_user()", user="app", password="app-pw").startswith("app@")
    assert cluster.up() is False  # already up

    started = pids(cluster)
    outcome = cluster.down()
    assert set(outcome.values()) == {"stopped"}, outcome
    left = [n for n, (pid, marker) in started.items() if processes.is_running(pid, marker)]
    assert left == []
    assert not cluster.state_path.exists()

    # The data folder survives: a second `up` skips initialisation and keeps the database.
    cluster.up(timeout=60)
    assert "polis_it" in mariadb(cluster.entry("mariadb")["port"], "show databases")
    cluster.down()


def command_line(tmp_path, build_dir, name, roles, options_first=False):
    """(cli, topology path, data dir): cli(*args) runs polis-cluster on a fresh
    topology, with -t/--data after the subcommand or, with options_first, before it."""
    topo = tmp_path / "topology.yaml"
    topo.write_text(yaml.safe_dump({"name": name, "secret": SECRET, "ports": "auto", "roles": roles, **FAST}))
    data = tmp_path / "data"
    env = dict(os.environ, POLIS_BUILD_DIR=str(build_dir))
    options = ["-t", str(topo), "--data", str(data)]

    def cli(*args):
        argv = [str(CLI), *options, *args] if options_first else [str(CLI), *args, *options]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    return cli, topo, data


def test_command_line_up_status_kill_start_down(tmp_path, build_dir):
    cli, topo, data = command_line(tmp_path, build_dir, "cli", {"center": 1, "lobby": 1})

    try:
        r = cli("up")
        assert r.returncode == 0, r.stderr
        assert "lobby-1" in r.stdout and "NODE_READY" in r.stdout
        r = cli("up")
        assert r.returncode == 0 and "already up" in r.stdout

        assert cli("status").returncode == 0
        assert "sent SIGKILL" in cli("kill", "lobby-1").stdout
        r = cli("status")
        assert r.returncode == 1 and "NO" in r.stdout
        r = cli("start", "lobby-1")
        assert r.returncode == 0 and "ready" in r.stdout, r.stderr
        assert "lobby-1" in cli("logs", "lobby-1", "-n", "5").stdout
        r = cli("restart", "lobby-1")
        assert r.returncode == 0, r.stderr

        started = pids(_cluster(topo, data))
        r = cli("down")
        assert r.returncode == 0 and "stopped" in r.stdout, r.stderr
        assert [n for n, (pid, marker) in started.items() if processes.is_running(pid, marker)] == []
        assert cli("status").returncode == 3
    finally:
        _cluster(topo, data).kill_all()


def test_options_before_the_subcommand_and_a_restarted_center_waits_for_its_registry(tmp_path, build_dir):
    cli, topo, data = command_line(tmp_path, build_dir, "opts", {"center": 1, "lobby": 2}, options_first=True)

    try:
        r = cli("up")
        assert r.returncode == 0, r.stderr
        r = cli("status")
        # Before the fix this acted on the repository's dev cluster ("not up", exit 3).
        assert r.returncode == 0 and "lobby-2" in r.stdout, r.stdout + r.stderr
        cluster = _cluster(topo, data)
        cluster.kill("center-1", "KILL")
        assert processes.wait_gone(cluster.entry("center-1")["pid"], 5, cluster.entry("center-1")["marker"])
        r = cli("start", "center-1")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "every running node has registered" in r.stdout, r.stdout
        listed = {m["name"] for m in _cluster(topo, data).members("center-1")["nodes"]}
        assert listed == {"lobby-1", "lobby-2"}, "start returned before the registry was complete"
        r = cli("down")
        assert r.returncode == 0 and "stopped" in r.stdout, r.stderr
    finally:
        _cluster(topo, data).kill_all()


def test_up_reports_a_node_that_exits(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": {"count": 1, "config": {"node": {"colour": "blue"}}}})
    with pytest.raises(ClusterError) as failure:
        cluster.up(timeout=10)
    message = str(failure.value)
    assert "lobby-1 exited with code 2 before it was ready" in message
    assert "node.colour" in message  # the tail of its log is in the report


def _cluster(topo_path, data):
    return Cluster(topology.load(topo_path), data_dir=Path(data))


@pytest.mark.parametrize("shards", [0, 9, "two"])
def test_a_bad_redis_shard_count_names_the_key(shards):
    with pytest.raises(ClusterError, match=r"redis\.shards must be an integer 1\.\.8"):
        topology.from_dict({"name": "t", "secret": SECRET, "roles": {"center": 1}, "redis": {"enabled": True, "shards": shards}})


@pytest.mark.parametrize("replicas", [-1, 9, "one", True])
def test_a_bad_mariadb_replica_count_names_the_key(replicas):
    with pytest.raises(ClusterError, match=r"mariadb\.replicas must be an integer 0\.\.8"):
        topology.from_dict({"name": "t", "secret": SECRET, "roles": {"center": 1},
                            "mariadb": {"enabled": True, "replicas": replicas}})


def test_replicas_are_named_and_placed_like_redis_shards():
    topo = topology.from_dict({"name": "t", "secret": SECRET, "roles": {"center": 1}, "ports": 20000,
                               "mariadb": {"enabled": True, "replicas": 2}})
    assert topo.mariadb.names() == ["mariadb", "mariadb-2", "mariadb-3"]
    plan = ports.plan(topo)
    assert [plan[n]["port"] for n in topo.mariadb.names()] == [20306, 20307, 20308]


def test_each_node_of_a_role_may_have_its_own_settings_over_the_roles(tmp_path):
    roles = {"center": 1, "micro": {"config": {"log": {"level": "debug"}, "lua": {"watch": True}},
                                    "nodes": [{"lua": {"scripts": "scripts/lua"}},
                                              {"plugins": {"load": ["gb"], "gb": {"path": "plugins/gb.so"}}}]}}
    topo = topology.from_dict({"name": "t", "secret": SECRET, "roles": roles})
    micro = {n.name: n.config for n in topo.nodes if n.role == "micro"}
    assert micro == {"micro-1": {"log": {"level": "debug"}, "lua": {"watch": True, "scripts": "scripts/lua"}},
                     "micro-2": {"log": {"level": "debug"}, "lua": {"watch": True},
                                 "plugins": {"load": ["gb"], "gb": {"path": "plugins/gb.so"}}}}
    build = tmp_path / "build"
    (build / "src" / "micro").mkdir(parents=True)
    (build / "src" / "micro" / "polis-micro").touch(mode=0o755)
    spec = next(n for n in topo.nodes if n.name == "micro-2")
    config = nodes.node_config(topo, spec, {"rpc": 1, "ops": 2}, ["127.0.0.1:3"])
    nodes.node_entry(tmp_path / "data", build, spec, {"rpc": 1, "ops": 2}, config)
    written = yaml.safe_load((tmp_path / "data" / "nodes" / "micro-2" / "config.yaml").read_text())
    assert written["plugins"]["gb"]["path"] == str(build / "plugins" / "gb.so"), "taken from the build tree"


@pytest.mark.parametrize("micro, error", [
    ({"count": 1, "nodes": [{}, {}]}, r"roles\.micro\.count is 1 but roles\.micro\.nodes lists 2"),
    ({"nodes": {"lua": {}}}, r"roles\.micro\.nodes must be a list"),
    ({"nodes": ["x"]}, r"roles\.micro\.nodes\[0\]' must be a mapping"),
])
def test_bad_per_node_settings_name_the_key(micro, error):
    with pytest.raises(ClusterError, match=error):
        topology.from_dict({"name": "t", "secret": SECRET, "roles": {"center": 1, "micro": micro}})


def test_replicas_are_seeded_replicate_and_are_seeded_again_after_a_run_without_them(tmp_path, build_dir):
    made = []

    def cluster_with(replicas):
        topo = make_topology({"center": 1}, mariadb={"enabled": True, "database": "polis_it", "replicas": replicas})
        made.append(Cluster(topo, data_dir=tmp_path / "data", build_dir=build_dir))
        made[-1].up(timeout=90)
        return made[-1]

    def rows(name):
        return databases.mariadb_sql(cluster.entry(name), "SELECT v FROM polis_it.t ORDER BY v").split()

    try:
        cluster = cluster_with(2)
        for name in ("mariadb-2", "mariadb-3"):
            status = replication.replica_status(cluster.entry(name))
            assert (status["Slave_IO_Running"], status["Slave_SQL_Running"], status["Using_Gtid"]) == \
                ("Yes", "Yes", "Slave_Pos"), status
            assert databases.mariadb_sql(cluster.entry(name), "SELECT @@read_only, @@server_id").split() == \
                ["1", name.split("-")[1]]
        databases.mariadb_sql(cluster.entry("mariadb"), "CREATE TABLE polis_it.t (v INT PRIMARY KEY); "
                                                        "INSERT INTO polis_it.t VALUES (1)")
        wait_for(lambda: rows("mariadb-3") == ["1"], 10, "the row to replicate")
        assert set(cluster.down().values()) == {"stopped"}

        # A run without replicas: the primary keeps no binary log, so the replicas must be seeded again.
        cluster = cluster_with(0)
        databases.mariadb_sql(cluster.entry("mariadb"), "INSERT INTO polis_it.t VALUES (2)")
        cluster.down()
        cluster = cluster_with(1)
        assert rows("mariadb-2") == ["1", "2"], "the replica was not seeded again"
        databases.mariadb_sql(cluster.entry("mariadb"), "INSERT INTO polis_it.t VALUES (3)")
        wait_for(lambda: rows("mariadb-2") == ["1", "2", "3"], 10, "the row to replicate")
        # Killed and started again, a replica resumes where it was.
        cluster.kill("mariadb-2", "KILL")
        wait_for(lambda: not cluster.is_running("mariadb-2"), 10, "the killed replica to exit")
        databases.mariadb_sql(cluster.entry("mariadb"), "INSERT INTO polis_it.t VALUES (4)")
        cluster.start("mariadb-2", timeout=60)
        wait_for(lambda: rows("mariadb-2") == ["1", "2", "3", "4"], 20, "the restarted replica to catch up")
    finally:
        for c in made:
            try:
                c.down(timeout=5)
            finally:
                c.kill_all()
