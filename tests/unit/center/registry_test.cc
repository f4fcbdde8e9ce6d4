// The center's node table, driven with an injected clock.
#include "center/registry.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace polis::center {
namespace {

using namespace std::chrono_literals;
using google::protobuf::util::MessageDifferencer;

NodeInfo node(const std::string& name, const std::string& role = "lobby") {
  NodeInfo info;
  info.set_name(name);
  info.set_role(role);
  info.set_host("10.0.0.1");
  (*info.mutable_ports())["rpc"] = 7000;
  (*info.mutable_ports())["client"] = 7100;
  info.set_weight(10);
  info.set_state(NODE_STARTING);
  return info;
}

NodeLoad load(uint32_t players) {
  NodeLoad l;
  l.set_players(players);
  l.set_connections(players * 2);
  l.set_cpu(0.5f);
  return l;
}

std::vector<std::string> upsertedNames(const MembershipDiff& diff) {
  std::vector<std::string> names;
  for (const auto& n : diff.upserted()) names.push_back(n.name());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> removedNames(const MembershipDiff& diff) {
  std::vector<std::string> names(diff.removed().begin(), diff.removed().end());
  std::sort(names.begin(), names.end());
  return names;
}

using Names = std::vector<std::string>;

class RegistryTest : public ::testing::Test {
 protected:
  // An upsert expected to be accepted: its diff (nullopt, and a failure, if refused).
  std::optional<MembershipDiff> up(const NodeInfo& info, uint64_t owner) {
    auto r = registry.upsert(info, owner, "10.0.0.9:" + std::to_string(owner));
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r ? *r : std::nullopt;
  }
  // Eviction checks whose spacing the test controls; the hour-long interval
  // keeps the center's stall detection out of the way.
  std::optional<MembershipDiff> evict(Registry::Clock::duration timeout) {
    return registry.evictSilent(timeout, std::chrono::hours(1));
  }

  Registry::Clock::time_point now{};
  Registry registry{"center-1", 77, [this] { return now; }};
};

TEST_F(RegistryTest, RegisterProducesEpochOneWithTheNode) {
  NodeInfo info = node("lobby-1");
  auto diff = up(info, 1);
  ASSERT_TRUE(diff);
  EXPECT_EQ(diff->epoch(), 1u);
  EXPECT_EQ(diff->center(), "center-1");
  EXPECT_EQ(diff->incarnation(), 77u);
  ASSERT_EQ(diff->upserted_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(diff->upserted(0), info)) << diff->upserted(0).DebugString();
  EXPECT_EQ(diff->removed_size(), 0);
  EXPECT_EQ(registry.epoch(), 1u);
  EXPECT_EQ(registry.size(), 1u);
  ASSERT_NE(registry.nameOf(1), nullptr);
  EXPECT_EQ(*registry.nameOf(1), "lobby-1");
  EXPECT_EQ(registry.lastSeen("lobby-1"), now);
}

TEST_F(RegistryTest, EpochsIncreaseByOnePerDiffAndNotOtherwise) {
  std::vector<uint64_t> epochs;
  auto record = [&](const std::optional<MembershipDiff>& d) {
    ASSERT_TRUE(d);
    EXPECT_EQ(d->epoch(), registry.epoch());
    epochs.push_back(d->epoch());
  };
  record(up(node("a"), 1));
  record(up(node("b"), 2));
  record(registry.setState(1, NODE_READY));
  EXPECT_FALSE(registry.setState(1, NODE_READY)) << "no change, no diff";
  EXPECT_FALSE(registry.setState(99, NODE_READY)) << "unknown owner";
  EXPECT_FALSE(registry.flushLoads()) << "no load reported";
  ASSERT_TRUE(registry.heartbeat(2, load(3)));
  record(registry.flushLoads());
  EXPECT_FALSE(registry.removeOwner(99));
  EXPECT_FALSE(evict(1s));
  record(registry.removeOwner(1));
  now += 2s;
  record(evict(1s));
  EXPECT_EQ(epochs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(registry.epoch(), 6u);
}

TEST_F(RegistryTest, HeartbeatFromAnUnknownOwnerIsFalse) {
  EXPECT_FALSE(registry.heartbeat(5, load(1)));
  ASSERT_TRUE(up(node("a"), 1));
  EXPECT_FALSE(registry.heartbeat(5, load(1)));
  EXPECT_TRUE(registry.heartbeat(1, load(1)));
  EXPECT_EQ(registry.epoch(), 1u) << "a heartbeat alone publishes nothing";
}

TEST_F(RegistryTest, EvictSilentRemovesExactlyTheSilentNodes) {
  ASSERT_TRUE(up(node("a"), 1));
  ASSERT_TRUE(up(node("b"), 2));
  ASSERT_TRUE(up(node("c"), 3));
  ASSERT_TRUE(up(node("d"), 4));
  now += 3s;
  ASSERT_TRUE(registry.heartbeat(2, load(1)));
  ASSERT_TRUE(registry.setState(4, NODE_READY));  // any message counts as a sign of life
  now += 3s;  // a and c: silent 6 s; b and d: 3 s
  auto diff = evict(5s);
  ASSERT_TRUE(diff);
  EXPECT_EQ(removedNames(*diff), (Names{"a", "c"}));
  EXPECT_EQ(diff->upserted_size(), 0);
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_FALSE(registry.heartbeat(1, load(1))) << "an evicted node must register again";
  EXPECT_FALSE(registry.heartbeat(3, load(1)));
  EXPECT_TRUE(registry.heartbeat(2, load(1)));
  EXPECT_EQ(registry.nameOf(1), nullptr);
}

TEST_F(RegistryTest, EvictSilentSparesANodeSilentForExactlyTheTimeout) {
  ASSERT_TRUE(up(node("a"), 1));
  now += 5s;
  EXPECT_FALSE(evict(5s));
  now += 1ms;
  auto diff = evict(5s);
  ASSERT_TRUE(diff);
  EXPECT_EQ(removedNames(*diff), (Names{"a"}));
}

TEST_F(RegistryTest, RemoveOwnerRemovesItsNode) {
  ASSERT_TRUE(up(node("a"), 1));
  ASSERT_TRUE(up(node("b"), 2));
  auto diff = registry.removeOwner(1);
  ASSERT_TRUE(diff);
  EXPECT_EQ(removedNames(*diff), (Names{"a"}));
  EXPECT_EQ(diff->epoch(), 3u);
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.nameOf(1), nullptr);
  EXPECT_FALSE(registry.removeOwner(1)) << "removing twice changes nothing";
  EXPECT_EQ(registry.lastSeen("a"), Registry::Clock::time_point{});
}

TEST_F(RegistryTest, SameNameFromAnotherLiveOwnerIsRefused) {
  ASSERT_TRUE(up(node("a"), 1));
  uint64_t epoch = registry.epoch();
  NodeInfo twin = node("a");
  twin.set_host("10.0.0.2");
  auto refused = registry.upsert(twin, 2, "10.0.0.2:5555");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kAlreadyExists);
  EXPECT_NE(refused.error().message.find("10.0.0.9:1"), std::string::npos)
      << "the refusal names where the holder is: " << refused.error().message;
  EXPECT_EQ(registry.epoch(), epoch) << "a refusal publishes nothing";
  EXPECT_TRUE(registry.heartbeat(1, load(1))) << "the holder keeps its name";
  EXPECT_FALSE(registry.heartbeat(2, load(1)));
  EXPECT_EQ(registry.snapshot().nodes(0).host(), "10.0.0.1");
  // Once the holder's connection closes, the name is free for the newcomer.
  ASSERT_TRUE(registry.removeOwner(1));
  auto taken = up(twin, 2);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->upserted(0).host(), "10.0.0.2");
}

