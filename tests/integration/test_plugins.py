"""Native plugins in a real node (polis-micro), reloaded through polis-ctl
and the center while another process keeps calling them: zero failed calls,
state carried across, a bad build refused while the old one serves, and the
file watch of development setups."""

import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import SECRET, wait_for
from polis_cluster import ClusterError


def built(build_dir, name):
    return build_dir / "tests" / "unit" / "host" / "plugins" / f"libpolis_test_{name}.so"


def install(build_dir, name, path):
    """What a build does: write the plugin file anew (to a temporary name, then rename into place)."""
    shutil.copyfile(built(build_dir, name), f"{path}.new")
    os.replace(f"{path}.new", path)


def micro(make_cluster, path, **plugins):
    config = {"plugins": {"load": ["echo"], "echo": {"path": str(path), "config": {"greeting": "hi"}}, **plugins}}
    return make_cluster({"center": 1, "micro": {"count": 1, "config": config}})


def ctl(cluster, *args):
    argv, env = cluster.ctl_command(list(args))
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    return r.returncode, r.stdout + r.stderr


def load(cluster, build_dir, callers, seconds):
    binary = build_dir / "tests" / "unit" / "host" / "polis_echo_load"
    return subprocess.Popen([binary, str(cluster.entry("micro-1")["rpc_port"]), str(callers), str(seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, POLIS_TEST_SECRET=SECRET))


def test_reloads_under_a_stream_of_calls_fail_no_call_and_carry_the_state(make_cluster, build_dir, tmp_path):
    path = tmp_path / "libecho.so"
    install(build_dir, "echo_v1", path)
    cluster = micro(make_cluster, path)
    cluster.up(timeout=30)
    stream = load(cluster, build_dir, callers=8, seconds=6)
    outputs = []
    time.sleep(1.0)
    for version in ["echo_v2", "echo_v1", "bad_init", "echo_v2", "echo_v1", "echo_v2"]:
        install(build_dir, version, path)
        outputs.append((version, *ctl(cluster, "reload", "plugins", "--node", "micro-1")))
        time.sleep(0.6)
    out, err = stream.communicate(timeout=60)
    assert stream.returncode == 0, err
    result = json.loads(out)
    print(result, outputs)
    for version, code, text in outputs:
        if version == "bad_init":
            assert code == 1, text
            assert "refused to start: init threw: this plugin cannot start" in text and "keeps serving" in text, text
        else:
            assert code == 0, text
            assert "serving" in text, text
    assert result["failed"] == 0, result["failures"]
    assert result["ok"] > 1000, result
    assert set(result["versions"]) == {"v1", "v2"}, result
    # Every call was counted by the plugin's state, handed over from version to version.
    code, text = ctl(cluster, "run", "echo.served", "--node", "micro-1")
    assert code == 0, text
    assert f"v2 served {result['ok']}" in text, text


def test_the_file_watch_reloads_a_plugin_when_its_file_changes(make_cluster, build_dir, tmp_path):
    path = tmp_path / "libecho.so"
    install(build_dir, "echo_v1", path)
    cluster = micro(make_cluster, path, watch=True)
    cluster.up(timeout=30)
    install(build_dir, "echo_v2", path)
    log = cluster.log_path("micro-1")
    wait_for(lambda: "changed: plugin echo: load #2 serving" in log.read_text(errors="replace"), 5,
             "the watch to reload the plugin")
    stream = load(cluster, build_dir, callers=1, seconds=1)
    out, _ = stream.communicate(timeout=30)
    assert set(json.loads(out)["versions"]) == {"v2"}


def test_a_plugin_that_cannot_load_stops_the_node_at_start_with_the_reason(make_cluster, build_dir, tmp_path):
    path = tmp_path / "libecho.so"
    install(build_dir, "raw_wrong_abi", path)
    cluster = micro(make_cluster, path)
    with pytest.raises(ClusterError) as failure:
        cluster.up(timeout=30)
    assert "the plugin was built for plugin ABI 999, this node has ABI 1" in str(failure.value), str(failure.value)
