"""The write-behind contract for leaderboard scores (docs/data.md), proven
by killing things, and both stores down at once for players and scores. A
ledger writer submits scores first+1 … first+N for each player (a LATEST
board, each retried until acknowledged) and records every acknowledged one;
after each fault every player's last acknowledged score must be in MariaDB
and in Redis, read there directly. Two Redis shards; the board lives on one."""

import os
import subprocess
import time

from conftest import SECRET, scrape, value, wait_for
from db_views import dirty_scores, redis_cli, scores_in_mariadb, scores_in_redis, shards
from ledger import BOARD, DATABASE, PLAYERS, SCORES, finish, make, run
from polis_cluster import databases


def scores(cluster, build_dir, tmp_path, **kw):
    return run(SCORES, cluster, build_dir, tmp_path, **kw)


def by_player(stored):
    """{player: score} of the ledger board's only period (generation 1, never reset)."""
    return {player: score for (board, gen, period, player), (score, _) in stored.items()
            if board == BOARD and (gen, period) == (1, 0)}


def in_mariadb(cluster):
    return by_player(scores_in_mariadb(cluster, DATABASE, BOARD))


def in_redis(cluster):
    return by_player(scores_in_redis(cluster, BOARD))


def board_shard(cluster):
    """The Redis shard that holds the ledger board."""
    holders = [s for s in shards(cluster) if redis_cli(cluster, s, "EXISTS", f"polis:lb:{BOARD}:gen") == ["1"]]
    assert len(holders) == 1, holders
    return holders[0]


def call(cluster, build_dir, node, *args):
    """One Leaderboards call through `node` (tests/unit/db/db_call.cc): the reply as text."""
    binary = build_dir / "tests" / "unit" / "db" / "polis_db_call"
    r = subprocess.run([binary, str(cluster.entry(node)["rpc_port"]), *map(str, args)], capture_output=True, text=True,
                       timeout=30, env=dict(os.environ, POLIS_TEST_SECRET=SECRET))
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def sql(cluster, text):
    return databases.mariadb_sql(cluster.entry("mariadb"), f"USE {DATABASE}; {text}").strip()


def players_in_mariadb(cluster):
    rows = sql(cluster, "SELECT player_id, version, data FROM players").splitlines()
    return {int(p): (int(v), d) for p, v, d in (line.split("\t") for line in rows)}


