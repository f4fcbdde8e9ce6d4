// PlayerStore: players through Redis (the hot copy, on the shard the player
// id hashes to) with MariaDB as the source of truth behind it.
//
//   load   Redis; on a miss MariaDB, then the copy is cached in Redis. Shard
//          not serving (unreachable, or not yet reconciled after it came
//          back): MariaDB, nothing cached (it may be up to one flush interval
//          behind the last acknowledged save; see docs/data.md).
//   save   a version check and the write in one Redis script, which also
//          marks the player dirty; acknowledged then (write-behind), or once
//          MariaDB has it too when `durable`. A player not cached is read from
//          MariaDB first. Shard not serving: written straight to MariaDB,
//          version-checked there, and recorded for reconciliation.
//   create straight to MariaDB (durable), then cached.
// Threads: loop-thread only.
#pragma once

#include "base/metrics.h"
#include "base/task.h"
#include "db/db_config.h"
#include "db/mysql_pool.h"
#include "db/dirty_players.h"
#include "db/redis_shards.h"
#include "db/write_behind.h"
#include "polis/db.pb.h"

namespace polis::db {

class PlayerStore {
 public:
  PlayerStore(EventLoop& loop, MysqlPool& pool, RedisShards& shards, WriteBehind& write_behind, DirtyPlayers& dirty,
              const DbConfig& config);

  Task<Result<Player>> create(CreatePlayerReq req);
  Task<Result<Player>> load(uint64_t player_id);
  Task<Result<uint64_t>> save(SavePlayerReq req);

 private:
  RedisClient& shardOf(uint64_t player_id) { return shards_.at(shards_.ofPlayer(player_id)); }
  bool serving(uint64_t player_id) const { return write_behind_.serving(shards_.ofPlayer(player_id)); }
  Task<Result<uint64_t>> writeThrough(SavePlayerReq req);
  Task<Result<Player>> loadFromMysql(uint64_t player_id);
  Task<void> cache(RedisClient& shard, Player player);

  EventLoop& loop_;
  MysqlPool& pool_;
  size_t max_bytes_;
  size_t max_backlog_;
  RedisShards& shards_;
  WriteBehind& write_behind_;
  DirtyPlayers& dirty_;
  metrics::Counter& hits_;
  metrics::Counter& misses_;
  metrics::Counter& write_throughs_;
};

}  // namespace polis::db