TEST_F(RegistryTest, RefusedOwnerKeepsItsOldName) {
  ASSERT_TRUE(up(node("a"), 1));
  ASSERT_TRUE(up(node("b"), 2));
  EXPECT_FALSE(registry.upsert(node("a"), 2));
  EXPECT_EQ(registry.size(), 2u);
  ASSERT_NE(registry.nameOf(2), nullptr);
  EXPECT_EQ(*registry.nameOf(2), "b");
}

TEST_F(RegistryTest, SilentNameIsFreedByEvictionThenTakenOver) {
  ASSERT_TRUE(up(node("a"), 1));
  now += 6s;  // the holder stopped heartbeating (stalled, or its host died without a FIN)
  EXPECT_FALSE(registry.upsert(node("a"), 2)) << "still registered until evicted";
  ASSERT_TRUE(evict(5s));
  EXPECT_TRUE(up(node("a"), 2));
}

TEST_F(RegistryTest, AStallBeforeTheFirstCheckCountsToo) {
  ASSERT_TRUE(up(node("a"), 1));
  now += 5s;  // stopped before its first eviction check ever ran
  EXPECT_FALSE(registry.evictSilent(1s, 250ms)) << "the first check measured the stall against the node";
  EXPECT_EQ(registry.size(), 1u);
}

