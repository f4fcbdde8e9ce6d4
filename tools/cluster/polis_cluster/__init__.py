"""polis_cluster: run a local Polis cluster from a topology YAML.

As a library (the integration tests use it this way):

    from polis_cluster import Cluster, topology
    cluster = Cluster(topology.from_dict({...}), data_dir=tmp)
    cluster.up()
    cluster.kill("lobby-1")          # SIGKILL
    cluster.members()                # the first center's /members
    cluster.down()
"""

from .cluster import Cluster
from .errors import ClusterError
from . import databases, ops, ports, processes, topology

__all__ = ["Cluster", "ClusterError", "databases", "ops", "ports", "processes", "topology"]
