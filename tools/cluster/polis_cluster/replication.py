"""MariaDB read replicas: seeding a new replica from the primary and reading
its replication status.

A replica is seeded once: the primary's database is copied with
mariadb-dump (one consistent snapshot, which also gives the GTID position it
was taken at), loaded into the replica, and the replica replicates from that
position (GTID, MASTER_USE_GTID=slave_pos). A marker file records that it was
done; MariaDB keeps the replica's position and restarts replication whenever
the replica's server starts, so a stopped replica catches up by itself.
"""

import subprocess
import time
from pathlib import Path

from .databases import REPLICATION_USER, mariadb_setup, mariadb_sql
from .errors import ClusterError
from .paths import system_tool
from .ports import HOST


_SEEDED = ".replicating"


def seed_replica(replica, primary, timeout=30.0):
    """Makes `replica` (a state entry) a copy of `primary` replicating from it;
    returns once both replication threads run. Does nothing when already done."""
    done = Path(replica["datadir"]).parent / _SEEDED
    if done.exists():
        return
    # The database and the users, which a dump of one database does not hold.
    mariadb_setup(replica)
    snapshot = _dump(primary)
    # A seed cut short before is redone from the start; the dump replaces tables.
    mariadb_sql(replica, "STOP SLAVE; RESET SLAVE ALL;")
    mariadb_sql(replica, snapshot, timeout=120)  # also sets gtid_slave_pos to the snapshot's position
    mariadb_sql(replica, f"CHANGE MASTER TO MASTER_HOST='{HOST}', MASTER_PORT={primary['port']}, "
                         f"MASTER_USER='{REPLICATION_USER}', MASTER_USE_GTID=slave_pos; START SLAVE;")
    wait_replicating(replica, timeout)
    done.write_text(f"seeded from {primary['datadir']} and replicating\n")


def forget_seeds(data_dir):
    """For a primary about to run without a binary log: whatever it writes
    will never reach the replicas seeded so far, so they are seeded again
    when the cluster next runs with replicas."""
    for marker in Path(data_dir).glob(f"mariadb-*/{_SEEDED}"):
        marker.unlink()


def _dump(primary):
    argv = [system_tool("mariadb-dump"), "--no-defaults", f"--socket={primary['socket']}", "-uroot",
            "--single-transaction", "--gtid", "--master-data=1", "--databases", primary["database"]]
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise ClusterError(f"mariadb-dump of the primary failed (exit {r.returncode}): {r.stderr.strip()}")
    return r.stdout


def replica_status(entry):
    """SHOW SLAVE STATUS of a server as {column: value}; {} when it replicates from nothing."""
    text = mariadb_sql(entry, "SHOW SLAVE STATUS", options=("--vertical",))
    status = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith("*"):
            status[key.strip()] = value.strip()
    return status


def wait_replicating(replica, timeout):
    """Waits until both replication threads of `replica` run; raises with MariaDB's errors otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        status = replica_status(replica)
        if status.get("Slave_IO_Running") == "Yes" and status.get("Slave_SQL_Running") == "Yes":
            return
        if time.monotonic() >= deadline:
            raise ClusterError(f"replica on port {replica['port']} is not replicating after {timeout:.0f}s: "
                               f"IO {status.get('Slave_IO_Running')!r} ({status.get('Last_IO_Error')}), "
                               f"SQL {status.get('Slave_SQL_Running')!r} ({status.get('Last_SQL_Error')})")
        time.sleep(0.1)
