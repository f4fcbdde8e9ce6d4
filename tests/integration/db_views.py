"""What the db role stored, read straight from Redis and MariaDB (never
through the db node), for the tests to compare with what was acknowledged."""

import subprocess

from polis_cluster import databases


def redis_cli(cluster, shard, *args):
    r = subprocess.run(["redis-cli", "-p", str(cluster.entry(shard)["port"]), "--raw", *args],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def shards(cluster):
    return cluster.topology.redis.names()


def scores_in_redis(cluster, board=None):
    """{(board, generation, period, player): (score, reached_at)} over every shard's period hashes."""
    out = {}
    for shard in shards(cluster):
        for key in redis_cli(cluster, shard, "--scan", "--pattern", f"polis:lb:{board or '*'}:*:e"):
            _, _, name, generation, period, _ = key.split(":")
            fields = redis_cli(cluster, shard, "HGETALL", key)
            for player, record in zip(fields[0::2], fields[1::2]):
                _, score, reached = record.split(":")
                out[(name, int(generation), int(period), int(player))] = (int(score), int(reached))
    return out


def scores_in_mariadb(cluster, database, board=None):
    """The same, from leaderboard_entries."""
    where = f" WHERE board = '{board}'" if board else ""
    rows = databases.mariadb_sql(cluster.entry("mariadb"), f"USE {database}; SELECT board, generation, period, "
                                 f"player_id, score, reached_at FROM leaderboard_entries{where}")
    out = {}
    for line in rows.splitlines():
        name, generation, period, player, score, reached = line.split("\t")
        out[(name, int(generation), int(period), int(player))] = (int(score), int(reached))
    return out


def dirty_scores(cluster):
    return sum(int(redis_cli(cluster, s, "SCARD", "polis:lb:dirty")[0]) for s in shards(cluster))
