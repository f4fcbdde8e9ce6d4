// DirtyPlayers: players as a kind of record the write-behind moves from
// Redis (redis_layout.h) to MariaDB (player_rows.h).
//
// Reconciling after Redis comes back: saves made while a shard was
// unreachable went straight to MariaDB (players_written_through). When the
// Redis copy and MariaDB's row disagree and both were acknowledged (a save
// Redis had not flushed when it died, and one written through meanwhile),
// the write-through — the later one — stands and the Redis copy is kept in
// players_superseded and counted, never silently lost; the Redis copy is
// dropped (the next load caches MariaDB's).
// Threads: loop-thread only.
#pragma once

#include <optional>

#include "base/metrics.h"
#include "db/mysql_pool.h"
#include "db/write_behind.h"
#include "polis/db.pb.h"

namespace polis::db {

// A player as `GET polis:player:<id>` returns it; nullopt when it is absent
// (or not a player record).
std::optional<Player> playerFromReply(const RedisReply& reply, uint64_t id);

class DirtyPlayers final : public DirtyKind {
 public:
  DirtyPlayers(MysqlPool& pool, RedisShards& shards);

  std::string_view name() const override { return "players"; }
  const char* dirtySet() const override;
  Task<Result<size_t>> flush(RedisClient& shard, std::vector<std::string> members) override;
  Task<Result<bool>> reconcile(size_t i) override;

 private:
  Task<Result<std::vector<Player>>> readPlayers(RedisClient& shard, const std::vector<uint64_t>& ids);
  Task<Result<void>> settle(RedisClient& shard, uint64_t player_id, int64_t written_at);

  MysqlPool& pool_;
  RedisShards& shards_;
  size_t page_ = 500;  // write-throughs read from MariaDB at a time
  metrics::Counter& superseded_;
};

}  // namespace polis::db
