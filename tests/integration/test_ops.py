"""The ops port of real nodes: /metrics carries the transport, RPC and loop
figures, and bad bytes on the RPC port close only that connection, are
counted, and leave the node serving."""

import socket
import struct
import time

from conftest import member_names, scrape, value, wait_for
from polis_cluster import ops


def test_metrics_cover_transport_rpc_and_loop(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": 1})
    cluster.up(timeout=20)
    wait_for(lambda: value(scrape(cluster.ops_port("center-1")), "polis_rpc_server_calls_total",
                           method="Registry.Heartbeat", result="ok") >= 2, 3, "two heartbeats to reach the center")

    center = scrape(cluster.ops_port("center-1"))
    assert value(center, "polis_net_connections") >= 1
    for counter in ("polis_net_bytes_in_total", "polis_net_bytes_out_total",
                    "polis_net_frames_in_total", "polis_net_frames_out_total"):
        assert value(center, counter) > 0, counter
    assert value(center, "polis_rpc_server_calls_total", method="Registry.Register", result="ok") >= 1
    assert value(center, "polis_rpc_server_latency_seconds_count", method="Registry.Heartbeat") >= 2
    assert value(center, "polis_rpc_server_latency_seconds_bucket", method="Registry.Heartbeat", le="+Inf") >= 2
    assert ("polis_event_loop_lag_seconds", "") in center
    assert value(center, "polis_node_ready") == 1

    lobby = scrape(cluster.ops_port("lobby-1"))
    assert value(lobby, "polis_rpc_client_calls_total", method="Registry.Register", result="ok") >= 1
    assert value(lobby, "polis_rpc_client_latency_seconds_count", method="Registry.Subscribe") >= 1


def test_garbage_on_the_rpc_port_closes_only_that_connection(make_cluster):
    cluster = make_cluster({"center": 1, "lobby": 1})
    cluster.up(timeout=20)
    port = cluster.entry("center-1")["rpc_port"]
    before = scrape(cluster.ops_port("center-1"))

    def closed_by_peer(sock):
        sock.settimeout(3)
        try:
            while sock.recv(4096):
                pass  # the center's own challenge, then EOF
            return True
        except ConnectionResetError:
            return True

    # A length prefix far above net.max_frame_bytes: refused as soon as it is read.
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"x" * 16)
        assert closed_by_peer(s)
    # A well-sized frame that is not a handshake: refused before authentication.
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(struct.pack(">I", 16) + bytes([1, 1]) + b"\x00" * 14)
        assert closed_by_peer(s)

    after = scrape(cluster.ops_port("center-1"))
    for reason in ("oversize", "unauthenticated"):
        assert (value(after, "polis_net_frames_rejected_total", reason=reason)
                == value(before, "polis_net_frames_rejected_total", reason=reason) + 1), reason
    # The registered node was not disturbed.
    assert member_names(cluster.members()) == {"lobby-1"}
    time.sleep(0.3)  # a heartbeat or two
    assert ops.ready(cluster.ops_port("center-1"))[0]
    assert member_names(cluster.members()) == {"lobby-1"}
