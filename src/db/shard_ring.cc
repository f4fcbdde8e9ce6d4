#include "db/shard_ring.h"

#include <algorithm>

namespace polis::db {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser: FNV alone clusters on short keys
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t ShardRing::hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return mix(h);
}

ShardRing::ShardRing(std::vector<std::string> shards) : shards_(std::move(shards)) {
  points_.reserve(shards_.size() * kPointsPerShard);
  for (size_t s = 0; s < shards_.size(); ++s) {
    for (int p = 0; p < kPointsPerShard; ++p) points_.emplace_back(hash(shards_[s] + "#" + std::to_string(p)), s);
  }
  std::sort(points_.begin(), points_.end());
}

size_t ShardRing::shardFor(uint64_t player_id) const {
  if (points_.empty()) return 0;
  uint64_t h = mix(player_id ^ 0x9e3779b97f4a7c15ull);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, size_t{0}));
  if (it == points_.end()) it = points_.begin();  // the ring wraps
  return it->second;
}

}  // namespace polis::db
