"""Port plans: fixed offsets from a base port, or free ports picked by the kernel.

With a base port B, the n-th node (0-based, launch order) gets rpc B+n and ops
B+100+n; Redis shards get B+379, B+380, …, MariaDB B+306 (echoing their
usual 6379/3306) and its replicas B+307, B+308, ….
"""

import socket

from .errors import ClusterError
from .topology import numbered_names

HOST = "127.0.0.1"
MAX_NODES_WITH_BASE = 100
REDIS_OFFSET = 379
MARIADB_OFFSET = 306


def free_ports(count):
    """`count` distinct ports that were free a moment ago.

    All sockets stay open until every port is chosen, so the kernel cannot hand
    out the same port twice. Another process may still take one before our
    server binds it; the window is small and the start would fail loudly.
    """
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def plan(topology):
    """{name: {"rpc": p, "ops": p}} for every node, plus {"port": p} for "redis", "redis-2"…
    and "mariadb", "mariadb-2"… (the primary and its replicas)."""
    nodes = topology.nodes
    redis_names = numbered_names("redis", topology.redis.shards)
    mariadb_names = numbered_names("mariadb", 1 + topology.mariadb.replicas)
    if topology.ports == "auto":
        picked = iter(free_ports(2 * len(nodes) + len(redis_names) + len(mariadb_names)))
        out = {n.name: {"rpc": next(picked), "ops": next(picked)} for n in nodes}
        for name in redis_names + mariadb_names:
            out[name] = {"port": next(picked)}
        return out
    base = topology.ports
    if len(nodes) > MAX_NODES_WITH_BASE:
        raise ClusterError(f"at most {MAX_NODES_WITH_BASE} nodes with a base port; use ports: auto")
    out = {n.name: {"rpc": base + i, "ops": base + 100 + i} for i, n in enumerate(nodes)}
    for i, name in enumerate(redis_names):
        out[name] = {"port": base + REDIS_OFFSET + i}
    for i, name in enumerate(mariadb_names):
        out[name] = {"port": base + MARIADB_OFFSET + i}
    return out
