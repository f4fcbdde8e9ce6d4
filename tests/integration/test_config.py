"""Config validation at start: every binary refuses a bad config with exit
code 2 and a message naming the key (or the environment variable)."""

import os
import subprocess

import pytest

from conftest import make_topology
from polis_cluster import nodes, topology
from polis_cluster.topology import NodeSpec

# Nothing listens here; a node that wrongly accepted its config would just
# keep retrying and the run would time out (and fail) instead of exiting 2.
UNUSED_CENTER = "127.0.0.1:9"


def run_node(build_dir, tmp_path, role, overrides=None, env=None):
    spec = NodeSpec(f"{role}-1", role)
    config = nodes.node_config(make_topology({"center": 1}), spec, {"rpc": 0, "ops": 0},
                               [UNUSED_CENTER], overrides)
    path = nodes.write_config(tmp_path / f"{role}.yaml", config)
    binary = build_dir / "src" / role / f"polis-{role}"
    return subprocess.run([binary, "--config", path], capture_output=True, text=True, timeout=10,
                          env=dict(os.environ, **(env or {})))


@pytest.mark.parametrize("role", topology.ROLES)
def test_help_exits_0(build_dir, role):
    r = subprocess.run([build_dir / "src" / role / f"polis-{role}", "--help"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    assert "--config" in r.stdout


def test_unknown_key_is_named(build_dir, tmp_path):
    r = run_node(build_dir, tmp_path, "lobby", {"node": {"colour": "blue"}})
    assert r.returncode == 2, r.stderr
    assert "node.colour" in r.stderr


def test_center_section_is_unknown_to_other_roles(build_dir, tmp_path):
    r = run_node(build_dir, tmp_path, "world", {"center": {"heartbeat_timeout": "3s"}})
    assert r.returncode == 2, r.stderr
    assert "center.heartbeat_timeout" in r.stderr


def test_bad_value_from_env_names_the_variable(build_dir, tmp_path):
    r = run_node(build_dir, tmp_path, "gateway", env={"POLIS_NODE__OPS_PORT": "not-a-port"})
    assert r.returncode == 2, r.stderr
    assert "POLIS_NODE__OPS_PORT" in r.stderr


def test_bad_duration_from_env_names_the_variable(build_dir, tmp_path):
    r = run_node(build_dir, tmp_path, "center", env={"POLIS_CLUSTER__HEARTBEAT": "fast"})
    assert r.returncode == 2, r.stderr
    assert "POLIS_CLUSTER__HEARTBEAT" in r.stderr


def test_short_secret_is_rejected(build_dir, tmp_path):
    r = run_node(build_dir, tmp_path, "login", {"cluster": {"secret": "too-short"}})
    assert r.returncode == 2, r.stderr
    assert "cluster.secret" in r.stderr


def test_misspelt_env_variable_is_refused(build_dir, tmp_path):
    # Before: a misspelt override was ignored and the node ran on the file's value.
    r = run_node(build_dir, tmp_path, "lobby", env={"POLIS_NODE__OPS_PROT": "9100"})
    assert r.returncode == 2, r.stderr
    assert "unknown environment variable POLIS_NODE__OPS_PROT" in r.stderr
    r = run_node(build_dir, tmp_path, "lobby", env={"POLIS_CLUSTER_HEARTBEAT": "1s"})
    assert r.returncode == 2, r.stderr
    assert "POLIS_CLUSTER__HEARTBEAT" in r.stderr  # the message shows the right spelling


def test_build_variables_are_not_config(build_dir, tmp_path):
    # The scripts' own variables reach nodes through the environment; they are no
    # config override and must not stop a node. The node then runs (and keeps
    # retrying the unused center), so it is stopped after a moment.
    config = nodes.node_config(make_topology({"center": 1}), NodeSpec("lobby-1", "lobby"), {"rpc": 0, "ops": 0},
                               [UNUSED_CENTER])
    path = nodes.write_config(tmp_path / "lobby.yaml", config)
    proc = subprocess.Popen([build_dir / "src" / "lobby" / "polis-lobby", "--config", path],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, POLIS_BUILD_DIR="/tmp/elsewhere", POLIS_BUILD_BENCH="OFF"))
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(1.0)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert "unknown environment variable" not in out


def test_a_bad_db_replica_names_the_key(build_dir, tmp_path):
    r = run_node(build_dir, tmp_path, "db", {"db": {"mysql": {"replicas": ["127.0.0.1:3307", "replica-host"]}}})
    assert r.returncode == 2, r.stderr
    assert 'db.mysql.replicas (from ' in r.stderr and '"replica-host"' in r.stderr, r.stderr
    r = run_node(build_dir, tmp_path, "db", env={"POLIS_DB__MYSQL__REPLICAS": "127.0.0.1:3307,127.0.0.1:3307"})
    assert r.returncode == 2, r.stderr
    assert "POLIS_DB__MYSQL__REPLICAS" in r.stderr and "twice" in r.stderr, r.stderr
