// DirtyScores: leaderboard scores as a kind of record the write-behind moves
// from Redis (leaderboard_layout.h) to MariaDB (leaderboard_rows.h).
//
// Reconciling a shard that (re)connected: first every board placed on it
// gets MariaDB's generation copied into Redis (a Reset made while the shard
// was unreachable must close the old generation before anyone submits into
// it); then each submit written straight to MariaDB meanwhile is settled as
// for players: MariaDB's entry stands and replaces the Redis one, and a
// differing dirty Redis entry is kept in leaderboard_superseded.
// Housekeeping: ended periods leave Redis db.leaderboards.retention after
// their end, once none of their entries is dirty.
// Threads: loop-thread only.
#pragma once

#include <vector>

#include "base/metrics.h"
#include "db/board_catalog.h"
#include "db/write_behind.h"

namespace polis::db {

class DirtyScores final : public DirtyKind {
 public:
  DirtyScores(MysqlPool& pool, RedisShards& shards, BoardCatalog& catalog);

  std::string_view name() const override { return "scores"; }
  const char* dirtySet() const override { return leaderboard_layout::kDirty; }
  Task<Result<size_t>> flush(RedisClient& shard, std::vector<std::string> members) override;
  Task<Result<bool>> reconcile(size_t i) override;
  Task<void> tidy(RedisClient& shard) override;

  // A generation could not be copied to shard `i`: copy them all again
  // before it is served (the store calls this when a Reset's copy failed).
  void resyncGenerations(size_t i) { generations_synced_[i] = 0; }

 private:
  Task<Result<void>> syncGenerations(size_t i);
  Task<Result<void>> settle(RedisClient& shard, const WrittenThroughScore& w);

  MysqlPool& pool_;
  RedisShards& shards_;
  BoardCatalog& catalog_;
  std::vector<uint64_t> generations_synced_;  // per shard: the connection generation last synced
  metrics::Counter& superseded_;
};

}  // namespace polis::db