TEST_F(RegistryTest, ACenterThatDidNotRunDoesNotEvictForItsOwnStall) {
  const auto interval = 250ms;
  ASSERT_TRUE(up(node("a"), 1));
  ASSERT_TRUE(up(node("b"), 2));
  EXPECT_FALSE(registry.evictSilent(1s, interval));
  // The center is stopped for 5 s: the nodes' heartbeats wait in its sockets.
  now += 5s;
  EXPECT_FALSE(registry.evictSilent(1s, interval)) << "evicted nodes for the center's own stall";
  EXPECT_EQ(registry.size(), 2u);
  // Resumed, it reads a's queued heartbeat; b really is gone. Regular checks
  // evict b once it has been silent for the timeout since the stall.
  ASSERT_TRUE(registry.heartbeat(1, load(1)));
  std::optional<MembershipDiff> evicted;
  int checks = 0;
  while (!evicted && checks < 8) {
    now += interval;
    ++checks;
    ASSERT_TRUE(registry.heartbeat(1, load(1)));
    evicted = registry.evictSilent(1s, interval);
  }
  ASSERT_TRUE(evicted);
  EXPECT_EQ(removedNames(*evicted), (Names{"b"}));
  EXPECT_GE(checks, 4) << "b was evicted before it had been silent for the timeout after the stall";
}

TEST_F(RegistryTest, OwnerRegisteringUnderANewNameRemovesTheOldNameInTheSameDiff) {
  ASSERT_TRUE(up(node("a"), 1));
  auto diff = up(node("b"), 1);
  ASSERT_TRUE(diff);
  EXPECT_EQ(diff->epoch(), 2u);
  EXPECT_EQ(removedNames(*diff), (Names{"a"}));
  EXPECT_EQ(upsertedNames(*diff), (Names{"b"}));
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(*registry.nameOf(1), "b");
  auto snap = registry.snapshot();
  ASSERT_EQ(snap.nodes_size(), 1);
  EXPECT_EQ(snap.nodes(0).name(), "b");
}

TEST_F(RegistryTest, FlushLoadsBatchesLoadUpdatesIntoOneDiff) {
  ASSERT_TRUE(up(node("a"), 1));
  ASSERT_TRUE(up(node("b"), 2));
  ASSERT_TRUE(up(node("c"), 3));
  ASSERT_TRUE(registry.heartbeat(1, load(5)));
  ASSERT_TRUE(registry.heartbeat(1, load(6)));  // the later report wins
  ASSERT_TRUE(registry.heartbeat(2, load(9)));
  EXPECT_EQ(registry.epoch(), 3u);
  auto diff = registry.flushLoads();
  ASSERT_TRUE(diff);
  EXPECT_EQ(diff->epoch(), 4u);
  EXPECT_EQ(upsertedNames(*diff), (Names{"a", "b"}));
  for (const auto& n : diff->upserted()) {
    EXPECT_EQ(n.load().players(), n.name() == "a" ? 6u : 9u) << n.name();
    EXPECT_EQ(n.role(), "lobby") << "a load update carries the whole node";
  }
  EXPECT_FALSE(registry.flushLoads()) << "nothing changed since the last flush";
  EXPECT_EQ(registry.epoch(), 4u);
}

