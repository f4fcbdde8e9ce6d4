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
  Registry::Clock::time_point now{};
  Registry registry{"center-1", 77, [this] { return now; }};
};

TEST_F(RegistryTest, RegisterProducesEpochOneWithTheNode) {
  NodeInfo info = node("lobby-1");
  auto diff = registry.upsert(info, 1);
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
  record(registry.upsert(node("a"), 1));
  record(registry.upsert(node("b"), 2));
  record(registry.setState(1, NODE_READY));
  EXPECT_FALSE(registry.setState(1, NODE_READY)) << "no change, no diff";
  EXPECT_FALSE(registry.setState(99, NODE_READY)) << "unknown owner";
  EXPECT_FALSE(registry.flushLoads()) << "no load reported";
  ASSERT_TRUE(registry.heartbeat(2, load(3)));
  record(registry.flushLoads());
  EXPECT_FALSE(registry.removeOwner(99));
  EXPECT_FALSE(registry.evictSilent(1s));
  record(registry.removeOwner(1));
  now += 2s;
  record(registry.evictSilent(1s));
  EXPECT_EQ(epochs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(registry.epoch(), 6u);
}

TEST_F(RegistryTest, HeartbeatFromAnUnknownOwnerIsFalse) {
  EXPECT_FALSE(registry.heartbeat(5, load(1)));
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  EXPECT_FALSE(registry.heartbeat(5, load(1)));
  EXPECT_TRUE(registry.heartbeat(1, load(1)));
  EXPECT_EQ(registry.epoch(), 1u) << "a heartbeat alone publishes nothing";
}

TEST_F(RegistryTest, EvictSilentRemovesExactlyTheSilentNodes) {
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  ASSERT_TRUE(registry.upsert(node("b"), 2));
  ASSERT_TRUE(registry.upsert(node("c"), 3));
  ASSERT_TRUE(registry.upsert(node("d"), 4));
  now += 3s;
  ASSERT_TRUE(registry.heartbeat(2, load(1)));
  ASSERT_TRUE(registry.setState(4, NODE_READY));  // any message counts as a sign of life
  now += 3s;  // a and c: silent 6 s; b and d: 3 s
  auto diff = registry.evictSilent(5s);
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
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  now += 5s;
  EXPECT_FALSE(registry.evictSilent(5s));
  now += 1ms;
  auto diff = registry.evictSilent(5s);
  ASSERT_TRUE(diff);
  EXPECT_EQ(removedNames(*diff), (Names{"a"}));
}

TEST_F(RegistryTest, RemoveOwnerRemovesItsNode) {
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  ASSERT_TRUE(registry.upsert(node("b"), 2));
  auto diff = registry.removeOwner(1);
  ASSERT_TRUE(diff);
  EXPECT_EQ(removedNames(*diff), (Names{"a"}));
  EXPECT_EQ(diff->epoch(), 3u);
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.nameOf(1), nullptr);
  EXPECT_FALSE(registry.removeOwner(1)) << "removing twice changes nothing";
  EXPECT_EQ(registry.lastSeen("a"), Registry::Clock::time_point{});
}

TEST_F(RegistryTest, SameNameFromANewOwnerReplacesTheOld) {
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  NodeInfo restarted = node("a");
  restarted.set_host("10.0.0.2");
  auto diff = registry.upsert(restarted, 2);
  ASSERT_TRUE(diff);
  EXPECT_EQ(upsertedNames(*diff), (Names{"a"}));
  EXPECT_EQ(diff->upserted(0).host(), "10.0.0.2");
  EXPECT_EQ(diff->removed_size(), 0) << "the name stays; only its owner changed";
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_FALSE(registry.heartbeat(1, load(1))) << "the old owner's heartbeat must be refused";
  EXPECT_TRUE(registry.heartbeat(2, load(1)));
  EXPECT_EQ(registry.nameOf(1), nullptr);
  // When the old connection finally closes, the new registration survives.
  EXPECT_FALSE(registry.removeOwner(1));
  EXPECT_EQ(registry.size(), 1u);
  ASSERT_NE(registry.nameOf(2), nullptr);
  EXPECT_EQ(*registry.nameOf(2), "a");
}

