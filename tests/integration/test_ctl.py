"""polis-ctl against a real cluster: the members, each node's commands, a
command fanned out to a role, drain of one node, and refusals — a wrong
secret, an unknown command, bad arguments."""

import os
import subprocess

import yaml

from conftest import FAST, REPO, SECRET, scrape, value

CLI = REPO / "tools" / "polis-cluster"


def ctl(cluster, *args, secret=None):
    argv, env = cluster.ctl_command(list(args))
    if secret is not None:
        env["POLIS_CLUSTER__SECRET"] = secret
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    return r.returncode, r.stdout, r.stderr


def test_members_commands_and_a_fanned_out_run(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": 2, "world": 1})
    cluster.up(timeout=30)
    code, out, err = ctl(cluster, "members")
    assert code == 0, err
    assert {line.split()[0] for line in out.splitlines()} == {"lobby-1", "lobby-2", "world-1"}
    assert all("NODE_READY" in line for line in out.splitlines()), out

    code, out, err = ctl(cluster, "commands", "--role", "lobby")
    assert code == 0, err
    assert out.count("drain — ") == 2 and "lobby-1 (lobby): ok" in out and "world-1" not in out, out

    # An unknown command is refused by every node it reached; polis-ctl exits 1.
    code, out, _ = ctl(cluster, "run", "no.such.command")
    assert code == 1
    assert out.count("not_found: no command \"no.such.command\" here") == 3, out
    code, out, _ = ctl(cluster, "run", "drain", "now=yes", "--node", "world-1")
    assert code == 1 and "drain has no argument \"now\"" in out, out
    assert cluster.is_running("world-1"), "a refused command ran anyway"


def test_drain_stops_exactly_the_node_named(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": 2})
    cluster.up(timeout=30)
    code, out, err = ctl(cluster, "drain", "--node", "lobby-2")
    assert code == 0, err
    assert "lobby-2 (lobby): ok" in out and "draining" in out, out
    assert cluster.wait_exit("lobby-2", 15) == 0, "the drained node exits 0"
    assert cluster.is_running("lobby-1")
    code, out, _ = ctl(cluster, "run", "drain", "--node", "nobody")
    assert code == 1 and "no node matches" in (out + _), out


def test_a_wrong_secret_is_refused_and_counted(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": 1})
    cluster.up(timeout=30)
    code, out, err = ctl(cluster, "drain", "--node", "lobby-1", secret="not-the-cluster-secret-at-all")
    assert code == 2
    assert "refused the cluster secret" in err, err
    assert out == ""
    assert cluster.is_running("lobby-1"), "a command with the wrong secret ran"
    assert value(scrape(cluster.ops_port("center-1")), "polis_rpc_auth_failures_total") >= 1
    code, _, err = ctl(cluster, "members", secret="")
    assert code == 2 and "no cluster secret" in err


def test_the_launcher_runs_polis_ctl_with_the_clusters_secret(tmp_path, build_dir):
    topo = tmp_path / "topology.yaml"
    topo.write_text(yaml.safe_dump({"name": "ctl", "secret": SECRET, "ports": "auto",
                                    "roles": {"center": 1, "lobby": 1}, **FAST}))
    env = {k: v for k, v in os.environ.items() if k != "POLIS_CLUSTER__SECRET"}
    cli = [str(CLI), "-t", str(topo), "--data", str(tmp_path / "data"), "--build", str(build_dir)]
    try:
        assert subprocess.run([*cli, "up"], capture_output=True, timeout=60, env=env).returncode == 0
        r = subprocess.run([*cli, "ctl", "commands", "--node", "lobby-1"], capture_output=True, text=True,
                           timeout=60, env=env)
        assert r.returncode == 0, r.stderr
        assert "lobby-1 (lobby): ok" in r.stdout and "drain — " in r.stdout, r.stdout
    finally:
        subprocess.run([*cli, "down"], capture_output=True, timeout=60, env=env)
