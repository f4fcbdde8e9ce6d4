"""The local cluster: start, stop and inspect every process of a topology.

Everything the launcher starts is described by an entry in state.json (its
argv, log file, ports and pid), so a later invocation — another CLI call, or a
test after a kill — can stop or restart any single process without the
topology. Processes started by this object are also kept as Popen handles,
which is how a caller learns their exit code.
"""

import os
import subprocess
import time
from pathlib import Path

from . import databases, nodes, ops, ports, processes, replication, state
from .errors import ClusterError
from .paths import build_dir as default_build_dir
from .topology import NodeSpec

# How to tell that a freshly started process is ready: kind -> fn(entry) -> (ok, why).
_READY = {
    "node": lambda e: ops.ready(e["ops_port"]),
    "redis": databases.redis_ready,
    "mariadb": databases.mariadb_ready,
}
# Seconds a process may take to exit after SIGTERM before it gets SIGKILL.
_STOP_TIMEOUT = {"redis": 30.0, "mariadb": 60.0}
_SERVICES = ("redis", "mariadb")


class Cluster:
    def __init__(self, topology, data_dir=None, build_dir=None):
        self.topology = topology
        self.data_dir = Path(data_dir or topology.data_dir).resolve()
        self.build_dir = default_build_dir(build_dir)
        self.state_path = self.data_dir / "state.json"
        self.state = state.load(self.state_path)
        self._popens = {}  # name -> Popen, for processes started by this object

    # --- the whole cluster ---------------------------------------------------

    def up(self, timeout=30.0):
        """Starts whatever is not running. Returns False when everything already was."""
        if self.state and all(self.is_running(n) for n in self.names()):
            return False
        if not self.state or not any(self.is_running(n) for n in self.names()):
            self.state = self._fresh_state()
            self._save()
        deadline = time.monotonic() + timeout
        # Databases, then centers, then everyone else: each step needs the one before.
        for group in (self._services(), self._nodes(role="center"), self._nodes(role=None)):
            todo = [n for n in group if not self.is_running(n)]
            for name in todo:
                self._spawn(name)
            self.wait_ready(todo, max(0.0, deadline - time.monotonic()))
            for name in todo:  # in order: the primary MariaDB before its replicas
                self._set_up(name)
        return True

    def down(self, timeout=None):
        """Stops every process (nodes drain first) and forgets the state. Returns {name: outcome}."""
        if not self.state:
            return {}
        outcome = {}
        # Non-centers first so they can deregister while a center still listens.
        for group in (list(reversed(self._nodes(role=None))), self._nodes(role="center"),
                      self._services()):
            outcome.update(self._stop_group(group, timeout))
        self.state_path.unlink(missing_ok=True)
        self.state = None
        return outcome

    def kill_all(self):
        """SIGKILL for everything still alive, recorded or started by this object;
        the last resort of a test teardown, so it trusts nothing else to have worked."""
        for name in self.names():
            self.kill(name, "KILL")
        for popen in self._popens.values():
            if popen.poll() is None:
                popen.kill()
                try:
                    popen.wait(5)
                except subprocess.TimeoutExpired:
                    pass  # stuck in the kernel; nothing more a launcher can do

    def status(self):
        """One row per process: name, kind, pid, running, ports and the center's view."""
        view = self._center_view()
        rows = []
        for name in self.names():
            e = self.entry(name)
            running = self.is_running(name)
            member = view.get(name, {})
            rows.append({
                "name": name,
                "kind": e.get("role", e["kind"]),
                "pid": e["pid"],
                "running": running,
                "ports": _ports_text(e),
                "state": member.get("state") or self._own_state(e, running),
                "heartbeat_ms_ago": member.get("last_heartbeat_ms_ago"),
            })
        return rows

    # --- single processes ----------------------------------------------------

    def names(self):
        return list(self.state["order"]) if self.state else []

    def entry(self, name):
        if not self.state or name not in self.state["processes"]:
            known = ", ".join(self.names()) or "nothing (is the cluster up?)"
            raise ClusterError(f"no process named '{name}'; known: {known}")
        return self.state["processes"][name]

    def is_running(self, name):
        e = self.entry(name)
        popen = self._popens.get(name)
        if popen is not None and popen.pid == e["pid"]:
            return popen.poll() is None
        return processes.is_running(e["pid"], e["marker"])

    def start(self, name, wait=True, timeout=20.0):
        """Starts one process; with `wait`, returns once it is ready — for a
        center, once every running node has registered with it again too (or
        `timeout` passed: registry_missing() then says who is missing)."""
        if self.is_running(name):
            return False
        self._spawn(name)
        if wait:
            deadline = time.monotonic() + timeout
            self.wait_ready([name], timeout)
            self._set_up(name)
            if self.entry(name)["kind"] == "node" and self.entry(name)["role"] == "center":
                self.wait_registry(name, max(0.0, deadline - time.monotonic()))
        return True

    def registry_missing(self, center):
        """Running non-center nodes that `center`'s /members does not list (all of them if it does not answer)."""
        expected = {n for n in self._nodes(role=None) if self.is_running(n)}
        try:
            listed = {m["name"] for m in self.members(center)["nodes"]}
        except (OSError, ValueError, KeyError):
            return sorted(expected)
        return sorted(expected - listed)

    def wait_registry(self, center, timeout):
        """Waits until `center` lists every running node; returns the ones still missing."""
        deadline = time.monotonic() + timeout
        while True:
            missing = self.registry_missing(center)
            if not missing or time.monotonic() >= deadline:
                return missing
            time.sleep(0.02)

    def stop(self, name, timeout=None):
        return self._stop_group([name], timeout)[name]

    def restart(self, name, timeout=20.0):
        self.stop(name)
        return self.start(name, timeout=timeout)

    def kill(self, name, sig="KILL"):
        """Sends a signal (a name from processes.SIGNALS) without waiting. True if sent."""
        e = self.entry(name)
        return processes.send(e["pid"], processes.SIGNALS[sig.upper()], e["marker"])

    def wait_exit(self, name, timeout=10.0):
        """The exit code of a process this object started, once it exits; None on timeout."""
        popen = self._popens.get(name)
        if popen is None:
            raise ClusterError(f"'{name}' was not started by this launcher instance; no exit code")
        try:
            return popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def add_node(self, name, role, overrides=None, env=None, wait=True, timeout=20.0):
        """Adds a node that is not in the topology (on free ports) and starts it.

        `overrides` is merged into its generated config; `env` adds environment
        variables (e.g. POLIS_* overrides). Tests use this for misconfigured nodes.
        """
        if self.state is None:
            raise ClusterError("the cluster is not up")
        if name in self.state["processes"]:
            raise ClusterError(f"'{name}' already exists")
        rpc, ops_port = ports.free_ports(2)
        spec, node_ports = NodeSpec(name, role), {"rpc": rpc, "ops": ops_port}
        mariadb = self.state["processes"].get("mariadb")
        config = nodes.node_config(self.topology, spec, node_ports, self._center_addresses(), overrides,
                                   mariadb_port=mariadb["port"] if mariadb else None,
                                   redis_ports=self._ports_of(self.topology.redis.names()),
                                   replica_ports=self._ports_of(self.topology.mariadb.replica_names()))
        self.state["processes"][name] = nodes.node_entry(self.data_dir, self.build_dir, spec, node_ports,
                                                         config, env)
        self.state["order"].append(name)
        self._save()
        return self.start(name, wait=wait, timeout=timeout)

    def wait_ready(self, names, timeout):
        """Waits until every named process is ready; raises with its log tail if one dies or times out."""
        pending = list(names)
        deadline = time.monotonic() + timeout
        while pending:
            for name in list(pending):
                if not self.is_running(name):
                    raise ClusterError(self._failure(name, f"exited{self._exit_text(name)} before it was ready"))
                ok, why = _READY[self.entry(name)["kind"]](self.entry(name))
                if ok:
                    pending.remove(name)
                elif time.monotonic() >= deadline:
                    raise ClusterError(self._failure(name, f"not ready after {timeout:.0f}s ({why})"))
            if pending:
                time.sleep(0.02)

    def ops_port(self, name):
        return self.entry(name)["ops_port"]

    def members(self, name=None):
        """The /members document of a node; by default the first center's."""
        return ops.members(self.ops_port(name or self._nodes(role="center")[0]))

    def log_path(self, name):
        return Path(self.entry(name)["log"])

    # --- internals -----------------------------------------------------------

    def _fresh_state(self):
        topo = self.topology
        plan = ports.plan(topo)
        procs = {}
        for name in topo.redis.names():
            procs[name] = databases.redis_entry(self.data_dir, topo.redis, plan[name]["port"], name)
        if topo.mariadb.enabled and not topo.mariadb.replicas:
            replication.forget_seeds(self.data_dir)
        for name in topo.mariadb.names():
            primary = None if name == "mariadb" else "mariadb"
            procs[name] = databases.mariadb_entry(self.data_dir, topo.mariadb, plan[name]["port"], name, primary)
        centers = [f"{ports.HOST}:{plan[c.name]['rpc']}" for c in topo.centers]
        for spec in topo.nodes:
            config = nodes.node_config(topo, spec, plan[spec.name], centers,
                                       mariadb_port=plan["mariadb"]["port"] if topo.mariadb.enabled else None,
                                       redis_ports=[plan[n]["port"] for n in topo.redis.names()],
                                       replica_ports=[plan[n]["port"] for n in topo.mariadb.replica_names()])
            procs[spec.name] = nodes.node_entry(self.data_dir, self.build_dir, spec, plan[spec.name], config)
        return {
            "cluster": topo.name,
            "topology": str(topo.source) if topo.source else None,
            "data_dir": str(self.data_dir),
            "order": list(procs),
            "processes": procs,
        }

    def _spawn(self, name):
        e = self.entry(name)
        if e["kind"] == "mariadb":
            databases.mariadb_prepare(e)
        env = dict(os.environ, **e.get("env", {}))
        popen = processes.spawn(e["argv"], e["log"], env, block_stop_signals=e["kind"] == "node")
        self._popens[name] = popen
        e["pid"] = popen.pid
        self._save()

    def _set_up(self, name):
        """What a freshly ready MariaDB needs: the database and users on the
        primary; a replica is seeded from the primary once."""
        e = self.entry(name)
        if e["kind"] != "mariadb":
            return
        if e.get("primary"):
            replication.seed_replica(e, self.entry(e["primary"]))
        else:
            databases.mariadb_setup(e)

    def _ports_of(self, names):
        return [self.entry(n)["port"] for n in names if n in self.state["processes"]]

    def _stop_group(self, names, timeout):
        """SIGTERM to all at once (they drain in parallel), SIGKILL to whoever outlasts the timeout."""
        sent = {n for n in names if self.kill(n, "TERM")}
        outcome = {n: "not running" for n in names if n not in sent}
        deadline = time.monotonic() + (timeout if timeout is not None else
                                       max((self._stop_timeout(n) for n in sent), default=0))
        while sent and time.monotonic() < deadline:
            for n in [n for n in sent if not self.is_running(n)]:
                outcome[n] = "stopped"
                sent.discard(n)
            time.sleep(0.02)
        for n in sent:
            self.kill(n, "KILL")
            e = self.entry(n)
            processes.wait_gone(e["pid"], 5, e["marker"], self._popens.get(n))
            outcome[n] = "killed"
        return outcome

    def _stop_timeout(self, name):
        e = self.entry(name)
        if e["kind"] in _STOP_TIMEOUT:
            return _STOP_TIMEOUT[e["kind"]]
        # A node may drain for drain_timeout; leave room for deregistering.
        return _duration_seconds(self.topology.drain_timeout, 10.0) + 5.0

    def ctl_command(self, args):
        """(argv, env) running polis-ctl against this cluster's first center with its secret."""
        centers = self._center_addresses()
        if not centers:
            raise ClusterError("the topology has no center")
        binary = self.build_dir / "tools" / "ctl" / "polis-ctl"
        if not binary.exists():
            raise ClusterError(f"{binary} is missing: build it first (cmake --build {self.build_dir} --target polis-ctl)")
        env = dict(os.environ, POLIS_CLUSTER__SECRET=self.topology.secret)
        return [str(binary), "--center", centers[0], *args], env

    def _services(self):
        return [n for n in self.names() if self.entry(n)["kind"] in _SERVICES]

    def _nodes(self, role):
        """Nodes with `role`; role=None means every node that is not a center."""
        out = []
        for n in self.names():
            e = self.entry(n)
            if e["kind"] == "node" and ((e["role"] == role) if role else e["role"] != "center"):
                out.append(n)
        return out

    def _center_addresses(self):
        return [f"{ports.HOST}:{self.entry(c)['rpc_port']}" for c in self._nodes(role="center")]

    def _center_view(self):
        """{name: member} from the first center that answers /members; {} if none does."""
        for center in self._nodes(role="center"):
            try:
                return {m["name"]: m for m in self.members(center)["nodes"]}
            except (OSError, ValueError, KeyError):
                continue
        return {}

    def _own_state(self, entry, running):
        """What a node the center does not list says about itself (a center never lists itself)."""
        if entry["kind"] != "node" or not running:
            return "-"
        _, state_text = ops.ready(entry["ops_port"])
        return state_text if entry["role"] == "center" else f"{state_text} (unlisted)"

    def _exit_text(self, name):
        popen = self._popens.get(name)
        return f" with code {popen.returncode}" if popen and popen.returncode is not None else ""

    def _failure(self, name, what):
        e = self.entry(name)
        text = f"{name} {what}; last lines of {e['log']}:\n{processes.tail(e['log'])}"
        if e.get("error_log"):
            text += f"\n--- {e['error_log']}:\n{processes.tail(e['error_log'], 15)}"
        return text

    def _save(self):
        state.save(self.state_path, self.state)


def _ports_text(entry):
    if entry["kind"] == "node":
        return f"rpc {entry['rpc_port']} ops {entry['ops_port']}"
    return str(entry["port"])


def _duration_seconds(value, default):
    """Config durations: an int of milliseconds, or "250ms" / "1s" / "2m"."""
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return value / 1000.0
    text = str(value).strip()
    for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * scale
    if text.isdigit():
        return int(text) / 1000.0
    raise ClusterError(f"cannot read duration {value!r}")
