"""The write-behind contract (docs/data.md), proven by killing things. A
ledger writer (tests/unit/db/ledger_writer_test.cc) saves players through
the db nodes and records every acknowledged save; after each fault every
acknowledged save must be in MariaDB (and Redis), read there directly. The
cluster runs two Redis shards, so every fault also crosses shard placement."""

import time

from conftest import scrape, value, wait_for
from db_views import redis_cli, shards
from ledger import DATABASE, PLAYERS, make, run
from ledger import acknowledged_saves as acknowledged
from polis_cluster import databases


def writer(cluster, build_dir, tmp_path, **kw):
    return run(PLAYERS, cluster, build_dir, tmp_path, **kw)


def in_mariadb(cluster, ids):
    rows = databases.mariadb_sql(cluster.entry("mariadb"), f"USE {DATABASE}; SELECT player_id, version, data FROM "
                                 f"players WHERE player_id IN ({','.join(map(str, ids))})")
    out = {}
    for line in rows.splitlines():
        player, version, data = line.split("\t")
        out[int(player)] = (int(version), data)
    return out


def on_shard(cluster, shard, ids):
    """{player: (version, data)} from one shard's records ("version:account:updated:" then the data)."""
    out = {}
    for player in ids:
        record = redis_cli(cluster, shard, "GET", f"polis:player:{player}")
        if record and record[0]:
            version, _, _, data = record[0].split(":", 3)
            out[player] = (int(version), data)
    return out


def in_redis(cluster, ids):
    """{player: (version, data)} over every shard; a player cached on two shards fails the test."""
    out = {}
    for shard in shards(cluster):
        found = on_shard(cluster, shard, ids)
        assert not found.keys() & out.keys(), f"players {sorted(found.keys() & out.keys())} are on two shards"
        out.update(found)
    return out


def dirty(cluster, shard=None):
    return sum(int(redis_cli(cluster, s, "SCARD", "polis:dirty")[0]) for s in ([shard] if shard else shards(cluster)))


def kill_redis(cluster):
    for shard in shards(cluster):
        cluster.kill(shard, "KILL")
    for shard in shards(cluster):
        assert cluster.wait_exit(shard, 5) == -9


def assert_all_in_mariadb(cluster, acked, within):
    """Waits until MariaDB holds every acknowledged save; returns the seconds it took."""
    def matches():
        return in_mariadb(cluster, acked) == acked
    elapsed = wait_for(matches, within, "MariaDB to hold every acknowledged save")
    assert dirty(cluster) == 0 or in_mariadb(cluster, acked) == acked
    return elapsed


