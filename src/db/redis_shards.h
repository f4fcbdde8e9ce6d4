// RedisShards: one RedisClient per Redis instance of db.redis.shards, and
// where each key lives: a player on the shard its id hashes to, a
// leaderboard on the shard its name hashes to (ShardRing, so every db node
// agrees). The clients reconnect by themselves for as long as this lives.
// Threads: loop-thread only.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "db/db_config.h"
#include "db/redis_client.h"
#include "db/shard_ring.h"

namespace polis::db {

class RedisShards {
 public:
  RedisShards(EventLoop& loop, const RedisConfig& config);
  ~RedisShards();
  RedisShards(const RedisShards&) = delete;
  RedisShards& operator=(const RedisShards&) = delete;

  void start();  // connects every shard
  size_t size() const { return clients_.size(); }
  RedisClient& at(size_t i) { return *clients_[i]; }
  size_t ofPlayer(uint64_t player_id) const { return ring_.shardFor(player_id); }
  size_t ofBoard(std::string_view board) const { return ring_.shardFor(ShardRing::hash(board)); }

 private:
  ShardRing ring_;
  std::vector<std::unique_ptr<RedisClient>> clients_;
};

}  // namespace polis::db