def test_acknowledged_scores_reach_mariadb_within_the_flush_interval(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    acked = scores(cluster, build_dir, tmp_path)
    assert len(acked) == 40 and set(acked.values()) == {15}
    elapsed = wait_for(lambda: in_mariadb(cluster) == acked, 3, "MariaDB to hold every acknowledged score")
    print(f"the last acknowledged score reached MariaDB {elapsed * 1000:.0f} ms after the writer ended")
    assert elapsed <= 1.5, "write-behind took longer than its interval (500 ms) plus a batch"
    assert in_redis(cluster) == acked
    wait_for(lambda: dirty_scores(cluster) == 0, 2, "the score dirty set to empty")
    samples = scrape(cluster.ops_port("db-1"))
    assert value(samples, "polis_db_flush_rows_total", kind="scores") >= 40
    assert value(samples, "polis_db_flush_batch_size_count", kind="scores") >= 1


def test_kill_9_of_the_db_node_and_of_redis_loses_no_acknowledged_score(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    acked = scores(cluster, build_dir, tmp_path)
    cluster.kill("db-1", "KILL")  # at once: the last scores are still only in Redis
    left = dirty_scores(cluster)
    print(f"{left} scores dirty when db-1 was killed")
    assert cluster.wait_exit("db-1", 5) == -9
    for shard in shards(cluster):  # and Redis too: its append-only file has every acknowledged submit
        cluster.kill(shard, "KILL")
        assert cluster.wait_exit(shard, 5) == -9
        cluster.start(shard, timeout=30)
    assert in_redis(cluster) == acked, "Redis came back without acknowledged scores"
    cluster.start("db-1", timeout=30)
    wait_for(lambda: in_mariadb(cluster) == acked, 5, "the restarted node to flush every acknowledged score")
    wait_for(lambda: dirty_scores(cluster) == 0, 2, "the score dirty set to empty")


def test_sigterm_flushes_every_score_before_the_node_exits(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    acked = scores(cluster, build_dir, tmp_path)
    cluster.kill("db-1", "TERM")
    assert cluster.wait_exit("db-1", 15) == 0
    assert dirty_scores(cluster) == 0, "the node exited with scores still dirty"
    assert in_mariadb(cluster) == acked


def test_with_mariadb_down_scores_fill_a_bounded_backlog_that_flushes_when_it_returns(make_cluster, build_dir,
                                                                                      tmp_path):
    limit = 8
    cluster = make(make_cluster, db_config={"flush": {"max_backlog": limit}})
    scores(cluster, build_dir, tmp_path, saves=1, name="warm")
    wait_for(lambda: dirty_scores(cluster) == 0, 3, "the warm-up to be flushed")
    assert cluster.stop("mariadb", timeout=60) == "stopped"

    proc, path = scores(cluster, build_dir, tmp_path, saves=5, first_score=100, wait=False, create=False,
                         name="outage")
    # The board's shard takes submits into Redis only up to the backlog limit.
    wait_for(lambda: dirty_scores(cluster) == limit, 10, "the score backlog to fill up to its limit")
    time.sleep(1.0)
    assert dirty_scores(cluster) == limit, "the score backlog grew past db.flush.max_backlog while MariaDB was down"
    assert proc.poll() is None, "the writer finished although some scores could not be submitted"

    cluster.start("mariadb", timeout=60)  # the backlog flushes by itself, and the refused submits go through
    acked = finish(proc, path, SCORES)
    assert len(acked) == 40 and set(acked.values()) == {105}
    wait_for(lambda: in_mariadb(cluster) == acked, 10, "MariaDB to hold every acknowledged score")


def test_with_redis_down_scores_go_through_to_mariadb_and_nothing_acknowledged_is_lost(make_cluster, build_dir,
                                                                                      tmp_path):
    cluster = make(make_cluster)
    scores(cluster, build_dir, tmp_path, saves=2, name="warm")
    shard = board_shard(cluster)
    # Scores acknowledged by Redis that have not reached MariaDB (held back by
    # stopping MariaDB, so the case is certain), then Redis dies with them.
    assert cluster.stop("mariadb", timeout=60) == "stopped"
    before = scores(cluster, build_dir, tmp_path, saves=3, first_score=10, create=False, name="before")
    assert dirty_scores(cluster) == 40
    cluster.kill(shard, "KILL")
    assert cluster.wait_exit(shard, 5) == -9
    cluster.start("mariadb", timeout=60)

    # The shard down: submits apply the policy in MariaDB and are written through.
    during = scores(cluster, build_dir, tmp_path, saves=2, first_score=20, create=False, name="during")
    assert in_mariadb(cluster) == during, "a score acknowledged while its shard was down is not in MariaDB"
    assert int(sql(cluster, "SELECT COUNT(*) FROM leaderboard_written_through")) == 40

    # Redis back (its append-only file restores the unflushed scores): the db
    # node reconciles before it serves the shard. MariaDB's scores stand; every
    # unflushed Redis score they replaced is kept.
    cluster.start(shard, timeout=30)
    wait_for(lambda: sql(cluster, "SELECT COUNT(*) FROM leaderboard_written_through") == "0", 10,
             "the written-through scores to be reconciled")
    kept = sql(cluster, "SELECT player_id, score FROM leaderboard_superseded").splitlines()
    kept = {int(p): int(s) for p, s in (line.split("\t") for line in kept)}
    assert kept == before, "every unflushed acknowledged score must be kept, exactly"
    assert value(scrape(cluster.ops_port("db-1")), "polis_db_scores_superseded_total") == 40
    assert in_redis(cluster) == during, "Redis serves a stale score"

    after = scores(cluster, build_dir, tmp_path, saves=2, first_score=30, create=False, name="after")  # caching resumes
    assert in_redis(cluster) == after
    wait_for(lambda: in_mariadb(cluster) == after, 3, "MariaDB to hold every acknowledged score")


def test_both_stores_down_and_back_lose_nothing_acknowledged(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster)
    players = run(PLAYERS, cluster, build_dir, tmp_path, saves=2, name="warm")
    assert len(players) == 40
    saving = run(PLAYERS, cluster, build_dir, tmp_path, saves=30, create=False, wait=False, name="players")
    submitting = scores(cluster, build_dir, tmp_path, saves=30, wait=False, name="scores")  # defines the board
    time.sleep(0.5)
    # Both stores gone at once, with writes going on: every write fails (and is
    # retried by the writers) until they are back.
    assert cluster.stop("mariadb", timeout=60) == "stopped"
    for shard in shards(cluster):
        cluster.kill(shard, "KILL")
    time.sleep(1.5)
    for shard in shards(cluster):
        cluster.start(shard, timeout=30)
    cluster.start("mariadb", timeout=60)

    saved = finish(*saving, PLAYERS)
    acked = finish(*submitting, SCORES)
    assert len(saved) == 40 and len(acked) == 40
    wait_for(lambda: in_mariadb(cluster) == acked, 10, "MariaDB to hold every acknowledged score")
    assert in_redis(cluster) == acked
    wait_for(lambda: players_in_mariadb(cluster) == saved, 10, "MariaDB to hold every acknowledged save")


def test_a_reset_reaches_every_node_even_one_made_while_the_shard_was_down(make_cluster, build_dir, tmp_path):
    cluster = make(make_cluster, db_nodes=2)
    # Both nodes know the board at generation 1 (each served some submits).
    scores(cluster, build_dir, tmp_path, nodes=("db-1", "db-2"), players=10, saves=2)
    shard = board_shard(cluster)

    # A reset through db-1 while the board's shard is down: MariaDB only.
    cluster.kill(shard, "KILL")
    assert cluster.wait_exit(shard, 5) == -9
    assert "generation: 2" in call(cluster, build_dir, "db-1", "reset", BOARD)
    through = call(cluster, build_dir, "db-2", "submit", BOARD, 7001, 50)  # written through, into generation 2
    assert "score: 50" in through and "generation: 2" in through, through

    # The shard back: generation 2 is copied into it before it is served, so
    # db-2 (which still knew generation 1) cannot submit into the old one.
    cluster.start(shard, timeout=30)
    wait_for(lambda: redis_cli(cluster, shard, "GET", f"polis:lb:{BOARD}:gen") == ["2"], 10,
             "the new generation to be copied into the shard")
    wait_for(lambda: sql(cluster, "SELECT COUNT(*) FROM leaderboard_written_through") == "0", 10,
             "the write-through to be reconciled")
    for node in ("db-1", "db-2"):
        reply = call(cluster, build_dir, node, "submit", BOARD, 7002, 40)
        assert "generation: 2" in reply, f"{node} submitted into an old generation: {reply}"
    top = call(cluster, build_dir, "db-2", "top", BOARD)
    assert "generation: 2" in top and top.count("player_id") == 2, top  # 7001 and 7002 only
    old = call(cluster, build_dir, "db-1", "top", BOARD, 1, 0)
    assert old.count("player_id") == 10, "the old generation stays readable"
    wait_for(lambda: in_mariadb(cluster) == {p: 2 for p in range(1000, 1010)}, 5, "generation 1 to stay as it was")
