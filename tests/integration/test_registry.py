"""The center's registry with real processes: registration, membership push,
eviction on death, recovery after a center restart, the secret check and drain."""

import re
import time

from conftest import member_names, member_states, wait_for
from polis_cluster import ops

ROLES = {"center": 1, "lobby": 2, "world": 1}
NODES = {"lobby-1", "lobby-2", "world-1"}


def views_agree(cluster, expected, nodes):
    """The center and every node in `nodes` list exactly `expected`, all READY."""
    docs = [cluster.members()] + [cluster.members(n) for n in nodes]
    return all(member_states(d) == {n: "NODE_READY" for n in expected} for d in docs)


def test_nodes_register_and_everyone_sees_everyone(make_cluster):
    cluster = make_cluster(ROLES)
    assert cluster.up(timeout=20) is True

    center = cluster.members()
    assert center["center"] == "center-1"
    assert member_states(center) == {n: "NODE_READY" for n in NODES}
    for node in center["nodes"]:
        entry = cluster.entry(node["name"])
        assert node["role"] == entry["role"]
        assert node["host"] == "127.0.0.1"
        assert node["ports"]["rpc"] == entry["rpc_port"]
        assert node["ports"]["ops"] == entry["ops_port"]
        assert node["last_heartbeat_ms_ago"] < 2000

    # A node is READY once registered; its subscription snapshot follows shortly.
    wait_for(lambda: views_agree(cluster, NODES, NODES), 2, "every node's view to list every node")
    center_key = f"127.0.0.1:{cluster.entry('center-1')['rpc_port']}"
    for name in NODES:
        view = cluster.members(name)
        assert view["self"]["name"] == name
        assert view["centers"][center_key]["incarnation"] == center["incarnation"]


def test_killed_node_disappears_everywhere_within_3s(make_cluster):
    cluster = make_cluster(ROLES)
    cluster.up(timeout=20)
    wait_for(lambda: views_agree(cluster, NODES, NODES), 2, "membership to settle")

    survivors = NODES - {"lobby-2"}
    cluster.kill("lobby-2", "KILL")
    elapsed = wait_for(lambda: all("lobby-2" not in member_names(d)
                                   for d in [cluster.members()] + [cluster.members(n) for n in survivors]),
                       3, "lobby-2 to vanish from the center's and every survivor's /members")
    print(f"kill -9 -> gone from every view in {elapsed * 1000:.0f} ms")
    assert elapsed < 3
    assert views_agree(cluster, survivors, survivors)


def test_silent_node_is_evicted_after_heartbeat_timeout_and_comes_back(make_cluster):
    cluster = make_cluster(ROLES)  # heartbeat_timeout 1 s (conftest.FAST)
    cluster.up(timeout=20)
    wait_for(lambda: views_agree(cluster, NODES, NODES), 2, "membership to settle")

    # SIGSTOP keeps the connection open but silences the node: only the
    # heartbeat timeout can notice.
    cluster.kill("world-1", "STOP")
    elapsed = wait_for(lambda: "world-1" not in member_names(cluster.members()), 3,
                       "the center to evict the silent world-1")
    print(f"SIGSTOP -> evicted after {elapsed * 1000:.0f} ms (heartbeat_timeout 1000 ms)")
    assert elapsed >= 0.8, "evicted before the heartbeat timeout could have expired"
    wait_for(lambda: "world-1" not in member_names(cluster.members("lobby-1")), 1,
             "lobby-1's view to drop world-1")

    cluster.kill("world-1", "CONT")  # its next heartbeat is unknown to the center: it registers again
    wait_for(lambda: views_agree(cluster, NODES, NODES), 3, "world-1 to rejoin every view")


def test_restarted_center_relearns_every_node(make_cluster):
    cluster = make_cluster(ROLES)
    cluster.up(timeout=20)
    wait_for(lambda: views_agree(cluster, NODES, NODES), 2, "membership to settle")
    before = cluster.members()["incarnation"]

    cluster.kill("center-1", "KILL")
    assert cluster.wait_exit("center-1", 5) == -9
    cluster.start("center-1", timeout=10)  # returns once /readyz answers 200
    elapsed = wait_for(lambda: member_states(cluster.members()) == {n: "NODE_READY" for n in NODES},
                       2, "the restarted center to list every node again")
    print(f"center ready -> every node re-registered in {elapsed * 1000:.0f} ms")

    after = cluster.members()["incarnation"]
    assert after != before, "a restarted center must announce a new incarnation"
    center_key = f"127.0.0.1:{cluster.entry('center-1')['rpc_port']}"
    wait_for(lambda: views_agree(cluster, NODES, NODES)
             and all(cluster.members(n)["centers"][center_key]["incarnation"] == after for n in NODES),
             3, "every node's view to follow the new center incarnation")


