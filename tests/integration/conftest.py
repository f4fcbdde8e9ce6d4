"""Shared fixtures: real binaries on free ports, one temp data folder per test,
and a teardown that SIGKILLs whatever a failing test left running."""

import os
import re
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "cluster"))

from polis_cluster import Cluster, ops, paths, topology  # noqa: E402

# Nodes read POLIS_<KEY> variables as config overrides; one left in the
# developer's shell would silently change every node these tests start.
for _var in [v for v in os.environ if v.startswith("POLIS_") and v != "POLIS_BUILD_DIR"]:
    del os.environ[_var]

SECRET = "integration-test-secret-0123456789"

# Fast timings so failures are detected in well under the 3 s the tests allow.
FAST = {"heartbeat": "200ms", "heartbeat_timeout": "1s", "drain_timeout": "2s"}


def make_topology(roles, name="it", **extra):
    raw = {"name": name, "secret": SECRET, "ports": "auto", "roles": roles,
           "log": {"level": "info", "format": "human"}, **FAST}
    raw.update(extra)
    return topology.from_dict(raw)


@pytest.fixture(scope="session")
def build_dir():
    build = paths.build_dir()
    missing = [r for r in topology.ROLES if not (build / "src" / r / f"polis-{r}").exists()]
    if missing:
        pytest.fail(f"binaries missing under {build} for roles {missing}; build first or set POLIS_BUILD_DIR")
    return build


@pytest.fixture
def make_cluster(tmp_path, build_dir):
    """Factory: make_cluster(roles, **topology_keys) -> Cluster (not started yet)."""
    made = []

    def make(roles, **extra):
        cluster = Cluster(make_topology(roles, **extra), data_dir=tmp_path / f"data{len(made)}",
                          build_dir=build_dir)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        try:
            cluster.down(timeout=5)
        finally:
            cluster.kill_all()


def wait_for(condition, timeout, what, interval=0.02):
    """Polls `condition` until true; returns the seconds it took, fails the test on timeout."""
    start = time.monotonic()
    last_error = None
    while True:
        try:
            if condition():
                return time.monotonic() - start
        except (OSError, ValueError, KeyError) as e:  # a node not answering yet
            last_error = e
        if time.monotonic() - start >= timeout:
            detail = f" (last error: {last_error!r})" if last_error else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(interval)


def member_names(doc):
    return {n["name"] for n in doc["nodes"]}


def member_states(doc):
    return {n["name"]: n["state"] for n in doc["nodes"]}


SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def scrape(port):
    """{(name, labels): value} from a node's /metrics; fails on a line that is not Prometheus text."""
    status, body = ops.get(port, "/metrics")
    assert status == 200
    out = {}
    for line in body.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"not Prometheus text: {line!r}"
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def value(samples, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    want = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(v for (n, l), v in samples.items() if n == name and all(w in l for w in want))
