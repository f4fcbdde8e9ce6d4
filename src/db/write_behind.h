// WriteBehind: moves dirty players from Redis to MariaDB.
//
// Every db node runs it for every shard, every db.flush.interval: take up to
// db.flush.batch ids from the shard's dirty set, read their hashes, write
// them to MariaDB in one statement (a row replaces MariaDB's only when its
// version is higher), then drop each id from the dirty set only if its
// version is still the one written (kClean). So any number of db nodes may
// flush the same player at once: the highest version wins in MariaDB, and a
// player saved again meanwhile stays dirty for the next pass. The dirty set
// lives in Redis: a db node killed mid-flush leaves it for the next node.
// On drain it flushes until every reachable shard is clean (bounded by the
// node's drain timeout).
//
// Redis coming back: saves made while a shard was unreachable went straight
// to MariaDB (players_written_through). Before this node serves a shard again
// after a (re)connect, each pass reconciles those players. When the Redis
// copy and MariaDB's row disagree and both were acknowledged (a save Redis
// had not flushed when it died, and one written through meanwhile), the
// write-through — the later one — stands and the Redis copy is kept in
// players_superseded and counted, never silently lost; the Redis copy is
// dropped (the next load caches MariaDB's). A shard is served again only
// once a reconciliation pass saw no write-through start or run on this node
// (saves to a shard being reconciled wait for it, see PlayerStore::save).
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/event_loop.h"
#include "base/metrics.h"
#include "base/task.h"
#include "db/db_config.h"
#include "db/mysql_pool.h"
#include "db/redis_client.h"
#include "polis/db.pb.h"

namespace polis::db {

// A player as `GET polis:player:<id>` returns it (redis_layout.h); nullopt
// when it is absent (or not a player record).
std::optional<Player> playerFromReply(const RedisReply& reply, uint64_t id);

class WriteBehind {
 public:
  // `shard_of` maps a player id to its index in `shards`.
  WriteBehind(EventLoop& loop, MysqlPool& pool, std::vector<RedisClient*> shards,
              std::function<size_t(uint64_t)> shard_of, WriteBehindConfig config);
  ~WriteBehind();

  void start();
  // Flushes one player now (a durable save); ok once MariaDB has its current version.
  Task<Result<void>> flushOne(RedisClient& shard, uint64_t player_id);
  // For Node::onDrain: flush until clean, then `done`.
  void drain(std::function<void()> done);

  // Dirty players seen on the last pass, all shards.
  size_t backlog() const { return backlog_; }
  // True when shard `i` is connected and reconciled since it last connected:
  // only then may its Redis copies be read and saved to.
  bool serving(size_t i) const {
    return shards_[i]->connected() && reconciled_[i] == shards_[i]->generation();
  }
  // PlayerStore brackets every write-through of shard `i` with these.
  void writeThroughStarted(size_t i) {
    ++write_throughs_started_[i];
    ++write_throughs_running_[i];
  }
  void writeThroughFinished(size_t i) { --write_throughs_running_[i]; }

 private:
  Task<void> loop();
  Task<void> drainAll(std::function<void()> done);
  // One pass over every connected shard; false if any failed.
  Task<bool> pass();
  // Flushes up to db.flush.batch players of `shard`; how many, or the error.
  Task<Result<size_t>> flushBatch(RedisClient& shard, size_t& remaining);
  Task<Result<void>> flushRows(RedisClient& shard, std::vector<Player> rows);
  Task<Result<std::vector<Player>>> readPlayers(RedisClient& shard, const std::vector<uint64_t>& ids);
  // Settles the write-throughs of shard `i`; true when none is left.
  Task<Result<bool>> reconcile(size_t i);
  Task<Result<void>> settle(RedisClient& shard, uint64_t player_id, int64_t written_at);

  EventLoop& loop_;
  MysqlPool& pool_;
  std::vector<RedisClient*> shards_;
  std::function<size_t(uint64_t)> shard_of_;
  std::vector<uint64_t> reconciled_;  // per shard: the connection generation last reconciled
  std::vector<uint64_t> write_throughs_started_;
  std::vector<uint64_t> write_throughs_running_;
  WriteBehindConfig config_;
  size_t backlog_ = 0;
  bool draining_ = false;
  metrics::Counter& rows_;
  metrics::Counter& batches_;
  metrics::Counter& failures_;
  metrics::Histogram& latency_;
  metrics::Counter& superseded_;
};

}  // namespace polis::db