TEST_F(RegistryTest, OwnerRegisteringUnderANewNameRemovesTheOldNameInTheSameDiff) {
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  auto diff = registry.upsert(node("b"), 1);
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

TEST_F(RegistryTest, TakingANameFromAnotherOwnerAlsoDropsYourOldName) {
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  ASSERT_TRUE(registry.upsert(node("b"), 2));
  auto diff = registry.upsert(node("a"), 2);
  ASSERT_TRUE(diff);
  EXPECT_EQ(removedNames(*diff), (Names{"b"}));
  EXPECT_EQ(upsertedNames(*diff), (Names{"a"}));
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_FALSE(registry.heartbeat(1, load(1)));
  EXPECT_TRUE(registry.heartbeat(2, load(1)));
}

TEST_F(RegistryTest, FlushLoadsBatchesLoadUpdatesIntoOneDiff) {
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  ASSERT_TRUE(registry.upsert(node("b"), 2));
  ASSERT_TRUE(registry.upsert(node("c"), 3));
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
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  ASSERT_TRUE(registry.upsert(node("b"), 2));
  ASSERT_TRUE(registry.upsert(node("c"), 3));
  ASSERT_TRUE(registry.heartbeat(1, load(1)));
  ASSERT_TRUE(registry.heartbeat(2, load(2)));
  ASSERT_TRUE(registry.heartbeat(3, load(3)));
  ASSERT_TRUE(registry.removeOwner(1));
  ASSERT_TRUE(registry.upsert(node("b2"), 2));
  now += 10s;
  ASSERT_TRUE(registry.heartbeat(3, load(4)));
  auto diff = registry.flushLoads();
  ASSERT_TRUE(diff);
  EXPECT_EQ(upsertedNames(*diff), (Names{"c"}));
  EXPECT_EQ(diff->upserted(0).load().players(), 4u);
  ASSERT_TRUE(registry.heartbeat(2, load(8)));
  now += 10s;
  auto evicted = registry.evictSilent(5s);
  ASSERT_TRUE(evicted);
  EXPECT_EQ(removedNames(*evicted), (Names{"b2", "c"}));
  EXPECT_FALSE(registry.flushLoads()) << "an evicted node's pending load is dropped with it";
}

TEST_F(RegistryTest, ReRegisteringClearsAPendingLoadUpdate) {
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  ASSERT_TRUE(registry.heartbeat(1, load(1)));
  ASSERT_TRUE(registry.upsert(node("a"), 1));  // the upsert already published the node
  EXPECT_FALSE(registry.flushLoads());
}

TEST_F(RegistryTest, SnapshotListsEverythingWithTheCurrentEpoch) {
  auto empty = registry.snapshot();
  EXPECT_EQ(empty.epoch(), 0u);
  EXPECT_EQ(empty.nodes_size(), 0);
  EXPECT_EQ(empty.center(), "center-1");
  EXPECT_EQ(empty.incarnation(), 77u);

  ASSERT_TRUE(registry.upsert(node("a", "lobby"), 1));
  ASSERT_TRUE(registry.upsert(node("b", "room"), 2));
  ASSERT_TRUE(registry.upsert(node("c", "gate"), 3));
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
  ASSERT_TRUE(registry.upsert(node("a"), 1));
  now += 2s;
  auto diff = registry.setState(1, NODE_DRAINING);
  ASSERT_TRUE(diff);
  ASSERT_EQ(diff->upserted_size(), 1);
  EXPECT_EQ(diff->upserted(0).state(), NODE_DRAINING);
  EXPECT_EQ(registry.lastSeen("a"), now);
}

}  // namespace
}  // namespace polis::center
