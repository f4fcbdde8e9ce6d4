// ShardRing: which Redis shard holds a player's hot copy. A consistent hash
// ring with many points per shard: keys spread evenly, and adding a shard
// moves only the keys that now belong to it (about 1/N of them), never keys
// between the old shards. The hash is fixed (FNV-1a, then a 64-bit mixer),
// so every db node, whatever its build, places every key on the same shard.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace polis::db {

class ShardRing {
 public:
  static constexpr int kPointsPerShard = 160;

  // `shards` are stable names (e.g. "127.0.0.1:6379"); a shard's position on
  // the ring depends on its name only, not on its place in the list.
  explicit ShardRing(std::vector<std::string> shards);

  // Index into the list given to the constructor.
  size_t shardFor(uint64_t player_id) const;
  size_t size() const { return shards_.size(); }
  const std::string& name(size_t shard) const { return shards_[shard]; }

  static uint64_t hash(std::string_view bytes);

 private:
  std::vector<std::string> shards_;
  std::vector<std::pair<uint64_t, size_t>> points_;  // sorted by position
};

}  // namespace polis::db