def test_acknowledged_saves_reach_mariadb_within_the_flush_interval(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    acked = writer(cluster, build_dir, tmp_path)
    assert len(acked) == 40
    elapsed = assert_all_in_mariadb(cluster, acked, 3)
    print(f"the last acknowledged save reached MariaDB {elapsed * 1000:.0f} ms after the writer ended")
    assert elapsed <= 1.5, "write-behind took longer than its interval (500 ms) plus a batch"
    wait_for(lambda: dirty(cluster) == 0, 2, "the dirty set to empty")
    assert in_redis(cluster, acked) == acked


def test_kill_9_of_the_db_node_loses_nothing_acknowledged(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    acked = writer(cluster, build_dir, tmp_path)
    cluster.kill("db-1", "KILL")  # at once: the last saves are still only in Redis
    left = dirty(cluster)
    print(f"{left} players dirty when db-1 was killed")
    assert cluster.wait_exit("db-1", 5) == -9
    cluster.start("db-1", timeout=30)
    assert_all_in_mariadb(cluster, acked, 5)
    assert dirty(cluster) == 0 or wait_for(lambda: dirty(cluster) == 0, 2, "the dirty set to empty") >= 0


def test_sigterm_flushes_everything_before_the_node_exits(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    acked = writer(cluster, build_dir, tmp_path)
    cluster.kill("db-1", "TERM")
    assert cluster.wait_exit("db-1", 15) == 0
    assert dirty(cluster) == 0, "the node exited with players still dirty"
    assert in_mariadb(cluster, acked) == acked, "MariaDB lacks acknowledged saves after a clean stop"


def test_kill_9_of_redis_loses_nothing_acknowledged(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    acked = writer(cluster, build_dir, tmp_path)
    kill_redis(cluster)  # the append-only files have every acknowledged write
    for shard in shards(cluster):
        cluster.start(shard, timeout=30)
    assert in_redis(cluster, acked) == acked, "Redis came back without acknowledged saves"
    assert_all_in_mariadb(cluster, acked, 10)


def test_two_db_nodes_and_a_node_killed_mid_write_lose_no_update(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster, db_nodes=2)
    proc, ledger = writer(cluster, build_dir, tmp_path, nodes=("db-1", "db-2"), players=60, saves=30, wait=False)
    time.sleep(0.5)
    cluster.kill("db-1", "KILL")  # the writer goes on through db-2; db-1's unflushed saves wait in Redis
    cluster.start("db-1", timeout=30)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:]
    acked = acknowledged(ledger)
    assert len(acked) == 60
    # Every player's last acknowledged save is the one stored: with two nodes
    # saving the same players, no update was lost or overwritten by an older one.
    assert_all_in_mariadb(cluster, acked, 5)
    assert in_redis(cluster, acked) == acked
    print(out.strip().splitlines()[-3] if out.strip() else "")


def test_with_mariadb_down_saves_fill_a_bounded_backlog_that_flushes_when_it_returns(make_cluster, build_dir, tmp_path):
    limit = 8
    cluster = make(make_cluster, db_config={"flush": {"max_backlog": limit}})
    warm = writer(cluster, build_dir, tmp_path, players=40, saves=1, name="warm")  # created, cached, flushed
    wait_for(lambda: dirty(cluster) == 0, 3, "the warm-up to be flushed")
    placed = {s: len(on_shard(cluster, s, warm)) for s in shards(cluster)}
    assert sum(placed.values()) == 40 and min(placed.values()) > limit, placed
    assert cluster.stop("mariadb", timeout=60) == "stopped"

    proc, ledger = writer(cluster, build_dir, tmp_path, players=40, saves=5, wait=False, create=False, name="outage")
    # Cached players load from Redis and save into it, but only up to the
    # backlog limit of each shard: its dirty set stops growing there and the
    # rest are refused.
    full = lambda: all(dirty(cluster, s) == limit for s in shards(cluster))  # noqa: E731
    wait_for(full, 10, "every shard's backlog to fill up to its limit")
    time.sleep(1.0)
    assert full(), "a backlog grew past db.flush.max_backlog while MariaDB was down"
    assert proc.poll() is None, "the writer finished although some players could not be saved"
    log = cluster.log_path("db-1").read_text(errors="replace")
    assert "kept dirty, retried" in log

    cluster.start("mariadb", timeout=60)  # the backlog flushes by itself, and the refused saves go through
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:]
    acked = acknowledged(ledger)
    assert len(acked) == 40
    assert_all_in_mariadb(cluster, acked, 10)


def superseded(cluster):
    rows = databases.mariadb_sql(cluster.entry("mariadb"),
                                 f"USE {DATABASE}; SELECT player_id, version, data FROM players_superseded")
    return [(int(p), int(v), d) for p, v, d in (line.split("\t") for line in rows.splitlines())]


def pending_write_throughs(cluster):
    return int(databases.mariadb_sql(cluster.entry("mariadb"),
                                     f"USE {DATABASE}; SELECT COUNT(*) FROM players_written_through").strip())


def test_with_redis_down_saves_go_through_to_mariadb_and_nothing_acknowledged_is_lost(make_cluster, build_dir,
                                                                                     tmp_path):
    cluster = make(make_cluster)
    writer(cluster, build_dir, tmp_path, players=40, saves=2, name="warm")
    # Saves acknowledged by Redis that have not reached MariaDB (held back by
    # stopping MariaDB, so the case is certain), then Redis dies with them.
    assert cluster.stop("mariadb", timeout=60) == "stopped"
    before_outage = writer(cluster, build_dir, tmp_path, players=40, saves=5, create=False, name="before")
    assert dirty(cluster) == 40
    # One shard dies; the players on the other go on through Redis as usual.
    lost = on_shard(cluster, "redis", before_outage)
    assert 0 < len(lost) < 40, "the two shards should share the players"
    cluster.kill("redis", "KILL")
    assert cluster.wait_exit("redis", 5) == -9
    cluster.start("mariadb", timeout=60)

    # That shard down: its players load from MariaDB, saves are version-checked there and written through.
    during = writer(cluster, build_dir, tmp_path, players=40, saves=3, create=False, name="during")
    assert in_mariadb(cluster, {p: during[p] for p in lost}) == {p: during[p] for p in lost}, \
        "a save acknowledged while its shard was down is not in MariaDB"
    assert value(scrape(cluster.ops_port("db-1")), "polis_db_write_through_total") >= len(lost) * 3
    assert pending_write_throughs(cluster) == len(lost)
    wait_for(lambda: in_mariadb(cluster, during) == during, 5,
             "the other shard's players to be flushed behind as usual")

    # Redis back (its append-only file restores the unflushed saves): the db node
    # reconciles before it serves the shard again. MariaDB's saves stand; every
    # unflushed Redis save they replaced is kept, not lost.
    cluster.start("redis", timeout=30)
    wait_for(lambda: pending_write_throughs(cluster) == 0, 10, "the write-throughs to be reconciled")
    kept = superseded(cluster)
    print(f"{len(kept)} unflushed Redis saves superseded by saves made while Redis was down, all kept")
    assert len(kept) == len(lost), "every unflushed acknowledged save must be kept"
    for player, version, data in kept:
        assert before_outage[player] == (version, data), \
            f"player {player}: kept {version} {data!r}, but its last acknowledged save was {before_outage[player]}"
    assert in_mariadb(cluster, during) == during
    assert all(v == during[p] for p, v in in_redis(cluster, during).items()), "Redis serves a stale copy"

    # And caching resumes: a normal write-behind run after the outage.
    after = writer(cluster, build_dir, tmp_path, players=40, saves=3, create=False, name="after")
    assert in_redis(cluster, after) == after
    assert_all_in_mariadb(cluster, after, 3)
