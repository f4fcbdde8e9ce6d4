#include "db/shard_ring.h"

#include <gtest/gtest.h>

#include <map>

namespace polis::db {
namespace {

TEST(ShardRing, KeysSpreadEvenly) {
  ShardRing ring({"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"});
  std::map<size_t, int> count;
  for (uint64_t id = 1; id <= 30000; ++id) ++count[ring.shardFor(id)];
  ASSERT_EQ(count.size(), 3u);
  for (auto& [shard, n] : count) EXPECT_NEAR(n, 10000, 1500) << ring.name(shard);
}

TEST(ShardRing, AddingAShardMovesOnlyItsShare) {
  std::vector<std::string> three = {"a:1", "b:1", "c:1"}, four = {"a:1", "b:1", "c:1", "d:1"};
  ShardRing before(three), after(four);
  int moved = 0;
  const int keys = 40000;
  for (uint64_t id = 1; id <= keys; ++id) {
    size_t was = before.shardFor(id), now = after.shardFor(id);
    if (was == now) continue;
    ++moved;
    EXPECT_EQ(after.name(now), "d:1") << "key " << id << " moved between old shards";
  }
  EXPECT_NEAR(moved, keys / 4, keys / 20) << "about a quarter of the keys should move to the new shard";
}

TEST(ShardRing, PlacementDependsOnNamesNotOrder) {
  ShardRing ab({"a:1", "b:1"}), ba({"b:1", "a:1"});
  for (uint64_t id = 1; id < 1000; ++id) EXPECT_EQ(ab.name(ab.shardFor(id)), ba.name(ba.shardFor(id)));
}

TEST(ShardRing, TheHashIsFixed) {
  // Every db node must agree on placement, whatever it was built with: these
  // values are pinned, and a change to the hash (which would move every key
  // to another shard) fails here.
  EXPECT_EQ(ShardRing::hash("a:1#0"), 0xdd7a34b63194174dull);
  EXPECT_EQ(ShardRing::hash(""), 0xf52a15e9a9b5e89bull);
  EXPECT_EQ(ShardRing({"a:1", "b:1", "c:1"}).shardFor(42), 2u);
  EXPECT_EQ(ShardRing({"only:1"}).shardFor(12345), 0u);
}

}  // namespace
}  // namespace polis::db