def test_node_with_wrong_secret_is_refused(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": 1})
    cluster.up(timeout=20)
    cluster.add_node("lobby-rogue", "lobby", overrides={"cluster": {"secret": "not-the-cluster-secret!"}},
                     wait=False)

    refusal = re.compile(r"refused a peer at 127\.0\.0\.1:\d+: it failed the cluster-secret proof")
    center_log = cluster.log_path("center-1")
    wait_for(lambda: refusal.search(center_log.read_text()), 5, "the center to log the refusal")
    rogue_log = cluster.log_path("lobby-rogue")
    wait_for(lambda: "cluster-secret proofs do not match" in rogue_log.read_text(), 5,
             "the rogue node to log why it cannot join")

    # Several heartbeats (200 ms) of retries must not get it in. (Whether a
    # refused node keeps retrying or gives up and exits is its own choice.)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert "lobby-rogue" not in member_names(cluster.members())
        assert "lobby-rogue" not in member_names(cluster.members("lobby-1"))
        if cluster.is_running("lobby-rogue"):
            ready, why = ops.ready(cluster.ops_port("lobby-rogue"))
            assert not ready, why
        time.sleep(0.1)
    # Names cross only after the secret is proven: neither side learnt the other's.
    assert "lobby-rogue" not in center_log.read_text()
    assert "center-1" not in rogue_log.read_text().split("starting", 1)[-1]


def test_sigterm_drains_exits_0_and_leaves_the_registry(make_cluster):
    cluster = make_cluster(ROLES)
    cluster.up(timeout=20)
    wait_for(lambda: views_agree(cluster, NODES, NODES), 2, "membership to settle")

    cluster.kill("lobby-1", "TERM")
    seen = set()  # what the center said about lobby-1 while it stopped
    deadline = time.monotonic() + 10
    while cluster.is_running("lobby-1") and time.monotonic() < deadline:
        seen.add(member_states(cluster.members()).get("lobby-1", "gone"))
        time.sleep(0.01)
    assert cluster.wait_exit("lobby-1", 1) == 0
    assert seen <= {"NODE_READY", "NODE_DRAINING", "gone"}, seen
    wait_for(lambda: "lobby-1" not in member_names(cluster.members()), 1, "the center to drop lobby-1")
    wait_for(lambda: "lobby-1" not in member_names(cluster.members("world-1")), 1,
             "world-1's view to drop lobby-1")


def test_two_centers_each_hold_the_whole_cluster(make_cluster):
    cluster = make_cluster({"center": 2, "lobby": 1, "world": 1})
    cluster.up(timeout=20)
    nodes = {"lobby-1", "world-1"}
    centers = [f"127.0.0.1:{cluster.entry(c)['rpc_port']}" for c in ("center-1", "center-2")]

    # Every node registers with both centers and subscribes to both.
    wait_for(lambda: all(member_states(cluster.members(c)) == {n: "NODE_READY" for n in nodes}
                         for c in ("center-1", "center-2")), 3, "both centers to list every node")
    wait_for(lambda: all(sorted(cluster.members(n)["centers"]) == sorted(centers) for n in nodes), 2,
             "every node to subscribe to both centers")

    # One center dies: the other still knows everyone, and so does every node.
    cluster.kill("center-1", "KILL")
    assert cluster.wait_exit("center-1", 5) == -9
    wait_for(lambda: all(list(cluster.members(n)["centers"]) == [centers[1]] for n in nodes), 2,
             "nodes to drop the dead center's view")
    assert member_names(cluster.members("center-2")) == nodes
    for n in nodes:
        assert member_names(cluster.members(n)) == nodes

    # A node killed now is still seen to die, through the surviving center.
    cluster.kill("world-1", "KILL")
    wait_for(lambda: member_names(cluster.members("lobby-1")) == {"lobby-1"}, 3,
             "lobby-1 to learn of world-1's death from center-2")

    # The dead center comes back and is complete again within 2 s.
    cluster.start("center-1", timeout=10)
    wait_for(lambda: member_names(cluster.members("center-1")) == {"lobby-1"}, 2,
             "the restarted center-1 to relearn lobby-1")