TEST_F(RegistryTest, FlushLoadsSkipsNodesRemovedOrRenamedSinceTheirHeartbeat) {
  ASSERT_TRUE(up(node("a"), 1));
  ASSERT_TRUE(up(node("b"), 2));
  ASSERT_TRUE(up(node("c"), 3));
  ASSERT_TRUE(registry.heartbeat(1, load(1)));
  ASSERT_TRUE(registry.heartbeat(2, load(2)));
  ASSERT_TRUE(registry.heartbeat(3, load(3)));
  ASSERT_TRUE(registry.removeOwner(1));
  ASSERT_TRUE(up(node("b2"), 2));
  now += 10s;
  ASSERT_TRUE(registry.heartbeat(3, load(4)));
  auto diff = registry.flushLoads();
  ASSERT_TRUE(diff);
  EXPECT_EQ(upsertedNames(*diff), (Names{"c"}));
  EXPECT_EQ(diff->upserted(0).load().players(), 4u);
  ASSERT_TRUE(registry.heartbeat(2, load(8)));
  now += 10s;
  auto evicted = evict(5s);
  ASSERT_TRUE(evicted);
  EXPECT_EQ(removedNames(*evicted), (Names{"b2", "c"}));
  EXPECT_FALSE(registry.flushLoads()) << "an evicted node's pending load is dropped with it";
}

TEST_F(RegistryTest, ReRegisteringClearsAPendingLoadUpdate) {
  ASSERT_TRUE(up(node("a"), 1));
  ASSERT_TRUE(registry.heartbeat(1, load(1)));
  ASSERT_TRUE(up(node("a"), 1));  // the upsert already published the node
  EXPECT_FALSE(registry.flushLoads());
}

TEST_F(RegistryTest, SnapshotListsEverythingWithTheCurrentEpoch) {
  auto empty = registry.snapshot();
  EXPECT_EQ(empty.epoch(), 0u);
  EXPECT_EQ(empty.nodes_size(), 0);
  EXPECT_EQ(empty.center(), "center-1");
  EXPECT_EQ(empty.incarnation(), 77u);

  ASSERT_TRUE(up(node("a", "lobby"), 1));
  ASSERT_TRUE(up(node("b", "room"), 2));
  ASSERT_TRUE(up(node("c", "gate"), 3));
  ASSERT_TRUE(registry.setState(2, NODE_READY));
  ASSERT_TRUE(registry.heartbeat(3, load(7)));
  ASSERT_TRUE(registry.removeOwner(1));
  auto snap = registry.snapshot();
  EXPECT_EQ(snap.epoch(), registry.epoch());
  EXPECT_EQ(snap.epoch(), 5u);
  ASSERT_EQ(snap.nodes_size(), 2);
  std::map<std::string, NodeInfo> by_name;
  for (const auto& n : snap.nodes()) by_name[n.name()] = n;
  ASSERT_TRUE(by_name.count("b") && by_name.count("c"));
  EXPECT_EQ(by_name["b"].role(), "room");
  EXPECT_EQ(by_name["b"].state(), NODE_READY);
  EXPECT_EQ(by_name["c"].load().players(), 7u) << "the snapshot has the latest load, flushed or not";
  EXPECT_EQ(by_name["c"].ports().at("client"), 7100u);
}

TEST_F(RegistryTest, SetStateUpdatesTheNodeAndLastSeen) {
  ASSERT_TRUE(up(node("a"), 1));
  now += 2s;
  auto diff = registry.setState(1, NODE_DRAINING);
  ASSERT_TRUE(diff);
  ASSERT_EQ(diff->upserted_size(), 1);
  EXPECT_EQ(diff->upserted(0).state(), NODE_DRAINING);
  EXPECT_EQ(registry.lastSeen("a"), now);
}

}  // namespace
}  // namespace polis::center
