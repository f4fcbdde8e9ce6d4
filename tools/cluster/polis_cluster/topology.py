"""The topology file: what a local cluster is made of.

A topology names the cluster, says how ports are chosen, holds the settings
every node shares and lists how many nodes of each role to run. It is read
strictly: an unknown key is an error, for the same reason the nodes reject
unknown config keys — a misspelt setting should not be silently ignored.
"""

import copy
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ClusterError
from .mappings import merge
from .paths import REPO_ROOT

ROLES = ("center", "gateway", "login", "proxy", "lobby", "world", "db", "admin", "micro")

_TOP_KEYS = {"name", "data_dir", "ports", "secret", "heartbeat", "heartbeat_timeout",
             "drain_timeout", "log", "redis", "mariadb", "roles"}
_REDIS_KEYS = {"enabled", "args", "shards"}
_MARIADB_KEYS = {"enabled", "database", "user", "password", "args", "replicas"}
MAX_MARIADB_REPLICAS = 8
_ROLE_KEYS = {"count", "config", "nodes"}


@dataclass
class NodeSpec:
    name: str
    role: str
    config: dict = field(default_factory=dict)  # merged into the generated config


@dataclass
class RedisSpec:
    enabled: bool = False
    args: list = field(default_factory=list)  # extra redis.conf lines
    shards: int = 1                           # Redis instances: "redis", "redis-2", …

    def names(self):
        """Process names of every shard ("redis", "redis-2", …); empty when disabled."""
        return numbered_names("redis", self.shards) if self.enabled else []


def numbered_names(base, count):
    """Process names of `count` instances of one server: base, base-2, base-3, …"""
    return [base] + [f"{base}-{i}" for i in range(2, count + 1)]


@dataclass
class MariadbSpec:
    enabled: bool = False
    database: str = "polis"
    user: str = ""       # optional application user, granted all on `database`
    password: str = ""
    args: list = field(default_factory=list)  # extra mariadbd flags
    replicas: int = 0    # read replicas of "mariadb": "mariadb-2", "mariadb-3", …

    def names(self):
        """Process names: the primary "mariadb", then every replica; empty when disabled."""
        return numbered_names("mariadb", 1 + self.replicas) if self.enabled else []

    def replica_names(self):
        return self.names()[1:]


@dataclass
class Topology:
    name: str
    secret: str
    ports: object = "auto"          # "auto" or a base port (int)
    data_dir: Path = None
    heartbeat: object = None        # passed through to cluster.heartbeat when set
    heartbeat_timeout: object = None  # passed through to center.heartbeat_timeout
    drain_timeout: object = None    # passed through to node.drain_timeout
    log: dict = field(default_factory=lambda: {"level": "info", "format": "human"})
    redis: RedisSpec = field(default_factory=RedisSpec)
    mariadb: MariadbSpec = field(default_factory=MariadbSpec)
    nodes: list = field(default_factory=list)  # NodeSpec, centers first
    source: Path = None

    @property
    def centers(self):
        return [n for n in self.nodes if n.role == "center"]

    def node(self, name):
        for n in self.nodes:
            if n.name == name:
                return n
        return None


