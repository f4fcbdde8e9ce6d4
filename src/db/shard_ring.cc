#include "db/shard_ring.h"

#include <algorithm>

#include "base/stable_hash.h"

namespace polis::db {

uint64_t ShardRing::hash(std::string_view bytes) { return stable_hash::of(bytes); }

ShardRing::ShardRing(std::vector<std::string> shards) : shards_(std::move(shards)) {
  points_.reserve(shards_.size() * kPointsPerShard);
  for (size_t s = 0; s < shards_.size(); ++s) {
    for (int p = 0; p < kPointsPerShard; ++p) points_.emplace_back(hash(shards_[s] + "#" + std::to_string(p)), s);
  }
  std::sort(points_.begin(), points_.end());
}

size_t ShardRing::shardFor(uint64_t player_id) const {
  if (points_.empty()) return 0;
  uint64_t h = stable_hash::mix(player_id ^ 0x9e3779b97f4a7c15ull);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, size_t{0}));
  if (it == points_.end()) it = points_.begin();  // the ring wraps
  return it->second;
}

}  // namespace polis::db
