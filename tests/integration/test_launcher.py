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

from conftest import FAST, REPO, SECRET
from polis_cluster import Cluster, ClusterError, processes, topology

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
    cluster = make_cluster({"center": 1, "db": 1}, redis={"enabled": True},
                           mariadb={"enabled": True, "database": "polis_it", "user": "app",
                                    "password": "app-pw"})
    cluster.up(timeout=60)
    redis_port, db_port = cluster.entry("redis")["port"], cluster.entry("mariadb")["port"]

    assert redis_ping(redis_port) == b"+PONG\r\n"
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


def test_command_line_up_status_kill_start_down(tmp_path, build_dir):
    topo = tmp_path / "topology.yaml"
    topo.write_text(yaml.safe_dump({"name": "cli", "secret": SECRET, "ports": "auto",
                                    "roles": {"center": 1, "lobby": 1}, **FAST}))
    data = tmp_path / "data"
    env = dict(os.environ, POLIS_BUILD_DIR=str(build_dir))

    def cli(*args):
        return subprocess.run([str(CLI), *args, "-t", str(topo), "--data", str(data)],
                              capture_output=True, text=True, timeout=30, env=env)

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


def test_up_reports_a_node_that_exits(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": {"count": 1, "config": {"node": {"colour": "blue"}}}})
    with pytest.raises(ClusterError) as failure:
        cluster.up(timeout=10)
    message = str(failure.value)
    assert "lobby-1 exited with code 2 before it was ready" in message
    assert "node.colour" in message  # the tail of its log is in the report


def _cluster(topo_path, data):
    return Cluster(topology.load(topo_path), data_dir=Path(data))