def load(path):
    """Reads a topology file. Relative data_dir values are relative to the repo."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ClusterError(f"cannot read topology {path}: {e}") from e
    topo = from_dict(raw, where=str(path))
    topo.source = path.resolve()
    return topo


def from_dict(raw, where="<topology>"):
    if not isinstance(raw, dict):
        raise ClusterError(f"{where}: a topology is a mapping")
    _check_keys(raw, _TOP_KEYS, where)
    for required in ("name", "secret", "roles"):
        if required not in raw:
            raise ClusterError(f"{where}: '{required}' is required")
    name = str(raw["name"])
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ClusterError(f"{where}: name '{name}' must be letters, digits, '-' or '_'")
    topo = Topology(name=name, secret=str(raw["secret"]))
    topo.ports = _ports(raw.get("ports", "auto"), where)
    data_dir = raw.get("data_dir") or f".polis/{name}"
    topo.data_dir = (REPO_ROOT / data_dir).resolve()
    topo.heartbeat = raw.get("heartbeat")
    topo.heartbeat_timeout = raw.get("heartbeat_timeout")
    topo.drain_timeout = raw.get("drain_timeout")
    topo.log.update(_mapping(raw.get("log", {}), "log", where))
    topo.redis = _redis(raw.get("redis", {}), where)
    topo.mariadb = _mariadb(raw.get("mariadb", {}), where)
    topo.nodes = _nodes(raw["roles"], where)
    if any(n.role == "db" for n in topo.nodes) and not (topo.mariadb.enabled and topo.redis.enabled):
        raise ClusterError(f"{where}: the db role needs the cluster's MariaDB and Redis "
                           "(mariadb: {enabled: true}, redis: {enabled: true})")
    return topo


def _ports(value, where):
    if value == "auto":
        return "auto"
    if isinstance(value, int) and 1024 <= value <= 65000:
        return value
    raise ClusterError(f"{where}: ports must be 'auto' or a base port in 1024..65000, got {value!r}")


def _redis(raw, where):
    raw = _mapping(raw, "redis", where)
    _check_keys(raw, _REDIS_KEYS, f"{where}: redis")
    shards = raw.get("shards", 1)
    if not isinstance(shards, int) or not 1 <= shards <= 8:
        raise ClusterError(f"{where}: redis.shards must be an integer 1..8, got {shards!r}")
    return RedisSpec(enabled=bool(raw.get("enabled", False)), args=list(raw.get("args", [])), shards=shards)


def _mariadb(raw, where):
    raw = _mapping(raw, "mariadb", where)
    _check_keys(raw, _MARIADB_KEYS, f"{where}: mariadb")
    replicas = raw.get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or not 0 <= replicas <= MAX_MARIADB_REPLICAS:
        raise ClusterError(f"{where}: mariadb.replicas must be an integer 0..{MAX_MARIADB_REPLICAS}, got {replicas!r}")
    spec = MariadbSpec(enabled=bool(raw.get("enabled", False)), args=list(raw.get("args", [])), replicas=replicas)
    spec.database = str(raw.get("database", spec.database))
    spec.user = str(raw.get("user", ""))
    spec.password = str(raw.get("password", ""))
    for ident in (spec.database, spec.user):
        # These are spliced into SQL; keep them to plain identifiers.
        if ident and not ident.replace("_", "").isalnum():
            raise ClusterError(f"{where}: mariadb name '{ident}' must be letters, digits or '_'")
    if "'" in spec.password or "\\" in spec.password:
        raise ClusterError(f"{where}: mariadb password must not contain quotes or backslashes")
    return spec


def _nodes(roles, where):
    roles = _mapping(roles, "roles", where)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ClusterError(f"{where}: unknown role(s) {sorted(unknown)}; roles are {list(ROLES)}")
    if not roles.get("center"):
        raise ClusterError(f"{where}: a cluster needs at least one center")
    nodes = []
    # Centers first: every other node needs them to become ready.
    for role in ["center"] + [r for r in roles if r != "center"]:
        count, config, per_node = _role_entry(roles[role], role, where)
        for i in range(1, count + 1):
            own = per_node[i - 1] if i <= len(per_node) else {}
            nodes.append(NodeSpec(f"{role}-{i}", role, merge(copy.deepcopy(config), own)))
    return nodes


def _role_entry(value, role, where):
    """(count, the role's config, [each node's own config, in order]) of one roles.<role> entry.

    `nodes` lists settings for node 1, 2, … merged over `config`; `count`
    defaults to its length (or 1) and may not be smaller.
    """
    if isinstance(value, int):
        return value, {}, []
    value = _mapping(value, f"roles.{role}", where)
    _check_keys(value, _ROLE_KEYS, f"{where}: roles.{role}")
    per_node = value.get("nodes", [])
    if not isinstance(per_node, list):
        raise ClusterError(f"{where}: roles.{role}.nodes must be a list of mappings, one per node")
    per_node = [_mapping(v, f"roles.{role}.nodes[{i}]", where) for i, v in enumerate(per_node)]
    count = value.get("count", max(1, len(per_node)))
    if not isinstance(count, int) or count < 0:
        raise ClusterError(f"{where}: roles.{role}.count must be a non-negative integer")
    if count < len(per_node):
        raise ClusterError(f"{where}: roles.{role}.count is {count} but roles.{role}.nodes lists {len(per_node)}")
    return count, _mapping(value.get("config", {}), f"roles.{role}.config", where), per_node


def _mapping(value, key, where):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ClusterError(f"{where}: '{key}' must be a mapping")
    return value


def _check_keys(raw, allowed, where):
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ClusterError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
