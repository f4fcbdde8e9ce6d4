"""The guestbook example written twice, as the development cluster runs it:
micro-1 hosts scripts/lua/guestbook.lua, micro-2 the plugin
plugins/guestbook. The same calls get the same answers from both; the
plugin's entries survive a reload through polis-ctl; a bad setting of the
plugin names its key."""

import os
import re
import subprocess

import pytest

from conftest import REPO, SECRET
from polis_cluster import ClusterError

GUESTBOOK_PLUGIN = "plugins/guestbook/libguestbook.so"  # from the build tree, as in deploy/local/dev.yaml


def both(make_cluster, plugin_config=None):
    plugin = {"path": GUESTBOOK_PLUGIN, "config": plugin_config or {}}
    return make_cluster({"center": 1, "micro": {"nodes": [
        {"lua": {"scripts": str(REPO / "scripts" / "lua")}},
        {"plugins": {"load": ["guestbook"], "guestbook": plugin}},
    ]}})


def call(cluster, build_dir, node, *args):
    binary = build_dir / "tests" / "unit" / "host" / "polis_guestbook_call"
    r = subprocess.run([str(binary), str(cluster.entry(node)["rpc_port"]), *args], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "POLIS_TEST_SECRET": SECRET})
    assert r.returncode == 0, r.stderr
    # The signing time is the only thing that differs between two books.
    return re.sub(r"signed_at_ms: \d+", "signed_at_ms: T", r.stdout.strip())


def ctl(cluster, *args):
    argv, env = cluster.ctl_command(list(args))
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    return r.returncode, r.stdout + r.stderr


def test_the_lua_and_the_plugin_guestbook_answer_alike(make_cluster, build_dir):
    cluster = both(make_cluster)
    cluster.up(timeout=30)
    script = [("sign", "ada", "hello"), ("sign", "bob", "hi there"), ("sign", "", "nameless"),
              ("latest", "1"), ("latest", "0"), ("sign", "cy", "")]
    answers = {node: [call(cluster, build_dir, node, *step) for step in script] for node in ("micro-1", "micro-2")}
    assert answers["micro-1"] == answers["micro-2"]
    assert answers["micro-2"][:3] == ["entry_id: 1 total: 1", "entry_id: 2 total: 2",
                                      "error invalid_argument: name is empty"]
    assert answers["micro-2"][3].count("entry_id") == 1 and 'name: "bob"' in answers["micro-2"][3]

    for node in ("micro-1", "micro-2"):
        code, out = ctl(cluster, "run", "guestbook.trim", "keep=1", "--node", node)
        assert code == 0 and "kept 1 of 3 entries" in out, out
        code, out = ctl(cluster, "run", "guestbook.trim", "keep=-1", "--node", node)
        assert code != 0 and "keep must be 0 or more" in out, out


def test_the_plugin_keeps_its_entries_across_a_reload(make_cluster, build_dir):
    cluster = both(make_cluster)
    cluster.up(timeout=30)
    for name in ("ada", "bob"):
        call(cluster, build_dir, "micro-2", "sign", name, "before the reload")
    code, out = ctl(cluster, "reload", "plugins", "--node", "micro-2")
    assert code == 0 and "plugin guestbook: load #2 serving" in out, out
    code, out = ctl(cluster, "run", "guestbook.stats", "--node", "micro-2")
    assert code == 0 and "2 entries, 0 signed since load, next id 3" in out, out
    assert call(cluster, build_dir, "micro-2", "sign", "cy", "after") == "entry_id: 3 total: 3"
    latest = call(cluster, build_dir, "micro-2", "latest", "10")
    assert [m for m in re.findall(r'name: "(\w+)"', latest)] == ["cy", "bob", "ada"], latest


@pytest.mark.parametrize("value", ["lots", "-1", ""])
def test_a_bad_plugin_setting_stops_the_node_naming_the_key(make_cluster, value):
    cluster = both(make_cluster, {"max_entries": value})
    with pytest.raises(ClusterError) as failure:
        cluster.up(timeout=30)
    assert f"plugins.guestbook.config.max_entries: not a count: '{value}'" in str(failure.value), str(failure.value)
