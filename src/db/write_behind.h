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

// A player's hash as `HMGET polis:player:<id> v a d t` returns it; nullopt
// when it is absent (or not a player hash).
std::optional<Player> playerFromHash(const RedisReply& reply, uint64_t id);

class WriteBehind {
 public:
  WriteBehind(EventLoop& loop, MysqlPool& pool, std::vector<RedisClient*> shards, WriteBehindConfig config);
  ~WriteBehind();

  void start();
  // Flushes one player now (a durable save); ok once MariaDB has its current version.
  Task<Result<void>> flushOne(RedisClient& shard, uint64_t player_id);
  // For Node::onDrain: flush until clean, then `done`.
  void drain(std::function<void()> done);

  // Dirty players seen on the last pass, all shards.
  size_t backlog() const { return backlog_; }

 private:
  Task<void> loop();
  Task<void> drainAll(std::function<void()> done);
  // One pass over every connected shard; false if any failed.
  Task<bool> pass();
  // Flushes up to db.flush.batch players of `shard`; how many, or the error.
  Task<Result<size_t>> flushBatch(RedisClient& shard, size_t& remaining);
  Task<Result<void>> flushRows(RedisClient& shard, std::vector<Player> rows);
  Task<Result<std::vector<Player>>> readPlayers(RedisClient& shard, const std::vector<uint64_t>& ids);

  EventLoop& loop_;
  MysqlPool& pool_;
  std::vector<RedisClient*> shards_;
  WriteBehindConfig config_;
  size_t backlog_ = 0;
  bool draining_ = false;
  metrics::Counter& rows_;
  metrics::Counter& batches_;
  metrics::Counter& failures_;
  metrics::Histogram& latency_;
};

}  // namespace polis::db
